"""Print how well and how fast the safety screen does on labelled phrases.

Run:
  python bench/safety.py                 # the tuned set, tests/data/safety_eval.yaml, per writer
  python bench/safety.py FILE [FILE...]  # any labelled files (same format)
  python bench/safety.py --holdout       # tests/data/safety_holdout*.yaml (the frozen holdout)
  python bench/safety.py --cv            # cross-validation of the learned layer over the writers
  python bench/safety.py --cv --grid T0=0.3,T1=0.4 T0=0.2   # ... and other ask thresholds beside
  add -v to list misses and false alarms.

Definitions (strict both ways, so that asking is never mistaken for answering):
- recall per tier: the screen answered the expected tier or a more urgent one, OR it asked a
  question whose "yes" leads to that tier or a more urgent one;
- answered outright: the same, counting answers only (no asks);
- exact tier: the screen's tier (an ask counts as its tier) equals the expected tier;
- false alarms: any answer or any ask on an item labelled "no warning sign";
- asked: how often an ask was given, on positives and on negatives;
- latency: median and p99 of ``screen()`` over every item, after a warm-up.

Numbers only; the pass/fail targets for the tuned set live in tests/unit/test_safety.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.safety.rules import TIERS, tier_rank  # noqa: E402
from bot.safety.screen import Screening, screen  # noqa: E402

DATA = ROOT / "tests" / "data"
EVAL_FILE = DATA / "safety_eval.yaml"


def _effective(result: Screening) -> str | None:
    """The most urgent tier the screen answered or asked about."""
    tiers = [t for t in (result.tier, result.ask.tier if result.ask else None) if t]
    return min(tiers, key=tier_rank) if tiers else None


def evaluate(
    items: Sequence[dict], run: Callable[[str], Screening] = screen, verbose: bool = False
) -> dict[str, float | int]:
    recall: dict[str, list[bool]] = {tier: [] for tier in TIERS}
    answered: dict[str, list[bool]] = {tier: [] for tier in TIERS}
    exact: list[bool] = []
    alarms: list[bool] = []
    asked_pos: list[bool] = []
    asked_neg: list[bool] = []
    for item in items:
        result = run(item["text"])
        effective = _effective(result)
        expected = item["tier"]
        if expected is None:
            alarms.append(effective is not None)
            asked_neg.append(result.ask is not None)
            if verbose and effective is not None:
                what = f"ask {result.ask.question}" if result.tier is None and result.ask else ""
                print(f"  FALSE ALARM {result.tier or ''} {result.flag_ids} {what}: {item['text']}")
            continue
        ok = tier_rank(effective) <= tier_rank(expected)
        recall[expected].append(ok)
        answered[expected].append(tier_rank(result.tier) <= tier_rank(expected))
        exact.append(effective == expected)
        asked_pos.append(result.ask is not None)
        if verbose and not ok:
            print(
                f"  MISS want {expected} {item.get('flags')} got {result.tier} {result.flag_ids}"
                f"{' ask ' + result.ask.question if result.ask else ''}: {item['text']}"
            )
    numbers: dict[str, float | int] = {}
    for tier in TIERS:
        if recall[tier]:
            numbers[f"recall_{tier}"] = statistics.fmean(recall[tier])
    for tier in TIERS:
        if answered[tier]:
            numbers[f"answered_{tier}"] = statistics.fmean(answered[tier])
    every = [ok for values in recall.values() for ok in values]
    numbers["recall_overall"] = statistics.fmean(every) if every else 0.0
    numbers["exact_tier"] = statistics.fmean(exact) if exact else 0.0
    numbers["false_alarms"] = statistics.fmean(alarms) if alarms else 0.0
    numbers["asked_on_positives"] = statistics.fmean(asked_pos) if asked_pos else 0.0
    numbers["asked_on_negatives"] = statistics.fmean(asked_neg) if asked_neg else 0.0
    numbers["positives"] = len(every)
    numbers["negatives"] = len(alarms)
    return numbers


def timings(texts: Sequence[str], rounds: int = 5) -> list[float]:
    for text in texts:  # warm-up: compile patterns, load the model, fill caches
        screen(text)
    samples = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            screen(text)
            samples.append(time.perf_counter() - start)
    return samples


def _print(name: str, numbers: dict[str, float | int]) -> None:
    recall = " ".join(
        f"{key[7:]} {value:.1%}" for key, value in numbers.items() if key.startswith("recall_T")
    )
    outright = " ".join(
        f"{key[9:]} {value:.1%}" for key, value in numbers.items() if key.startswith("answered_")
    )
    print(f"{name}: {numbers['positives']} warning signs, {numbers['negatives']} without")
    print(f"  recall (answer or ask)  {recall}  overall {numbers['recall_overall']:.1%}")
    print(f"  answered outright       {outright}")
    print(
        f"  exact tier {numbers['exact_tier']:.1%}  false alarms {numbers['false_alarms']:.1%}"
        f"  asked on positives {numbers['asked_on_positives']:.1%}"
        f"  asked on negatives {numbers['asked_on_negatives']:.1%}"
    )


def _load(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["items"]


def _by_writer(items: Sequence[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(item.get("src", "eval"), []).append(item)
    return groups


def cross_validate(verbose: bool, grid: Sequence[str] = ()) -> None:
    """Train the learned layer on all writers but one, score the one left out (rules as tuned).

    ``grid`` holds other ask thresholds to score on the same folds, each "T0=0.3,T1=0.4"; the
    pooled figures over all writers are printed for each, to choose between them.
    """
    from bot.safety import screen as screen_module
    from bot.safety.matcher import Matcher
    from bot.safety.rules import redflags
    from bot.safety.training import train

    items = _load(EVAL_FILE)
    groups = _by_writer(items)
    rules = redflags()
    matcher = Matcher(rules)
    settings = [("as shipped", rules)]
    for spec in grid:
        pairs = dict(part.split("=") for part in spec.split(",") if part)
        thresholds = {**rules.ask_thresholds, **{k: float(v) for k, v in pairs.items()}}
        settings.append((spec, rules.model_copy(update={"ask_thresholds": thresholds})))
    print("cross-validation of the learned layer: train on the other writers, score this one")
    print("(the rules were tuned on every writer, so only the learned layer is measured fresh)")
    pooled: dict[str, list[tuple[dict, Screening]]] = {name: [] for name, _ in settings}
    alone_pooled: list[tuple[dict, Screening]] = []
    alone_rows: list[tuple[str, dict[str, float | int]]] = []
    try:
        for writer, held in sorted(groups.items()):
            rest = [item for item in items if item.get("src", "eval") != writer]
            model = train(rest, matcher)
            alone = {item["text"]: _learned_alone(item["text"], model, matcher) for item in held}
            alone_pooled += [(item, alone[item["text"]]) for item in held]
            alone_rows.append((writer, evaluate(held, alone.__getitem__)))
            for name, variant in settings:
                screen_module.redflags = lambda v=variant: v  # type: ignore[assignment]
                results = {item["text"]: screen(item["text"], model=model) for item in held}
                pooled[name] += [(item, results[item["text"]]) for item in held]
                if name == "as shipped":
                    numbers = evaluate(held, results.__getitem__, verbose)
                    _print(f"writer {writer} (trained on {len(rest)})", numbers)
    finally:
        screen_module.redflags = redflags  # type: ignore[assignment]
    for name, pairs in pooled.items():
        lookup = {item["text"]: result for item, result in pairs}
        _print(f"all writers pooled, {name}", evaluate([i for i, _ in pairs], lookup.__getitem__))
    print("the learned layer ALONE (its asks as if no rule had found anything): how well it")
    print("generalises to a writer it never saw, the honest measure of that layer")
    for writer, numbers in alone_rows:
        _print(f"  alone, writer {writer}", numbers)
    lookup = {item["text"]: result for item, result in alone_pooled}
    pooled_items = [item for item, _ in alone_pooled]
    _print("  alone, all writers pooled", evaluate(pooled_items, lookup.__getitem__))


def _learned_alone(text: str, model: object, matcher: object) -> Screening:
    """What the learned layer alone would ask about ``text`` (no rule finding, none set aside)."""
    from bot.safety import screen as screen_module
    from bot.safety.language import detect

    parsed = matcher.parse(text, detect(text))  # type: ignore[attr-defined]
    ask = screen_module._ask(model.probabilities(parsed.clauses), None)  # type: ignore[attr-defined]
    return Screening(findings=[], tier=None, ed_signal=False, ask=ask)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="safety screen figures")
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--holdout", action="store_true", help="tests/data/safety_holdout*.yaml")
    parser.add_argument("--cv", action="store_true", help="cross-validate over the writers")
    parser.add_argument(
        "--grid", nargs="*", default=[], help='with --cv: ask thresholds to compare, "T0=0.3"'
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses")
    args = parser.parse_args(argv)
    if args.cv:
        cross_validate(args.verbose, args.grid)
        return
    if args.holdout:
        files = sorted(DATA.glob("safety_holdout*.yaml"))
        if not files:
            sys.exit("no tests/data/safety_holdout*.yaml yet")
    else:
        files = args.files or [EVAL_FILE]
    texts: list[str] = []
    for path in files:
        items = _load(path)
        texts += [item["text"] for item in items]
        _print(path.name, evaluate(items, verbose=args.verbose))
        groups = _by_writer(items)
        if len(groups) > 1:
            for writer, group in sorted(groups.items()):
                _print(f"  writer {writer}", evaluate(group))
    samples = timings(texts)
    quantiles = statistics.quantiles(samples, n=100)
    print(
        f"latency per message: median {statistics.median(samples) * 1000:.3f} ms,"
        f" p99 {quantiles[98] * 1000:.3f} ms, max {max(samples) * 1000:.3f} ms"
    )


if __name__ == "__main__":
    main()
