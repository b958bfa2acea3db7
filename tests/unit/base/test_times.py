"""Scheduling math: reminders arrive at the local time people chose, once a day, across DST."""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.base.times import (
    TimesError,
    local_date,
    local_now,
    next_daily,
    next_weekly,
    occurrence_key,
    parse_times,
    parse_weekday,
)
from bot.base.timezones import UnknownTimezone, zone_for


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(tz_name: str, *args: int) -> datetime:
    """A wall-clock reading in a zone (fold=0) as an aware datetime."""
    return datetime(*args, tzinfo=zone_for(tz_name))


# --------------------------------------------------------------------------------------------
# Daylight saving transitions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz_name", "wall", "after", "expected"),
    [
        # Berlin springs forward 2025-03-30 02:00 CET -> 03:00 CEST.
        ("Europe/Berlin", time(2, 30), utc(2025, 3, 29, 23, 0), utc(2025, 3, 30, 1, 30)),
        ("Europe/Berlin", time(2, 0), utc(2025, 3, 29, 23, 0), utc(2025, 3, 30, 1, 0)),
        ("Europe/Berlin", time(1, 59), utc(2025, 3, 29, 23, 0), utc(2025, 3, 30, 0, 59)),
        ("Europe/Berlin", time(3, 0), utc(2025, 3, 29, 23, 0), utc(2025, 3, 30, 1, 0)),
        ("Europe/Berlin", time(8, 0), utc(2025, 3, 29, 23, 0), utc(2025, 3, 30, 6, 0)),
        # Berlin falls back 2025-10-26 03:00 CEST -> 02:00 CET: 02:xx happens twice.
        ("Europe/Berlin", time(2, 30), utc(2025, 10, 25, 12, 0), utc(2025, 10, 26, 0, 30)),
        ("Europe/Berlin", time(1, 59), utc(2025, 10, 25, 12, 0), utc(2025, 10, 25, 23, 59)),
        ("Europe/Berlin", time(3, 0), utc(2025, 10, 25, 12, 0), utc(2025, 10, 26, 2, 0)),
        # New York springs forward 2025-03-09 02:00 EST -> 03:00 EDT.
        ("America/New_York", time(2, 30), utc(2025, 3, 9, 0, 0), utc(2025, 3, 9, 7, 30)),
        ("America/New_York", time(1, 59), utc(2025, 3, 9, 0, 0), utc(2025, 3, 9, 6, 59)),
        ("America/New_York", time(3, 0), utc(2025, 3, 9, 0, 0), utc(2025, 3, 9, 7, 0)),
        # New York falls back 2025-11-02 02:00 EDT -> 01:00 EST: 01:xx happens twice.
        ("America/New_York", time(1, 30), utc(2025, 11, 2, 0, 0), utc(2025, 11, 2, 5, 30)),
        ("America/New_York", time(0, 59), utc(2025, 11, 2, 0, 0), utc(2025, 11, 2, 4, 59)),
        ("America/New_York", time(2, 0), utc(2025, 11, 2, 0, 0), utc(2025, 11, 2, 7, 0)),
    ],
)
def test_next_daily_around_dst(
    tz_name: str, wall: time, after: datetime, expected: datetime
) -> None:
    due = next_daily(wall, tz_name, after)
    assert due == expected
    assert due.tzinfo is UTC


def test_gap_time_fires_shifted_forward_by_the_gap() -> None:
    due = next_daily(time(2, 30), "Europe/Berlin", utc(2025, 3, 29, 23, 0))
    shown = local_now(due, "Europe/Berlin")
    assert (shown.hour, shown.minute) == (3, 30)
    assert shown.utcoffset() == timedelta(hours=2)
    assert occurrence_key(due, "Europe/Berlin") == date(2025, 3, 30)


@pytest.mark.parametrize(
    ("tz_name", "wall", "first", "next_day"),
    [
        ("Europe/Berlin", time(2, 30), utc(2025, 10, 26, 0, 30), utc(2025, 10, 27, 1, 30)),
        ("America/New_York", time(1, 30), utc(2025, 11, 2, 5, 30), utc(2025, 11, 3, 6, 30)),
    ],
)
def test_repeated_hour_fires_once_at_first_occurrence(
    tz_name: str, wall: time, first: datetime, next_day: datetime
) -> None:
    assert next_daily(wall, tz_name, first - timedelta(hours=3)) == first
    assert local_now(first, tz_name).fold == 0
    # After sending the first one, the second pass through the same wall time is skipped.
    assert next_daily(wall, tz_name, first) == next_day
    assert next_daily(wall, tz_name, first + timedelta(minutes=30)) == next_day
    assert next_daily(wall, tz_name, first + timedelta(hours=1)) == next_day


def test_due_is_strictly_after() -> None:
    due = utc(2025, 5, 1, 6, 0)  # 08:00 CEST
    assert next_daily(time(8), "Europe/Berlin", due - timedelta(microseconds=1)) == due
    assert next_daily(time(8), "Europe/Berlin", due) == utc(2025, 5, 2, 6, 0)


# --------------------------------------------------------------------------------------------
# A whole year, day by day
# --------------------------------------------------------------------------------------------

YEAR_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Kiritimati",
    "America/Nuuk",
    "UTC+05:30",
    "Etc/GMT+3",
    "UTC",
]
YEAR_TIMES = [time(0, 0), time(0, 30), time(1, 30), time(2, 0), time(2, 30), time(8, 0)]
YEAR_TIMES += [time(23, 0), time(23, 30)]

# Wall times that do not exist on a 2025 date, and how far the reminder moves that day.
GAP_SHIFTS = {
    ("Europe/Berlin", time(2, 0)): (date(2025, 3, 30), timedelta(hours=1)),
    ("Europe/Berlin", time(2, 30)): (date(2025, 3, 30), timedelta(hours=1)),
    ("America/New_York", time(2, 0)): (date(2025, 3, 9), timedelta(hours=1)),
    ("America/New_York", time(2, 30)): (date(2025, 3, 9), timedelta(hours=1)),
    ("Pacific/Auckland", time(2, 0)): (date(2025, 9, 28), timedelta(hours=1)),
    ("Pacific/Auckland", time(2, 30)): (date(2025, 9, 28), timedelta(hours=1)),
    # Nuuk jumps 23:00 -> 00:00: moving forward would leave the date, so it fires earlier.
    ("America/Nuuk", time(23, 0)): (date(2025, 3, 29), timedelta(hours=-1)),
    ("America/Nuuk", time(23, 30)): (date(2025, 3, 29), timedelta(hours=-1)),
}


def walk_daily(wall: time, tz_name: str, start: datetime, end: datetime) -> list[datetime]:
    """Chain next_daily the way the sweep does: each send advances from the last due instant."""
    found = []
    current = start
    while (current := next_daily(wall, tz_name, current)) < end:
        found.append(current)
    return found


def year_bounds(tz_name: str, year: int = 2025) -> tuple[datetime, datetime]:
    zone = zone_for(tz_name)
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC) - timedelta(microseconds=1)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    return start, end


@pytest.mark.parametrize("tz_name", YEAR_ZONES)
def test_a_year_has_exactly_one_reminder_per_local_date(tz_name: str) -> None:
    zone = zone_for(tz_name)
    start, end = year_bounds(tz_name)
    every_day = [date(2025, 1, 1) + timedelta(days=i) for i in range(365)]
    for wall in YEAR_TIMES:
        found = walk_daily(wall, tz_name, start, end)
        assert [occurrence_key(due, tz_name) for due in found] == every_day, wall
        assert found == sorted(set(found))
        gap_day, shift = GAP_SHIFTS.get((tz_name, wall), (None, timedelta(0)))
        for due in found:
            shown = due.astimezone(zone)
            expected = datetime.combine(shown.date(), wall)
            if shown.date() == gap_day:
                expected += shift
            assert shown.replace(tzinfo=None) == expected, (wall, due)


@pytest.mark.parametrize(("tz_name", "wall"), [*GAP_SHIFTS, ("Europe/Berlin", time(8))])
def test_any_starting_point_finds_the_next_of_the_same_reminders(tz_name: str, wall: time) -> None:
    """After a restart the sweep may advance from any instant: it must land on the same series."""
    start, end = year_bounds(tz_name)
    series = walk_daily(wall, tz_name, start, end)
    after = start + timedelta(days=1)
    while after < series[-1]:
        expected = series[bisect.bisect_right(series, after)]
        assert next_daily(wall, tz_name, after) == expected, after
        after += timedelta(minutes=97)  # drifts across every minute-of-day over the year


def test_skipped_calendar_day_has_no_reminder_and_neighbours_one_each() -> None:
    # Samoa crossed the date line by skipping Friday 2011-12-30.
    found = walk_daily(time(8), "Pacific/Apia", utc(2011, 12, 27), utc(2012, 1, 3))
    keys = [occurrence_key(due, "Pacific/Apia") for due in found]
    assert date(2011, 12, 30) not in keys
    assert keys == sorted(set(keys))
    assert date(2011, 12, 29) in keys
    assert date(2011, 12, 31) in keys


# --------------------------------------------------------------------------------------------
# Odd offsets and the date line
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz_name", "wall", "after", "expected"),
    [
        ("Asia/Kolkata", time(8, 0), utc(2025, 6, 1, 0, 0), utc(2025, 6, 1, 2, 30)),
        ("Asia/Kolkata", time(20, 15), utc(2025, 6, 1, 0, 0), utc(2025, 6, 1, 14, 45)),
        ("Asia/Kathmandu", time(8, 0), utc(2025, 6, 1, 0, 0), utc(2025, 6, 1, 2, 15)),
        ("Asia/Kathmandu", time(0, 10), utc(2025, 6, 1, 0, 0), utc(2025, 6, 1, 18, 25)),
        ("Australia/Eucla", time(8, 0), utc(2025, 6, 1, 0, 0), utc(2025, 6, 1, 23, 15)),
        ("UTC+05:30", time(8, 0), utc(2025, 6, 1, 0, 0), utc(2025, 6, 1, 2, 30)),
        ("UTC-09:30", time(8, 0), utc(2025, 6, 1, 0, 0), utc(2025, 6, 1, 17, 30)),
        ("UTC-03:00", time(8, 0), utc(2025, 6, 1, 0, 0), utc(2025, 6, 1, 11, 0)),
        ("Etc/GMT-5", time(8, 0), utc(2025, 6, 1, 0, 0), utc(2025, 6, 1, 3, 0)),
        ("UTC", time(8, 0), utc(2025, 6, 1, 0, 0), utc(2025, 6, 1, 8, 0)),
    ],
)
def test_fractional_and_fixed_offsets_give_the_right_utc_minute(
    tz_name: str, wall: time, after: datetime, expected: datetime
) -> None:
    assert next_daily(wall, tz_name, after) == expected


def test_kiritimati_morning_is_on_the_previous_utc_date() -> None:
    due = next_daily(time(8), "Pacific/Kiritimati", utc(2025, 6, 9, 0, 0))
    assert due == utc(2025, 6, 9, 18, 0)
    assert occurrence_key(due, "Pacific/Kiritimati") == date(2025, 6, 10)
    assert due.date() == date(2025, 6, 9)


@pytest.mark.parametrize(
    ("after", "expected", "local_day"),
    [
        # Summer (NZDT, UTC+13): 08:00 on the 15th is 19:00 UTC on the 14th.
        (utc(2025, 1, 14, 12, 0), utc(2025, 1, 14, 19, 0), date(2025, 1, 15)),
        # Winter (NZST, UTC+12).
        (utc(2025, 7, 14, 12, 0), utc(2025, 7, 14, 20, 0), date(2025, 7, 15)),
    ],
)
def test_auckland_morning_local_date(after: datetime, expected: datetime, local_day: date) -> None:
    due = next_daily(time(8), "Pacific/Auckland", after)
    assert due == expected
    assert local_date(due, "Pacific/Auckland") == local_day


def test_auckland_dst_both_directions() -> None:
    # Spring forward 2025-09-28 02:00 NZST -> 03:00 NZDT.
    gap = next_daily(time(2, 30), "Pacific/Auckland", utc(2025, 9, 27, 0, 0))
    assert gap == utc(2025, 9, 27, 14, 30)  # 03:30 NZDT on the 28th
    assert occurrence_key(gap, "Pacific/Auckland") == date(2025, 9, 28)
    # Fall back 2025-04-06 03:00 NZDT -> 02:00 NZST: first 02:30 only.
    first = next_daily(time(2, 30), "Pacific/Auckland", utc(2025, 4, 5, 0, 0))
    assert first == utc(2025, 4, 5, 13, 30)
    assert next_daily(time(2, 30), "Pacific/Auckland", first) == utc(2025, 4, 6, 14, 30)


# --------------------------------------------------------------------------------------------
# Weekly recap
# --------------------------------------------------------------------------------------------


def test_next_weekly_basic_and_strictly_after() -> None:
    wednesday = utc(2025, 3, 26, 12, 0)
    due = next_weekly(6, time(19), "Europe/Berlin", wednesday)
    assert due == utc(2025, 3, 30, 17, 0)  # Sunday 19:00 CEST, the first summer Sunday
    assert next_weekly(6, time(19), "Europe/Berlin", due) == utc(2025, 4, 6, 17, 0)
    # Same weekday, later time that day -> today.
    assert next_weekly(2, time(20), "Europe/Berlin", wednesday) == utc(2025, 3, 26, 19, 0)
    # Same weekday, time already passed -> next week.
    assert next_weekly(2, time(8), "Europe/Berlin", wednesday) == utc(2025, 4, 2, 6, 0)


def test_next_weekly_in_the_gap() -> None:
    due = next_weekly(6, time(2, 30), "Europe/Berlin", utc(2025, 3, 24))
    assert due == utc(2025, 3, 30, 1, 30)


def test_next_weekly_across_the_date_line() -> None:
    # Monday 08:00 in Kiritimati is still Sunday in UTC.
    due = next_weekly(0, time(8), "Pacific/Kiritimati", utc(2025, 6, 8, 0, 0))
    assert due == utc(2025, 6, 8, 18, 0)
    assert due.weekday() == 6
    assert local_date(due, "Pacific/Kiritimati").weekday() == 0


@pytest.mark.parametrize("tz_name", ["Europe/Berlin", "America/New_York", "Pacific/Auckland"])
def test_weekly_year_walk(tz_name: str) -> None:
    start, end = year_bounds(tz_name)
    found = []
    current = start
    while (current := next_weekly(6, time(2, 30), tz_name, current)) < end:
        found.append(current)
    keys = [occurrence_key(due, tz_name) for due in found]
    assert keys == [date(2025, 1, 5) + timedelta(weeks=i) for i in range(52)]


@pytest.mark.parametrize("weekday", [-1, 7, 1.0])
def test_next_weekly_rejects_bad_weekday(weekday: object) -> None:
    with pytest.raises(ValueError):
        next_weekly(weekday, time(8), "UTC", utc(2025, 1, 1))  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Inputs the functions must refuse
# --------------------------------------------------------------------------------------------


def test_naive_instants_are_refused() -> None:
    naive = datetime(2025, 1, 1, 12, 0)
    with pytest.raises(ValueError):
        next_daily(time(8), "Europe/Berlin", naive)
    with pytest.raises(ValueError):
        local_date(naive, "Europe/Berlin")


def test_unknown_zone() -> None:
    with pytest.raises(UnknownTimezone):
        next_daily(time(8), "Mars/Olympus_Mons", utc(2025, 1, 1))


def test_non_utc_after_is_accepted_and_result_is_utc() -> None:
    after = local("Asia/Tokyo", 2025, 6, 1, 9, 0)  # 00:00 UTC
    due = next_daily(time(8), "Europe/Berlin", after)
    assert due == utc(2025, 6, 1, 6, 0)
    assert due.tzinfo is UTC


def test_local_now_and_local_date() -> None:
    instant = utc(2025, 12, 31, 23, 30)
    assert local_now(instant, "Europe/Berlin").replace(tzinfo=None) == datetime(2026, 1, 1, 0, 30)
    assert local_date(instant, "Europe/Berlin") == date(2026, 1, 1)
    assert local_date(instant, "America/New_York") == date(2025, 12, 31)
    assert local_date(instant, "UTC-03:00") == date(2025, 12, 31)


# --------------------------------------------------------------------------------------------
# Typed check-in times
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00 20:00", [time(8), time(20)]),
        ("8:00, 20:30", [time(8), time(20, 30)]),
        ("8am 8:30pm", [time(8), time(20, 30)]),
        ("8 am, 8:30 PM", [time(8), time(20, 30)]),
        ("8 a.m. and 9 p.m.", [time(8), time(21)]),
        ("7.45", [time(7, 45)]),
        ("21h", [time(21)]),
        ("21h30", [time(21, 30)]),
        ("0800 2030", [time(8), time(20, 30)]),
        ("12am 12pm", [time(0), time(12)]),
        ("noon; midnight", [time(0), time(12)]),
        ("20:00 08:00 8:00", [time(8), time(20)]),
        ("  9  ", [time(9)]),
        ("8:00 12:00 16:00 20:00", [time(8), time(12), time(16), time(20)]),
        ("２０：００", [time(20)]),  # full-width digits from some phone keyboards
    ],
)
def test_parse_times_accepts(text: str, expected: list[time]) -> None:
    assert parse_times(text) == expected


@pytest.mark.parametrize(
    ("text", "reason", "token"),
    [
        ("", "empty", None),
        ("   , ", "empty", None),
        ("25:00", "format", "25:00"),
        ("24:00", "format", "24:00"),
        ("8:60", "format", "8:60"),
        ("13pm", "format", "13pm"),
        ("0am", "format", "0am"),
        ("8:00 banana", "format", "banana"),
        ("8:5", "format", "8:5"),
        ("-8:00", "format", "-8:00"),
        ("🙂", "format", "🙂"),
        ("7:00 9:00 11:00 13:00 15:00", "too_many", None),
    ],
)
def test_parse_times_refuses(text: str, reason: str, token: str | None) -> None:
    with pytest.raises(TimesError) as caught:
        parse_times(text)
    assert caught.value.reason == reason
    assert caught.value.token == token
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("sun", 6), ("Sunday", 6), ("MON", 0), ("monday", 0), ("Thu", 3), ("saturday", 5)],
)
def test_parse_weekday(text: str, expected: int) -> None:
    assert parse_weekday(text) == expected


@pytest.mark.parametrize("text", ["", "so", "funday", "7", "s"])
def test_parse_weekday_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_weekday(text)
