"""Print how often the links engine shows a pattern in noise, and finds one that is really there.

Run: ``python bench/insights.py [--diaries N] [--seed S]`` (default 1000 diaries per case, about
a minute). The simulation is this script's own, built to be hard in the ways real diaries are:

- back pain is an AR(1) process with a day-to-day correlation drawn from 0.5-0.85 per person,
  around a personal mean, with a little less pain at weekends, recorded as a whole 0-10 score;
- days are missing (5-25 % per person, plus the odd few days away), some days have an entry but
  no pain score;
- weekday habits: alcohol and takeaway more on Friday and Saturday;
- foods travel together: greasy, processed, soda and sugary come with "junk days" that persist
  (a bad week), the gut-friendly groups with "good days";
- digestion symptoms are caused by foods (bloating by greasy, gluten and soda, gas by prebiotic
  fibre, reflux by alcohol and greasy, ...), while back pain follows none of them unless an effect
  is planted; stress and sleep wander by themselves;
- a third of the people take painkillers on bad days, which hide some pain and cause
  constipation: the confounding the engine's context covariate is for.

``--curve`` adds the trade-off between noise shown and power as the window over which the
p-value is averaged (rho's uncertainty) narrows.

Planted: one of the junk-cluster foods (eaten on about 40 % of days, with its companions) adds 2
points to pain the same day, or the next day. Printed: links shown on noise diaries at 28 and 56
days; the planted link found in the top three and other links shown beside it; both for the
engine and for the rule on main before it (plain differences of means, no test), in the same
run; and the engine's median time on a one-year diary. Asserts nothing.

``--experiments`` then runs ``bench/experiments.py`` (the swap-experiment verdict on its own
simulated trials: noise "better", power for 1, 1.5 and 2 points, the old verdict beside it), so
one command prints every figure issue 13 asks for.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.base.vocabulary import FOOD_GROUPS, SYMPTOMS  # noqa: E402
from bot.diary.view import DiaryDay  # noqa: E402
from bot.insights import engine  # noqa: E402
from bot.insights.engine import DayRecord, analyse, records_from_diary  # noqa: E402

START = date(2026, 1, 5)  # a Monday
JUNK = ("greasy", "processed", "soda", "sugary")
GOOD = ("fermented", "prebiotic", "anti_inflammatory")
#: symptom -> {food: added probability the same day}
CAUSES = {
    "bloating": {"greasy": 0.25, "gluten": 0.2, "soda": 0.2},
    "gas": {"prebiotic": 0.3, "soda": 0.15},
    "reflux": {"alcohol": 0.3, "greasy": 0.2},
    "constipation": {"processed": 0.2},
    "diarrhoea": {"greasy": 0.15, "alcohol": 0.15},
    "cramps": {"sugary": 0.15},
    "nausea": {"alcohol": 0.1},
}
TARGET_NOISE, TARGET_FOUND, TARGET_BESIDE, TARGET_YEAR_MS = 5.0, 80.0, 10.0, 20.0


@dataclass
class Diary:
    days: dict[date, DiaryDay]
    painkillers: set[date]
    planted: str | None
    lag: int

    def records(self) -> dict[date, DayRecord]:
        records = records_from_diary(self.days)
        if not self.painkillers:
            return records
        return {
            when: DayRecord(
                record.pain,
                {**record.factors, "medicine:painkillers": when in self.painkillers},
            )
            for when, record in records.items()
        }


def simulate(rng: random.Random, length: int, effect: float = 0.0, lag: int = 0) -> Diary:
    rho = rng.uniform(0.5, 0.85)
    sd = rng.uniform(1.3, 2.0)  # the stationary spread of daily pain
    mean = rng.uniform(3.0, 6.0)
    miss = rng.uniform(0.05, 0.25)
    takes_painkillers = rng.random() < 1 / 3
    planted = rng.choice(JUNK) if effect else None
    innovation = sd * math.sqrt(1 - rho**2)
    noise = rng.gauss(0, sd)
    junk = rng.random() < 0.35
    good = rng.random() < 0.4
    stress, sleep = rng.uniform(1.5, 4.0), rng.uniform(2.0, 4.5)
    away = 0
    foods_by_day: list[set[str]] = []
    days: dict[date, DiaryDay] = {}
    painkillers: set[date] = set()
    for n in range(length):
        when = START + timedelta(days=n)
        weekday = when.weekday()
        noise = rho * noise + rng.gauss(0, innovation)
        # Junk days come in runs (a bad week); stationary share about 0.35.
        junk = rng.random() < (0.65 if junk else 0.19)
        good = rng.random() < (0.7 if good else 0.2)
        foods = {g for g in JUNK if rng.random() < (0.75 if junk else 0.17)}
        if weekday >= 4 and rng.random() < 0.5:
            foods.add("processed")
        if rng.random() < (0.5 if weekday in (4, 5) else 0.12):
            foods.add("alcohol")
        foods |= {g for g in GOOD if rng.random() < (0.6 if good else 0.15)}
        if rng.random() < 0.35:
            foods.add("gluten")
        foods_by_day.append(foods)
        pain = mean + noise - (0.4 if weekday >= 5 else 0.0)
        if planted is not None:
            source = n - lag
            if source >= 0 and planted in foods_by_day[source]:
                pain += effect
        took = takes_painkillers and rng.random() < (0.6 if pain >= 6.5 else 0.04)
        if took:
            pain -= 1.0  # they hide some of it
        symptoms = set()
        for symptom, causes in CAUSES.items():
            chance = 0.06 + sum(p for food, p in causes.items() if food in foods)
            if symptom == "constipation" and took:
                chance += 0.35
            if rng.random() < chance:
                symptoms.add(symptom)
        stress = min(5.0, max(1.0, stress + rng.gauss(0, 0.6)))
        sleep = min(5.0, max(1.0, sleep + rng.gauss(0, 0.7)))
        if away:
            away -= 1
            continue
        if rng.random() < 0.02:
            away = rng.randint(2, 5)
        if rng.random() < miss:
            continue
        day = DiaryDay(symptoms=symptoms, foods=foods)
        if rng.random() < 0.95:
            day.answered["pain"] = int(min(10, max(0, round(pain))))
        if rng.random() < 0.8:
            day.answered["stress"] = round(stress)
        if rng.random() < 0.7:
            day.answered["sleep"] = round(sleep)
        day.digestion_reported = True
        days[when] = day
        if took:
            painkillers.add(when)
    return Diary(days, painkillers, planted, lag)


def main_rule(days: dict[date, DiaryDay]) -> list[tuple[str, int, float]]:
    """The links rule on main before this engine: every difference of means with 3+ days each
    side and at least 0.05 points, largest first (a faithful copy, for the baseline)."""
    found: list[tuple[str, int, float]] = []
    scored = [(w, float(d.answered["pain"])) for w, d in days.items() if "pain" in d.answered]
    candidates = [("symptom", s) for s in SYMPTOMS] + [("food", g) for g in FOOD_GROUPS]
    for lag in (0, 1):
        pairs = [
            (pain, source)
            for when, pain in scored
            if (source := days.get(when - timedelta(days=lag))) is not None
        ]
        for kind, item in candidates:
            with_ = [p for p, s in pairs if item in (s.symptoms if kind == "symptom" else s.foods)]
            without = [
                p for p, s in pairs if item not in (s.symptoms if kind == "symptom" else s.foods)
            ]
            if len(with_) < 3 or len(without) < 3:
                continue
            difference = sum(with_) / len(with_) - sum(without) / len(without)
            if abs(difference) >= 0.05:
                found.append((item, lag, difference))
    found.sort(key=lambda k: -abs(k[2]))
    return found


def shown(diary: Diary) -> tuple[list[tuple[str, int, float]], list[tuple[str, int, float]]]:
    """(engine's links, main's top three) as (item, lag, difference)."""
    engine = [(k.item, k.lag, k.effect) for k in analyse(diary.records()).links]
    return engine, main_rule(diary.days)[:3]


def percent(count: int, total: int) -> float:
    return 100.0 * count / total


def run_noise(rng: random.Random, diaries: int, length: int) -> None:
    engine = baseline = 0
    for _ in range(diaries):
        ours, theirs = shown(simulate(rng, length))
        engine += bool(ours)
        baseline += bool(theirs)
    print(
        f"noise, {length} days: links shown {percent(engine, diaries):5.1f} % "
        f"(target <= {TARGET_NOISE:.0f} %) | main's rule {percent(baseline, diaries):5.1f} %"
    )


def run_planted(rng: random.Random, diaries: int, lag: int) -> None:
    found = beside = found_main = beside_main = 0
    by_painkillers = {True: [0, 0], False: [0, 0]}  # takes painkillers -> [diaries, found]
    for _ in range(diaries):
        diary = simulate(rng, 56, effect=2.0, lag=lag)
        ours, theirs = shown(diary)
        hits = []
        for links in (ours, theirs):
            top = links[:3]
            hits.append(any(item == diary.planted and k == lag and d > 0 for item, k, d in top))
            hits.append(any(not (item == diary.planted and k == lag) for item, k, _ in links))
        found += hits[0]
        beside += hits[1]
        found_main += hits[2]
        beside_main += hits[3]
        group = by_painkillers[bool(diary.painkillers)]
        group[0] += 1
        group[1] += hits[0]
    when = "same day" if lag == 0 else "next day"
    print(
        f"planted 2 points, {when}, 56 days: found in top three {percent(found, diaries):5.1f} % "
        f"(target >= {TARGET_FOUND:.0f} %), other links beside it {percent(beside, diaries):5.1f} "
        f"% (target <= {TARGET_BESIDE:.0f} %) | main's rule {percent(found_main, diaries):5.1f} "
        f"% / {percent(beside_main, diaries):5.1f} %"
    )
    takers, others = by_painkillers[True], by_painkillers[False]
    print(
        f"    found among people not taking painkillers {percent(others[1], max(others[0], 1)):.1f}"
        f" % ({others[0]}), taking them {percent(takers[1], max(takers[0], 1)):.1f} % "
        f"({takers[0]}; they hide pain on bad days, which shrinks the effect)"
    )


def run_curve(rng: random.Random, diaries: int) -> None:
    """The trade-off: the width of rho's window against noise shown and power."""
    chosen = engine.RHO_PRIOR_SD
    for width in (0.05, 0.1, 0.15, 0.2, 0.3):
        engine.RHO_PRIOR_SD = width
        noise = {n: sum(bool(shown(simulate(rng, n))[0]) for _ in range(diaries)) for n in (28, 56)}
        found = {}
        for lag in (0, 1):
            count = 0
            for _ in range(diaries):
                diary = simulate(rng, 56, effect=2.0, lag=lag)
                top = shown(diary)[0][:3]
                count += any(i == diary.planted and k == lag and d > 0 for i, k, d in top)
            found[lag] = count
        mark = "  <- the engine's setting" if width == chosen else ""
        print(
            f"rho window sd {width:.2f}: noise shown {percent(noise[28], diaries):4.1f} % (28 d) "
            f"{percent(noise[56], diaries):4.1f} % (56 d), planted found "
            f"{percent(found[0], diaries):4.1f} % same day {percent(found[1], diaries):4.1f} % "
            f"next day{mark}"
        )
    engine.RHO_PRIOR_SD = chosen


def run_year(rng: random.Random, samples: int = 31) -> None:
    """The engine's time on a one-year diary, from the diary view (adapter included)."""
    diaries = [simulate(rng, 365) for _ in range(samples)]
    analyse(diaries[0].records())  # warm numpy up
    engine, total = [], []
    for diary in diaries:
        started = time.perf_counter()
        records = records_from_diary(diary.days)  # what diary_links does in the bot
        middle = time.perf_counter()
        analyse(records)
        done = time.perf_counter()
        engine.append((done - middle) * 1000)
        total.append((done - started) * 1000)
    print(
        f"one-year diary: links median {statistics.median(total):.1f} ms from the diary view, "
        f"{statistics.median(engine):.1f} ms in the engine, over {samples} diaries "
        f"(target < {TARGET_YEAR_MS:.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--diaries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--only", choices=("noise", "planted", "year"))
    parser.add_argument(
        "--curve", action="store_true", help="also print the trade-off curve (slow)"
    )
    parser.add_argument(
        "--experiments",
        action="store_true",
        help="then run bench/experiments.py with its defaults (about three minutes)",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    if args.only in (None, "noise"):
        for length in (28, 56):
            run_noise(rng, args.diaries, length)
    if args.only in (None, "planted"):
        for lag in (0, 1):
            run_planted(rng, args.diaries, lag)
    if args.only in (None, "year"):
        run_year(rng)
    if args.curve:
        run_curve(rng, max(args.diaries // 3, 100))
    if args.experiments:
        import runpy
        import sys
        from pathlib import Path

        sys.argv = [str(Path(__file__).with_name("experiments.py"))]
        runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
