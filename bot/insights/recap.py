"""``/recap``: the week at a glance, the gut-to-back patterns so far, and one idea for next week.

The numbers are computed from the same per-day diary view as the export and the clinician report
(:func:`bot.diary.view.diary_days`). The database is read first; the optional chart is drawn
afterwards in a worker thread with matplotlib's ``Figure`` API (no ``pyplot`` global state), because
drawing is slow synchronous work that must not stall the event loop. The wording is kind on purpose:
a missed day is never a failure, so the streak forgives a single gap and nothing says "you missed".
"""

from __future__ import annotations

import asyncio
import functools
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.numbers import one_decimal, score
from bot.base.times import local_date
from bot.base.vocabulary import FOOD_GROUPS, OFFENDER_GROUPS, SYMPTOMS
from bot.base.wording import fill, t
from bot.diary.questions import PAIN, SLEEP, STRESS
from bot.diary.view import DiaryDay, days_from_rows, diary_params, diary_statement, stool_counts
from bot.insights.breathing_outcomes import BreathingWeek, rows_from_diary, summarise
from bot.insights.engine import Analysis, Link, diary_links
from bot.insights.links import TOP_LINKS, item_name, links_section
from bot.insights.warning_signs import (
    SIGNS_SOURCE,
    WarningSign,
    moments,
    recap_words,
    signs_from_rows,
    signs_params,
    signs_with_the_diary,
)
from bot.insights.wording import RecapWording, recap_wording
from bot.knowledge.swaps import swap_by_id, swaps
from bot.knowledge.tips import KINDS_NEEDING_CAUTION, tips
from bot.store.models import User

WEEK = 7
CHART_WEEKS = 4
#: The chart needs at least this many days with a pain score in the last four weeks.
MIN_CHART_DAYS = 2
#: The picture is 1000 x 600 pixels: sharp on a phone, small to send.
CHART_INCHES, CHART_DPI = (10.0, 6.0), 100


# --- wording ----------------------------------------------------------------------------------


# --- the numbers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Focus:
    """One idea for next week: a swap for an offender group, or a tip for a frequent symptom."""

    kind: str  # "swap" or "symptom"
    item: str  # the food group or the symptom id
    swap_id: str | None = None
    tip_id: str | None = None


@dataclass(frozen=True, slots=True)
class Recap:
    start: date  # local dates, both included
    end: date
    days_logged: int  # out of 7
    pain_days: int
    pain_average: float | None
    best_day: tuple[date, float] | None  # the lowest pain (earliest on a tie)
    worst_day: tuple[date, float] | None  # the highest pain (earliest on a tie)
    previous_average: float | None
    symptom_days: tuple[tuple[str, int], ...]  # most days first; only items seen this week
    food_days: tuple[tuple[str, int], ...]
    stool_types: tuple[tuple[int, int], ...]  # (Bristol type, days), type order
    no_bowel_movement_days: int
    stress_average: float | None
    sleep_average: float | None
    safety: tuple[WarningSign, ...]
    links: tuple[Link, ...]  # what the engine shows, strongest evidence first
    analysis: Analysis  # also says when it is too early, or nothing stands out
    focus: Focus | None
    streak: int
    ever_logged: bool
    breathing: BreathingWeek | None = None  # the week's breathing breaks, when any was answered

    @property
    def change(self) -> float | None:
        """This week's pain average minus last week's (negative is better)."""
        if self.pain_average is None or self.previous_average is None:
            return None
        return self.pain_average - self.previous_average

    @property
    def is_empty(self) -> bool:
        return not self.ever_logged and not self.safety

    @property
    def is_quiet(self) -> bool:
        """Nothing logged and no warning sign this week (there may be older entries)."""
        return self.days_logged == 0 and not self.safety


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _week(days: Mapping[date, DiaryDay], start: date, end: date) -> dict[date, DiaryDay]:
    return {when: day for when, day in days.items() if start <= when <= end}


def streak(logged: set[date] | Mapping[date, object], today: date) -> int:
    """Days with an entry in the current run, counting back from today.

    One missed day does not break the run; two missed days in a row do. Today not logged yet is
    not a miss (the day is not over), so the count starts from yesterday then.
    """
    one_day = timedelta(days=1)
    day = today if today in logged else today - one_day
    count = 0
    missed = 0
    while missed < 2:
        if day in logged:
            count += 1
            missed = 0
        else:
            missed += 1
        day -= one_day
    return count


def _counts(
    days: Mapping[date, DiaryDay], ids: tuple[str, ...], symptoms: bool
) -> tuple[tuple[str, int], ...]:
    counts = [
        (item, sum(item in (d.symptoms if symptoms else d.foods) for d in days.values()))
        for item in ids
    ]
    return tuple(sorted(((i, n) for i, n in counts if n), key=lambda pair: -pair[1]))


def choose_focus(top: tuple[Link, ...], symptom_days: tuple[tuple[str, int], ...]) -> Focus | None:
    """The engine's strongest offender-group link with higher pain, else the most frequent symptom.

    Only a link the engine shows (one that survived its tests) can make a swap the focus.
    """
    answers = swaps().group_answers
    for link in top:
        offender = link.kind == "food" and link.item in OFFENDER_GROUPS
        if offender and link.effect > 0 and link.item in answers:
            return Focus("swap", link.item, swap_id=answers[link.item])
    if not symptom_days:
        return None
    symptom = symptom_days[0][0]
    tip = next(
        (
            tip
            for tip in tips().tips
            if symptom in tip.tags and tip.kind not in KINDS_NEEDING_CAUTION
        ),
        None,
    )
    return Focus("symptom", symptom, tip_id=tip.id if tip else None)


def compute_recap(
    days: Mapping[date, DiaryDay],
    safety: tuple[WarningSign, ...],
    today: date,
    breathing: BreathingWeek | None = None,
) -> Recap:
    """The recap from the whole diary (links use all of it); no database, no clock."""
    start = today - timedelta(days=WEEK - 1)
    week = _week(days, start, today)
    before = _week(days, start - timedelta(days=WEEK), start - timedelta(days=1))
    pains = sorted((when, p) for when, d in week.items() if (p := score(d.value(PAIN))) is not None)
    previous = [p for d in before.values() if (p := score(d.value(PAIN))) is not None]
    symptom_days = _counts(week, SYMPTOMS, symptoms=True)
    stool, no_movement = stool_counts(week.values())
    analysis = diary_links(days)
    return Recap(
        start=start,
        end=today,
        days_logged=len(week),
        pain_days=len(pains),
        pain_average=_mean([p for _, p in pains]),
        best_day=min(pains, key=lambda pair: pair[1]) if pains else None,
        worst_day=max(pains, key=lambda pair: pair[1]) if pains else None,
        previous_average=_mean(previous),
        symptom_days=symptom_days,
        food_days=_counts(week, FOOD_GROUPS, symptoms=False),
        stool_types=tuple(stool.items()),
        no_bowel_movement_days=no_movement,
        stress_average=_mean(
            [v for d in week.values() if (v := score(d.value(STRESS))) is not None]
        ),
        sleep_average=_mean([v for d in week.values() if (v := score(d.value(SLEEP))) is not None]),
        safety=safety,
        links=analysis.links[:TOP_LINKS],
        analysis=analysis,
        focus=choose_focus(analysis.links, symptom_days),
        streak=streak(days, today),
        ever_logged=bool(days),
        breathing=breathing,
    )


@functools.cache
def _statement() -> Select[Any]:
    """The whole diary and the week's warning signs in one round trip (the breathing breaks'
    answers are diary answers): the weekly sweep runs this for every person, and on a busy
    machine each round trip to the database thread costs more than the rows it returns."""
    return diary_statement(False, True, False, (signs_with_the_diary(),))


async def _read(
    session: AsyncSession, user: User, today: date
) -> tuple[dict[date, DiaryDay], Recap]:
    zone = ZoneInfo(user.timezone or "UTC")
    start = today - timedelta(days=WEEK - 1)
    params = diary_params(user.id, None, today) | signs_params(start, today)
    rows = (await session.execute(_statement(), params)).all()
    days = days_from_rows(rows, notes=False)
    safety = signs_from_rows(
        ((r.at, r.question, r.text, r.tag) for r in rows if r.source == SIGNS_SOURCE),
        zone,
        start,
        today,
    )
    breathing = summarise(rows_from_diary(rows, start, today), start)
    return days, compute_recap(days, safety, today, breathing)


async def recap_numbers(session: AsyncSession, user: User, today: date) -> Recap:
    """The recap of the week ending ``today`` (the person's local date), read in ``session``."""
    _, recap = await _read(session, user, today)
    return recap


async def read_recap(
    session: AsyncSession, user: User, today: date
) -> tuple[Recap, ChartData | None]:
    """The recap of the week ending ``today`` and, when it has a line to draw, its chart's data.

    Only reads: the caller closes the session before drawing (:func:`render_chart`, slow).
    """
    days, recap = await _read(session, user, today)
    data = chart_data(days, today)
    return recap, data if data.pain_days >= MIN_CHART_DAYS else None


# --- the message ------------------------------------------------------------------------------


def _day(words: RecapWording, when: date) -> str:
    return f"{t(f'weekday_short_{when.weekday()}')} {when.day}"


def _week_range(start: date, end: date) -> dict[str, str]:
    """ "Mon 13 to Sun 19 Jan", or "Thu 26 Nov to Wed 2 Dec" when the week spans two months."""

    def day(when: date, month: bool) -> str:
        label = f"{t(f'weekday_short_{when.weekday()}')} {when.day}"
        return f"{label} {when.strftime('%b')}" if month else label

    return {"start": day(start, start.month != end.month), "end": day(end, True)}


def _items(words: RecapWording, kind: str, counts: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(
        fill(words.item_count, what=item_name(kind, item), count=count) for item, count in counts
    )


def _stool_text(words: RecapWording, recap: Recap) -> str:
    """ "Stool type: type 4 3d, type 6 1d; no bowel movement 1d" (Bristol scale, this week)."""
    parts = [fill(words.stool_type, type=kind, count=days) for kind, days in recap.stool_types]
    if recap.no_bowel_movement_days:
        parts.append(fill(words.stool_none, count=recap.no_bowel_movement_days))
    return fill(words.stool, items=", ".join(parts))


def _focus_text(words: RecapWording, focus: Focus) -> str | None:
    if focus.kind == "swap" and focus.swap_id:
        swap = swap_by_id(focus.swap_id)
        if swap is None:
            return None
        return fill(words.focus_swap, swap_from=swap.from_.name, swap_to=swap.to[0].name)
    what = item_name("symptom", focus.item).lower()
    tip = next((tip for tip in tips().tips if tip.id == focus.tip_id), None)
    if tip is None:
        return fill(words.focus_symptom_plain, what=what)
    return fill(words.focus_symptom, what=what, tip=tip.text)


def _breathing_text(words: RecapWording, week: BreathingWeek) -> str:
    text = fill(
        words.breathing,
        count=week.answered,
        helped=week.helped,
        a_little=week.a_little,
    )
    if week.stress_before is not None and week.stress_after is not None:
        text += " " + fill(
            words.breathing_stress,
            before=one_decimal(week.stress_before),
            after=one_decimal(week.stress_after),
            count=week.stress_pairs,
        )
    if week.dizzy:
        text += " " + fill(words.breathing_dizzy, count=week.dizzy)
    return text


def format_recap(recap: Recap) -> str:
    """A short, friendly message for a phone screen; a kind how-to-start text with no data."""
    words = recap_wording()
    if recap.is_empty:
        return words.empty
    lines = [
        fill(words.title, **_week_range(recap.start, recap.end)),
        "",
        fill(words.days_logged, count=recap.days_logged),
    ]
    if recap.streak >= 2:
        lines.append(fill(words.streak, count=recap.streak))
    lines.append("")
    if recap.pain_average is None:
        lines.append(words.pain_none)
    else:
        pain = fill(
            words.pain_average, value=one_decimal(recap.pain_average), count=recap.pain_days
        )
        change = recap.change
        if change is not None:
            if abs(change) < 0.05:
                pain += f", {words.change_same}"
            else:
                template = words.change_lower if change < 0 else words.change_higher
                pain += ", " + fill(template, change=one_decimal(abs(change)))
        lines.append(pain + ".")
        # Easiest and toughest only when they differ: "Mon 30 (7) · Mon 30 (7)" says nothing.
        if (
            recap.best_day
            and recap.worst_day
            and recap.pain_days >= 2
            and recap.best_day[1] != recap.worst_day[1]
        ):
            lines.append(
                fill(
                    words.best_worst,
                    best_day=_day(words, recap.best_day[0]),
                    best=one_decimal(recap.best_day[1]).removesuffix(".0"),
                    worst_day=_day(words, recap.worst_day[0]),
                    worst=one_decimal(recap.worst_day[1]).removesuffix(".0"),
                )
            )
    if recap.symptom_days:
        lines.append(fill(words.symptoms, items=_items(words, "symptom", recap.symptom_days)))
    if recap.food_days:
        lines.append(fill(words.foods, items=_items(words, "food", recap.food_days)))
    if recap.stool_types or recap.no_bowel_movement_days:
        lines.append(_stool_text(words, recap))
    if recap.stress_average is not None:
        lines.append(fill(words.stress, value=one_decimal(recap.stress_average)))
    if recap.sleep_average is not None:
        lines.append(fill(words.sleep, value=one_decimal(recap.sleep_average)))
    if recap.breathing:
        lines.append(_breathing_text(words, recap.breathing))
    if recap.safety:
        lines += ["", words.safety_heading]
        lines += [
            fill(words.safety_line, day=_day(words, moment.on), what=recap_words(moment))
            for moment in moments(recap.safety)
        ]
        lines.append(words.safety_advice)
    lines += ["", *links_section(recap.analysis)]
    focus = _focus_text(words, recap.focus) if recap.focus else None
    if focus:
        lines += ["", focus]
    return "\n".join(lines)


def format_weekly(recap: Recap) -> str:
    """The scheduled weekly recap: the ``/recap`` text, or a short kind word for a quiet week.

    Someone who has never logged gets the same how-to-start text as ``/recap``; someone who
    logged before but not this week gets a gentle line, not an empty recap. Either way the footer
    says how to move or stop these messages.
    """
    words = recap_wording()
    if recap.is_empty:
        text = words.empty
    elif recap.is_quiet:
        text = words.quiet_week
    else:
        text = format_recap(recap)
    return f"{text}\n\n{words.weekly_footer}"


# --- the chart (drawn in a worker thread) ------------------------------------------------------


#: The chart marks at most this many symptoms and this many offender food groups, each by name.
CHART_SYMPTOMS = CHART_FOODS = 2
_SYMPTOM_MARKERS = (("v", "#c0392b"), ("^", "#7d3c98"))
_FOOD_MARKERS = (("s", "#d68910"), ("D", "#117a65"))


@dataclass(frozen=True, slots=True)
class ChartData:
    start: date  # the first day drawn: the window's start, or the first entry when later
    end: date
    pain: tuple[float, ...]  # one per date from start to end; NaN where there is none
    symptom_rows: tuple[tuple[str, tuple[date, ...]], ...]  # most frequent first
    food_rows: tuple[tuple[str, tuple[date, ...]], ...]  # offender groups, most frequent first

    @property
    def pain_days(self) -> int:
        return sum(not math.isnan(p) for p in self.pain)

    @property
    def average(self) -> float | None:
        """The person's own average over the days drawn: the line the days are read against."""
        known = [p for p in self.pain if not math.isnan(p)]
        return sum(known) / len(known) if known else None


def _rows(
    window: Mapping[date, DiaryDay], ids: tuple[str, ...] | frozenset[str], symptoms: bool, top: int
) -> tuple[tuple[str, tuple[date, ...]], ...]:
    found = []
    for item in ids:
        dates = tuple(
            sorted(
                d for d, day in window.items() if item in (day.symptoms if symptoms else day.foods)
            )
        )
        if dates:
            found.append((item, dates))
    found.sort(key=lambda row: (-len(row[1]), row[0]))
    return tuple(found[:top])


def chart_data(days: Mapping[date, DiaryDay], today: date) -> ChartData:
    """The last four weeks, starting at the first entry when the diary is younger than that."""
    start = today - timedelta(days=WEEK * CHART_WEEKS - 1)
    window = _week(days, start, today)
    if window:
        start = max(start, min(window))
    dates = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    pain = []
    for when in dates:
        value = score(days[when].value(PAIN)) if when in days else None
        pain.append(math.nan if value is None else value)
    offenders = tuple(g for g in FOOD_GROUPS if g in OFFENDER_GROUPS)
    return ChartData(
        start=start,
        end=today,
        pain=tuple(pain),
        symptom_rows=_rows(window, SYMPTOMS, True, CHART_SYMPTOMS),
        food_rows=_rows(window, offenders, False, CHART_FOODS),
    )


def render_chart(data: ChartData) -> bytes:
    """The PNG: pain as a line, the person's own average, named symptom and food markers."""
    # matplotlib is imported here, not at the top: it costs about 30 MB, and a process that never
    # draws a chart (most of the time, a sweep or a webhook worker) should not carry it.
    from matplotlib.dates import DateFormatter, DayLocator
    from matplotlib.figure import Figure

    words = recap_wording()
    figure = Figure(figsize=CHART_INCHES, dpi=CHART_DPI)
    axes = figure.add_axes((0.08, 0.24, 0.9, 0.64))
    dates = [data.start + timedelta(days=n) for n in range(len(data.pain))]
    axes.plot(
        dates,
        data.pain,
        color="#1f4e79",
        linewidth=3,
        marker="o",
        markersize=7,
        label=words.chart_pain,
    )
    if data.average is not None:
        axes.axhline(
            data.average,
            color="#1f4e79",
            linestyle="--",
            linewidth=1.5,
            label=fill(words.chart_average, value=one_decimal(data.average)),
        )
    # Symptom rows above the scale, food rows below it, each marker named in the legend.
    for (item, when), (marker, colour), height in zip(
        data.symptom_rows, _SYMPTOM_MARKERS, (10.9, 11.7), strict=False
    ):
        axes.scatter(
            when,
            [height] * len(when),
            marker=marker,
            s=110,
            color=colour,
            label=fill(words.chart_symptom, what=item_name("symptom", item).lower()),
            clip_on=False,
        )
    for (item, when), (marker, colour), height in zip(
        data.food_rows, _FOOD_MARKERS, (-0.9, -1.7), strict=False
    ):
        axes.scatter(
            when,
            [height] * len(when),
            marker=marker,
            s=90,
            color=colour,
            label=fill(words.chart_food, what=item_name("food", item).lower()),
            clip_on=False,
        )
    axes.set_ylim(-2.1, 12.1)
    axes.set_yticks(range(0, 11, 2))
    # A date minus a fraction of a day is the same date, so pad with datetimes.
    margin = timedelta(hours=16)
    axes.set_xlim(
        datetime.combine(data.start, time()) - margin, datetime.combine(data.end, time()) + margin
    )
    span = (data.end - data.start).days + 1
    axes.xaxis.set_major_locator(DayLocator(interval=1 if span <= 8 else 2 if span <= 15 else 7))
    axes.xaxis.set_major_formatter(DateFormatter("%d %b"))
    axes.tick_params(labelsize=16)
    axes.grid(True, color="0.85", linewidth=1)
    title = fill(
        words.chart_title,
        start=data.start.strftime("%d %b").lstrip("0"),
        end=data.end.strftime("%d %b").lstrip("0"),
    )
    axes.set_title(title, fontsize=22, pad=14)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=13, frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=CHART_DPI)
    return buffer.getvalue()


async def recap_message(
    session: AsyncSession, user: User, now: datetime
) -> tuple[str, bytes | None]:
    """``/recap``: the text, and a PNG chart when the last 4 weeks have 2+ days with pain.

    The chart's caption is :func:`chart_caption`.
    """
    words = recap_wording()
    if user.consented_at is None:
        return words.consent_needed, None
    if user.timezone is None:  # nothing can have been recorded before a timezone is set
        return words.empty, None
    recap, data = await read_recap(session, user, local_date(now, user.timezone))
    text = format_recap(recap)
    if data is None:
        return text, None
    return text, await asyncio.to_thread(render_chart, data)


def chart_caption() -> str:
    return recap_wording().chart_caption
