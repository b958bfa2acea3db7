"""Dates as the bot writes them in messages: a day name, the day and the month.

"Tue 8 Dec" where space is short, "Tuesday 8 December" in a sentence, and a range names its month
("Mon 5 to Sun 11 Jan", "Wed 25 Nov to Tue 1 Dec"). The names come from ``content/wording.yaml``,
never from the host's locale. Clock times are left out on purpose: a pause ends on a day, and a
week is a run of days.
"""

from __future__ import annotations

from datetime import date

from bot.base.wording import t

__all__ = ["day_range", "long_day", "short_day"]


def short_day(day: date) -> str:
    """``Tue 8 Dec``."""
    return f"{t(f'weekday_short_{day.weekday()}')} {day.day} {t(f'month_short_{day.month}')}"


def long_day(day: date) -> str:
    """``Tuesday 8 December``."""
    return f"{t(f'weekday_long_{day.weekday()}')} {day.day} {t(f'month_long_{day.month}')}"


def day_range(start: date, end: date) -> str:
    """``Mon 5 to Sun 11 Jan``; the month is named once when both days share it."""
    if (start.year, start.month) == (end.year, end.month):
        first = f"{t(f'weekday_short_{start.weekday()}')} {start.day}"
    else:
        first = short_day(start)
    return t("day_range", start=first, end=short_day(end))
