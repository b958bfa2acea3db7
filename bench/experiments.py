"""How often the swap experiment's verdict is right, on simulated diaries with a known answer.

Run: ``python bench/experiments.py [--trials 1000] [--seed 7]`` (about three minutes at 1000).

The diaries come from this script's own generator, not from the bot's code: back pain with
day-to-day correlation (AR(1), 0.5 to 0.85, a spread of about 1.5 points around the person's
own level of 3 to 7), weekday habits (each person's own offsets, e.g. worse after the weekend),
missing days (15 % at random, and now and then two to four days in a row), whole scores 0-10,
and optionally a flare that eases by itself (3 points above usual on the first day, halving
about every five days: people tend to start an experiment after a bad week). A real effect acts
on swap days only, building up and wearing off over a day or two (carry-over), which the
washout days are there for.

It prints, for the design the bot runs now (``bot/insights/trial.py``: a baseline week, then
pairs of one-week blocks in random order, AR(1) regression) and, as the baseline measured in the
same run, the verdict of the two-week before/after comparison that ran before
(``bot/insights/verdict.py``):

- "better" on diaries with no effect (the must: <= 5 %), for each plan length the bot offers
  (2 pairs, 3 and 4 after "one more pair", and the bot's policy of starting with 2 and adding a
  pair while the answer is "can't tell yet"), with correlation 0.5, 0.8 and 0.85, after a flare,
  and for a plain before/after plan (14 usual days, then 14 swap days) judged by the same model;
- how often a real drop of 1, 1.5 and 2 points is found ("better"), the goal being >= 50 % for
  2 points over a baseline week and three pairs;
- the trade-off between the two as the probability threshold ``CLEAR`` moves, so the threshold
  in the code can be checked against the figures (the chosen value is marked).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.insights import trial  # noqa: E402
from bot.insights import verdict as old  # noqa: E402

START = date(2026, 1, 5)  # a Monday
SPREAD = 1.5  # the marginal standard deviation of a person's pain around their level
MISSING = 0.15
FLARE = 3.0
FLARE_HALF_LIFE = 5.0
CARRY_DAYS = 1.0  # time constant of an effect building up and wearing off
TARGET = 0.05


@dataclass(frozen=True)
class Scenario:
    rho: float = 0.8
    flare: bool = False
    effect: float = 0.0  # on swap days, in points (negative: less pain)


def diary(rng: np.random.Generator, swap: np.ndarray, s: Scenario) -> dict[int, float]:
    """Pain per day number (missing days absent), for a plan's swap indicator per day."""
    n = len(swap)
    innovations = rng.normal(0.0, SPREAD * np.sqrt(1 - s.rho**2), n)
    noise = np.empty(n)
    noise[0] = rng.normal(0.0, SPREAD)
    for i in range(1, n):
        noise[i] = s.rho * noise[i - 1] + innovations[i]
    weekday = rng.normal(0.0, 0.4, 7)
    level = rng.uniform(3, 7)
    response = np.zeros(n)
    step = 1 - np.exp(-1 / CARRY_DAYS)
    for i in range(1, n):
        response[i] = response[i - 1] + (s.effect * swap[i] - response[i - 1]) * step
    response[0] = s.effect * swap[0] * step
    days = np.arange(n)
    flare = FLARE * 0.5 ** (days / FLARE_HALF_LIFE) if s.flare else 0.0
    pain = np.clip(
        np.rint(level + noise + weekday[(days + START.weekday()) % 7] + response + flare), 0, 10
    )
    keep = rng.random(n) >= MISSING
    for _ in range(rng.poisson(n / 28)):  # a few stretches of two to four days without a score
        at = rng.integers(0, n)
        keep[at : at + rng.integers(2, 5)] = False
    return {int(i): float(pain[i]) for i in days[keep]}


# --- the design the bot runs ----------------------------------------------------------------


def trial_stages(rng: np.random.Generator, s: Scenario) -> list[trial.TrialOutcome]:
    """One diary over a baseline week and four pairs, judged after 2, 3 and 4 pairs."""
    seed = int(rng.integers(1, 2**31 - 1))
    blocks = trial.plan(START, seed, trial.MAX_PAIRS)
    total = (trial.last_day(blocks) - START).days + 1
    swap = np.zeros(total)
    for block in blocks:
        if block.arm == "swap":
            first = (block.start - START).days
            swap[first : first + trial.BLOCK_DAYS] = 1
    pain = {START + timedelta(days=i): v for i, v in diary(rng, swap, s).items()}
    stages = []
    for pairs in range(trial.FIRST_PAIRS, trial.MAX_PAIRS + 1):
        stages.append(trial.assess(blocks[: 1 + 2 * pairs], pain))
    return stages


def before_after(rng: np.random.Generator, s: Scenario) -> trial.TrialOutcome:
    """A plain plan: 14 usual days then 14 swap days, judged by the same model."""
    swap = np.r_[np.zeros(14), np.ones(14)]
    pain = diary(rng, swap, s)
    arms: dict[date, trial.Arm] = {
        START + timedelta(days=i): ("swap" if swap[i] else "usual") for i in range(len(swap))
    }
    scores = {START + timedelta(days=i): v for i, v in pain.items()}
    return trial.judge(trial.analysed_plan_days(arms, scores))


def old_verdict(rng: np.random.Generator, s: Scenario) -> str:
    """The two-week before/after verdict that ran before, on the same kind of diary."""
    swap = np.r_[np.zeros(old.BASELINE_DAYS), np.ones(old.EXPERIMENT_DAYS)]
    pain = diary(rng, swap, s)

    def period(days: range) -> old.Period:
        values = [pain[i] for i in days if i in pain]
        return old.Period(len(values), sum(values), sum(v * v for v in values), 0, 0)

    before = period(range(old.BASELINE_DAYS))
    during = period(range(old.BASELINE_DAYS, old.BASELINE_DAYS + old.EXPERIMENT_DAYS))
    return old.judge(before, during).verdict


# --- verdicts at another threshold ------------------------------------------------------------


def verdict_at(
    outcome: trial.TrialOutcome, clear: float = trial.CLEAR, sure: float = trial.SURE
) -> str:
    """The verdict ``trial.judge`` gives with other thresholds; "unclear" is "can't tell yet"."""
    if outcome.effect is None:
        return "not_enough"
    verdict, reason = trial.decide(outcome.effect, clear, sure)
    return "unclear" if reason == "unclear" else verdict


def sequential(
    stages: list[trial.TrialOutcome], clear: float = trial.CLEAR, sure: float = trial.SURE
) -> str:
    """The bot's policy: two pairs, then one more while the answer is "can't tell yet"."""
    for outcome in stages:
        found = verdict_at(outcome, clear, sure)
        if found != "unclear":
            return found
    return "unclear"


def share(values: list[str], wanted: str = "better") -> float:
    return 100.0 * sum(v == wanted for v in values) / len(values)


def interval(percent: float, trials: int) -> tuple[float, float]:
    """The Wilson 95 % interval of a share measured on ``trials`` diaries, in percent."""
    z, p = 1.959963984540054, percent / 100
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = (
        z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    )
    return 100 * (centre - half), 100 * (centre + half)


def run(trials: int, draw: Callable[[], object]) -> list:
    return [draw() for _ in range(trials)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    n = args.trials
    began = time.perf_counter()
    clear = trial.CLEAR

    noise = {rho: Scenario(rho=rho) for rho in (0.5, 0.8, 0.85)}
    flare = Scenario(rho=0.8, flare=True)
    effects = {size: Scenario(rho=0.8, effect=-size) for size in (1.0, 1.5, 2.0)}
    staged = {
        name: run(n, lambda s=s: trial_stages(rng, s))
        for name, s in [
            *((f"noise, correlation {rho}", s) for rho, s in noise.items()),
            ("noise after a flare easing by itself", flare),
            *((f"a real {size:g}-point drop", s) for size, s in effects.items()),
        ]
    }
    plain = {
        "plain before/after plan, noise": run(n, lambda: before_after(rng, Scenario())),
        "plain before/after plan, after a flare": run(n, lambda: before_after(rng, flare)),
    }
    baseline = {
        "noise, correlation 0.8": run(n, lambda: old_verdict(rng, Scenario())),
        "noise after a flare easing by itself": run(n, lambda: old_verdict(rng, flare)),
        **{
            f"a real {size:g}-point drop": run(n, lambda s=s: old_verdict(rng, s))
            for size, s in effects.items()
        },
    }
    elapsed = time.perf_counter() - began

    print(
        f"Swap experiments, {n} simulated diaries per row (seed {args.seed}), "
        f"CLEAR = {clear}, SURE = {trial.SURE}"
    )
    print(f"Plans: baseline week + 2 pairs = {7 + 28} days; + 3 pairs = {7 + 42}; + 4 = {7 + 56}")
    print()
    header = "{:<40} {:>8} {:>8} {:>8} {:>11}".format(
        "'better' (%)", "2 pairs", "3 pairs", "4 pairs", "2, then +1"
    )
    print(header)
    for name, runs in staged.items():
        cells = [share([verdict_at(r[k]) for r in runs]) for k in range(3)]
        cells.append(share([sequential(r) for r in runs]))
        target = ""
        if name.startswith("noise"):
            low, high = interval(max(cells), n)
            target = f" (target <= 5; the largest: 95 % {low:.1f}-{high:.1f})"
        print("{:<40} {:>8.1f} {:>8.1f} {:>8.1f} {:>11.1f}{}".format(name, *cells, target))
    for name, runs in plain.items():
        found = share([verdict_at(r) for r in runs])
        low, high = interval(found, n)
        print(f"{name:<40} {found:>8.1f} (target <= 5; 95 % {low:.1f}-{high:.1f})")
    print()
    print("The other answers, 'no clear change' / 'worse' / 'can't tell yet' (%), 3 pairs:")
    for name, runs in staged.items():
        found = [verdict_at(r[1]) for r in runs]
        print(
            f"  {name:<38} {share(found, 'no_change'):5.1f} / {share(found, 'worse'):4.1f} / "
            f"{share(found, 'unclear') + share(found, 'not_enough'):5.1f}"
        )
    print()
    print("Baseline, the two-week before/after verdict (bot/insights/verdict.py), same generator:")
    for name, found in baseline.items():
        print(f"  {name:<38} 'better' {share(found):5.1f} %")
    print()
    print("Trade-off as the thresholds move: the worst noise 'better' over every row and plan")
    print("above (flare and 'one more pair' included, the plain before/after plan too), and the")
    print("power for a real 2-point drop:")
    columns = ("SURE", "CLEAR", "worst noise %", "2 pt, 3 pairs %", "2 pt, 2 then +1 %")
    print("  {:>6} {:>6} {:>14} {:>16} {:>18}".format(*columns))
    noise_runs = [runs for name, runs in staged.items() if name.startswith("noise")]
    for sure in (0.95, 0.975, 0.99):
        for candidate in (0.7, 0.8, 0.9):
            worst = max(
                share([verdict_at(r[k], candidate, sure) for r in runs])
                for runs in noise_runs
                for k in range(3)
            )
            worst = max(
                worst,
                *(share([sequential(r, candidate, sure) for r in runs]) for runs in noise_runs),
                *(share([verdict_at(r, candidate, sure) for r in runs]) for runs in plain.values()),
            )
            drop = staged["a real 2-point drop"]
            power = share([verdict_at(r[1], candidate, sure) for r in drop])
            seq = share([sequential(r, candidate, sure) for r in drop])
            chosen = abs(candidate - clear) < 1e-9 and abs(sure - trial.SURE) < 1e-9
            mark = "  <- in the code" if chosen else ""
            print(
                f"  {sure:>6.3f} {candidate:>6.2f} {worst:>14.1f} {power:>16.1f} {seq:>18.1f}{mark}"
            )
    print()
    print(f"({elapsed:.0f} s)")


if __name__ == "__main__":
    main()
