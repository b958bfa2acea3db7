"""The food lexicon: validated, big enough, and forgiving about how people spell food."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.base.fuzzy import within_one_edit
from bot.knowledge.foods import Lexicon, find_foods, groups_for, lexicon


def test_lexicon_is_large_and_uses_only_shared_groups() -> None:
    words = lexicon().words()
    assert len(set(words)) >= 200


@pytest.mark.parametrize(
    ("uk", "us"),
    [
        ("crisps", "potato chips"),
        ("fizzy drink", "soda"),
        ("biscuit", "cookie"),
        ("aubergine", "eggplant"),
        ("courgette", "zucchini"),
        ("takeaway", "takeout"),
        ("sweets", "candy"),
        ("porridge", "oatmeal"),
        ("prawns", "shrimp"),
        ("rocket", "arugula"),
        ("coriander", "cilantro"),
        ("yoghurt", "yogurt"),
        ("chips", "fries"),
    ],
)
def test_uk_and_us_names_are_the_same_food(uk: str, us: str) -> None:
    assert lexicon().is_food(uk) and lexicon().is_food(us)
    assert groups_for(uk) == groups_for(us)


@pytest.mark.parametrize(
    ("typed", "groups"),
    [
        ("berries", {"anti_inflammatory"}),
        ("strawberrys", {"anti_inflammatory"}),
        ("potatoes", set()),
        ("cookies", {"sugary", "gluten"}),
        ("doughnuts", {"sugary", "greasy", "gluten"}),
        ("sodaa", {"soda", "sugary"}),
        ("chocolat", {"sugary"}),
        ("kombutcha", {"fermented"}),
        ("tumeric", {"anti_inflammatory"}),
        ("saurkraut", {"fermented"}),
        ("brocoli", {"anti_inflammatory"}),
    ],
)
def test_plurals_and_misspellings(typed: str, groups: set[str]) -> None:
    assert lexicon().is_food(typed)
    assert groups_for(typed) == groups


def test_longest_phrase_wins() -> None:
    names = [match.name for match in find_foods("fried chicken, white bread and fish and chips")]
    assert names == ["fried chicken", "white bread", "fish and chips"]
    assert groups_for("green banana") == {"prebiotic"}
    assert groups_for("banana") == frozenset()
    assert groups_for("cooked and cooled potatoes") == {"prebiotic"}
    assert groups_for("energy drink") == {"soda", "sugary"}


def test_neutral_foods_are_known_but_have_no_group() -> None:
    for word in ("water", "chicken", "rice", "eggs"):
        assert lexicon().is_food(word)
        assert groups_for(word) == frozenset()


def test_modifiers_switch_groups_off() -> None:
    (pasta,) = find_foods("gluten-free pasta")
    assert "gluten" not in pasta.groups
    (coke,) = find_foods("diet coke")
    assert coke.groups == {"soda"}
    (sweets,) = find_foods("sugar free sweets")
    assert "sugary" not in sweets.groups
    (beer,) = find_foods("alcohol free beer")
    assert "alcohol" not in beer.groups


def test_ordinary_words_are_not_typo_corrected_into_food() -> None:
    assert find_foods("I tried yoga later, it means a lot") == []
    assert find_foods("had a break at work") == []


def test_short_words_are_not_fuzzy_matched() -> None:
    # "tead" is one edit from "tea" but too short to correct safely.
    assert find_foods("tead") == []


def test_within_one_edit() -> None:
    assert within_one_edit("chocolat", "chocolate")
    assert within_one_edit("sodaa", "soda")
    assert within_one_edit("kimhci", "kimchi")  # swapped neighbours
    assert not within_one_edit("tried", "bread")


def test_a_word_listed_under_two_foods_is_rejected() -> None:
    data = {
        "foods": [
            {"words": ["cake"], "groups": ["sugary"]},
            {"words": ["cakes"], "groups": []},
        ]
    }
    with pytest.raises(ValidationError, match="listed twice"):
        Lexicon.model_validate(data)


def test_unknown_group_is_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown food groups"):
        Lexicon.model_validate({"foods": [{"words": ["x"], "groups": ["spicy"]}]})


def test_a_typo_keeps_its_first_letter_and_short_words_need_a_doubled_key() -> None:
    # A word for the belly, a drug's street name and a drug's slang were stored as sweets and
    # seeds by the typo tolerance; a typo rarely changes the first letter.
    for word in ("tummy", "tummies", "molly", "mandy", "pingers", "speed"):
        assert find_foods(word) == [], word
    assert [m.name for m in find_foods("sodaa")] == ["soda"]  # a doubled key still works
    assert [m.name for m in find_foods("chocolat kombutcha")] == ["chocolate", "kombucha"]
