"""Swap experiments as randomised N-of-1 trials: the plan of weeks, and the verdict at the end.

Pure functions of dates and pain scores (no database, no clock), so the rules can be tested on
diaries whose right answer is known and simulated by ``bench/experiments.py``.

The plan (:mod:`bot.knowledge.trial_plan`). A baseline week (the person's usual days, so the bot
learns their ordinary ups and downs), then pairs of one-week blocks, one "usual" and one "swap"
in a random order within each pair (usual-swap or swap-usual), from a seed stored with the
experiment. Randomising the order within pairs is what lets a trend (a flare easing by itself, a
better season) not pass for an effect: it falls on the swap first as often as on usual days first.

The analysis. The first :data:`WASHOUT_DAYS` days of each block are left out (a swap may take a
day or two to act and to wear off). Back pain is the only deciding outcome, fixed before the start
(bloating is reported, not counted). It is regressed on the swap indicator, a linear time trend
and the baseline week's own level, with AR(1) errors: back pain on one day is strongly correlated
with the next (0.5-0.85 is typical), and treating days as independent makes noise look like
results. The correlation ``rho`` is not assumed: the posterior is integrated over a grid of its
values (flat prior on [:data:`RHO_MIN`, :data:`RHO_MAX`], the reference prior 1/sigma for the
scale, flat for the coefficients), which gives, for each ``rho``, a Student t for the effect; the
mixture of these is the effect's posterior. Gaps (days without a score) are handled exactly: the
AR(1) correlation over a gap of ``d`` days is ``rho**d``.

The verdict (:func:`judge`):

1. Fewer than :data:`MIN_ARM_DAYS` scored days left on either side: ``not_enough`` (few days).
2. ``better`` when a drop of at least :data:`MEANINGFUL` point is clearly likely: its posterior
   probability is at least :data:`CLEAR`, and lower pain at all at least :data:`SURE` (the 95 %
   interval leaves out zero). ``worse`` the same way for a rise. The second condition matters
   when the interval is wide (few days, a plain before/after plan): there a chance of 80 % for a
   one-point drop is what noise alone gives up to one time in five.
3. ``no_change`` when an effect smaller than one point either way is at least
   :data:`NO_CHANGE_CLEAR` likely.
4. Otherwise "can't tell yet" (``not_enough``, reason ``unclear``): the honest default, with the
   offer of one more pair of weeks while fewer than :data:`MAX_PAIRS` were run.

:data:`CLEAR` and :data:`SURE` are calibrated by simulation (``bench/experiments.py``) so that
diaries of pure noise (correlation 0.5-0.85, also started after a flare that eases by itself, also
run with the extra pairs the bot offers, also a plain before/after plan) are called "better" at
most 5 % of the time (measured over 2,000 trials per row: at most 4.5 %, 95 % interval 3.6-5.4 %;
over 5,000 with another seed: at most 4.2 %, 3.7-4.8 %), while a real 2-point drop over a baseline
week and three pairs is found 57 % of the time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np

from bot.knowledge.trial_plan import (  # noqa: F401 - the plan's names are part of this API
    BASELINE_DAYS,
    BLOCK_DAYS,
    FIRST_PAIRS,
    MAX_PAIRS,
    WASHOUT_DAYS,
    Arm,
    Block,
    block_on,
    last_day,
    new_seed,
    pair_orders,
    plan,
)

#: Scored, analysed days needed on each side (usual and swap) for any verdict.
MIN_ARM_DAYS = 6
#: A change of at least this many points (0-10) is one people notice in their own pain.
MEANINGFUL = 1.0
#: Posterior probability of a drop (rise) >= :data:`MEANINGFUL` needed for "better" ("worse").
CLEAR = 0.8
#: Posterior probability of any drop (rise) needed as well. The posterior is a little
#: overconfident on short diaries (the correlation is underestimated from a few weeks), so these
#: two were calibrated by ``bench/experiments.py``: noise stays "better" <= 5 % in every scenario,
#: the bot's "one more pair" included.
SURE = 0.975
#: Posterior probability of |effect| < :data:`MEANINGFUL` needed for "no clear change".
NO_CHANGE_CLEAR = 0.8
#: The grid of day-to-day correlations the posterior is integrated over.
RHO_MIN, RHO_MAX, RHO_STEPS = -0.3, 0.97, 33
#: The interval reported around the effect.
INTERVAL = 0.9

Verdict = Literal["better", "no_change", "worse", "not_enough"]
Reason = Literal["better", "no_change", "worse", "unclear", "few_days"]


# --- the analysis -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Effect:
    """The posterior of the swap's effect on pain: swap minus usual, in points."""

    estimate: float  # posterior median
    low: float  # :data:`INTERVAL` credible interval
    high: float
    p_drop: float  # P(effect <= -MEANINGFUL)
    p_rise: float  # P(effect >= +MEANINGFUL)
    p_small: float  # P(|effect| < MEANINGFUL)
    p_lower: float  # P(effect < 0): lower pain at all
    rho: float  # posterior mean day-to-day correlation


def student_t_cdf(x: np.ndarray, dof: int) -> np.ndarray:
    """Student's t distribution function for a whole number of degrees of freedom.

    The closed form of Abramowitz and Stegun 26.7.3-4 (a finite sum in ``cos(theta)`` with
    ``theta = atan(x / sqrt(dof))``), exact for whole ``dof``: it spares the bot scipy, whose
    import would cost the process tens of megabytes for this one function.
    """
    theta = np.arctan(np.abs(x) / math.sqrt(dof))
    sin, cos2 = np.sin(theta), np.cos(theta) ** 2
    term = np.ones_like(theta)
    if dof % 2:
        total = np.zeros_like(theta) if dof == 1 else term.copy()
        for k in range(1, (dof - 1) // 2):
            term = term * cos2 * (2 * k) / (2 * k + 1)
            total = total + term
        inside = (
            2 / math.pi * (theta + sin * np.cos(theta) * total) if dof > 1 else 2 / math.pi * theta
        )
    else:
        total = term.copy()
        for k in range(1, dof // 2):
            term = term * cos2 * (2 * k - 1) / (2 * k)
            total = total + term
        inside = sin * total
    return 0.5 + 0.5 * np.sign(x) * inside


_RHOS = np.linspace(RHO_MIN, RHO_MAX, RHO_STEPS)


def _whiten(t: np.ndarray, rhos: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The AR(1) whitening of ``columns`` (n x k) for each rho, with gaps: (rhos, n, k), logdet.

    With unit process variance, ``z_1 = y_1`` and ``z_i = (y_i - r**d y_{i-1}) / sqrt(1 - r**2d)``
    are independent with unit variance, where ``d`` is the gap in days; the log-determinant of the
    correlation matrix is the sum of ``log(1 - r**2d)``.
    """
    gaps = np.diff(t).astype(float)  # n-1
    decay = rhos[:, None] ** gaps[None, :]  # (R, n-1)
    scale = np.sqrt(1.0 - decay**2)
    whitened = np.empty((len(rhos), *columns.shape))
    whitened[:, 0, :] = columns[0]
    whitened[:, 1:, :] = (columns[None, 1:, :] - decay[:, :, None] * columns[None, :-1, :]) / scale[
        :, :, None
    ]
    return whitened, 2.0 * np.log(scale).sum(axis=1)


def estimate(
    t: Sequence[int], pain: Sequence[float], swap: Sequence[bool], baseline: Sequence[bool]
) -> Effect | None:
    """The swap effect's posterior from analysed days (day numbers ``t``, increasing).

    ``None`` when the model cannot be fitted (too few days for its coefficients).
    """
    t_ = np.asarray(t, dtype=float)
    y = np.asarray(pain, dtype=float)
    s = np.asarray(swap, dtype=float)
    b = np.asarray(baseline, dtype=float)
    n = len(y)
    columns = [np.ones(n), s, (t_ - t_.mean()) / BLOCK_DAYS]
    if b.any() and not b.all():
        columns.append(b)
    X = np.column_stack(columns)
    p = X.shape[1]
    if n < p + 3 or np.linalg.matrix_rank(X) < p:
        return None
    whitened, logdet = _whiten(t_, _RHOS, np.column_stack([X, y]))
    Xw, yw = whitened[:, :, :p], whitened[:, :, p]
    xtx = np.einsum("rni,rnj->rij", Xw, Xw)
    xty = np.einsum("rni,rn->ri", Xw, yw)
    beta = np.linalg.solve(xtx, xty[:, :, None])[:, :, 0]
    rss = np.maximum(((yw - np.einsum("rni,ri->rn", Xw, beta)) ** 2).sum(axis=1), 1e-12)
    _, logdet_xtx = np.linalg.slogdet(xtx)
    dof = n - p
    log_post = -0.5 * logdet - 0.5 * logdet_xtx - 0.5 * dof * np.log(rss)
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    centre = beta[:, 1]
    spread = np.sqrt(rss / dof * np.linalg.inv(xtx)[:, 1, 1])

    def cdf(x: np.ndarray) -> np.ndarray:
        scaled = (x[None, :] - centre[:, None]) / spread[:, None]
        return (weights[:, None] * student_t_cdf(scaled, dof)).sum(axis=0)

    lo = float((centre - 8 * spread).min())
    hi = float((centre + 8 * spread).max())
    grid = np.linspace(lo, hi, 321)
    curve = cdf(grid)
    tail = (1 - INTERVAL) / 2
    at_drop, at_zero, at_rise = cdf(np.array([-MEANINGFUL, 0.0, MEANINGFUL]))
    return Effect(
        estimate=float(np.interp(0.5, curve, grid)),
        low=float(np.interp(tail, curve, grid)),
        high=float(np.interp(1 - tail, curve, grid)),
        p_drop=float(at_drop),
        p_rise=float(1 - at_rise),
        p_small=float(at_rise - at_drop),
        p_lower=float(at_zero),
        rho=float((weights * _RHOS).sum()),
    )


@dataclass(frozen=True, slots=True)
class TrialOutcome:
    verdict: Verdict
    reason: Reason
    effect: Effect | None
    usual_days: int  # scored, analysed days on each side
    swap_days: int
    usual_mean: float | None  # plain averages of those days, for the message
    swap_mean: float | None

    @property
    def can_extend(self) -> bool:
        """Whether one more pair of weeks could turn "can't tell yet" into an answer."""
        return self.reason == "unclear"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def judge(days: Mapping[date, tuple[Arm, float]]) -> TrialOutcome:
    """The verdict from analysed days: each day's arm and back pain (see the module docstring).

    The caller leaves out washout days, days outside the plan and days without a score.
    """
    ordered = sorted(days.items())
    usual = [pain for _, (arm, pain) in ordered if arm == "usual"]
    swap = [pain for _, (arm, pain) in ordered if arm == "swap"]
    means = (len(usual), len(swap), _mean(usual), _mean(swap))
    if len(usual) < MIN_ARM_DAYS or len(swap) < MIN_ARM_DAYS:
        return TrialOutcome("not_enough", "few_days", None, *means)
    first = ordered[0][0]
    effect = estimate(
        [(day - first).days for day, _ in ordered],
        [pain for _, (_, pain) in ordered],
        [arm == "swap" for _, (arm, _) in ordered],
        [arm == "baseline" for _, (arm, _) in ordered],
    )
    if effect is None or not math.isfinite(effect.p_drop):
        return TrialOutcome("not_enough", "few_days", None, *means)
    return TrialOutcome(*decide(effect), effect, *means)


def decide(effect: Effect, clear: float = CLEAR, sure: float = SURE) -> tuple[Verdict, Reason]:
    """Rules 2-4 of the module docstring (the thresholds are parameters for the bench)."""
    if effect.p_drop >= clear and effect.p_lower >= sure:
        return "better", "better"
    if effect.p_rise >= clear and 1 - effect.p_lower >= sure:
        return "worse", "worse"
    if effect.p_small >= NO_CHANGE_CLEAR:
        return "no_change", "no_change"
    return "not_enough", "unclear"


def analysed_days(
    blocks: Sequence[Block], pain: Mapping[date, float]
) -> dict[date, tuple[Arm, float]]:
    """The days the verdict reads: inside a block, past its washout, with a pain score."""
    found: dict[date, tuple[Arm, float]] = {}
    for block in blocks:
        for offset in range(BLOCK_DAYS):
            day = block.start + timedelta(days=offset)
            if day in pain and not block.washout(day):
                found[day] = (block.arm, pain[day])
    return found


def analysed_plan_days(
    arms: Mapping[date, Arm], pain: Mapping[date, float]
) -> dict[date, tuple[Arm, float]]:
    """The days a plan given day by day is judged on (``gutback analyse --experiment``).

    A day is a washout day when the arm changed within the :data:`WASHOUT_DAYS` days before it,
    as in the bot's own blocks; days with no arm or no score are left out.
    """
    found: dict[date, tuple[Arm, float]] = {}
    for day, arm in arms.items():
        if day not in pain:
            continue
        earlier = (arms.get(day - timedelta(days=back)) for back in range(1, WASHOUT_DAYS + 1))
        if any(before is not None and before != arm for before in earlier):
            continue
        found[day] = (arm, pain[day])
    return found


def assess(blocks: Sequence[Block], pain: Mapping[date, float]) -> TrialOutcome:
    """The verdict of an experiment with these blocks, from each day's back pain."""
    return judge(analysed_days(blocks, pain))
