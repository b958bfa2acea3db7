"""The one insight engine: which gut (or habit) factors go with back pain, tested honestly.

Back pain carries over from one day to the next (day-to-day correlation of 0.5-0.85 is typical),
so comparing the mean pain of days with and without a food, as most trackers do, finds
"patterns" in pure noise: a run of bad days that happens to hold a few takeaways looks like a
link. Here every candidate (food groups, digestion symptoms, high stress, poor sleep, any other
yes/no day factor such as a medicine) is tested at two lags (the same day, the next day) by a
regression of pain on the factor with AR(1) errors:

- generalised least squares on the calendar's day grid, a day with no score left as a gap (the
  correlation between two scored days ``g`` days apart is ``rho ** g``);
- ``rho`` estimated by restricted maximum likelihood on a grid, and the p-value averaged over
  ``rho``'s uncertainty (a normal window of :data:`RHO_PRIOR_SD` around the estimate), because in
  a month of data ``rho`` is poorly known and too low a value makes p far too small;
- weekday terms as covariates (a weekend term with few days), and painkillers or
  anti-inflammatories, when recorded, as context: they hide pain and cause gut symptoms, so they
  would otherwise confound every gut-to-back link;
- Benjamini-Hochberg across every candidate and lag looked at;
- forward selection among the survivors, so that a food that travels with the real cause (or the
  same food one day later) is not shown beside it.

A link that survives is a hypothesis worth testing with an experiment, never a finding. The
engine is pure (per-day records in, links out) and uses numpy only: it runs in the bot for every
weekly recap. :func:`records_from_diary` adapts the diary view; :mod:`bot.insights.diary_file`
reads an exported CSV into the same records.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date

import numpy as np

from bot.base.numbers import score
from bot.base.vocabulary import FOOD_GROUPS, SYMPTOMS
from bot.diary.questions import PAIN, SLEEP, STRESS
from bot.diary.view import DiaryDay

LAGS = (0, 1)
#: A candidate is tested only with at least this many scored days with it and without it.
MIN_DAYS_EACH_SIDE = 5
#: Below this many scored days nothing is tested at all.
MIN_SCORED_DAYS = 14
#: From this many scored days (12 weeks) on, one term per weekday; below, a weekend term.
WEEKDAY_TERMS_FROM = 84
#: False discovery rate across all candidates and lags.
FDR = 0.05
#: The AR(1) coefficient's grid and the width of the window the p-value is averaged over:
#: bench/insights.py --curve prints the trade-off (0.1 shows links on 7-9 % of noise diaries).
RHO_GRID = np.round(np.arange(0.0, 0.951, 0.05), 2)
RHO_PRIOR_SD = 0.2
#: A stress answer of 4 or 5 (of 5) is a stressful day; a sleep answer of 1 or 2 a poor night.
HIGH_STRESS, POOR_SLEEP = 4, 2
#: Day factors that are context, never candidates: they follow pain and hide it.
CONTEXT_ITEMS = frozenset({"medicine:painkillers", "medicine:anti_inflammatories"})
_FOOD_KEYS = tuple((f"food:{g}", g) for g in FOOD_GROUPS)
_SYMPTOM_KEYS = tuple((f"symptom:{s}", s) for s in SYMPTOMS)
#: Context enters the model only with at least this many days with it and without it.
MIN_CONTEXT_DAYS = 3


@dataclass(frozen=True, slots=True)
class DayRecord:
    """One day for the engine: its pain score and the yes/no factors known that day.

    ``factors`` maps ``"kind:item"`` (``"food:greasy"``, ``"symptom:bloating"``,
    ``"stress:high"``, ``"medicine:probiotics"``) to whether it was there; a factor not in it was
    not recorded that day, which is not the same as absent.
    """

    pain: float | None
    factors: Mapping[str, bool] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Link:
    """A factor whose days (or the days after it) went with a different back pain."""

    kind: str  # "food", "symptom", "stress", "sleep", "medicine", ...
    item: str
    lag: int  # 0: the same day, 1: the day after
    with_average: float  # plain means of the compared days, as a person would count them
    with_days: int
    without_average: float
    without_days: int
    effect: float  # the model's difference in points, allowing for carry-over and weekdays
    low: float  # a 95 % interval for ``effect``
    high: float
    p_value: float  # averaged over rho's uncertainty
    rho: float  # the day-to-day correlation the model estimated

    @property
    def difference(self) -> float:
        """Higher (positive) or lower pain with the factor, as the model estimates it."""
        return self.effect

    @property
    def factor(self) -> str:
        return f"{self.kind}:{self.item}"


@dataclass(frozen=True, slots=True)
class Waiting:
    """A candidate seen in the diary with too few days on one side to be tested yet."""

    kind: str
    item: str
    more_days: int  # about this many more diary days would let it be tested


@dataclass(frozen=True, slots=True)
class Analysis:
    links: tuple[Link, ...]  # what survived, strongest evidence first
    scored_days: int
    tested: int  # candidate x lag pairs tested (the multiple-testing family)
    more_days: int  # days needed before anything is tested (0 once enough)
    waiting: tuple[Waiting, ...]  # candidates that need more days, fewest first

    @property
    def too_early(self) -> bool:
        return self.more_days > 0


# --- the diary as records -----------------------------------------------------------------------


@functools.cache
def _extra_set_names(kind: type) -> tuple[str, ...]:
    """Sets of ids a diary day has beyond symptoms and foods (``medicines``, once the view has
    them): every one becomes candidates, so a new day factor needs no change here."""
    return tuple(
        spec.name
        for spec in fields(kind)
        if spec.default_factory in (set, frozenset) and spec.name not in ("symptoms", "foods")
    )


def _extra_sets(day: DiaryDay) -> Iterable[tuple[str, set[str]]]:
    """Each extra set of ids on the day as (kind, ids): ``medicines`` -> ("medicine", ...).

    A set with a ``<name>_reported`` flag (``medicines_reported``: the question is optional and
    off by default) is left out on days it is false: there, none is not known to mean none.
    """
    for name in _extra_set_names(type(day)):
        if getattr(day, f"{name}_reported", True):
            yield name.removesuffix("s"), getattr(day, name)


def records_from_diary(days: Mapping[date, DiaryDay]) -> dict[date, DayRecord]:
    """The diary view as engine records.

    Food groups and symptoms are known on every day with an entry (as the export writes them,
    so ``gutback analyse`` on the export says what the recap says); stress and sleep only when
    answered; any other set of ids on the day (medicines) becomes ``kind:id`` factors, known on
    the days it was reported, for the ids that occur in the diary at all.
    """
    extra: dict[str, set[str]] = {}
    for day in days.values():
        for kind, items in _extra_sets(day):
            extra.setdefault(kind, set()).update(items)
    records: dict[date, DayRecord] = {}
    for when, day in days.items():
        foods, symptoms = day.foods, day.symptoms
        factors: dict[str, bool] = {key: g in foods for key, g in _FOOD_KEYS}
        factors.update((key, s in symptoms) for key, s in _SYMPTOM_KEYS)
        stress = score(day.value(STRESS))
        if stress is not None:
            factors["stress:high"] = stress >= HIGH_STRESS
        sleep = score(day.value(SLEEP))
        if sleep is not None:
            factors["sleep:poor"] = sleep <= POOR_SLEEP
        if extra:
            present = dict(_extra_sets(day))
            for kind, ids in extra.items():
                if kind in present:
                    for item in ids:
                        factors[f"{kind}:{item}"] = item in present[kind]
        records[when] = DayRecord(score(day.value(PAIN)), factors)
    return records


def diary_links(days: Mapping[date, DiaryDay]) -> Analysis:
    """:func:`analyse` on the diary view: what the recap, the PDF and /experiment read."""
    return analyse(records_from_diary(days))


# --- Student's t without scipy --------------------------------------------------------------


def t_two_sided(t: np.ndarray, df: int) -> np.ndarray:
    """P(|T| >= |t|) for Student's t with integer ``df`` (Abramowitz & Stegun 26.7.3-4).

    Exact for whole degrees of freedom, which a count of days minus terms always is; numpy only,
    so the bot does not load scipy for it.
    """
    t = np.abs(np.asarray(t, dtype=float))
    theta = np.arctan(t / math.sqrt(df))
    s, c2 = np.sin(theta), np.cos(theta) ** 2
    # The series in cos^2: odd df  (2/pi)(theta + sin cos (1 + 2/3 c2 + 2*4/(3*5) c2^2 ...)),
    # even df sin (1 + 1/2 c2 + 1*3/(2*4) c2^2 ...), up to the power df - 2 of cos.
    odd = df % 2 == 1
    terms = (df - 3) // 2 if odd else (df - 2) // 2
    coefficients = [1.0]
    for j in range(1, max(terms, 0) + 1):
        k = 2 * j
        coefficients.append(coefficients[-1] * (k / (k + 1.0) if odd else (k - 1.0) / k))
    total = np.zeros_like(c2)
    for coefficient in reversed(coefficients):
        total = total * c2 + coefficient
    if odd:
        inside = theta + (s * np.sqrt(c2) * total if df > 1 else 0.0)
        covered = (2 / math.pi) * inside
    else:
        covered = s * total
    return np.clip(1.0 - covered, 0.0, 1.0)


def t_quantile_975(df: float) -> float:
    """The 97.5 % point of Student's t (Cornish-Fisher; within 0.01 for df >= 5)."""
    z = 1.959963984540054
    n = max(df, 1.0)
    return (
        z
        + (z**3 + z) / (4 * n)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * n**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * n**3)
    )


# --- the regression ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Fit:
    effect: float
    se: float
    df: int
    rho: float
    p_value: float


class _Whitening:
    """Cross-products of AR(1)-whitened columns for every rho of the grid, never whitening.

    Whitening turns row ``i`` into ``(v_i - rho**g v_{i-1}) * sqrt((1 - rho^2) / (1 - rho^(2g)))``
    for a gap of ``g`` days to the previous scored day, and row 0 into ``v_0 * sqrt(1 - rho^2)``:
    innovations of equal variance, so least squares on them is GLS. A whitened cross-product is
    then a rho-weighted sum of plain row products (rows with rows, rows with the rows before
    them, the rows before with each other): three matrix products for the whole grid of rhos.
    """

    def __init__(self, positions: np.ndarray) -> None:
        gaps = np.diff(positions).astype(float)
        self.one = 1 - RHO_GRID**2
        phi = RHO_GRID[:, None] ** gaps[None, :]  # (R, n-1)
        keep = (1 - phi**2) / self.one[:, None]  # innovation variance relative to stationary
        self.weight = 1 / keep
        self.weight_phi = self.weight * phi
        self.weight_phi2 = self.weight_phi * phi
        self.log_det_v = -np.log(self.one) + np.log(keep).sum(axis=1)

    def products(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Every column of ``left`` (n, a) with every column of ``right`` (n, b): (R, a, b)."""
        now_l, then_l, now_r, then_r = left[1:], left[:-1], right[1:], right[:-1]

        def weighted(weights: np.ndarray, rows: np.ndarray, other: np.ndarray) -> np.ndarray:
            return np.matmul((weights[:, :, None] * rows[None]).transpose(0, 2, 1), other)

        return (
            self.one[:, None, None] * np.outer(left[0], right[0])[None]
            + weighted(self.weight, now_l, now_r)
            - weighted(self.weight_phi, now_l, then_r)
            - weighted(self.weight_phi, then_l, now_r)
            + weighted(self.weight_phi2, then_l, then_r)
        )

    def pairs(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Column ``j`` of ``left`` with column ``j`` of ``right`` (both (n, k)): (R, k)."""
        now_l, then_l, now_r, then_r = left[1:], left[:-1], right[1:], right[:-1]
        return (
            self.one[:, None] * (left[0] * right[0])[None]
            + self.weight @ (now_l * now_r)
            - self.weight_phi @ (now_l * then_r + then_l * now_r)
            + self.weight_phi2 @ (then_l * then_r)
        )


def _fit_many(
    positions: np.ndarray,
    pain: np.ndarray,
    covariates: np.ndarray,
    candidates: np.ndarray,
    unknown: np.ndarray,
) -> list[_Fit | None]:
    """GLS with AR(1) errors of ``pain`` on the covariates plus each candidate in turn.

    ``positions`` are the scored days' places on the day grid (sorted), ``covariates`` (n, p),
    ``candidates`` (n, k) the factors (0 where not known) and ``unknown`` (n, k) where each was
    not known. A candidate enters with its own not-known indicator, so its coefficient comes
    from the days it was known while every scored day stays in the AR(1) chain (a gap in one
    factor does not break the chain the others use). Partitioned regression (Frisch-Waugh) on
    the whitened cross-products gives every candidate's fit at once. ``None`` for a candidate
    the covariates explain entirely.
    """
    n, p = covariates.shape
    k = candidates.shape[1]
    white = _Whitening(positions)
    y = np.repeat(pain[:, None], k, axis=1)
    rest = np.column_stack([candidates, unknown, pain])
    zz = white.products(covariates, covariates)  # (R, p, p)
    zr = white.products(covariates, rest)  # (R, p, 2k + 1)
    solved = np.linalg.solve(zz, zr)
    zx, zu, zy = zr[..., :k], zr[..., k : 2 * k], zr[..., 2 * k]
    sx, su, sy = solved[..., :k], solved[..., k : 2 * k], solved[..., 2 * k]

    def residual(pair: np.ndarray, z_left: np.ndarray, s_right: np.ndarray) -> np.ndarray:
        return pair - np.einsum("rik,rik->rk", z_left, s_right)

    has_gaps = unknown.any(axis=0)  # (k,)
    # All the plain whitened pairs in one go: xx, xu, uu, xy, uy, yy.
    stacked = white.pairs(
        np.column_stack([candidates, candidates, unknown, candidates, unknown, pain]),
        np.column_stack([candidates, unknown, unknown, y, y, pain]),
    )
    raw_xx, raw_xu, raw_uu, raw_xy, raw_uy = (stacked[:, i * k : (i + 1) * k] for i in range(5))
    sy_k = sy[..., None].repeat(k, axis=2)
    g00 = residual(raw_xx, zx, sx)
    g01 = np.where(has_gaps, residual(raw_xu, zx, su), 0.0)
    g11 = np.where(has_gaps, residual(raw_uu, zu, su), 1.0)
    h0 = residual(raw_xy, zx, sy_k)
    h1 = np.where(has_gaps, residual(raw_uy, zu, sy_k), 0.0)
    yy = (stacked[:, 5 * k] - np.einsum("ri,ri->r", zy, sy))[:, None]
    det = g00 * g11 - g01**2
    usable = np.all(det > 1e-8 * np.maximum(raw_xx * g11, 1e-12), axis=0)
    det = np.where(det > 0, det, 1.0)
    effect = (g11 * h0 - g01 * h1) / det
    explained = (g11 * h0**2 - 2 * g01 * h0 * h1 + g00 * h1**2) / det
    rss = np.maximum(yy - explained, 1e-12)
    df = n - p - 1 - has_gaps.astype(int)  # (k,)
    se = np.sqrt(np.maximum(rss / df * g11 / det, 1e-12))
    _, log_det_zz = np.linalg.slogdet(zz)
    reml = -0.5 * (white.log_det_v[:, None] + log_det_zz[:, None] + np.log(det) + df * np.log(rss))
    best = np.argmax(reml, axis=0)  # (k,)
    p_grid = np.empty_like(effect)
    for value in np.unique(df):
        columns = df == value
        p_grid[:, columns] = t_two_sided(effect[:, columns] / se[:, columns], int(value))
    weights = np.exp(-0.5 * ((RHO_GRID[:, None] - RHO_GRID[best][None, :]) / RHO_PRIOR_SD) ** 2)
    p_value = np.sum(weights * p_grid, axis=0) / np.sum(weights, axis=0)
    return [
        _Fit(
            float(effect[r, j]), float(se[r, j]), int(df[j]), float(RHO_GRID[r]), float(p_value[j])
        )
        if usable[j] and df[j] > 0
        else None
        for j, r in enumerate(best)
    ]


# --- candidates -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Grid:
    """The diary on its day grid: pain, which days have an entry, each factor's known values."""

    start: date
    pain: np.ndarray  # NaN where unscored
    factors: dict[str, tuple[np.ndarray, np.ndarray]]  # factor -> (value, known), per day

    @property
    def length(self) -> int:
        return len(self.pain)


def _grid(records: Mapping[date, DayRecord]) -> _Grid:
    start, end = min(records), max(records)
    length = (end - start).days + 1
    ordered = list(records.items())
    places = np.fromiter(((when - start).days for when, _ in ordered), int, len(ordered))
    pain = np.full(length, np.nan)
    scores = np.fromiter(
        (np.nan if r.pain is None else r.pain for _, r in ordered), float, len(ordered)
    )
    pain[places] = scores
    names = sorted({name for _, record in ordered for name in record.factors})
    factors = {}
    for name in names:
        said = [record.factors.get(name) for _, record in ordered]
        value, known = np.zeros(length, bool), np.zeros(length, bool)
        known[places] = np.fromiter((v is not None for v in said), bool, len(said))
        value[places] = np.fromiter((v is True for v in said), bool, len(said))
        factors[name] = (value, known)
    return _Grid(start, pain, factors)


def _design(grid: _Grid, mask: np.ndarray) -> np.ndarray:
    """Intercept, weekday terms and context (painkillers...) for the compared days."""
    positions = np.flatnonzero(mask)
    weekday = (grid.start.weekday() + positions) % 7
    columns = [np.ones(len(positions))]
    if len(positions) >= WEEKDAY_TERMS_FROM:
        columns += [(weekday == d).astype(float) for d in range(1, 7)]
    else:
        columns.append((weekday >= 5).astype(float))
    for name in sorted(CONTEXT_ITEMS & grid.factors.keys()):
        value, known = grid.factors[name]
        seen = (value & known)[positions]
        if seen.sum() >= MIN_CONTEXT_DAYS and (~seen).sum() >= MIN_CONTEXT_DAYS:
            columns.append(seen.astype(float))
    design = np.column_stack(columns)
    # Drop a weekday column that is constant over the compared days (all zero).
    keep = [0] + [j for j in range(1, design.shape[1]) if 0 < design[:, j].sum() < len(design)]
    return design[:, keep]


@dataclass(slots=True)
class _Candidate:
    factor: str
    lag: int
    x: np.ndarray  # on the day grid
    mask: np.ndarray  # compared days: scored, and the factor known on the day it counts from
    with_days: int
    without_days: int


def _candidates(grid: _Grid) -> tuple[list[_Candidate], list[Waiting]]:
    scored = ~np.isnan(grid.pain)
    ready: list[_Candidate] = []
    waiting: dict[str, Waiting] = {}
    names = [
        name
        for name in sorted(grid.factors)
        if name not in CONTEXT_ITEMS and (grid.factors[name][0] & grid.factors[name][1]).any()
    ]  # a factor never present has nothing to look at, and nothing to wait for
    if not names:
        return [], []
    values = np.stack([grid.factors[name][0] for name in names])
    knowns = np.stack([grid.factors[name][1] for name in names])
    for lag in LAGS:
        xs, masks = values, knowns & scored
        if lag:
            xs, masks = np.zeros_like(values), np.zeros_like(knowns)
            xs[:, lag:] = values[:, :-lag]
            masks[:, lag:] = knowns[:, :-lag]
            masks &= scored
        compared = masks.sum(axis=1)
        withs = (xs & masks).sum(axis=1)
        for row, name in enumerate(names):
            with_days = int(withs[row])
            without_days = int(compared[row]) - with_days
            if with_days >= MIN_DAYS_EACH_SIDE and without_days >= MIN_DAYS_EACH_SIDE:
                ready.append(_Candidate(name, lag, xs[row], masks[row], with_days, without_days))
                continue
            share = with_days / max(int(compared[row]), 1)
            needs = [
                (MIN_DAYS_EACH_SIDE - days) / rate
                for days, rate in ((with_days, share), (without_days, 1 - share))
                if days < MIN_DAYS_EACH_SIDE and rate > 0
            ]
            if needs:
                more = math.ceil(max(needs))
                kind, item = name.split(":", 1)
                if name not in waiting or more < waiting[name].more_days:
                    waiting[name] = Waiting(kind, item, more)
    tested = {c.factor for c in ready}
    still = sorted(
        (w for key, w in waiting.items() if key not in tested),
        key=lambda w: (w.more_days, w.kind, w.item),
    )
    return ready, still


def _fit_group(grid: _Grid, group: list[_Candidate], given: list[_Candidate]) -> list[_Fit | None]:
    """Fit each candidate of ``group`` on every scored day, ``given`` ones as covariates."""
    scored = ~np.isnan(grid.pain)
    positions = np.flatnonzero(scored)
    columns = [_design(grid, scored)]
    for other in given:
        columns.append((other.x & other.mask)[positions, None].astype(float))
        gaps = (~other.mask)[positions]
        if gaps.any():
            columns.append(gaps[:, None].astype(float))
    design = np.column_stack(columns)
    candidates = np.column_stack([(c.x & c.mask)[positions] for c in group]).astype(float)
    unknown = np.column_stack([(~c.mask)[positions] for c in group]).astype(float)
    return _fit_many(positions, grid.pain[positions], design, candidates, unknown)


def _bh_cutoff(p_values: list[float]) -> float:
    """The Benjamini-Hochberg threshold: the largest p_(i) <= i q / m (0 when none)."""
    m = len(p_values)
    cutoff = 0.0
    for i, p in enumerate(sorted(p_values), start=1):
        if p <= i * FDR / m:
            cutoff = p
    return cutoff


def analyse(records: Mapping[date, DayRecord]) -> Analysis:
    """The links worth trying as an experiment, with what the diary still needs."""
    scored_days = sum(record.pain is not None for record in records.values())
    if scored_days < MIN_SCORED_DAYS:
        return Analysis((), scored_days, 0, MIN_SCORED_DAYS - scored_days, ())
    grid = _grid(records)
    ready, waiting = _candidates(grid)
    results = [
        (candidate, fit)
        for candidate, fit in zip(ready, _fit_group(grid, ready, []) if ready else [], strict=True)
        if fit is not None
    ]
    cutoff = _bh_cutoff([fit.p_value for _, fit in results])
    survivors = sorted(
        ((c, f) for c, f in results if f.p_value <= cutoff),
        key=lambda pair: (pair[1].p_value, pair[0].lag, pair[0].factor),
    )
    chosen: list[tuple[_Candidate, _Fit]] = []
    for candidate, fit in survivors:
        if chosen:
            # Given what is already shown, does this one still tell something?
            refit = _fit_group(grid, [candidate], [other for other, _ in chosen])[0]
            if refit is None or refit.p_value > cutoff:
                continue
            fit = refit
        chosen.append((candidate, fit))
    links = tuple(_link(grid, candidate, fit) for candidate, fit in chosen)
    return Analysis(links, scored_days, len(results), 0, tuple(waiting))


def _link(grid: _Grid, candidate: _Candidate, fit: _Fit) -> Link:
    pain = grid.pain[candidate.mask]
    x = candidate.x[candidate.mask]
    margin = t_quantile_975(fit.df) * fit.se
    kind, item = candidate.factor.split(":", 1)
    return Link(
        kind=kind,
        item=item,
        lag=candidate.lag,
        with_average=float(pain[x].mean()),
        with_days=int(x.sum()),
        without_average=float(pain[~x].mean()),
        without_days=int((~x).sum()),
        effect=fit.effect,
        low=fit.effect - margin,
        high=fit.effect + margin,
        p_value=fit.p_value,
        rho=fit.rho,
    )


def experiment_order(analysis: Analysis) -> list[str]:
    """Food groups whose shown link points to higher pain, strongest evidence first.

    For ``/experiment``: a swap away from one of these is the experiment the diary suggests.
    """
    return [link.item for link in analysis.links if link.kind == "food" and link.effect > 0]
