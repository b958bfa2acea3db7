"""Scheduling math: when, in UTC, does a person's next local check-in or weekly recap fall due?

The sweep stores each schedule's next due instant in UTC and, after sending, calls
:func:`next_daily` or :func:`next_weekly` to advance it. These functions are pure (the caller
passes the clock value) and cheap: the sweep calls them once per prompt sent.

Daylight-saving rules (one occurrence per local calendar date, never zero, never two):

* **Gap (spring forward).** A wall time that does not exist that day fires once, at the wall
  time shifted forward by the length of the gap: 02:30 on Berlin's spring-forward day fires at
  03:30 CEST. (This is what Python's ``fold=0`` means inside a gap.)
* **Repeat (fall back).** A wall time that occurs twice fires once, at its first occurrence
  (``fold=0``), and never again for that date.
* **Gap across midnight.** A few zones (America/Nuuk since 2024) jump from 23:00 straight to
  00:00. Shifting 23:30 forward would land on the next date and give that date two prompts and
  this one none, so instead the prompt fires earlier by the gap (22:30), still on its own date.
* **Dates that do not exist.** When a zone skips a whole calendar day (Samoa skipped
  2011-12-30), that date has no local time at all and so no occurrence.

Every occurrence therefore lies on its own local date, so :func:`occurrence_key` (the local
date of a due instant) is a safe part of the delivery table's unique key.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.base.timezones import zone_for

__all__ = [
    "MAX_TIMES",
    "TimesError",
    "local_date",
    "local_now",
    "next_daily",
    "next_weekly",
    "occurrence_key",
    "parse_times",
    "parse_weekday",
    "start_of_day",
]

_ONE_DAY = timedelta(days=1)
_ONE_WEEK = timedelta(days=7)
# How many candidate dates to try before giving up; more than any real zone's skipped days.
_MAX_TRIES = 8


# --------------------------------------------------------------------------------------------
# Instants
# --------------------------------------------------------------------------------------------


def _require_aware(instant: datetime, what: str) -> None:
    # A naive datetime would silently be read in the *server's* zone by astimezone().
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")


def _wall(local_time: time) -> time:
    """The bare wall-clock reading: any tzinfo or fold on the input must not change the rules."""
    if local_time.tzinfo is not None or local_time.fold:
        return local_time.replace(tzinfo=None, fold=0)
    return local_time


def _occurrence(day: date, wall: time, zone: tzinfo) -> datetime | None:
    """The UTC instant of ``wall`` on local date ``day`` under the rules in the module docstring."""
    local = datetime.combine(day, wall, tzinfo=zone)  # fold=0: first occurrence / shift forward
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).date() == day:
        return instant
    # Only a gap that crosses midnight gets here: fold=1 reads the time with the offset after
    # the jump, which places it the gap's length *earlier*, still on this date.
    instant = local.replace(fold=1).astimezone(UTC)
    if instant.astimezone(zone).date() == day:
        return instant
    return None  # the zone skipped this whole date


def next_daily(local_time: time, tz_name: str, after: datetime) -> datetime:
    """The first UTC instant strictly after ``after`` at which ``tz_name`` shows ``local_time``.

    Starting from the local date of ``after`` is enough: an occurrence always lies on its own
    local date and the first occurrence of a repeated time comes before the repeat, so no earlier
    date's occurrence can still be ahead of ``after``.
    """
    _require_aware(after, "after")
    zone = zone_for(tz_name)
    wall = _wall(local_time)
    return _first_after(after.astimezone(zone).date(), _ONE_DAY, wall, zone, after)


def next_weekly(weekday: int, local_time: time, tz_name: str, after: datetime) -> datetime:
    """Like :func:`next_daily`, on local ``weekday`` only (Monday=0 ... Sunday=6)."""
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0..6, got {weekday!r}")
    _require_aware(after, "after")
    zone = zone_for(tz_name)
    wall = _wall(local_time)
    day = after.astimezone(zone).date()
    day += timedelta(days=(weekday - day.weekday()) % 7)
    return _first_after(day, _ONE_WEEK, wall, zone, after)


def _first_after(day: date, step: timedelta, wall: time, zone: tzinfo, after: datetime) -> datetime:
    """The first occurrence of ``wall`` on ``day``, ``day + step``, ... that is after ``after``."""
    for _ in range(_MAX_TRIES):
        instant = _occurrence(day, wall, zone)
        if instant is not None and instant > after:
            return instant
        day += step
    raise ValueError(f"no occurrence of {wall} in {zone} after {after}")  # pragma: no cover


def local_now(instant: datetime, tz_name: str) -> datetime:
    """``instant`` as the wall clock in ``tz_name`` shows it (aware, in that zone)."""
    _require_aware(instant, "instant")
    return instant.astimezone(zone_for(tz_name))


def local_date(instant: datetime, tz_name: str) -> date:
    """The calendar date in ``tz_name`` at ``instant``: "today" for that person."""
    return local_now(instant, tz_name).date()


def start_of_day(day: date, tz_name: str) -> datetime:
    """The UTC instant local date ``day`` begins in ``tz_name`` (a skipped midnight: just after)."""
    local = datetime.combine(day, time(0), tzinfo=zone_for(tz_name))
    return local.astimezone(UTC)


def occurrence_key(due: datetime, tz_name: str) -> date:
    """The local date a due instant belongs to, for the delivery table's unique key.

    Every instant produced by :func:`next_daily`/:func:`next_weekly` lies on the date it was
    scheduled for (see the module docstring), so this is simply its local date.
    """
    return local_date(due, tz_name)


# --------------------------------------------------------------------------------------------
# Parsing what a person types
# --------------------------------------------------------------------------------------------

MAX_TIMES = 4


class TimesError(ValueError):
    """Check-in times we could not accept; ``reason`` lets the caller word a friendly reply.

    ``reason`` is one of ``"empty"`` (nothing typed), ``"format"`` (``token`` is the piece we
    could not read as a time) or ``"too_many"`` (more than :data:`MAX_TIMES` distinct times).
    """

    def __init__(self, reason: str, token: str | None = None) -> None:
        self.reason = reason
        self.token = token
        detail = f": {token!r}" if token is not None else ""
        super().__init__(f"{reason}{detail}")


_SPLIT_RE = re.compile(r"(?:[\s,;/&+|]|\band\b)+")
# "8 am", "8 a.m.", "8 pm" -> "8am", "8pm" before splitting on spaces.
_AMPM_JOIN_RE = re.compile(r"(\d)\s*([ap])\.?\s*m\b\.?")
_SEPARATED_RE = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?h?(am|pm|a|p)?")
_COMPACT_RE = re.compile(r"(\d{1,2})(\d{2})(am|pm|a|p)?")
_WORDS = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}


def _parse_token(token: str) -> time | None:
    if token in _WORDS:
        return _WORDS[token]
    match = _SEPARATED_RE.fullmatch(token) or _COMPACT_RE.fullmatch(token)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = match.group(3)
    if minute > 59:
        return None
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    elif hour > 23:
        return None
    return time(hour, minute)


def parse_times(text: str) -> list[time]:
    """Read check-in times as typed: "08:00 20:00", "8:00, 20:30", "8am 8:30pm", "7.45", "21h".

    Returns 1 to :data:`MAX_TIMES` distinct times, sorted. Raises :class:`TimesError`.
    """
    normalized = unicodedata.normalize("NFKC", text or "").casefold()
    normalized = _AMPM_JOIN_RE.sub(r"\1\2m", normalized)
    tokens = [t for t in _SPLIT_RE.split(normalized) if t]
    if not tokens:
        raise TimesError("empty")
    times: set[time] = set()
    for token in tokens:
        parsed = _parse_token(token.strip(".!?"))
        if parsed is None:
            raise TimesError("format", token)
        times.add(parsed)
    if len(times) > MAX_TIMES:
        raise TimesError("too_many")
    return sorted(times)


_WEEKDAYS: dict[str, int] = {}
for _number, _name in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
):
    _WEEKDAYS[_name] = _number
    _WEEKDAYS[_name[:3]] = _number
    _WEEKDAYS[_name + "s"] = _number  # "sundays"
_WEEKDAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})


def parse_weekday(text: str) -> int:
    """English day name or 3-letter abbreviation ("sun", "Sunday") to Monday=0 ... Sunday=6."""
    key = (text or "").strip().strip(".,!").casefold()
    try:
        return _WEEKDAYS[key]
    except KeyError:
        raise ValueError(f"not a weekday: {text!r}") from None
