"""The honest verdict of a two-week swap experiment: better, no clear change, or not enough data.

Pure functions over the per-day diary (:class:`bot.diary.view.DiaryDay`): no database, no clock, so
the rules can be tested on synthetic diaries with known answers.

What is compared. The experiment's 14 days against the 14 days before it started. Back pain is the
mean of the days that have a score; a symptom (bloating by default) is the share of days that
have a digestion answer (a check-in's digestion question, "none" included, or a diary line that
named a symptom) on which it was present. A day without a digestion answer is not counted as a
day without bloating: nobody said so.

All days of the experiment count, not only the days the person said they stuck to it. Keeping only
the "yes" days would leave few days to compare, and it would tilt the result: people tend to stick
to a plan on good days and let it slip on bad ones, so "yes" days look better whatever the swap
does. The adherence answers are reported next to the numbers instead, and when the person said
they stuck to it on fewer than half of the days they answered, the trial says little about the
swap, so the verdict is "not enough data".

The rules, in order:

1. Fewer than :data:`MIN_PAIN_DAYS` days with a pain score before, or during: not enough data.
   Five of fourteen days is a third of each fortnight; with fewer, one unusual day can move the
   average by the whole threshold on its own.
2. Adherence answered and under :data:`MIN_ADHERENCE_SHARE`: not enough data.
3. A measure "fell" (or "rose") when it changed by at least its threshold and by at least
   :data:`NOISE_Z` standard errors of the difference: :data:`PAIN_THRESHOLD` points for mean back
   pain, :data:`SYMPTOM_THRESHOLD` percentage points for the symptom share. One point on the 0-10
   scale is about the smallest change people notice in their own pain; 25 points is, for example,
   bloating on 4 of 14 days falling to none. The standard-error condition keeps a diary whose
   scores swing a lot from day to day from calling its own ups and downs a result; for a symptom
   share over two weeks it is usually the stricter one (7 of 14 days falling to 3 is still within
   what chance alone often does). The symptom only counts when both sides have
   :data:`MIN_SYMPTOM_DAYS` days with a digestion answer.
4. Better: something fell and nothing rose. Otherwise no clear change, with the reason "worse"
   when something rose and nothing fell, or "mixed" when one fell and the other rose.

With these rules a diary of pure noise (the same distribution before and during, 14 days each) is
called "better" in about one trial in twenty, and a real 1.5-point drop is found most of the time
when scores swing by a point or so; ``tests/unit/test_verdict.py`` checks both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from bot.base.numbers import score
from bot.diary.questions import PAIN
from bot.diary.view import DiaryDay

#: Days in an experiment and in the stretch before it that it is compared with.
EXPERIMENT_DAYS = 14
BASELINE_DAYS = 14
#: Days with a pain score needed on each side before anything is concluded.
MIN_PAIN_DAYS = 5
#: Days with a digestion answer needed on each side before the symptom counts.
MIN_SYMPTOM_DAYS = 5
#: A drop in mean back pain (0-10) that counts as better; a rise as large counts as worse.
PAIN_THRESHOLD = 1.0
#: A drop in the share of days with the symptom, in percentage points, that counts as better.
SYMPTOM_THRESHOLD = 25.0
#: A change must also be this many standard errors wide to count: larger than the day-to-day
#: ups and downs of the diary itself.
NOISE_Z = 2.0
#: Below this share of "yes" or "partly" among answered days, the swap was hardly tried.
MIN_ADHERENCE_SHARE = 0.5
#: Averages are compared after this rounding, so 5.0 - 4.0 and 4.1 - 3.1 both count as 1.0.
_EPSILON = 1e-9

Verdict = Literal["better", "no_change", "not_enough"]
Reason = Literal[
    "better", "no_change", "worse", "mixed", "few_before", "few_during", "low_adherence"
]
ADHERENCE_CHOICES = ("yes", "partly", "no")


@dataclass(frozen=True, slots=True)
class Period:
    """One stretch of days: the pain scores and the symptom days it holds."""

    pain_days: int
    pain_sum: float
    pain_squares: float  # the sum of squared scores, for the day-to-day spread
    symptom_days: int  # days with a digestion answer
    symptom_hits: int  # of those, days with the symptom

    @property
    def pain_mean(self) -> float | None:
        return self.pain_sum / self.pain_days if self.pain_days else None

    @property
    def pain_variance(self) -> float:
        """The sample variance of the day's scores (0 with fewer than two)."""
        if self.pain_days < 2:
            return 0.0
        mean = self.pain_sum / self.pain_days
        return max(self.pain_squares - self.pain_days * mean * mean, 0.0) / (self.pain_days - 1)

    @property
    def symptom_share(self) -> float | None:
        """Share of days with a digestion answer on which the symptom was there, 0-1."""
        return self.symptom_hits / self.symptom_days if self.symptom_days else None


@dataclass(frozen=True, slots=True)
class Adherence:
    """How many evenings the person said they stuck to the swap."""

    yes: int = 0
    partly: int = 0
    no: int = 0

    @property
    def answered(self) -> int:
        return self.yes + self.partly + self.no

    @property
    def kept(self) -> int:
        return self.yes + self.partly

    @property
    def low(self) -> bool:
        return self.answered > 0 and self.kept < MIN_ADHERENCE_SHARE * self.answered


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    reason: Reason
    before: Period
    during: Period
    adherence: Adherence
    #: During minus before: negative is lower pain (points) / fewer symptom days (percent points).
    pain_change: float | None
    symptom_change: float | None


def _pain(day: DiaryDay) -> float | None:
    return score(day.value(PAIN))


def summarise(days: Mapping[date, DiaryDay], start: date, end: date, symptom: str) -> Period:
    """Pain and symptom days between ``start`` and ``end`` (both included)."""
    pain_days = symptom_days = symptom_hits = 0
    pain_sum = pain_squares = 0.0
    for when, day in days.items():
        if not start <= when <= end:
            continue
        pain = _pain(day)
        if pain is not None:
            pain_days += 1
            pain_sum += pain
            pain_squares += pain * pain
        if day.digestion_reported or day.symptoms:
            symptom_days += 1
            symptom_hits += symptom in day.symptoms
    return Period(pain_days, pain_sum, pain_squares, symptom_days, symptom_hits)


def count_adherence(answers: Mapping[date, object]) -> Adherence:
    """Adherence from each day's latest answer ("yes", "partly", "no"; skips do not count)."""
    values = list(answers.values())
    return Adherence(*(values.count(choice) for choice in ADHERENCE_CHOICES))


def windows(started_on: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """(before, during) as inclusive date ranges for an experiment that started on a day."""
    before = (started_on - timedelta(days=BASELINE_DAYS), started_on - timedelta(days=1))
    during = (started_on, started_on + timedelta(days=EXPERIMENT_DAYS - 1))
    return before, during


def _pain_noise(before: Period, during: Period) -> float:
    """The standard error of the difference of the two pain means (Welch), in points."""
    return math.sqrt(
        before.pain_variance / max(before.pain_days, 1)
        + during.pain_variance / max(during.pain_days, 1)
    )


def _symptom_noise(before: Period, during: Period) -> float:
    """The standard error of the difference of the two symptom shares, in percentage points."""
    b, d = before.symptom_share or 0.0, during.symptom_share or 0.0
    return 100 * math.sqrt(
        b * (1 - b) / max(before.symptom_days, 1) + d * (1 - d) / max(during.symptom_days, 1)
    )


def _moved(change: float, threshold: float, noise: float) -> int:
    """-1 when ``change`` is a clear fall, +1 a clear rise, 0 neither (see the module docstring)."""
    size = max(threshold, NOISE_Z * noise)
    if change <= -size + _EPSILON:
        return -1
    if change >= size - _EPSILON:
        return 1
    return 0


def judge(before: Period, during: Period, adherence: Adherence = Adherence()) -> Outcome:
    """Apply the rules in the module docstring."""
    pain_change = (
        during.pain_mean - before.pain_mean
        if during.pain_mean is not None and before.pain_mean is not None
        else None
    )
    symptom_change = None
    if before.symptom_days >= MIN_SYMPTOM_DAYS and during.symptom_days >= MIN_SYMPTOM_DAYS:
        assert before.symptom_share is not None and during.symptom_share is not None
        symptom_change = (during.symptom_share - before.symptom_share) * 100

    def outcome(verdict: Verdict, reason: Reason) -> Outcome:
        return Outcome(verdict, reason, before, during, adherence, pain_change, symptom_change)

    if before.pain_days < MIN_PAIN_DAYS:
        return outcome("not_enough", "few_before")
    if during.pain_days < MIN_PAIN_DAYS:
        return outcome("not_enough", "few_during")
    if adherence.low:
        return outcome("not_enough", "low_adherence")
    assert pain_change is not None
    moves = [_moved(pain_change, PAIN_THRESHOLD, _pain_noise(before, during))]
    if symptom_change is not None:
        moves.append(_moved(symptom_change, SYMPTOM_THRESHOLD, _symptom_noise(before, during)))
    fell, rose = -1 in moves, 1 in moves
    if fell and not rose:
        return outcome("better", "better")
    if fell and rose:
        return outcome("no_change", "mixed")
    if rose:
        return outcome("no_change", "worse")
    return outcome("no_change", "no_change")


def assess(
    days: Mapping[date, DiaryDay],
    adherence_answers: Mapping[date, object],
    started_on: date,
    symptom: str,
) -> Outcome:
    """The outcome of an experiment that started on ``started_on``, from the whole diary."""
    (b_start, b_end), (d_start, d_end) = windows(started_on)
    during_answers = {day: v for day, v in adherence_answers.items() if d_start <= day <= d_end}
    return judge(
        summarise(days, b_start, b_end, symptom),
        summarise(days, d_start, d_end, symptom),
        count_adherence(during_answers),
    )
