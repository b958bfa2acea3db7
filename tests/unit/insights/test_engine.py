"""The insight engine: each rule with a known answer, and the statistics against hand-made cases."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import numpy as np
import pytest

from bot.diary.view import DiaryDay
from bot.insights import engine
from bot.insights.engine import DayRecord, analyse, diary_links, records_from_diary

START = date(2026, 3, 2)  # a Monday


def ar1(rng: random.Random, length: int, rho: float, sd: float = 1.5) -> list[float]:
    noise, out = rng.gauss(0, sd), []
    for _ in range(length):
        noise = rho * noise + rng.gauss(0, sd * math.sqrt(1 - rho**2))
        out.append(noise)
    return out


def diary(
    pains: list[float | None], factors: list[dict[str, bool]] | None = None
) -> dict[date, DayRecord]:
    factors = factors or [{} for _ in pains]
    return {
        START + timedelta(days=n): DayRecord(pain, factors[n])
        for n, pain in enumerate(pains)
        if pain is not None or factors[n]
    }


def planted(seed: int, length: int = 60, effect: float = 3.0, lag: int = 0):
    rng = random.Random(seed)
    noise = ar1(rng, length, 0.7)
    greasy = [rng.random() < 0.4 for _ in range(length)]
    # Soda travels with greasy food: the same on four days out of five.
    soda = [g if rng.random() < 0.8 else not g for g in greasy]
    pains = [
        5 + noise[n] + (effect if n - lag >= 0 and greasy[n - lag] else 0) for n in range(length)
    ]
    factors = [{"food:greasy": greasy[n], "food:soda": soda[n]} for n in range(length)]
    return diary(pains, factors)


def test_student_t_matches_the_tables() -> None:
    # Two-sided critical values from any t table: 12.706 (1), 4.303 (2), 2.571 (5), 2.228 (10),
    # 2.042 (30); t = 3 with 350 df is p = 0.0029.
    for t, df in ((12.706, 1), (4.303, 2), (2.571, 5), (2.228, 10), (2.042, 30)):
        assert engine.t_two_sided(np.array([t]), df)[0] == pytest.approx(0.05, abs=2e-4)
    assert engine.t_two_sided(np.array([3.0]), 350)[0] == pytest.approx(0.00289, abs=2e-5)
    assert engine.t_two_sided(np.array([0.0]), 7)[0] == pytest.approx(1.0)
    assert engine.t_quantile_975(10) == pytest.approx(2.228, abs=0.01)
    assert engine.t_quantile_975(30) == pytest.approx(2.042, abs=0.005)


def test_benjamini_hochberg_cutoff() -> None:
    # The textbook example: with q = 0.05 over 8 tests only the first two survive.
    p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205]
    assert engine._bh_cutoff(p) == 0.008
    assert engine._bh_cutoff([0.2, 0.5]) == 0.0


def test_whitened_cross_products_are_gls_with_gaps() -> None:
    """X' V^-1 X for AR(1) errors on days with gaps, against the covariance matrix itself."""
    rng = np.random.default_rng(3)
    positions = np.array([0, 1, 2, 5, 6, 9, 10, 11, 15])
    values = rng.normal(size=(len(positions), 3))
    white = engine._Whitening(positions)
    products = white.products(values, values)
    for r, rho in enumerate(engine.RHO_GRID):
        distance = np.abs(positions[:, None] - positions[None, :])
        v = rho**distance / (1 - rho**2)  # in units of the innovation variance
        expected = values.T @ np.linalg.solve(v, values)
        assert products[r] == pytest.approx(expected, rel=1e-8, abs=1e-8)
        assert white.log_det_v[r] == pytest.approx(np.linalg.slogdet(v)[1], abs=1e-8)
        pairs = white.pairs(values, values)[r]
        assert pairs == pytest.approx(np.diag(expected), rel=1e-8)


def test_a_planted_food_is_found_with_its_numbers_and_nothing_beside_it() -> None:
    records = planted(7)
    found = analyse(records)
    assert [(k.kind, k.item, k.lag) for k in found.links] == [("food", "greasy", 0)]
    [link] = found.links
    greasy_pain = [r.pain for r in records.values() if r.factors["food:greasy"]]
    other_pain = [r.pain for r in records.values() if not r.factors["food:greasy"]]
    assert link.with_days == len(greasy_pain) and link.without_days == len(other_pain)
    assert link.with_average == pytest.approx(sum(greasy_pain) / len(greasy_pain))
    assert link.without_average == pytest.approx(sum(other_pain) / len(other_pain))
    assert link.low < 3.0 < link.high and link.low > 1.0
    assert link.p_value < 0.001
    assert 0.4 <= link.rho <= 0.9


def test_a_next_day_effect_is_found_at_lag_one() -> None:
    found = analyse(planted(11, length=80, lag=1))
    assert [(k.item, k.lag) for k in found.links][:1] == [("greasy", 1)]
    assert found.links[0].effect > 1.5
    # Soda (which travels with greasy food) and greasy the same day are explained by it.
    assert all(k.item == "greasy" and k.lag == 1 for k in found.links)


def test_noise_with_correlated_pain_rarely_shows_a_link() -> None:
    shown = 0
    for seed in range(40):
        rng = random.Random(seed)
        pains = [5 + e for e in ar1(rng, 56, 0.8)]
        # Foods in runs, as habits are: a naive comparison of means finds "patterns" here.
        state, factors = False, []
        for _ in range(56):
            state = rng.random() < (0.8 if state else 0.2)
            factors.append({f"food:{g}": state and rng.random() < 0.8 for g in ("greasy", "soda")})
        shown += bool(analyse(diary(pains, factors)).links)
    assert shown <= 4


def test_too_few_days_says_how_many_more() -> None:
    found = analyse(diary([5.0] * 13))
    assert found.too_early and found.more_days == 1 and found.links == ()
    assert not analyse(diary([5.0] * 14)).too_early


def test_a_rare_food_waits_with_the_days_it_needs() -> None:
    rng = random.Random(1)
    pains = [5 + e for e in ar1(rng, 28, 0.5)]
    factors = [{"food:alcohol": n in (3, 10, 17, 24)} for n in range(28)]
    found = analyse(diary(pains, factors))
    # 4 alcohol days out of 28 at lag 0: one more needs about 28 / 4 = 7 more days.
    assert [(w.kind, w.item, w.more_days) for w in found.waiting] == [("food", "alcohol", 7)]
    assert found.tested == 0


def test_a_factor_not_recorded_is_not_absent() -> None:
    rng = random.Random(5)
    # Stress is answered on the first 12 of 40 days only, every other one stressful (and 4
    # points worse): the 28 days without an answer are neither stressful nor calm.
    pains = [5 + e + (4 if n < 12 and n % 2 == 0 else 0) for n, e in enumerate(ar1(rng, 40, 0.6))]
    factors = [{"stress:high": n % 2 == 0} if n < 12 else {} for n in range(40)]
    found = analyse(diary(pains, factors))
    assert found.tested == 2  # same day and next day
    [link] = [k for k in found.links if k.lag == 0]
    assert (link.kind, link.item) == ("stress", "high")
    assert (link.with_days, link.without_days) == (6, 6)


def test_painkillers_are_context_not_a_cause() -> None:
    """Painkillers taken on bad days cause constipation: without them as context the
    constipation "link" is pure confounding; with them recorded it goes away."""
    rng = random.Random(2)
    length = 90
    pains = [5 + e for e in ar1(rng, length, 0.6, sd=2.0)]
    typical = sorted(pains)[length * 2 // 3]
    pills = [p >= typical for p in pains]  # the worst third of the days
    bound = [pill or rng.random() < 0.1 for pill in pills]
    plain = [{"symptom:constipation": b} for b in bound]
    with_pills = [{**f, "medicine:painkillers": pill} for f, pill in zip(plain, pills, strict=True)]
    naive = analyse(diary(pains, plain))
    assert ("constipation", 0) in [(k.item, k.lag) for k in naive.links]
    honest = analyse(diary(pains, with_pills))
    assert ("constipation", 0) not in [(k.item, k.lag) for k in honest.links]
    assert all(k.item != "painkillers" for k in honest.links)  # context, never a candidate


def test_medicines_become_candidates_on_the_days_the_question_was_answered() -> None:
    days = {
        START + timedelta(days=n): DiaryDay(
            answered={"pain": 4, "stress": 5 if n % 3 == 0 else 2},
            foods={"greasy"} if n % 2 else set(),
            medicines={"probiotics"} if n % 4 == 0 else set(),
            medicines_reported=n < 16,  # switched off for the last four days
        )
        for n in range(20)
    }
    records = records_from_diary(days)
    first = records[START]
    assert first.factors["medicine:probiotics"] is True
    assert first.factors["food:greasy"] is False and first.factors["symptom:bloating"] is False
    assert first.factors["stress:high"] is True
    assert "sleep:poor" not in first.factors  # not answered: not known
    assert records[START + timedelta(days=1)].factors["medicine:probiotics"] is False
    # Not asked is not "none": on the days without the question the medicine is unknown.
    assert "medicine:probiotics" not in records[START + timedelta(days=17)].factors
    assert diary_links(days).links == ()  # pain is flat: nothing to show


def test_an_empty_diary_is_too_early() -> None:
    found = analyse({})
    assert found.too_early and found.more_days == engine.MIN_SCORED_DAYS


def test_experiment_order_puts_foods_with_higher_pain_first() -> None:
    assert engine.experiment_order(analyse(planted(7))) == ["greasy"]
    # A food that goes with lower pain is no swap to try.
    lower = planted(7, effect=-3.0)
    assert [k.effect < 0 for k in analyse(lower).links] == [True]
    assert engine.experiment_order(analyse(lower)) == []
