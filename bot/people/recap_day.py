"""``/recapday``: which day and time the weekly recap comes, or that it does not.

Everyone who finishes set-up gets one recap schedule (kind ``recap``, Sunday 18:00 local by
default; see :mod:`bot.people.schedules`); the recap itself is built by
:mod:`bot.insights.weekly`. This module only reads and changes the setting, so set-up and
``/settings`` need no chart library.

A diary with good manners: paused people get no recap (it is skipped and moves on to the next
week like a paused check-in), "skip today" only skips check-ins, and ``/recapday off`` stops
the recap for good until ``/recapday <day>`` brings it back.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.times import TimesError, parse_times, parse_weekday
from bot.base.wording import t
from bot.chat.buttons import simple_data
from bot.chat.messenger import Button
from bot.chat.outbox import Outbox
from bot.people.schedules import (
    DEFAULT_RECAP_DAY,
    DEFAULT_RECAP_TIME,
    format_local,
    recap_schedule,
    set_recap_schedule,
)
from bot.store.models import Schedule, User

OFF = "off"
_OFF_WORDS = frozenset({"off", "stop", "none", "never", "no"})
_FILLER_WORDS = frozenset({"at", "on", "every", "each"})
_SPLIT = re.compile(r"[\s,;]+")

# --- the message the sweep sends ---------------------------------------------------------------


# --- what people type: /recapday <day> <HH:MM> | off ------------------------------------------


class RecapDayError(ValueError):
    """What ``/recapday`` could not accept; ``reason`` picks the friendly reply.

    ``"day"`` or ``"time"`` (``token`` could not be read as one), ``"two_days"``, ``"two_times"``.
    """

    def __init__(self, reason: str, token: str = "") -> None:
        self.reason = reason
        self.token = token
        super().__init__(f"{reason}: {token!r}" if token else reason)


@dataclass(frozen=True, slots=True)
class RecapDay:
    """A parsed ``/recapday``: ``off``, or a day and/or a time (what is missing stays as is)."""

    off: bool = False
    weekday: int | None = None
    at: time | None = None


def parse_recap_day(text: str) -> RecapDay:
    """Read "sunday 18:00", "fri 19:30", "Sundays at 6pm", "18:00" (time only) or "off".

    Raises :class:`RecapDayError`. An empty text is the caller's business (it shows the usage).
    """
    normalized = unicodedata.normalize("NFKC", text or "").casefold().strip()
    words = [w for w in _SPLIT.split(normalized) if w and w not in _FILLER_WORDS]
    if len(words) == 1 and words[0].strip(".!") in _OFF_WORDS:
        return RecapDay(off=True)
    days: list[int] = []
    rest: list[str] = []
    for word in words:
        try:
            days.append(parse_weekday(word))
        except ValueError:
            rest.append(word)
    if len(set(days)) > 1:
        raise RecapDayError("two_days")
    at: time | None = None
    if rest:
        try:
            times = parse_times(" ".join(rest))
        except TimesError as error:
            token = error.token or " ".join(rest)
            # A word with no digit in it was most likely meant as a day ("sundy").
            reason = "time" if any(c.isdigit() for c in token) else "day"
            raise RecapDayError(reason, token[:40]) from None
        if len(times) > 1:
            raise RecapDayError("two_times")
        at = times[0]
    return RecapDay(weekday=days[0] if days else None, at=at)


def describe(schedule: Schedule | None) -> str:
    """ "Sundays at 18:00", or "off"."""
    if schedule is None or schedule.weekday is None:
        return t("recapday_current_off")
    return t(
        "recapday_current",
        days=t(f"recapday_days_{schedule.weekday}"),
        time=schedule.local_time.strftime("%H:%M"),
    )


async def current_setting(session: AsyncSession, user: User) -> str:
    """The recap line of ``/settings``: "Sundays at 18:00" or "off"."""
    return describe(await recap_schedule(session, user))


async def schedule_line(session: AsyncSession, user: User) -> str:
    """The sentence about the weekly recap in the "All set!" confirmation."""
    schedule = await recap_schedule(session, user)
    if schedule is None or schedule.weekday is None:
        return t("recapday_line_off")
    return t("recapday_line_on", current=describe(schedule))


async def recap_day(session: AsyncSession, user: User, args: str, now: datetime) -> Outbox:
    """``/recapday``: no words show the setting and how to change it; otherwise change it.

    A day alone keeps the time, a time alone keeps the day (Sunday if the recap was off).
    """
    schedule = await recap_schedule(session, user)
    if not args.strip():
        return Outbox.saying(t("recapday_usage", current=describe(schedule)))
    try:
        wanted = parse_recap_day(args)
    except RecapDayError as error:
        return Outbox.saying(
            t(f"recapday_error_{error.reason}", token=error.token, current=describe(schedule))
        )
    if wanted.off:
        return Outbox.saying(await _turn_off(session, user, schedule, now))
    weekday, at = _kept(schedule)
    if wanted.weekday is not None:
        weekday = wanted.weekday
    return Outbox.saying(await _set(session, user, weekday, wanted.at or at, now))


def _kept(schedule: Schedule | None) -> tuple[int, time]:
    """The day and time a change leaves alone: the current ones, else Sunday 18:00."""
    if schedule is None:
        return DEFAULT_RECAP_DAY, DEFAULT_RECAP_TIME
    weekday = DEFAULT_RECAP_DAY if schedule.weekday is None else schedule.weekday
    return weekday, schedule.local_time


async def _set(session: AsyncSession, user: User, weekday: int, at: time, now: datetime) -> str:
    assert user.timezone is not None
    schedule = await set_recap_schedule(session, user, weekday, at, now)
    user.updated_at = now
    assert schedule.next_due_at is not None
    return t(
        "recapday_set",
        current=describe(schedule),
        next_local=format_local(schedule.next_due_at, user.timezone, now),
    )


async def _turn_off(
    session: AsyncSession, user: User, schedule: Schedule | None, now: datetime
) -> str:
    await set_recap_schedule(session, user, None, _kept(schedule)[1], now)
    user.updated_at = now
    return t("recapday_off")


# --- the /settings button ----------------------------------------------------------------------


async def choose(session: AsyncSession, user: User) -> Outbox:
    """A day to tap (the time stays), or "turn off"; typing ``/recapday`` changes the time."""
    schedule = await recap_schedule(session, user)
    day_buttons = [
        Button(t(f"weekday_short_{n}"), simple_data("recapday", str(n))) for n in range(7)
    ]
    buttons = (
        tuple(day_buttons[:4]),
        tuple(day_buttons[4:]),
        (Button(t("recapday_off_button"), simple_data("recapday", OFF)),),
    )
    at = _kept(schedule)[1].strftime("%H:%M")
    text = t("recapday_choose", current=describe(schedule), time=at)
    outbox = Outbox()
    outbox.send(text, buttons)
    return outbox


async def press(
    session: AsyncSession, user: User, arg: str, message_id: int | None, now: datetime
) -> Outbox:
    """A day (``"0"``..``"6"``) or ``"off"`` was tapped: change it and say so in place."""
    schedule = await recap_schedule(session, user)
    if arg == OFF:
        said = await _turn_off(session, user, schedule, now)
    elif arg in {str(n) for n in range(7)}:
        said = await _set(session, user, int(arg), _kept(schedule)[1], now)
    else:
        return Outbox(toast=t("button_expired"))
    outbox = Outbox(toast=t("button_saved"))
    if message_id is None:
        outbox.send(said)
    else:
        outbox.edit(message_id, said)
    return outbox
