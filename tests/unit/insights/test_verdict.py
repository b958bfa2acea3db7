"""The experiment verdict on synthetic diaries whose right answer is known.

Each diary is 14 days before an experiment and its 14 days, built day by day; the rules are in
``bot/insights/verdict.py``. The noise tests draw many diaries from one distribution for both
fortnights, where the right answer is "no clear change", and count how often the rules say
otherwise.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

import pytest

from bot.diary.view import DiaryDay
from bot.insights.verdict import (
    MIN_ADHERENCE_SHARE,
    MIN_PAIN_DAYS,
    MIN_SYMPTOM_DAYS,
    PAIN_THRESHOLD,
    Outcome,
    assess,
    windows,
)

START = date(2026, 3, 2)  # the experiment's first day
BEFORE, DURING = windows(START)


def entry(pain: float | None, bloated: bool | None = None) -> DiaryDay:
    """One day: a pain score (or none) and a digestion answer (``None``: not answered)."""
    day = DiaryDay()
    if pain is not None:
        day.answered["pain"] = pain
    if bloated is not None:
        day.digestion_reported = True
        if bloated:
            day.symptoms.add("bloating")
    return day


def diary(
    before: Sequence[float | None],
    during: Sequence[float | None],
    bloated_before: Sequence[bool | None] = (),
    bloated_during: Sequence[bool | None] = (),
) -> dict[date, DiaryDay]:
    """Pain (and bloating) per day from each fortnight's first day; shorter lists leave gaps."""
    days: dict[date, DiaryDay] = {}
    for (first, _), pains, bloats in (
        (BEFORE, before, bloated_before),
        (DURING, during, bloated_during),
    ):
        for index in range(max(len(pains), len(bloats))):
            pain = pains[index] if index < len(pains) else None
            bloated = bloats[index] if index < len(bloats) else None
            if pain is not None or bloated is not None:
                days[first + timedelta(days=index)] = entry(pain, bloated)
    return days


def judge(days: dict[date, DiaryDay], adherence: dict[date, object] | None = None) -> Outcome:
    return assess(days, adherence or {}, START, "bloating")


def steady(value: float, count: int = 14) -> list[float | None]:
    return [value] * count


def sparse(value: float, count: int) -> list[float | None]:
    """``value`` on ``count`` days spread over the fortnight, nothing on the others."""
    chosen = {index * 14 // count for index in range(count)}
    return [value if index in chosen else None for index in range(14)]


# --- clear answers ----------------------------------------------------------------------------


def test_window_dates_are_the_fortnight_before_and_the_fortnight_of_the_experiment() -> None:
    assert (date(2026, 2, 16), date(2026, 3, 1)) == BEFORE
    assert (date(2026, 3, 2), date(2026, 3, 15)) == DURING


def test_clearly_lower_pain_is_better() -> None:
    outcome = judge(diary([6, 7, 6, 5, 6, 7, 6] * 2, [4, 3, 4, 4, 5, 3, 4] * 2))
    assert (outcome.verdict, outcome.reason) == ("better", "better")
    assert outcome.before.pain_days == outcome.during.pain_days == 14
    assert outcome.pain_change == pytest.approx(27 / 7 - 43 / 7)


def test_the_same_diary_twice_is_no_change() -> None:
    pains = [5, 6, 4, 5, 7, 5, 4, 6, 5, 5, 6, 4, 5, 6]
    outcome = judge(diary(pains, pains, [True, False] * 7, [True, False] * 7))
    assert (outcome.verdict, outcome.reason) == ("no_change", "no_change")
    assert outcome.pain_change == 0 and outcome.symptom_change == 0


def test_clearly_higher_pain_is_never_better() -> None:
    outcome = judge(diary([3, 4, 3, 3, 4, 3, 4] * 2, [6, 5, 6, 6, 7, 6, 5] * 2))
    assert (outcome.verdict, outcome.reason) == ("no_change", "worse")


def test_far_fewer_bloated_days_with_the_same_pain_is_better() -> None:
    outcome = judge(
        diary(steady(5), steady(5), [True] * 10 + [False] * 4, [True] * 2 + [False] * 12)
    )
    assert (outcome.verdict, outcome.reason) == ("better", "better")
    assert outcome.symptom_change == pytest.approx((2 / 14 - 10 / 14) * 100)


def test_pain_better_but_bloating_clearly_worse_is_mixed() -> None:
    outcome = judge(diary(steady(6), steady(4), [False] * 14, [True] * 12 + [False] * 2))
    assert (outcome.verdict, outcome.reason) == ("no_change", "mixed")


def test_pain_from_diary_lines_counts_like_check_in_answers() -> None:
    days = diary([], steady(3))
    for offset in range(14):
        logged = DiaryDay()
        logged.logged["pain"] = 6  # "/log back 6/10" with no check-in that day
        days[BEFORE[0] + timedelta(days=offset)] = logged
    assert judge(days).verdict == "better"


# --- not enough data --------------------------------------------------------------------------


def test_empty_diary_is_not_enough() -> None:
    outcome = judge({})
    assert (outcome.verdict, outcome.reason) == ("not_enough", "few_before")


@pytest.mark.parametrize(
    ("before_days", "during_days", "verdict", "reason"),
    [
        (4, 14, "not_enough", "few_before"),
        (14, 4, "not_enough", "few_during"),
        (5, 5, "better", "better"),  # five days with a score on each side is the minimum
    ],
)
def test_pain_days_needed_on_each_side(
    before_days: int, during_days: int, verdict: str, reason: str
) -> None:
    # Scores spread over the fortnight, so gaps in the diary are part of the picture.
    before = sparse(7.0, before_days)
    during = sparse(3.0, during_days)
    outcome = judge(diary(before, during))
    assert (outcome.before.pain_days, outcome.during.pain_days) == (before_days, during_days)
    assert (outcome.verdict, outcome.reason) == (verdict, reason)


def test_a_big_drop_on_too_few_days_is_still_not_enough() -> None:
    outcome = judge(diary(steady(9, MIN_PAIN_DAYS - 1), steady(1)))
    assert outcome.verdict == "not_enough"
    assert outcome.pain_change == pytest.approx(-8)  # the numbers are still shown


def test_bloating_needs_enough_answered_days_and_silence_is_not_a_no() -> None:
    # Bloated every answered day before; during, only four days had a digestion answer, all
    # without bloating, and ten days said nothing about digestion at all.
    outcome = judge(diary(steady(5), steady(5), [True] * 14, [False] * (MIN_SYMPTOM_DAYS - 1)))
    assert outcome.during.symptom_days == MIN_SYMPTOM_DAYS - 1
    assert outcome.symptom_change is None
    assert (outcome.verdict, outcome.reason) == ("no_change", "no_change")


@pytest.mark.parametrize(
    ("yes", "partly", "no", "low"),
    [(2, 1, 4, True), (2, 2, 4, False), (0, 0, 0, False), (10, 0, 0, False)],
)
def test_sticking_to_it_on_under_half_the_answered_days_is_not_enough(
    yes: int, partly: int, no: int, low: bool
) -> None:
    answers = ["yes"] * yes + ["partly"] * partly + ["no"] * no
    adherence: dict[date, object] = {
        DURING[0] + timedelta(days=i): value for i, value in enumerate(answers)
    }
    adherence[DURING[0] + timedelta(days=13)] = None  # a skipped question counts for nothing
    adherence[BEFORE[0]] = "no"  # an answer outside the experiment counts for nothing
    outcome = judge(diary(steady(7), steady(3)), adherence)
    assert (outcome.adherence.yes, outcome.adherence.partly, outcome.adherence.no) == (
        yes,
        partly,
        no,
    )
    if low:
        assert outcome.adherence.kept < MIN_ADHERENCE_SHARE * outcome.adherence.answered
        assert (outcome.verdict, outcome.reason) == ("not_enough", "low_adherence")
    else:
        assert outcome.verdict == "better"


# --- the thresholds, exactly ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("during", "verdict", "reason"),
    [
        (steady(5 - PAIN_THRESHOLD), "better", "better"),  # exactly one point lower
        ([4.0] * 9 + [5.0] * 5, "no_change", "no_change"),  # 0.64 lower
        ([4.1] * 14, "no_change", "no_change"),  # 0.9 lower (and 4.1 - 5 is not exact in floats)
        ([3.9] * 14, "better", "better"),  # 1.1 lower
        (steady(5 + PAIN_THRESHOLD), "no_change", "worse"),  # exactly one point higher
        ([5.9] * 14, "no_change", "no_change"),
    ],
)
def test_pain_threshold_is_one_point(during: list[float | None], verdict: str, reason: str) -> None:
    outcome = judge(diary(steady(5), during))
    assert (outcome.verdict, outcome.reason) == (verdict, reason)


def test_one_point_is_one_point_whatever_the_float_rounding() -> None:
    assert judge(diary(steady(4.1), steady(3.1))).verdict == "better"
    assert judge(diary(steady(0.3), steady(1.3))).reason == "worse"


@pytest.mark.parametrize(
    ("bloated_before", "verdict"),
    [(4, "better"), (3, "no_change")],  # 28.6 and 21.4 percentage points fewer bloated days
)
def test_bloating_threshold_is_25_points(bloated_before: int, verdict: str) -> None:
    outcome = judge(
        diary(
            steady(5),
            steady(5),
            [True] * bloated_before + [False] * (14 - bloated_before),
            [False] * 14,
        )
    )
    assert outcome.verdict == verdict


def test_a_drop_within_the_diarys_own_swings_is_no_clear_change() -> None:
    # 1.5 points lower on average, but the scores jump by seven or eight points from day to day.
    outcome = judge(diary([2.0, 10.0] * 7, [1.0, 8.0] * 7))
    assert outcome.pain_change == pytest.approx(-1.5)
    assert (outcome.verdict, outcome.reason) == ("no_change", "no_change")
    # The same drop on steady days is a result.
    assert judge(diary(steady(6), steady(4.5))).verdict == "better"


def test_a_two_point_bloating_swing_on_steady_days_is_not_a_result() -> None:
    # 7 of 14 days falling to 3 of 14: 29 points, but two weeks of yes/no days are coarse.
    outcome = judge(diary(steady(5), steady(5), [True, False] * 7, [True] * 3 + [False] * 11))
    assert outcome.symptom_change == pytest.approx((3 / 14 - 7 / 14) * 100)
    assert outcome.verdict == "no_change"


# --- noise ------------------------------------------------------------------------------------


def _noisy(
    rng: random.Random, mean: float, spread: float, bloating: float
) -> tuple[list[float | None], list[bool | None]]:
    pains: list[float | None] = [
        float(min(10, max(0, round(rng.gauss(mean, spread))))) for _ in range(14)
    ]
    bloats: list[bool | None] = [rng.random() < bloating for _ in range(14)]
    return pains, bloats


def _trial(rng: random.Random, before_mean: float, during_mean: float, spread: float) -> str:
    before_pain, before_bloat = _noisy(rng, before_mean, spread, 0.4)
    during_pain, during_bloat = _noisy(rng, during_mean, spread, 0.4)
    return judge(diary(before_pain, during_pain, before_bloat, during_bloat)).verdict


@pytest.mark.parametrize("spread", [1.0, 2.0])
def test_pure_noise_is_rarely_called_better(spread: float) -> None:
    rng = random.Random(20260302)
    runs = 600
    verdicts = [_trial(rng, 5, 5, spread) for _ in range(runs)]
    better = verdicts.count("better") / runs
    assert better < 0.08, better
    assert verdicts.count("no_change") / runs > 0.9


def test_a_real_drop_shows_through_everyday_noise() -> None:
    rng = random.Random(7)
    runs = 300
    found = sum(_trial(rng, 5.5, 3.5, 1.0) == "better" for _ in range(runs))
    assert found / runs > 0.9, found / runs
