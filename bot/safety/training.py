"""Build the learned layer's weights (``content/safety_model.yaml``) from the labelled phrases.

Run: ``python -m bot.safety.training`` (rewrites the content file) or ``--check`` (exit 1 when a
retrain would change it). Not imported by the bot at run time; numpy is the only dependency.

Why this shape: softmax regression over hashed features is small (int8, one matrix), fast to score
in pure numpy, and with full-batch gradient descent from zeros it is *deterministic*: the same
phrases always give the same file, so a test can retrain and compare. Each labelled item is one
row; an item with several flags spreads its target evenly over them. Items written by a second
person (``src`` other than the original set) weigh the same as the rest.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bot.safety.language import detect
from bot.safety.matcher import Matcher
from bot.safety.model import MODEL_FILE, LinearModel, buckets, features
from bot.safety.rules import redflags, tier_rank

EVAL_FILE = Path(__file__).resolve().parents[2] / "tests" / "data" / "safety_eval.yaml"
NONE = "none"


@dataclass(frozen=True, slots=True)
class TrainSettings:
    """Chosen by cross-validation over the writers (``python bench/safety.py --cv``)."""

    size: int = 1 << 15
    l2: float = 1e-5
    steps: int = 300
    learning_rate: float = 0.5
    #: Buckets seen in fewer training messages than this get no weight: a feature only one
    #: message has cannot generalise, and dropping them keeps training fast.
    min_count: int = 2
    #: Weight of a "no warning sign" row relative to a warning sign (false alarms cost trust).
    negative_weight: float = 1.0


def classes() -> tuple[str, ...]:
    return (NONE, *(flag.id for flag in redflags().flags))


def load_items(path: Path = EVAL_FILE) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["items"]


def _targets(item: dict, index: dict[str, int]) -> list[tuple[int, float]]:
    if item["tier"] is None:
        return [(0, 1.0)]
    flags = [flag for flag in item.get("flags", []) if flag in index]
    if not flags:
        return [(0, 1.0)]
    share = 1.0 / len(flags)
    return [(index[flag], share) for flag in flags]


def train(
    items: Sequence[dict], matcher: Matcher, settings: TrainSettings = TrainSettings()
) -> LinearModel:
    """Fit the softmax model on ``items`` (text, tier, flags) and return it quantised."""
    names = classes()
    index = {name: i for i, name in enumerate(names)}
    rows = [
        buckets(features(matcher.parse(item["text"], detect(item["text"])).clauses), settings.size)
        for item in items
    ]
    counts: dict[int, int] = {}
    for row in rows:
        for bucket in row:
            counts[bucket] = counts.get(bucket, 0) + 1
    used = sorted(bucket for bucket, count in counts.items() if count >= settings.min_count)
    column = {bucket: i for i, bucket in enumerate(used)}
    x = np.zeros((len(rows), len(used)), dtype=np.float32)
    for r, row in enumerate(rows):
        if row:
            # Scaled by all of the message's features, as at run time (where every feature's
            # bucket is looked up, weighted or not).
            x[r, [column[b] for b in row if b in column]] = 1.0 / math.sqrt(len(row))
    y = np.zeros((len(rows), len(names)), dtype=np.float64)
    weight = np.ones(len(rows), dtype=np.float64)
    for r, item in enumerate(items):
        for c, share in _targets(item, index):
            y[r, c] += share
        if item["tier"] is None:
            weight[r] = settings.negative_weight
    weight /= weight.sum()

    w = np.zeros((len(used), len(names)), dtype=np.float32)
    b = np.zeros(len(names), dtype=np.float32)
    y = y.astype(np.float32)
    weight = weight.astype(np.float32)
    vw = np.zeros_like(w)
    vb = np.zeros_like(b)
    momentum = 0.9
    for _ in range(settings.steps):
        # Nesterov momentum on the full batch: deterministic, no random order.
        lw, lb = w + momentum * vw, b + momentum * vb
        scores = x @ lw + lb
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)
        error = (p - y) * weight[:, None]
        gw = x.T @ error + settings.l2 * lw
        gb = error.sum(axis=0)
        vw = momentum * vw - settings.learning_rate * gw * len(rows) ** 0.5
        vb = momentum * vb - settings.learning_rate * gb
        w += vw
        b += vb
    full = np.zeros((settings.size, len(names)), dtype=np.float64)
    full[used] = w
    return LinearModel.from_float(names, full, b)


def primary_flag(item: dict) -> str | None:
    """The most urgent of an item's flags (ties: the first listed)."""
    flags = item.get("flags") or []
    if not flags:
        return None
    rules = redflags()
    return min(flags, key=lambda f: (tier_rank(rules.flag(f).tier), flags.index(f)))


def build(path: Path = EVAL_FILE) -> dict[str, object]:
    model = train(load_items(path), Matcher(redflags()))
    return model.to_document(
        note=(
            "Built by `python -m bot.safety.training` from tests/data/safety_eval.yaml; "
            "do not edit by hand (tests/unit/safety/test_safety_model.py retrains and compares)."
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the file")
    args = parser.parse_args(argv)
    document = build()
    text = yaml.safe_dump(document, sort_keys=False, width=100)
    if args.check:
        current = MODEL_FILE.read_text(encoding="utf-8") if MODEL_FILE.exists() else ""
        if current != text:
            print("content/safety_model.yaml is out of date: run python -m bot.safety.training")
            return 1
        return 0
    MODEL_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {MODEL_FILE} ({len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
