"""The N-of-1 trial's plan and verdict on diaries whose right answer is known.

The rules are in ``bot/insights/trial.py``; ``bench/experiments.py`` measures the error rates on
thousands of simulated diaries. Here: the plan is reproducible, washout days are left out, and
diaries built to have an answer get it (a clear drop, a clear rise, no difference, a trend that
is not an effect, too few days).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pytest

from bot.insights import trial

START = date(2026, 3, 2)  # a Monday


def test_the_order_of_the_pairs_comes_from_the_seed_and_a_later_pair_keeps_the_earlier_ones() -> (
    None
):
    assert trial.pair_orders(1234, 3) == trial.pair_orders(1234, 3)
    assert trial.pair_orders(1234, 4)[:3] == trial.pair_orders(1234, 3)
    # Across seeds both orders come up, about half the time each.
    firsts = [trial.pair_orders(seed, 1)[0] for seed in range(400)]
    assert 150 < firsts.count(("usual", "swap")) < 250
    assert set(firsts) == {("usual", "swap"), ("swap", "usual")}


def test_the_plan_is_a_baseline_week_then_pairs_of_weeks_with_one_usual_and_one_swap() -> None:
    blocks = trial.plan(START, 99, 2)
    assert [b.start for b in blocks] == [START + timedelta(days=7 * i) for i in range(5)]
    assert blocks[0].arm == "baseline"
    for pair in (blocks[1:3], blocks[3:5]):
        assert sorted(b.arm for b in pair) == ["swap", "usual"]
    assert trial.last_day(blocks) == START + timedelta(days=34)
    # Washout: the first two days of each block after the baseline.
    assert not blocks[0].washout(START)
    assert blocks[1].washout(blocks[1].start + timedelta(days=1))
    assert not blocks[1].washout(blocks[1].start + timedelta(days=2))


def test_a_pair_added_later_starts_on_its_own_day_and_the_days_between_belong_to_no_block() -> None:
    later = START + timedelta(days=40)  # five days after the first two pairs ended
    blocks = trial.plan(START, 99, 3, [later])
    assert blocks[:5] == trial.plan(START, 99, 2)
    assert [b.start for b in blocks[5:]] == [later, later + timedelta(days=7)]
    assert trial.block_on(blocks, START + timedelta(days=37)) is None


def test_student_t_matches_published_values() -> None:
    cdf = trial.student_t_cdf
    # Values from standard t tables (and scipy.stats.t.cdf), to 5 decimals.
    found = [
        float(cdf(np.array([x]), dof)[0])
        for x, dof in [(2.0, 10), (-1.0, 10), (1.0, 1), (2.0, 3), (1.5, 60)]
    ]
    assert found == pytest.approx([0.963306, 0.170447, 0.75, 0.930337, 0.930571], abs=2e-5)


def diary(blocks: list[trial.Block], pain: Callable[[int, trial.Arm], float]) -> dict[date, float]:
    """A pain score every day of the plan, from the day's number and its block's arm."""
    days = {}
    for block in blocks:
        for offset in range(trial.BLOCK_DAYS):
            day = block.start + timedelta(days=offset)
            days[day] = pain((day - START).days, block.arm)
    return days


def wobble(seed: int) -> Callable[[int], float]:
    """Weekday habits (+-1 point, the same every week, rotated by ``seed``): noise for the model
    to measure that falls alike on usual and swap weeks, so the right answer is exact."""
    week = [1.0, 0.0, -1.0, 0.5, 0.0, -0.5, 1.0]
    return lambda t: week[(t + seed) % 7]


def test_a_clear_three_point_drop_on_swap_weeks_is_better_with_its_size_and_interval() -> None:
    blocks = trial.plan(START, 7, 3)
    noise = wobble(1)
    pain = diary(blocks, lambda t, arm: 6 + noise(t) - (3 if arm == "swap" else 0))
    outcome = trial.assess(blocks, pain)
    assert outcome.verdict == "better"
    assert outcome.effect is not None
    assert outcome.effect.low < -3 + 0.6 and outcome.effect.high > -3 - 0.6
    assert outcome.effect.estimate == pytest.approx(-3, abs=0.5)
    assert outcome.effect.high < -1  # a drop of a point or more, the interval says
    assert outcome.usual_days == outcome.swap_days == 3 * 5  # washout left out


def test_a_clear_rise_is_worse() -> None:
    blocks = trial.plan(START, 8, 3)
    noise = wobble(2)
    pain = diary(blocks, lambda t, arm: 4 + noise(t) + (3 if arm == "swap" else 0))
    assert trial.assess(blocks, pain).verdict == "worse"


def test_the_same_pain_on_both_sides_over_three_pairs_is_no_clear_change() -> None:
    blocks = trial.plan(START, 9, 3)
    noise = wobble(3)
    outcome = trial.assess(blocks, diary(blocks, lambda t, arm: 5 + noise(t)))
    assert outcome.verdict == "no_change"
    assert outcome.effect is not None and outcome.effect.low > -1 and outcome.effect.high < 1


def test_pain_easing_by_itself_week_after_week_is_not_called_better() -> None:
    """A steady fall of 0.15 points a day (a flare easing): the trend takes it, not the swap."""
    for seed in range(6):
        blocks = trial.plan(START, seed, 2)
        weekday = wobble(seed)
        easing = diary(blocks, lambda t, arm, weekday=weekday: 8 - 0.15 * t + weekday(t))
        outcome = trial.assess(blocks, easing)
        assert outcome.verdict != "better", seed


def test_washout_days_do_not_count() -> None:
    """Pain that differs only on the first two days of swap blocks changes nothing."""
    blocks = trial.plan(START, 10, 3)
    noise = wobble(4)

    def pain(t: int, arm: trial.Arm) -> float:
        block = trial.block_on(blocks, START + timedelta(days=t))
        assert block is not None
        return (
            5 + noise(t) - (4 if arm == "swap" and block.washout(START + timedelta(days=t)) else 0)
        )

    assert trial.assess(blocks, diary(blocks, pain)).verdict == "no_change"


def test_too_few_scored_days_on_one_side_is_not_enough_data() -> None:
    blocks = trial.plan(START, 11, 2)
    pain = diary(blocks, lambda t, arm: 5.0 + (t % 3))
    swap_days = [d for d in pain if (b := trial.block_on(blocks, d)) and b.arm == "swap"]
    for day in swap_days[:-4]:
        del pain[day]
    outcome = trial.assess(blocks, pain)
    assert (outcome.verdict, outcome.reason) == ("not_enough", "few_days")
    assert outcome.effect is None


def test_pure_noise_is_rarely_better_and_mostly_cant_tell_yet() -> None:
    """Correlated noise (AR(1), 0.8): "better" stays rare; the bench measures it on thousands."""
    rng = np.random.default_rng(5)
    verdicts = []
    for seed in range(60):
        blocks = trial.plan(START, seed, 2)
        noise = np.zeros(35)
        for i in range(1, 35):
            noise[i] = 0.8 * noise[i - 1] + rng.normal(0, 0.9)
        scores = diary(blocks, lambda t, arm, noise=noise: float(np.rint(5 + noise[t])))
        verdicts.append(trial.assess(blocks, scores).verdict)
    assert verdicts.count("better") <= 4
    assert verdicts.count("not_enough") > 30  # "can't tell yet" is the usual answer
