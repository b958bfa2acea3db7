"""``/report [weeks]``: a one-page PDF of the diary for the person to show a clinician.

A clinician has a few minutes, so everything fits on one A4 page that prints well in black and
white: lines carry markers, bars carry hatching, nothing depends on colour. The data is gathered
from the database first (:func:`gather`, in the async session) and the page is drawn afterwards in
a worker thread (:func:`render_pdf`), because matplotlib is slow, synchronous code that must not
stall the event loop. The object-oriented ``Figure`` API is used instead of ``pyplot`` so that no
global figure state is shared between threads. Text in the PDF is real text, so it can be selected,
searched and read by a screen reader.

The per-day view of the diary (:func:`diary_days`) is the same one the CSV export uses: the day's
latest check-in answer, else the latest value a diary line mentioned.
"""

from __future__ import annotations

import asyncio
import io
import math
import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.clean import ascii_int
from bot.base.numbers import one_decimal, score
from bot.base.times import local_date
from bot.base.vocabulary import FOOD_GROUPS, MEDICINES, SYMPTOMS
from bot.base.wording import fill
from bot.chat.outbox import Outbox, SendFile
from bot.diary.questions import PAIN, SLEEP, STRESS
from bot.diary.view import DiaryDay, diary_days, stool_counts
from bot.insights.engine import Analysis, Link, diary_links
from bot.insights.links import TOP_LINKS, describe, item_name, status_lines
from bot.insights.warning_signs import (
    WarningSign,
    by_urgency,
    moments,
    report_words,
    warning_signs,
)
from bot.insights.wording import PdfWording, report_wording
from bot.safety.rules import tier_rank
from bot.store.models import Experiment, User
from bot.store.states import ExperimentStatus

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PDF_NAME = "gutback-report.pdf"
DEFAULT_WEEKS, MIN_WEEKS, MAX_WEEKS = 4, 1, 26
MAX_WARNING_LINES = 6
#: Tiers always listed in full, however many lines that takes (crisis, emergency).
NEVER_FOLDED = frozenset({"T0", "T1"})
#: Characters per line of a pattern's sentence in the PDF (8 pt on A4 with margins).
PATTERN_WRAP = 120
FOOTER_WRAP = 150
A4_INCHES = (8.27, 11.69)


# --- wording ----------------------------------------------------------------------------------


def about_stored() -> str:
    """The "what I store, why, how to export or erase" paragraph that ``/about`` ends with."""
    return report_wording().about_stored


# --- the diary, one local date at a time ------------------------------------------------------


# --- what the page is made of -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Average:
    value: float | None
    count: int


@dataclass(frozen=True, slots=True)
class FinishedExperiment:
    swap_id: str
    started_on: date
    ends_on: date
    verdict: str | None


@dataclass(frozen=True, slots=True)
class ReportData:
    timezone: str
    made_on: date  # the person's local date when the report was made
    start: date
    end: date
    weeks: int
    entry_days: int
    pain: tuple[tuple[date, float | None], ...]  # every date of the period
    symptom_days: dict[str, int]
    food_days: dict[str, int]
    stress: Average
    sleep: Average
    warnings: tuple[WarningSign, ...]
    patterns: tuple[Link, ...]  # the recap's links: same engine, both lags, all entries
    analysis: Analysis
    stool_types: dict[int, int] = field(default_factory=dict)  # Bristol type -> days
    no_bowel_movement_days: int = 0
    experiments: tuple[FinishedExperiment, ...] = ()
    #: The optional medicines question: days it was answered, and days each one was taken.
    medicines_asked_days: int = 0
    medicine_days: dict[str, int] = field(default_factory=dict)

    @property
    def pain_average(self) -> Average:
        return _average([pain for _, pain in self.pain if pain is not None])

    @property
    def is_empty(self) -> bool:
        return self.entry_days == 0 and not self.warnings


def _average(values: list[float]) -> Average:
    if not values:
        return Average(None, 0)
    return Average(sum(values) / len(values), len(values))


def period(today: date, weeks: int) -> tuple[date, date]:
    """The last ``weeks`` weeks, today included."""
    return today - timedelta(days=7 * weeks - 1), today


def find_patterns(days: dict[date, DiaryDay]) -> tuple[Analysis, tuple[Link, ...]]:
    """The recap's links (:func:`bot.insights.engine.diary_links`), so the two never disagree.

    Both lags, the same tests and the same top :data:`~bot.insights.links.TOP_LINKS`; ``days``
    is the whole diary up to the report's last day, as the recap reads it.
    """
    analysis = diary_links(days)
    return analysis, analysis.links[:TOP_LINKS]


def _items(day: DiaryDay, kind: str) -> set[str]:
    return day.symptoms if kind == "symptom" else day.foods


async def gather(
    session: AsyncSession, user_id: int, timezone: str, today: date, weeks: int
) -> ReportData:
    """Everything the page shows, read in the caller's session (no drawing here)."""
    start, end = period(today, weeks)
    days = await diary_days(session, user_id, start, end)
    zone = ZoneInfo(timezone)
    warnings = await warning_signs(session, user_id, zone, start, end)
    analysis, patterns = find_patterns(await diary_days(session, user_id, end=end, notes=False))
    dates = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    pain = tuple((d, score(days[d].value(PAIN)) if d in days else None) for d in dates)
    stool, none_days = stool_counts(days.values())
    asked = [day for day in days.values() if day.medicines_reported]
    medicine_days = {m: n for m in MEDICINES if (n := sum(m in d.medicines for d in asked))}
    finished = await session.execute(
        select(Experiment.swap_id, Experiment.started_on, Experiment.ends_on, Experiment.verdict)
        .where(
            Experiment.user_id == user_id,
            Experiment.status == ExperimentStatus.FINISHED,
            Experiment.ends_on >= start,
            Experiment.started_on <= end,
        )
        .order_by(Experiment.started_on, Experiment.id)
    )
    return ReportData(
        timezone=timezone,
        made_on=today,
        start=start,
        end=end,
        weeks=weeks,
        entry_days=len(days),
        pain=pain,
        symptom_days={s: sum(s in day.symptoms for day in days.values()) for s in SYMPTOMS},
        food_days={g: sum(g in day.foods for day in days.values()) for g in FOOD_GROUPS},
        stress=_average([v for d in days.values() if (v := score(d.value(STRESS))) is not None]),
        sleep=_average([v for d in days.values() if (v := score(d.value(SLEEP))) is not None]),
        warnings=warnings,
        patterns=patterns,
        analysis=analysis,
        stool_types=stool,
        medicines_asked_days=len(asked),
        medicine_days=medicine_days,
        no_bowel_movement_days=none_days,
        experiments=tuple(FinishedExperiment(*row) for row in finished),
    )


# --- readable names ---------------------------------------------------------------------------


# --- drawing (runs in a worker thread) ---------------------------------------------------------


def render_pdf(data: ReportData) -> bytes:
    """The one-page A4 PDF; pure CPU work with no database or event loop."""
    # Imported here, not at the top: matplotlib costs about 30 MB that a process which never
    # draws (a sweep, a webhook worker) should not carry.
    from matplotlib.figure import Figure

    words = report_wording().pdf
    figure = Figure(figsize=A4_INCHES)
    left = 0.07

    def line(y: float, text: str, size: float = 9, weight: str = "normal") -> None:
        figure.text(left, y, text, fontsize=size, fontweight=weight, va="top")

    line(0.975, words.title, size=17, weight="bold")
    figure.text(
        left,
        0.948,
        words.disclaimer,
        fontsize=9.5,
        fontweight="bold",
        va="top",
        bbox={"boxstyle": "square,pad=0.4", "facecolor": "white", "edgecolor": "black"},
    )
    line(0.922, fill(words.person, timezone=data.timezone, made_on=data.made_on.isoformat()))
    days = (data.end - data.start).days + 1
    line(
        0.905,
        fill(
            words.period,
            start=data.start.isoformat(),
            end=data.end.isoformat(),
            days=days,
            count=data.entry_days,
        ),
    )

    line(0.878, words.pain_heading, size=11, weight="bold")
    _pain_chart(figure, data, words)
    average = data.pain_average
    line(
        0.672,
        words.pain_none
        if average.value is None
        else fill(words.pain_average, value=one_decimal(average.value), count=average.count),
    )

    line(0.645, words.symptoms_heading, size=11, weight="bold")
    figure.text(0.54, 0.645, words.foods_heading, fontsize=11, fontweight="bold", va="top")
    counts = [*data.symptom_days.values(), *data.food_days.values(), 1]
    top = max(counts) + 1
    _bars(
        figure,
        [0.22, 0.455, 0.26, 0.165],
        [item_name("symptom", s) for s in data.symptom_days],
        list(data.symptom_days.values()),
        "///",
        top,
        words.days_axis,
    )
    _bars(
        figure,
        [0.72, 0.455, 0.24, 0.165],
        [item_name("food", g) for g in data.food_days],
        list(data.food_days.values()),
        "...",
        top,
        words.days_axis,
    )

    y = 0.395
    step = 0.019
    line(y, words.habits_heading, size=11, weight="bold")
    for template, name, value in (
        (words.stress_average, words.stress_name, data.stress),
        (words.sleep_average, words.sleep_name, data.sleep),
    ):
        y -= step
        if value.value is None:
            line(y, fill(words.not_recorded, what=name))
        else:
            line(y, fill(template, value=one_decimal(value.value), count=value.count))

    y -= step
    line(y, _stool_line(data, words))
    if data.medicines_asked_days:
        y -= step
        line(y, _medicines_line(data, words))
    for experiment in data.experiments:
        y -= step
        line(y, _experiment_line(experiment, words))

    y -= step * 1.6
    line(y, words.warnings_heading, size=11, weight="bold")
    answered = by_urgency(moments(tuple(w for w in data.warnings if not w.computed)))
    shown = [m for m in answered if m.tier in NEVER_FOLDED]
    shown += [m for m in answered if m.tier not in NEVER_FOLDED][
        : max(MAX_WARNING_LINES - len(shown), 0)
    ]
    shown.sort(key=lambda m: (tier_rank(m.tier), m.on))
    if not shown:
        y -= step
        line(y, words.warnings_none)
    for moment in shown:
        y -= step
        line(y, f"{moment.on.isoformat()}   {report_words(moment)}")
    if len(answered) > len(shown):
        y -= step
        line(y, fill(words.warnings_more, count=len(answered) - len(shown)))
    alerts = [w for w in data.warnings if w.computed]
    if alerts:
        y -= step * 1.3
        line(y, words.alerts_heading, size=9, weight="bold")
        for alert in alerts[:3]:
            y -= step
            line(y, fill(words.alert_line, day=alert.on.isoformat()))

    y -= step * 1.6
    line(y, words.patterns_heading, size=11, weight="bold")
    said = [describe(p) for p in data.patterns] or status_lines(data.analysis)
    for sentence in said:
        for number, part in enumerate(textwrap.wrap(sentence, PATTERN_WRAP)):
            y -= step * (0.8 if number else 1.0)
            line(y, ("• " if number == 0 and data.patterns else "  ") + part, size=8)

    footer = "\n".join(textwrap.wrap(words.footer, FOOTER_WRAP))
    figure.text(left, 0.02, footer, fontsize=7, fontstyle="italic", va="bottom")
    buffer = io.BytesIO()
    # No creation date: the same diary gives the same file.
    figure.savefig(buffer, format="pdf", metadata={"Title": words.title, "CreationDate": None})
    return buffer.getvalue()


def _stool_line(data: ReportData, words: PdfWording) -> str:
    if not data.stool_types and not data.no_bowel_movement_days:
        return fill(words.not_recorded, what=words.stool_name)
    parts = [
        fill(words.stool_type, type=kind, count=count) for kind, count in data.stool_types.items()
    ]
    if data.no_bowel_movement_days:
        parts.append(fill(words.stool_none, count=data.no_bowel_movement_days))
    return fill(words.stool_line, items=" · ".join(parts))


def _medicines_line(data: ReportData, words: PdfWording) -> str:
    """Painkillers matter to a clinician reading the rest: they hide pain and upset the gut."""
    parts = [
        fill(words.medicine_item, what=item_name("medicine", m), count=count)
        for m, count in data.medicine_days.items()
    ]
    return fill(
        words.medicines_line,
        count=data.medicines_asked_days,
        items=" · ".join(parts) or words.medicines_none,
    )


def _experiment_line(experiment: FinishedExperiment, words: PdfWording) -> str:
    from bot.knowledge.swaps import swap_by_id

    swap = swap_by_id(experiment.swap_id)
    name = f"{swap.from_.name} to {swap.to[0].name}" if swap else experiment.swap_id
    verdict = words.verdicts.get(experiment.verdict or "", words.verdicts["unknown"])
    return fill(
        words.experiment_line,
        what=name,
        start=experiment.started_on.isoformat(),
        end=experiment.ends_on.isoformat(),
        verdict=verdict,
    )


def first_drawn(pain: tuple[tuple[date, float | None], ...], start: date) -> date:
    """The chart's first day: the period's start, or the first day with a pain score if later."""
    known = [day for day, value in pain if value is not None]
    return max(start, min(known)) if known else start


def _pain_chart(figure: Figure, data: ReportData, words: PdfWording) -> None:
    from matplotlib.dates import AutoDateLocator, DateFormatter

    axes = figure.add_axes((0.09, 0.71, 0.86, 0.155))
    dates = [day for day, _ in data.pain]
    values = [math.nan if pain is None else pain for _, pain in data.pain]
    axes.plot(
        dates,
        values,
        color="black",
        linestyle="-",
        linewidth=1.2,
        marker="o",
        markersize=3,
        label=words.pain_legend,
    )
    average = data.pain_average.value
    if average is not None:
        axes.axhline(
            average, color="black", linestyle="--", linewidth=0.8, label=words.average_legend
        )
    axes.legend(loc="upper right", fontsize=7, frameon=True, edgecolor="black")
    axes.set_ylim(-0.5, 10.5)
    axes.set_yticks(range(0, 11, 2))
    # Half a day of margin each side; a date minus half a day is the same date, so use datetimes.
    # From the first day with data when that is later: 26 weeks with three weeks of diary draw
    # the three weeks, not half a year of empty axis.
    first = datetime.combine(first_drawn(data.pain, data.start), time())
    last = datetime.combine(data.end, time())
    axes.set_xlim(first - timedelta(hours=12), last + timedelta(hours=12))
    axes.set_ylabel(words.pain_axis, fontsize=8)
    axes.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=9))
    axes.xaxis.set_major_formatter(DateFormatter("%d %b"))
    axes.tick_params(labelsize=7.5)
    axes.grid(True, color="0.8", linestyle=":", linewidth=0.6)


def _bars(
    figure: Figure,
    box: list[float],
    labels: list[str],
    counts: list[int],
    hatch: str,
    top: int,
    axis_label: str,
) -> None:
    axes = figure.add_axes(tuple(box))
    rows = list(range(len(labels)))
    axes.barh(rows, counts, color="white", edgecolor="black", hatch=hatch, linewidth=0.8)
    for row, count in zip(rows, counts, strict=True):
        axes.text(count + top * 0.02, row, str(count), va="center", fontsize=7.5)
    axes.set_yticks(rows, labels, fontsize=7.5)
    axes.invert_yaxis()
    axes.set_xlim(0, top * 1.12)
    axes.set_xlabel(axis_label, fontsize=7.5)
    axes.tick_params(axis="x", labelsize=7.5)
    axes.xaxis.get_major_locator().set_params(integer=True)


# --- the command ------------------------------------------------------------------------------


def parse_weeks(args: str) -> int | None:
    """``/report``'s argument: blank means the default, anything outside 1-26 is ``None``."""
    text = args.strip()
    if not text:
        return DEFAULT_WEEKS
    weeks = ascii_int(text)
    if weeks is None:
        return None
    return weeks if MIN_WEEKS <= weeks <= MAX_WEEKS else None


async def report(session: AsyncSession, user: User, args: str, now: datetime) -> Outbox:
    """``/report [weeks]``: the summary PDF, or a friendly word when there is nothing to show."""
    words = report_wording().chat
    outbox = Outbox()
    if user.consented_at is None:
        outbox.send(words.consent_needed)
        return outbox
    weeks = parse_weeks(args)
    if weeks is None:
        outbox.send(fill(words.bad_weeks, low=MIN_WEEKS, high=MAX_WEEKS))
        return outbox
    if user.timezone is None:  # nothing can have been recorded before a timezone is set
        outbox.send(fill(words.nothing, weeks=weeks))
        return outbox
    today = local_date(now, user.timezone)
    data = await gather(session, user.id, user.timezone, today, weeks)
    if data.is_empty:
        outbox.send(fill(words.nothing, weeks=weeks))
        return outbox
    pdf = await asyncio.to_thread(render_pdf, data)
    outbox.send(fill(words.intro, weeks=weeks))
    outbox.messages.append(SendFile(PDF_NAME, pdf, words.caption))
    return outbox
