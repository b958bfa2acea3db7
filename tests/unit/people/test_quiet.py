"""Quiet hours and easing off: the pure rules the sweep applies (bot/people/quiet.py)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.people.quiet import eases_off, in_quiet_hours, quiet_end
from bot.store.models import User


def person(quiet_from: time | None, quiet_until: time | None) -> User:
    return User(timezone="Europe/Berlin", quiet_from=quiet_from, quiet_until=quiet_until)


def test_quiet_hours_may_wrap_past_midnight() -> None:
    night = (time(22, 0), time(7, 0))
    assert in_quiet_hours(time(23, 30), *night) and in_quiet_hours(time(6, 59), *night)
    assert not in_quiet_hours(time(7, 0), *night) and not in_quiet_hours(time(21, 59), *night)
    assert in_quiet_hours(time(13, 0), time(12, 0), time(14, 0))
    assert not in_quiet_hours(time(3, 0), None, None)


def test_a_morning_checkin_in_quiet_hours_waits_for_their_end_across_a_clock_change() -> None:
    # Sun 29 Mar 2026: Berlin goes from UTC+1 to UTC+2 at 02:00. 06:30 local is 04:30 UTC.
    user = person(time(22, 0), time(7, 0))
    due = datetime(2026, 3, 29, 4, 30, tzinfo=UTC)
    assert quiet_end(due, user) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 local
    # 22:30 local ends only the next morning: no wait (that day's check-in is skipped).
    assert quiet_end(datetime(2026, 3, 28, 21, 30, tzinfo=UTC), user) is None
    assert quiet_end(datetime(2026, 3, 29, 10, 0, tzinfo=UTC), user) is None  # not quiet


def test_after_three_silent_days_only_the_days_last_checkin_goes() -> None:
    now = datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    silent = now - timedelta(days=3)
    assert eases_off(silent, now, slot=0, slot_count=2)
    assert not eases_off(silent, now, slot=1, slot_count=2)
    assert not eases_off(now - timedelta(days=2, hours=23), now, slot=0, slot_count=2)
