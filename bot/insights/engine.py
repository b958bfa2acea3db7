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
#: From this many compared days on, one term per weekday; below it a single weekend term.
WEEKDAY_TERMS_FROM = 42
#: False discovery rate across all candidates and lags.
FDR = 0.05
#: The AR(1) coefficient's grid and the width of the window the p-value is averaged over.
RHO_GRID = np.round(np.arange(0.0, 0.951, 0.05), 2)
RHO_PRIOR_SD = 0.3
#: A stress answer of 4 or 5 (of 5) is a stressful day; a sleep answer of 1 or 2 a poor night.
HIGH_STRESS, POOR_SLEEP = 4, 2
#: Day factors that are context, never candidates: they follow pain and hide it.
CONTEXT_ITEMS = frozenset({"medicine:painkillers", "medicine:anti_inflammatories"})
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


def _extra_sets(day: DiaryDay) -> Iterable[tuple[str, set[str]]]:
    """Any set-valued field beyond symptoms and foods (medicines...), as (kind, items)."""
    for spec in fields(day):
        if spec.name in ("symptoms", "foods"):
            continue
        value = getattr(day, spec.name)
        if isinstance(value, set | frozenset) and all(isinstance(v, str) for v in value):
            yield spec.name.removesuffix("s"), value


def records_from_diary(days: Mapping[date, DiaryDay]) -> dict[date, DayRecord]:
    """The diary view as engine records.

    Food groups and symptoms are known on every day with an entry (as the export writes them,
    so ``gutback analyse`` on the export says what the recap says); stress and sleep only when
    answered; any other set of ids on the day (medicines) becomes ``kind:id`` factors, known on
    every day with an entry, for the ids that occur in the diary at all.
    """
    extra: dict[str, set[str]] = {}
    for day in days.values():
        for kind, items in _extra_sets(day):
            extra.setdefault(kind, set()).update(items)
    records: dict[date, DayRecord] = {}
    for when, day in days.items():
        factors: dict[str, bool] = {f"food:{g}": g in day.foods for g in FOOD_GROUPS}
        factors |= {f"symptom:{s}": s in day.symptoms for s in SYMPTOMS}
        stress = score(day.value(STRESS))
        if stress is not None:
            factors["stress:high"] = stress >= HIGH_STRESS
        sleep = score(day.value(SLEEP))
        if sleep is not None:
            factors["sleep:poor"] = sleep <= POOR_SLEEP
        present = dict(_extra_sets(day))
        for kind, ids in extra.items():
            for item in ids:
                factors[f"{kind}:{item}"] = item in present.get(kind, ())
        records[when] = DayRecord(score(day.value(PAIN)), factors)
    return records


def diary_links(days: Mapping[date, DiaryDay]) -> Analysis:
    """:func:`analyse` on the diary view: what the recap, the PDF and /experiment read."""
    return analyse(records_from_diary(days))


# --- Student's t without scipy --------------------------------------------------------------


def t_two_sided(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """P(|T| >= |t|) for Student's t with integer ``df`` (Abramowitz & Stegun 26.7.3-4)."""
    t = np.abs(np.asarray(t, dtype=float))
    df = np.broadcast_to(np.asarray(df, dtype=int), t.shape)
    theta = np.arctan(t / np.sqrt(df))
    s, c2 = np.sin(theta), np.cos(theta) ** 2
    odd = df % 2 == 1
    # Odd df: (2/pi)(theta + sin cos (1 + 2/3 c^2 + 2*4/(3*5) c^4 ...)), even: sin(1 + 1/2 c^2 ...)
    term = np.where(odd, np.sqrt(c2), 1.0)
    total = term.copy()
    top = int(df.max()) if df.size else 0
    for j in range(1, top // 2 + 1):
        k = 2 * j  # the power of cos in this term (plus one when df is odd)
        factor = np.where(odd, k / (k + 1.0), (k - 1.0) / k)
        term = term * factor * c2
        live = np.where(odd, k + 3 <= df, k + 2 <= df)
        total = total + np.where(live, term, 0.0)
    odd_a = (2 / math.pi) * (theta + np.where(df > 1, s * total, 0.0))
    even_a = s * total
    return np.clip(1.0 - np.where(odd, odd_a, even_a), 0.0, 1.0)


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


def _whiten(gaps: np.ndarray, values: np.ndarray) -> np.ndarray:
    """AR(1)-whitened ``values`` (n, ...) for every rho of the grid: (R, n, ...).

    Row ``i`` becomes ``(v_i - rho**g v_{i-1}) * sqrt((1 - rho^2) / (1 - rho^(2g)))`` for a gap of
    ``g`` days to the previous compared day, the first row ``v_0 * sqrt(1 - rho^2)``: innovations
    of equal variance, so ordinary least squares on them is GLS.
    """
    rho = RHO_GRID[:, None]
    phi = rho ** gaps[None, :]  # (R, n-1)
    scale = np.sqrt((1 - rho**2) / (1 - phi**2))
    extra = (1,) * (values.ndim - 1)
    out = np.empty((len(RHO_GRID), *values.shape))
    out[:, 0] = values[0] * np.sqrt(1 - rho**2).reshape(-1, *extra)
    out[:, 1:] = (
        values[None, 1:] - phi.reshape(*phi.shape, *extra) * values[None, :-1]
    ) * scale.reshape(*scale.shape, *extra)
    return out


def _log_det_v(gaps: np.ndarray) -> np.ndarray:
    """log |V| of the AR(1) correlation (innovation units) for every rho of the grid: (R,)."""
    rho = RHO_GRID[:, None]
    one = 1 - RHO_GRID**2
    return -np.log(one) + np.sum(np.log((1 - rho ** (2 * gaps[None, :])) / one[:, None]), axis=1)


def _fit_many(
    positions: np.ndarray, pain: np.ndarray, covariates: np.ndarray, candidates: np.ndarray
) -> list[_Fit | None]:
    """GLS with AR(1) errors of ``pain`` on covariates plus each candidate column in turn.

    ``positions`` are the compared days' places on the day grid (sorted), ``covariates`` (n, p)
    and ``candidates`` (n, k). Partitioned regression (Frisch-Waugh) makes the k fits cost about
    as much as one. ``None`` for a candidate the covariates explain entirely.
    """
    n, p = covariates.shape
    k = candidates.shape[1]
    gaps = np.diff(positions).astype(float)
    wz = _whiten(gaps, covariates)  # (R, n, p)
    wx = _whiten(gaps, candidates)  # (R, n, k)
    wy = _whiten(gaps, pain)  # (R, n)
    zz = np.einsum("rni,rnj->rij", wz, wz)
    zx = np.einsum("rni,rnk->rik", wz, wx)
    zy = np.einsum("rni,rn->ri", wz, wy)
    solved = np.linalg.solve(zz, np.concatenate([zx, zy[..., None]], axis=2))
    a_x, a_y = solved[..., :k], solved[..., k]
    xx = np.einsum("rnk,rnk->rk", wx, wx)
    xmx = xx - np.einsum("rik,rik->rk", zx, a_x)
    xmy = np.einsum("rnk,rn->rk", wx, wy) - np.einsum("rik,ri->rk", zx, a_y)
    ymy = np.einsum("rn,rn->r", wy, wy) - np.einsum("ri,ri->r", zy, a_y)
    df = n - p - 1
    usable = np.all(xmx > 1e-8 * np.maximum(xx, 1e-12), axis=0)
    xmx_safe = np.where(xmx > 0, xmx, 1.0)
    effect = xmy / xmx_safe
    rss = np.maximum(ymy[:, None] - xmy**2 / xmx_safe, 1e-12)
    se = np.sqrt(rss / df / xmx_safe)
    _, log_det_zz = np.linalg.slogdet(zz)
    reml = -0.5 * (
        _log_det_v(gaps)[:, None]
        + log_det_zz[:, None]
        + np.log(xmx_safe)
        + df * np.log(rss)
    )
    best = np.argmax(reml, axis=0)  # (k,)
    p_grid = t_two_sided(effect / se, np.full(effect.shape, df))
    weights = np.exp(-0.5 * ((RHO_GRID[:, None] - RHO_GRID[best][None, :]) / RHO_PRIOR_SD) ** 2)
    p_value = np.sum(weights * p_grid, axis=0) / np.sum(weights, axis=0)
    fits: list[_Fit | None] = []
    for j in range(k):
        if not usable[j]:
            fits.append(None)
            continue
        r = best[j]
        fits.append(
            _Fit(
                float(effect[r, j]),
                float(se[r, j]),
                df,
                float(RHO_GRID[r]),
                float(p_value[j]),
            )
        )
    return fits


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
    pain = np.full(length, np.nan)
    names = sorted({name for record in records.values() for name in record.factors})
    values = {name: np.zeros(length, bool) for name in names}
    known = {name: np.zeros(length, bool) for name in names}
    for when, record in records.items():
        i = (when - start).days
        if record.pain is not None:
            pain[i] = record.pain
        for name, present in record.factors.items():
            known[name][i] = True
            values[name][i] = present
    return _Grid(start, pain, {name: (values[name], known[name]) for name in names})


def _shift(array: np.ndarray, lag: int, fill: bool = False) -> np.ndarray:
    if lag == 0:
        return array
    out = np.full_like(array, fill)
    out[lag:] = array[:-lag]
    return out


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
    for name in sorted(grid.factors):
        if name in CONTEXT_ITEMS:
            continue
        value, known = grid.factors[name]
        if not (value & known).any():
            continue  # never present: nothing to look at, and nothing to wait for
        for lag in LAGS:
            x = _shift(value, lag)
            mask = scored & _shift(known, lag)
            with_days = int((x & mask).sum())
            without_days = int(mask.sum()) - with_days
            if with_days >= MIN_DAYS_EACH_SIDE and without_days >= MIN_DAYS_EACH_SIDE:
                ready.append(_Candidate(name, lag, x, mask, with_days, without_days))
                continue
            compared = max(int(mask.sum()), 1)
            share = with_days / compared
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


def _fit_group(grid: _Grid, group: list[_Candidate], extra: list[np.ndarray]) -> list[_Fit | None]:
    mask = group[0].mask
    positions = np.flatnonzero(mask)
    design = _design(grid, mask)
    if extra:
        design = np.column_stack([design, *(column[positions] for column in extra)])
    candidates = np.column_stack([c.x[positions].astype(float) for c in group])
    return _fit_many(positions, grid.pain[positions], design, candidates)


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
    groups: dict[bytes, list[_Candidate]] = {}
    for candidate in ready:
        groups.setdefault(np.packbits(candidate.mask).tobytes(), []).append(candidate)
    results: list[tuple[_Candidate, _Fit]] = []
    for group in groups.values():
        for candidate, fit in zip(group, _fit_group(grid, group, []), strict=True):
            if fit is not None:
                results.append((candidate, fit))
    cutoff = _bh_cutoff([fit.p_value for _, fit in results])
    survivors = sorted(
        ((c, f) for c, f in results if f.p_value <= cutoff),
        key=lambda pair: (pair[1].p_value, pair[0].lag, pair[0].factor),
    )
    chosen: list[tuple[_Candidate, _Fit]] = []
    for candidate, fit in survivors:
        if chosen:
            # Given what is already shown, does this one still tell something?
            mask = candidate.mask.copy()
            for other, _ in chosen:
                mask &= other.mask
            alone = _Candidate(candidate.factor, candidate.lag, candidate.x, mask, 0, 0)
            extra = [other.x.astype(float) for other, _ in chosen]
            refit = _fit_group(grid, [alone], extra)[0]
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
