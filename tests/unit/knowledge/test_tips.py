"""Tips: the content is safe to show, and the chooser picks what fits the person's recent days."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from bot.base.content import article_sections
from bot.knowledge.tips import (
    NO_REPEAT_DAYS,
    Signals,
    Tip,
    TipLabels,
    TipLibrary,
    choose_tip,
    format_tip,
    tip_by_id,
    tips,
)

TODAY = date(2025, 3, 10)
PROMISES = re.compile(r"\b(cure[sd]?|heal your|guaranteed?|will fix|miracle)\b", re.IGNORECASE)
HEDGED = re.compile(r"\b(may|might|could|some people|some researchers|some scientists)\b", re.I)
LABELS = TipLabels(caution="Careful: {caution}", source="Source: {title}")


def make_tip(tip_id: str, tags: list[str], kind: str = "lifestyle", **extra: object) -> Tip:
    return Tip(
        id=tip_id,
        text=f"Some people find that {tip_id} may help a little.",
        section="diet-tweaks",
        tags=tags,
        kind=kind,
        **extra,
    )


def library(*items: Tip) -> TipLibrary:
    return TipLibrary(labels=LABELS, tips=list(items))


def seeds(count: int = 20) -> list[random.Random]:
    return [random.Random(seed) for seed in range(count)]


# --- the content ------------------------------------------------------------------------------


def test_library_has_enough_unique_tips() -> None:
    ids = [tip.id for tip in tips().tips]
    assert len(ids) >= 45
    assert len(set(ids)) == len(ids)


def test_every_tip_names_a_real_article_section() -> None:
    known = article_sections().ids()
    assert {tip.section for tip in tips().tips} <= known


def test_supplement_and_restriction_tips_carry_a_caution() -> None:
    risky = [tip for tip in tips().tips if tip.kind in {"supplement", "restriction"}]
    assert len(risky) >= 8
    assert all(tip.caution and len(tip.caution) > 20 for tip in risky)


def test_no_tip_promises_an_outcome() -> None:
    offenders = [
        tip.id for tip in tips().tips if PROMISES.search(f"{tip.text} {tip.caution or ''}")
    ]
    assert offenders == []


def test_every_tip_is_hedged_and_short() -> None:
    for tip in tips().tips:
        assert HEDGED.search(tip.text), tip.id
        sentences = [part for part in re.split(r"[.!?](?:\s|$)", tip.text) if part.strip()]
        assert 1 <= len(sentences) <= 3, tip.id


@pytest.mark.parametrize(
    "idea",
    [
        "berries",
        "leafy greens",
        "salmon",
        "kimchi",
        "kefir",
        "potato",
        "leeks",
        "garlic",
        "onions",
        "green",  # green bananas
        "oats",
        "probiotic",
        "omega-3",
        "turmeric",
        "black pepper",
        "magnesium",
        "alcohol",
        "sugar",
        "ultra-processed",
        "kombucha",
        "takeaway",
        "gluten",
        "vagus",
        "mindfulness",
        "meditation",
        "laugh",
        "sleep",
        "screens",
        "stretching",
        "lemon",
        "yoga",
        "stool tests",
        "gastroenterologist",
        "diary",
    ],
)
def test_each_actionable_idea_of_the_article_has_a_tip(idea: str) -> None:
    assert any(idea in tip.text.lower() for tip in tips().tips), idea


@pytest.mark.parametrize(
    ("subject", "must_mention"),
    [
        ("fish oil", ["blood thinners"]),
        ("turmeric", ["gallbladder", "pregnancy", "blood thinners", "pharmacist"]),
        ("magnesium", ["kidney"]),
        ("probiotic", ["immune"]),
    ],
)
def test_supplement_cautions_name_the_known_risks(subject: str, must_mention: list[str]) -> None:
    supplement_tips = [
        tip for tip in tips().tips if tip.kind == "supplement" and subject in tip.text.lower()
    ]
    assert supplement_tips, subject
    for tip in supplement_tips:
        for words in must_mention:
            assert words in (tip.caution or "").lower(), (tip.id, words)


def test_gluten_trial_is_an_experiment_with_coeliac_and_eating_disorder_cautions() -> None:
    gluten = [tip for tip in tips().tips if "gluten" in tip.text.lower()]
    assert gluten
    for tip in gluten:
        assert tip.kind == "restriction"
        assert "experiment" in tip.text.lower()
        caution = (tip.caution or "").lower()
        assert "coeliac" in caution
        assert "eating disorder" in caution
        assert "dietitian" in caution


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"kind": "supplement", "caution": None}, "caution"),
        ({"kind": "restriction", "caution": "  "}, "caution"),
        ({"section": "no-such-section"}, "section"),
        ({"text": "This simple change will fix your back for good."}, "fix"),
        ({"text": "A daily cure for stiffness that some people may like."}, "cure"),
        ({"text": "Eat more leafy greens every single day of the week."}, "hedge"),
        ({"tags": ["bloating", "sunshine"]}, "sunshine"),
    ],
)
def test_bad_tips_are_rejected_when_loading(change: dict[str, object], complaint: str) -> None:
    raw = {
        "id": "example",
        "text": "Some people find berries may help.",
        "section": "diet-tweaks",
        "tags": ["general"],
        "kind": "food",
    } | change
    with pytest.raises(ValidationError, match=complaint):
        library(Tip.model_validate(raw))


def test_duplicate_tip_ids_are_rejected() -> None:
    with pytest.raises(ValidationError, match="duplicate"):
        library(make_tip("same", ["general"]), make_tip("same", ["bloating"]))


def test_tip_by_id() -> None:
    first = tips().tips[0]
    assert tip_by_id(first.id) == first
    assert tip_by_id("retired_long_ago") is None


# --- choosing ---------------------------------------------------------------------------------


def test_bloating_after_greasy_food_gets_a_tip_for_both() -> None:
    signals = Signals(symptom_counts={"bloating": 3}, food_counts={"greasy": 3})
    for rng in seeds():
        tip = choose_tip(signals, {}, TODAY, rng=rng)
        assert tip is not None
        assert {"bloating", "greasy"} <= set(tip.tags), tip.id


def test_a_stressful_week_gets_a_stress_tip() -> None:
    signals = Signals(avg_stress=4.6, avg_sleep=4.0, last_pain=3)
    for rng in seeds():
        tip = choose_tip(signals, {}, TODAY, rng=rng)
        assert tip is not None
        assert "stress_high" in tip.tags, tip.id


def test_poor_sleep_gets_a_sleep_tip() -> None:
    signals = Signals(avg_stress=2.0, avg_sleep=1.5)
    for rng in seeds():
        tip = choose_tip(signals, {}, TODAY, rng=rng)
        assert tip is not None
        assert "sleep_poor" in tip.tags, tip.id


def test_calm_well_rested_constipated_week_gets_a_constipation_tip() -> None:
    signals = Signals(
        avg_stress=1.5, avg_sleep=4.5, last_pain=2, symptom_counts={"constipation": 4}
    )
    for rng in seeds():
        tip = choose_tip(signals, {}, TODAY, rng=rng)
        assert tip is not None
        assert "constipation" in tip.tags, tip.id


def test_the_strongest_signal_wins() -> None:
    lib = library(make_tip("stress", ["stress_high"]), make_tip("gas", ["gas"]))
    mild_gas = Signals(symptom_counts={"gas": 1}, avg_stress=5)
    assert choose_tip(mild_gas, {}, TODAY, rng=random.Random(1), library=lib).id == "stress"
    lots_of_gas = Signals(symptom_counts={"gas": 5}, avg_stress=3.6)
    assert choose_tip(lots_of_gas, {}, TODAY, rng=random.Random(1), library=lib).id == "gas"


def test_same_seed_same_tip() -> None:
    signals = Signals(symptom_counts={"bloating": 2}, food_counts={"sugary": 2}, avg_stress=4)
    first = choose_tip(signals, {}, TODAY, rng=random.Random(42))
    again = choose_tip(signals, {}, TODAY, rng=random.Random(42))
    assert first == again


def test_a_tip_is_not_repeated_within_14_days() -> None:
    signals = Signals(avg_stress=4.5, symptom_counts={"bloating": 2})
    rng = random.Random(7)
    shown: dict[str, date] = {}
    history: list[tuple[date, str]] = []
    for offset in range(40):
        day = TODAY + timedelta(days=offset)
        tip = choose_tip(signals, shown, day, rng=rng)
        assert tip is not None
        shown[tip.id] = day
        history.append((day, tip.id))
    for index, (day, tip_id) in enumerate(history):
        for later_day, later_id in history[index + 1 :]:
            if later_id == tip_id:
                assert (later_day - day).days >= NO_REPEAT_DAYS


def test_repeat_window_boundary() -> None:
    lib = library(make_tip("only", ["bloating"]))
    signals = Signals(symptom_counts={"bloating": 3})
    just_inside = {"only": TODAY - timedelta(days=NO_REPEAT_DAYS - 1)}
    just_outside = {"only": TODAY - timedelta(days=NO_REPEAT_DAYS)}
    assert choose_tip(signals, just_inside, TODAY, library=lib) is None
    assert choose_tip(signals, just_outside, TODAY, library=lib).id == "only"


def test_restriction_tips_can_be_excluded() -> None:
    gluten_heavy = Signals(
        symptom_counts={"bloating": 4, "diarrhoea": 3}, food_counts={"gluten": 5}, last_pain=8
    )
    with_restriction = {choose_tip(gluten_heavy, {}, TODAY, rng=rng).kind for rng in seeds()}
    assert "restriction" in with_restriction  # the signals do point at a restriction tip
    rng = random.Random(3)
    shown: dict[str, date] = {}
    for offset in range(30):
        day = TODAY + timedelta(days=offset)
        tip = choose_tip(gluten_heavy, shown, day, allow_restriction=False, rng=rng)
        assert tip is not None
        assert tip.kind != "restriction", tip.id
        shown[tip.id] = day


def test_only_restriction_tips_left_and_not_allowed_gives_none() -> None:
    lib = library(make_tip("cut_it", ["gluten"], kind="restriction", caution="Ask a dietitian."))
    signals = Signals(food_counts={"gluten": 3})
    assert choose_tip(signals, {}, TODAY, allow_restriction=False, library=lib) is None
    assert choose_tip(signals, {}, TODAY, library=lib).id == "cut_it"


def test_no_signals_fall_back_to_general_tips() -> None:
    for rng in seeds():
        tip = choose_tip(Signals(), {}, TODAY, rng=rng)
        assert tip is not None
        assert "general" in tip.tags


def test_fallback_when_matching_tips_were_all_shown() -> None:
    lib = library(
        make_tip("sleep", ["sleep_poor"]),
        make_tip("general", ["general"]),
        make_tip("other", ["gas"]),
    )
    signals = Signals(avg_sleep=1)
    assert choose_tip(signals, {}, TODAY, library=lib).id == "sleep"
    shown = {"sleep": TODAY - timedelta(days=2)}
    assert choose_tip(signals, shown, TODAY, library=lib).id == "general"
    shown["general"] = TODAY - timedelta(days=1)
    assert choose_tip(signals, shown, TODAY, library=lib).id == "other"
    shown["other"] = TODAY
    assert choose_tip(signals, shown, TODAY, library=lib) is None


def test_everything_shown_recently_gives_none_with_the_real_library() -> None:
    shown = {tip.id: TODAY - timedelta(days=3) for tip in tips().tips}
    assert choose_tip(Signals(avg_stress=5), shown, TODAY) is None


# --- formatting -------------------------------------------------------------------------------


def test_format_includes_caution_and_section_title() -> None:
    tip = next(tip for tip in tips().tips if tip.kind == "supplement")
    message = format_tip(tip)
    assert message.startswith(tip.text)
    assert tip.caution in message
    title = article_sections().title(tip.section)
    assert message.rstrip().endswith(f"From the article: {title}")


def test_format_without_caution_has_no_caution_line() -> None:
    tip = make_tip("plain", ["general"])
    message = format_tip(tip, library(tip))
    assert message == f"{tip.text}\n\nSource: Diet Tweaks That Made a Huge Difference"
    assert "Careful" not in message
