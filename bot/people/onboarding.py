"""First contact: what the bot is and is not, consent, timezone, check-in times.

The person's position in this flow is ``users.onboarding_step`` ("consent", "timezone", "times",
"done"), plus "edit_timezone" / "edit_times" when a settings button is waiting for typed input.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.times import TimesError, local_now, next_daily, parse_times
from bot.base.timezones import (
    Choice,
    describe_zone,
    is_fixed_offset,
    place_name,
    read_timezone,
    same_offset_zones,
    suggest_timezones,
    timezone_from_location,
)
from bot.base.wording import t
from bot.chat.buttons import simple_data
from bot.chat.messenger import Button, Keyboard, Sender
from bot.chat.outbox import Outbox
from bot.people import recap_day
from bot.people.schedules import (
    DEFAULT_TIMES,
    checkin_times,
    ensure_recap_schedules,
    format_local,
    format_times,
    next_checkin_at,
    reschedule,
    set_checkin_times,
)
from bot.people.users import is_paused, move_pause
from bot.store.models import User
from bot.store.states import OnboardingStep

TIME_PRESETS: dict[str, tuple[time, ...]] = {
    "default": DEFAULT_TIMES,
    "evening": (time(20, 0),),
    "morning": (time(8, 0),),
}


#: The steps of first set-up (afterwards a person is done, or editing one value).
SETTING_UP = (OnboardingStep.CONSENT, OnboardingStep.TIMEZONE, OnboardingStep.TIMES)


def has_consented(user: User) -> bool:
    return user.consented_at is not None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def consent_stamp(user: User) -> str:
    """Who and which consent a button belongs to, for buttons that must not outlive either.

    The user id alone is not enough: SQLite may give a new person the id of someone just deleted,
    and an old button must never act on a fresh diary.
    """
    consented = user.consented_at or _EPOCH
    return f"{user.id}:{(consented - _EPOCH) // timedelta(microseconds=1)}"


def is_set_up(user: User) -> bool:
    return (
        has_consented(user) and user.timezone is not None and user.onboarding_step not in SETTING_UP
    )


def welcome(sender: Sender, outbox: Outbox) -> None:
    name = f" {sender.first_name}" if sender.first_name else ""
    buttons: Keyboard = (
        (
            Button(t("consent_button"), simple_data("consent", "yes")),
            Button(t("consent_decline_button"), simple_data("consent", "no")),
        ),
    )
    outbox.send(t("welcome", name=name), buttons)


async def start(session: AsyncSession, user: User, sender: Sender, now: datetime) -> Outbox:
    outbox = Outbox()
    if not has_consented(user):
        welcome(sender, outbox)
    elif (
        user.onboarding_step in (OnboardingStep.TIMEZONE, OnboardingStep.EDIT_TIMEZONE)
        or user.timezone is None
    ):
        ask_timezone(user, sender, outbox)
    elif user.onboarding_step in (OnboardingStep.TIMES, OnboardingStep.EDIT_TIMES):
        ask_times(outbox)
    else:
        await confirm_schedule(session, user, now, outbox, key="times_set")
    return outbox


async def consent(
    session: AsyncSession,
    user: User,
    sender: Sender,
    answer: str,
    message_id: int | None,
    now: datetime,
) -> Outbox:
    outbox = Outbox()
    if has_consented(user):
        outbox.toast = t("button_already")
        return outbox
    if answer != "yes":
        outbox.edit(message_id, t("consent_declined"))
        return outbox
    user.consented_at = now
    user.onboarding_step = OnboardingStep.TIMEZONE
    user.updated_at = now
    outbox.edit(message_id, t("welcome", name="") + "\n\n✓ " + t("consent_button"))
    ask_timezone(user, sender, outbox, preface=t("consent_thanks"))
    return outbox


def _zone_rows(choices: tuple[Choice, ...] | list[Choice]) -> Keyboard:
    """One button per place: two to a row when the labels are short, else one."""
    buttons = [Button(choice.label, simple_data("tz", choice.zone)) for choice in choices]
    per_row = 2 if all(len(button.label) <= 14 for button in buttons) else 1
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def ask_timezone(user: User, sender: Sender, outbox: Outbox, preface: str | None = None) -> None:
    zones = suggest_timezones(sender.language_code)
    rows = _zone_rows([Choice(zone, place_name(zone)) for zone in zones])
    text = f"{preface}\n\n{t('ask_timezone')}" if preface else t("ask_timezone")
    outbox.send(text, rows, ask_location=t("share_location_button"))


def ask_times(outbox: Outbox, text: str | None = None) -> None:
    rows = tuple(
        (Button(t(f"times_button_{preset}"), simple_data("times", preset)),)
        for preset in TIME_PRESETS
    )
    outbox.send(text or t("ask_times"), rows)


async def ask_again(session: AsyncSession, user: User, sender: Sender, now: datetime) -> Outbox:
    """Ask for the value the person is about to give: a set-up step, or a setting to change.

    Changing a setting later is not a step of set-up, so it shows what is set now instead.
    """
    if user.onboarding_step not in (OnboardingStep.EDIT_TIMEZONE, OnboardingStep.EDIT_TIMES):
        return step_prompt(user, sender)
    assert user.timezone is not None
    outbox = Outbox()
    zone = describe_zone(user.timezone, now)
    if user.onboarding_step == OnboardingStep.EDIT_TIMES:
        times = format_times(await checkin_times(session, user)) or "-"
        ask_times(outbox, t("ask_times_edit", times=times, zone=zone))
        return outbox
    suggestions = [Choice(z, place_name(z)) for z in suggest_timezones(sender.language_code)]
    local_time = local_now(now, user.timezone).strftime("%H:%M")
    outbox.send(
        t("ask_timezone_edit", zone=zone, local_time=local_time),
        _zone_rows(suggestions),
        ask_location=t("share_location_button"),
    )
    return outbox


def names_a_timezone(user: User, text: str, now: datetime) -> bool:
    """The person is asked for a timezone and this names one (or places to choose from).

    A city in its own script ("Москва", "東京") is then an answer, not a message in a language
    the diary cannot read.
    """
    if user.onboarding_step not in (OnboardingStep.TIMEZONE, OnboardingStep.EDIT_TIMEZONE):
        return False
    reading = read_timezone(text, now)
    return reading.zone is not None or bool(reading.choices)


async def set_timezone_text(session: AsyncSession, user: User, text: str, now: datetime) -> Outbox:
    reading = read_timezone(text, now)
    if reading.zone is None:
        outbox = Outbox()
        typed = text.strip()[:60]
        if reading.choices:
            outbox.send(t("timezone_choose", text=typed), _zone_rows(reading.choices))
        else:
            outbox.send(t("timezone_unknown", text=typed))
        return outbox
    return await set_timezone(session, user, reading.zone, now)


async def set_timezone_location(
    session: AsyncSession, user: User, latitude: float, longitude: float, now: datetime
) -> Outbox:
    zone = timezone_from_location(latitude, longitude)
    if zone is None:
        outbox = Outbox()
        outbox.send(t("timezone_location_unknown"))
        return outbox
    return await set_timezone(session, user, zone, now)


def _fixed_offset_note(zone: str, now: datetime, outbox: Outbox) -> None:
    """An offset keeps no daylight saving: say so, and offer the places that match it today."""
    if not is_fixed_offset(zone):
        return
    places = same_offset_zones(zone, now)
    if places:
        outbox.send(t("timezone_fixed_note"), _zone_rows(places))
    else:
        outbox.send(t("timezone_fixed_note_no_places"))


async def set_timezone(session: AsyncSession, user: User, zone: str, now: datetime) -> Outbox:
    """Store the zone; first time, move on to the times; later, move every schedule with it."""
    outbox = Outbox()
    before = user.timezone
    user.timezone = zone
    user.updated_at = now
    described = describe_zone(zone, now)
    local_time = local_now(now, zone).strftime("%H:%M")
    if user.onboarding_step in SETTING_UP:
        outbox.send(
            t("timezone_set", zone=described, local_time=local_time), clear_reply_keyboard=True
        )
        _fixed_offset_note(zone, now, outbox)
        user.onboarding_step = OnboardingStep.TIMES
        ask_times(outbox)
        return outbox
    user.onboarding_step = OnboardingStep.DONE
    move_pause(user, before)
    await reschedule(session, user, now)
    times = await checkin_times(session, user)
    if not times:
        outbox.send(
            t("timezone_set", zone=described, local_time=local_time), clear_reply_keyboard=True
        )
        ask_times(outbox)
        return outbox
    outbox.send(
        t(
            "timezone_unchanged" if zone == before else "timezone_changed",
            zone=described,
            local_time=local_time,
            times=format_times(times),
            next_local=await next_checkin_text(session, user, now),
        ),
        clear_reply_keyboard=True,
    )
    _fixed_offset_note(zone, now, outbox)
    return outbox


async def set_times_text(session: AsyncSession, user: User, text: str, now: datetime) -> Outbox:
    try:
        times = parse_times(text)
    except TimesError as error:
        outbox = Outbox()
        outbox.send(t(f"times_error_{error.reason}", token=getattr(error, "token", "") or ""))
        return outbox
    return await set_times(session, user, times, now)


async def set_times(
    session: AsyncSession, user: User, times: list[time] | tuple[time, ...], now: datetime
) -> Outbox:
    outbox = Outbox()
    first_time = (
        user.onboarding_step != OnboardingStep.DONE
        and user.onboarding_step != OnboardingStep.EDIT_TIMES
    )
    unchanged = not first_time and await checkin_times(session, user) == sorted(times)
    if not unchanged:
        await set_checkin_times(session, user, list(times), now)
    await ensure_recap_schedules(session, [user], now)  # finishing set-up: the weekly recap
    user.onboarding_step = OnboardingStep.DONE
    user.updated_at = now
    key = "times_set" if first_time else "times_unchanged" if unchanged else "times_updated"
    await confirm_schedule(session, user, now, outbox, key=key)
    return outbox


async def next_checkin_text(session: AsyncSession, user: User, now: datetime) -> str:
    """When the next check-in comes, in words: "tomorrow at 08:00", after a pause if paused."""
    assert user.timezone is not None
    if is_paused(user, now):
        if user.paused_until is None:
            return t("next_checkin_after_resume")
        times = await checkin_times(session, user)
        if times:
            upcoming = min(next_daily(at, user.timezone, user.paused_until) for at in times)
            return format_local(upcoming, user.timezone, now)
    upcoming = await next_checkin_at(session, user)
    return format_local(upcoming, user.timezone, now) if upcoming else "-"


async def confirm_schedule(
    session: AsyncSession, user: User, now: datetime, outbox: Outbox, *, key: str
) -> None:
    assert user.timezone is not None
    times = await checkin_times(session, user)
    if not times:
        ask_times(outbox)
        return
    outbox.send(
        t(
            key,
            times=format_times(times),
            zone=describe_zone(user.timezone, now),
            next_local=await next_checkin_text(session, user, now),
            recap_line=await recap_day.schedule_line(session, user),
        )
    )


def step_prompt(user: User, sender: Sender) -> Outbox:
    """Repeat the question the person has not answered yet."""
    outbox = Outbox()
    if user.onboarding_step in (OnboardingStep.TIMES, OnboardingStep.EDIT_TIMES):
        ask_times(outbox)
    else:
        ask_timezone(user, sender, outbox)
    return outbox
