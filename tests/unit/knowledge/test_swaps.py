"""Swap answers: the eval set, group answers, unknown foods, medical refusals, and the content."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.base.content import article_sections
from bot.base.vocabulary import OFFENDER_GROUPS
from bot.knowledge.swaps import answer_swap, swaps

REPO = Path(__file__).resolve().parents[3]
ARTICLE = Path(__file__).resolve().parents[3].parent / "shared" / "source" / "article.txt"
EVAL = yaml.safe_load((REPO / "tests" / "data" / "swap_eval.yaml").read_text(encoding="utf-8"))
OWN_YAML = (
    "content/foods.yaml",
    "content/swaps.yaml",
    "tests/data/swap_eval.yaml",
    "tests/data/log_eval.yaml",
)


def _correct(item: dict) -> bool:
    answer = answer_swap(item["q"])
    if "swap" in item:
        return answer.kind in ("swap", "group") and answer.swaps[0].id == item["swap"]
    return answer.kind == item["kind"]


def test_swap_eval_top1_accuracy_is_at_least_95_percent() -> None:
    items = EVAL["items"]
    assert len(items) >= 80
    wrong = [item["q"] for item in items if not _correct(item)]
    accuracy = 1 - len(wrong) / len(items)
    assert accuracy >= 0.95, f"top-1 accuracy {accuracy:.1%}; wrong: {wrong}"


def test_eval_names_only_real_swaps() -> None:
    ids = set(swaps().by_id())
    assert {item["swap"] for item in EVAL["items"] if "swap" in item} <= ids


def test_library_covers_the_articles_swaps() -> None:
    library = swaps()
    assert len(library.swaps) >= 35
    for food, swap_id in [
        ("soda", "soda_to_kombucha"),
        ("takeout", "takeout_to_home_cooking"),
        ("gluten", "gluten_two_week_trial"),
        ("alcohol", "alcohol_to_alcohol_free"),
        ("refined sugar", "sugar_to_fruit"),
    ]:
        assert answer_swap(food).swaps[0].id == swap_id


def test_every_swap_names_a_real_section_and_one_to_three_items() -> None:
    known = article_sections().ids()
    for swap in swaps().swaps:
        assert swap.section in known, swap.id
        assert 1 <= len(swap.to) <= 3


def test_kombucha_and_fermented_swaps_carry_a_caution() -> None:
    for swap in swaps().swaps:
        names = " ".join(item.name for item in swap.to).lower()
        if "kombucha" in names or "kefir" in names or "kimchi" in names:
            assert swap.caution, swap.id


def test_every_offender_group_has_a_group_answer() -> None:
    assert set(swaps().group_answers) == OFFENDER_GROUPS


@pytest.mark.parametrize(
    ("food", "swap_id"),
    [("lasagne", "pasta_to_cooled_potatoes"), ("churros", "cake_to_yoghurt_oats")],
)
def test_food_with_own_synonym_wins_over_group(food: str, swap_id: str) -> None:
    assert answer_swap(food).swaps[0].id == swap_id


def test_food_known_only_by_group_gets_the_group_swap() -> None:
    answer = answer_swap("what could I have instead of a pork pie?")
    assert answer.kind == "group"
    assert answer.food == "pork pie"
    assert answer.swaps[0].id == swaps().group_answers["greasy"]
    assert answer_swap("honey").swaps[0].id == swaps().group_answers["sugary"]


def test_uk_and_us_questions_get_the_same_swap() -> None:
    assert (
        answer_swap("better snack than crisps").swaps
        == answer_swap("better snack than chips").swaps
    )
    assert answer_swap("takeaway swap").swaps == answer_swap("takeout swap").swaps
    assert answer_swap("sweets").swaps == answer_swap("candy").swaps


def test_typos_are_understood() -> None:
    assert answer_swap("sodaa").swaps[0].id == "soda_to_kombucha"
    assert answer_swap("chocolat").swaps[0].id == "chocolate_to_berries_yoghurt"


def test_food_to_replace_is_the_one_after_instead_of() -> None:
    assert answer_swap("is kimchi good instead of pickles?").food == "pickles"
    assert answer_swap("/swap beer").food == "beer"


def test_unknown_answer_offers_examples_that_work() -> None:
    answer = answer_swap("what can I have instead of my car")
    assert answer.kind == "unknown"
    assert len(answer.examples) >= 3
    for example in answer.examples:
        assert answer_swap(example).kind == "swap", example


def test_gut_friendly_food_is_unknown_but_recognised() -> None:
    answer = answer_swap("kefir")
    assert answer.kind == "unknown"
    assert answer.food == "kefir"
    assert answer.groups == {"fermented"}


@pytest.mark.parametrize(
    "question",
    [
        "do I have IBS?",
        "what medication should I take for my back",
        "should I stop my meds",
        "is this a slipped disc",
        "can I take ibuprofen instead of paracetamol?",
    ],
)
def test_medical_questions_are_refused(question: str) -> None:
    answer = answer_swap(question)
    assert answer.kind == "refuse_medical"
    assert answer.swaps == ()


# --- originality of our YAML --------------------------------------------------------------------

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
RUN = 8


def _words(text: str) -> list[str]:
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", text.lower())).split()


def _runs(words: list[str]) -> set[str]:
    return {" ".join(words[i : i + RUN]) for i in range(len(words) - RUN + 1)}


@pytest.mark.parametrize("relative", OWN_YAML)
def test_no_eight_word_run_from_the_article(relative: str) -> None:
    if not ARTICLE.is_file():
        pytest.skip(f"source article not found at {ARTICLE}; originality cannot be checked")
    article = _runs(_words(ARTICLE.read_text(encoding="utf-8")))
    copied = _runs(_words((REPO / relative).read_text(encoding="utf-8"))) & article
    assert not copied, f"{relative} copies the article: {sorted(copied)[:3]}"
