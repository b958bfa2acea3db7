"""Print accuracy and per-message latency of the text understanding (swaps, diary parsing, intent).

Run: ``python bench/understanding.py``. Prints numbers only; targets live in the tests (accuracy)
and in the brief (median under 2 ms per message). Indexes are built before timing starts.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from bot.knowledge.intent import classify
from bot.knowledge.logparse import parse_log
from bot.knowledge.swaps import answer_swap

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def _load(name: str) -> list[dict]:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))["items"]


def _swap_correct(item: dict) -> bool:
    answer = answer_swap(item["q"])
    if "swap" in item:
        return answer.kind in ("swap", "group") and answer.swaps[0].id == item["swap"]
    return answer.kind == item["kind"]


def _log_correct(item: dict) -> bool:
    parsed = parse_log(item["text"])
    checks = [
        set(parsed.food_groups) == set(item.get("food_groups", [])),
        set(parsed.symptoms) == set(item.get("symptoms", [])),
        parsed.pain == item.get("pain"),
        parsed.stress == item.get("stress"),
        parsed.sleep == item.get("sleep"),
        parsed.bristol == item.get("bristol"),
        parsed.day_offset == item.get("day_offset", 0),
        parsed.is_log == item.get("is_log", True),
    ]
    if "foods" in item:
        checks.append(parsed.foods == item["foods"])
    if "negated_symptoms" in item:
        checks.append(set(parsed.negated_symptoms) == set(item["negated_symptoms"]))
    return all(checks)


def _expected_intent_swap(item: dict) -> str:
    if item.get("kind") == "refuse_medical":
        return "medical_question"
    return item.get("intent", "swap_question")


def _latency_ms(
    function: Callable[[str], object], texts: list[str], rounds: int = 20
) -> list[float]:
    samples = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            function(text)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def main() -> None:
    swap_items, log_items = _load("swap_eval.yaml"), _load("log_eval.yaml")
    swap_texts = [item["q"] for item in swap_items]
    log_texts = [item["text"] for item in log_items]
    answer_swap("warm up"), parse_log("warm up"), classify("warm up")  # build indexes once

    swap_ok = sum(_swap_correct(item) for item in swap_items)
    log_ok = sum(_log_correct(item) for item in log_items)
    intent_cases = [(item["q"], _expected_intent_swap(item)) for item in swap_items] + [
        (item["text"], "log") for item in log_items if item.get("is_log", True)
    ]
    intent_ok = sum(classify(text) == expected for text, expected in intent_cases)

    print(f"swap top-1 accuracy: {swap_ok}/{len(swap_items)} = {swap_ok / len(swap_items):.1%}")
    print(f"parse exact accuracy: {log_ok}/{len(log_items)} = {log_ok / len(log_items):.1%}")
    print(f"intent accuracy: {intent_ok}/{len(intent_cases)} = {intent_ok / len(intent_cases):.1%}")
    for name, function, texts in (
        ("answer_swap", answer_swap, swap_texts),
        ("parse_log", parse_log, log_texts),
        ("classify", classify, swap_texts + log_texts),
    ):
        samples = _latency_ms(function, texts)
        print(
            f"{name} latency ms: median {statistics.median(samples):.3f}, "
            f"p95 {_p95(samples):.3f} ({len(samples)} calls)"
        )


if __name__ == "__main__":
    main()
