"""Free-text diary lines: the eval set and the rules people would notice if they broke."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.knowledge.logparse import parse_log, reads_like_symptom, split_by_day

EVAL = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "data" / "log_eval.yaml").read_text(encoding="utf-8")
)


def _expected_and_got(item: dict) -> tuple[dict, dict]:
    parsed = parse_log(item["text"])
    expected = {
        "food_groups": set(item.get("food_groups", [])),
        "symptoms": set(item.get("symptoms", [])),
        "pain": item.get("pain"),
        "stress": item.get("stress"),
        "sleep": item.get("sleep"),
        "bristol": item.get("bristol"),
        "day_offset": item.get("day_offset", 0),
        "is_log": item.get("is_log", True),
    }
    got = {
        "food_groups": set(parsed.food_groups),
        "symptoms": set(parsed.symptoms),
        "pain": parsed.pain,
        "stress": parsed.stress,
        "sleep": parsed.sleep,
        "bristol": parsed.bristol,
        "day_offset": parsed.day_offset,
        "is_log": parsed.is_log,
    }
    if "foods" in item:
        expected["foods"], got["foods"] = item["foods"], parsed.foods
    if "negated_symptoms" in item:
        expected["negated_symptoms"] = set(item["negated_symptoms"])
        got["negated_symptoms"] = set(parsed.negated_symptoms)
    return expected, got


def test_log_eval_exact_parse_accuracy_is_at_least_95_percent() -> None:
    items = EVAL["items"]
    assert len(items) >= 80
    wrong = []
    for item in items:
        expected, got = _expected_and_got(item)
        if expected != got:
            wrong.append((item["text"], {k: got[k] for k in expected if expected[k] != got[k]}))
    accuracy = 1 - len(wrong) / len(items)
    assert accuracy >= 0.95, f"exact parse accuracy {accuracy:.1%}; wrong: {wrong}"


def test_the_example_from_the_brief() -> None:
    parsed = parse_log("pizza and a coke, bloated, back 6/10")
    assert parsed.food_groups == {"processed", "greasy", "gluten", "soda", "sugary"}
    assert parsed.symptoms == {"bloating"}
    assert parsed.pain == 6
    assert parsed.is_log


@pytest.mark.parametrize(
    "text",
    ["no bloating", "not bloated", "without bloating", "didn't get bloated", "bloating: none"],
)
def test_negated_symptoms_are_not_recorded(text: str) -> None:
    parsed = parse_log(text)
    assert parsed.symptoms == frozenset()
    assert parsed.negated_symptoms == {"bloating"}
    assert parsed.is_log


def test_negation_stops_at_but() -> None:
    parsed = parse_log("no bloating but loads of gas")
    assert parsed.symptoms == {"gas"}


def test_negated_foods_are_skipped() -> None:
    parsed = parse_log("no alcohol this week, had kefir")
    assert parsed.food_groups == {"fermented"}
    assert parsed.skipped_foods == ["alcohol"]


@pytest.mark.parametrize(
    ("text", "pain"),
    [
        ("back 6/10", 6),
        ("pain 7", 7),
        ("back is a 4 today", 4),
        ("pain: 3 out of 10", 3),
        ("back pain six", 6),
        ("no back pain", 0),
    ],
)
def test_pain_scores(text: str, pain: int) -> None:
    assert parse_log(text).pain == pain


@pytest.mark.parametrize(
    "text",
    [
        "2 coffees",
        "back pain 11",
        "pain 15/10",
        "back pain 6-7",
        "back pain for 2 days",
        "back pain at 3pm",
        "stomach pain 6",
        "back 4 earlier, pain 7 now",
    ],
)
def test_quantities_times_ranges_and_big_numbers_are_not_pain(text: str) -> None:
    assert parse_log(text).pain is None


def test_stress_sleep_and_bristol() -> None:
    assert parse_log("stress 4/5").stress == 4
    assert parse_log("stress 8/10").stress is None
    assert parse_log("slept badly").sleep == 2
    assert parse_log("slept 7 hours").sleep is None
    assert parse_log("bristol 4").bristol == 4
    assert parse_log("type 6 stool").bristol == 6
    assert parse_log("bristol 8").bristol is None


def test_day_offset() -> None:
    assert parse_log("pizza yesterday").day_offset == -1
    assert parse_log("curry last night").day_offset == -1
    assert parse_log("slept badly last night").day_offset == 0
    assert parse_log("kefir today").day_offset == 0


def test_since_yesterday_is_how_long_not_which_day() -> None:
    # "bloated since yesterday" is today's line; the pizza of a line like it is today's too.
    assert parse_log("bloated since yesterday").day_offset == 0
    assert parse_log("back 7 ever since last night").day_offset == 0
    line = "bloated since yesterday, had pizza"
    assert split_by_day(line) == [(0, line)]
    assert split_by_day("pizza yesterday, back 6 today") == [
        (-1, "pizza yesterday"),
        (0, "back 6 today"),
    ]


def test_uk_and_us_words_and_typos_give_the_same_groups() -> None:
    assert parse_log("crisps").food_groups == parse_log("potato chips").food_groups
    assert parse_log("a fizzy drink").food_groups == parse_log("a soda").food_groups
    assert parse_log("diarrhea").symptoms == parse_log("diarrhoea").symptoms == {"diarrhoea"}
    assert parse_log("kombutcha").food_groups == {"fermented"}


def test_not_a_log() -> None:
    assert not parse_log("hello there").is_log
    assert not parse_log("went for a walk at 7").is_log


@pytest.mark.parametrize(
    "text",
    [
        "threw up something like coffee grounds",
        "my sick looked like coffee grounds",
        "spew looked like red wine",
        "chucked up what looked like tomato soup",
        "did a line of coke",
        "did a few lines of coke, chest is pounding",
        "snorted some coke last night",
        "took some molly and my tummy feels weird",
    ],
)
def test_what_came_up_a_comparison_or_a_drug_is_not_food(text: str) -> None:
    parsed = parse_log(text)
    assert parsed.foods == [] and parsed.food_groups == frozenset(), text


def test_food_next_to_those_words_in_another_clause_is_still_food() -> None:
    assert parse_log("was sick after the curry").foods == ["curry"]
    assert parse_log("felt sick and had toast").foods == ["toast"]
    assert parse_log("pizza and a coke, bloated").food_groups >= {"soda"}
    assert parse_log("30g of oats and a bag of crisps").foods == ["oats", "crisps"]


def test_going_on_is_not_constipation() -> None:
    assert parse_log("I can't go on with this pain anymore").symptoms == frozenset()
    assert parse_log("couldn't go today, bunged up").symptoms == {"constipation"}


def test_what_reads_like_a_symptom() -> None:
    for text in ("my tummy feels weird", "spew looked like red wine", "numb down below"):
        assert reads_like_symptom(text), text
    for text in ("felt weird after the walk", "did some coke", "hello there"):
        assert not reads_like_symptom(text), text
