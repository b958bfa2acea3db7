"""Pausing, resuming and looking at one's settings."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.clean import ascii_int
from bot.base.dates import long_day, short_day
from bot.base.times import local_now
from bot.base.timezones import describe_zone
from bot.base.wording import t
from bot.chat.buttons import simple_data
from bot.chat.messenger import Button
from bot.chat.outbox import Outbox, Send
from bot.people import recap_day
from bot.people.onboarding import next_checkin_text
from bot.people.schedules import checkin_times, format_times
from bot.people.users import back_on, is_paused, pause_end
from bot.store.models import User

MAX_PAUSE_DAYS = 90


async def pause(session: AsyncSession, user: User, args: str, now: datetime) -> Outbox:
    outbox = Outbox()
    assert user.timezone is not None
    words = args.split()
    if not words:
        user.paused, user.paused_until = True, None
        outbox.send(t("paused_open"))
        return outbox
    days = ascii_int(words[0]) if len(words) == 1 else None
    if days is None or not 1 <= days <= MAX_PAUSE_DAYS:
        outbox.send(t("pause_bad_days"))
        return outbox
    user.paused, user.paused_until = True, pause_end(now, user.timezone, days)
    user.updated_at = now
    outbox.send(t("paused_days", days=days, back_on=long_day(back_on(user))))
    return outbox


async def resume(session: AsyncSession, user: User, now: datetime) -> Outbox:
    outbox = Outbox()
    assert user.timezone is not None
    was_paused = is_paused(user, now)
    user.paused, user.paused_until, user.skip_date = False, None, None
    user.updated_at = now
    next_local = await next_checkin_text(session, user, now)
    outbox.send(t("resumed" if was_paused else "not_paused", next_local=next_local))
    return outbox


async def show_settings(session: AsyncSession, user: User, now: datetime) -> Outbox:
    outbox = Outbox()
    assert user.timezone is not None
    if is_paused(user, now):
        status = (
            t("settings_status_paused", back_on=short_day(back_on(user)))
            if user.paused_until
            else t("settings_status_paused_open")
        )
    else:
        status = t("settings_status_active")
    text = t(
        "settings",
        zone=describe_zone(user.timezone, now),
        local_time=local_now(now, user.timezone).strftime("%H:%M"),
        times=format_times(await checkin_times(session, user)) or "-",
        recap=await recap_day.current_setting(session, user),
        status=status,
        quiet=quiet_hours_text(user),
        medicines=t("settings_medicines_on" if user.ask_medicines else "settings_medicines_off"),
    )
    medicines = (
        "settings_medicines_off_button" if user.ask_medicines else "settings_medicines_button"
    )
    buttons = (
        (Button(t("settings_change_timezone_button"), simple_data("settings", "tz")),),
        (Button(t("settings_change_times_button"), simple_data("settings", "times")),),
        (Button(t("settings_change_recap_button"), simple_data("settings", "recap")),),
        (Button(t("settings_quiet_button"), simple_data(QUIET_BUTTON, "ask")),),
        (Button(t(medicines), simple_data("settings", "meds")),),
    )
    outbox.send(text, buttons)
    return outbox


# --- quiet hours ---------------------------------------------------------------------------------

#: The namespace of the quiet-hours buttons (a row of bot.app.presses.BUTTONS).
QUIET_BUTTON = "quiet"
#: The choices offered, as (from, until) local times; each wraps past midnight.
QUIET_CHOICES = ((time(22, 0), time(7, 0)), (time(23, 0), time(8, 0)), (time(21, 0), time(6, 0)))


def quiet_hours_text(user: User) -> str:
    if user.quiet_from is None or user.quiet_until is None:
        return t("settings_quiet_off")
    return t(
        "settings_quiet_on",
        start=user.quiet_from.strftime("%H:%M"),
        end=user.quiet_until.strftime("%H:%M"),
    )


def _quiet_arg(start: time, end: time) -> str:
    return f"{start.strftime('%H%M')}-{end.strftime('%H%M')}"


async def quiet_pressed(user: User, arg: str, message_id: int | None, now: datetime) -> Outbox:
    """The quiet-hours buttons: show the choices, set one, or turn them off.

    Check-ins that fall in the quiet hours wait for their end, or skip a day when the quiet
    hours only end the next morning (:mod:`bot.people.quiet`).
    """
    outbox = Outbox()
    if arg == "ask":
        choices = [
            Button(
                t("settings_quiet_choice", start=a.strftime("%H:%M"), end=b.strftime("%H:%M")),
                simple_data(QUIET_BUTTON, _quiet_arg(a, b)),
            )
            for a, b in QUIET_CHOICES
        ]
        off = Button(t("settings_quiet_off_button"), simple_data(QUIET_BUTTON, "off"))
        buttons = tuple((button,) for button in [*choices, off])
        outbox.send(t("settings_quiet_ask", now=quiet_hours_text(user)), buttons, silent=True)
        return outbox
    chosen = {_quiet_arg(a, b): (a, b) for a, b in QUIET_CHOICES}
    if arg == "off":
        user.quiet_from = user.quiet_until = None
    elif arg in chosen:
        user.quiet_from, user.quiet_until = chosen[arg]
    else:
        outbox.toast = t("button_expired")
        return outbox
    user.updated_at = now
    said = t("settings_quiet_set", quiet=quiet_hours_text(user))
    if message_id is None:
        outbox.send(said, silent=True)
    else:
        outbox.edit(message_id, said)
    outbox.toast = t("button_saved")
    return outbox


async def toggle_medicines(
    session: AsyncSession, user: User, message_id: int | None, now: datetime
) -> Outbox:
    """The /settings button that switches the check-in's medicines question on or off.

    Off by default: it is one more tap every evening, worth it for people who take painkillers
    or supplements (they can hide back pain and upset the gut, so the diary should know).
    The settings message is shown again with the new state.
    """
    user.ask_medicines = not user.ask_medicines
    user.updated_at = now
    shown = await show_settings(session, user, now)
    toast = "settings_medicines_toast_on" if user.ask_medicines else "settings_medicines_toast_off"
    outbox = Outbox(toast=t(toast))
    [message] = shown.messages
    assert isinstance(message, Send)
    if message_id is None:
        outbox.send(message.text, message.buttons)
    else:
        outbox.edit(message_id, message.text, message.buttons)
    return outbox
