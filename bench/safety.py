"""Print how well and how fast the safety screen does on the labelled evaluation set.

Run: ``python bench/safety.py`` (add ``-v`` to list every miss and false alarm). Prints numbers
only; the pass/fail targets live in tests/unit/test_safety.py.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.safety.rules import TIERS, tier_rank  # noqa: E402
from bot.safety.screen import screen  # noqa: E402

EVAL_FILE = ROOT / "tests" / "data" / "safety_eval.yaml"


def evaluate(items: list[dict], verbose: bool = False) -> dict[str, float]:
    hits: dict[str, list[bool]] = {tier: [] for tier in TIERS}
    false_alarms: list[bool] = []
    for item in items:
        result = screen(item["text"])
        expected = item["tier"]
        if expected is None:
            false_alarms.append(result.tier is not None)
            if verbose and result.tier is not None:
                print(f"FALSE ALARM {result.tier} {result.flag_ids}: {item['text']}")
            continue
        ok = tier_rank(result.tier) <= tier_rank(expected) and set(item.get("flags", [])) <= set(
            result.flag_ids
        )
        hits[expected].append(ok)
        if verbose and not ok:
            print(
                f"MISS want {expected} {item.get('flags')} got {result.tier} {result.flag_ids}: "
                f"{item['text']}"
            )
    numbers = {f"recall_{tier}": statistics.fmean(v) for tier, v in hits.items() if v}
    every = [ok for values in hits.values() for ok in values]
    numbers["recall_overall"] = statistics.fmean(every)
    numbers["false_alarm_rate"] = statistics.fmean(false_alarms)
    numbers["positives"] = len(every)
    numbers["negatives"] = len(false_alarms)
    return numbers


def timings(texts: list[str], rounds: int = 20) -> list[float]:
    for text in texts:  # warm up: compile patterns, fill caches
        screen(text)
    samples = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            screen(text)
            samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    items = yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))["items"]
    for name, value in evaluate(items, verbose="-v" in sys.argv).items():
        print(f"{name}: {value:.4f}" if isinstance(value, float) else f"{name}: {value}")
    samples = timings([item["text"] for item in items])
    quantiles = statistics.quantiles(samples, n=100)
    print(f"median_ms: {statistics.median(samples) * 1000:.4f}")
    print(f"p95_ms: {quantiles[94] * 1000:.4f}")


if __name__ == "__main__":
    main()
