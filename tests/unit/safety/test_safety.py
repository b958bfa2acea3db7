"""The safety screen: content validation, the labelled evaluation set, and the rules a user notices.

The evaluation set (tests/data/safety_eval.yaml) is the main test: every emergency and crisis
phrase must be caught, nearly all other warning signs too, and ordinary diary lines must not set off
alarms. The focused tests below pin down the behaviours behind those numbers.
"""

from __future__ import annotations

import copy
import functools
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.base.content import read_yaml
from bot.safety.rules import (
    TIERS,
    RedFlagFile,
    RegionFile,
    SafetyWording,
    redflags,
    regions,
    safety_wording,
    tier_rank,
)
from bot.safety.screen import (
    about_text,
    answer_for,
    numbers_for,
    pain_alert,
    pain_alert_text,
    pain_jumped,
    redflags_text,
    screen,
    screen_answer,
    weekly_screen_options,
    weekly_screen_question,
)

EVAL_FILE = Path(__file__).resolve().parents[2] / "data" / "safety_eval.yaml"
TIME_WORDS = re.compile(r"\b(now|today|within|soon|tonight|later today|this week)\b", re.I)


@functools.cache
def _eval_items() -> list[dict]:
    return yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))["items"]


def _caught(item: dict) -> bool:
    """The expected tier or a more urgent one, answered or asked (as bench/safety.py counts)."""
    result = screen(item["text"])
    tiers = [t for t in (result.tier, result.ask.tier if result.ask else None) if t]
    best = min(tiers, key=tier_rank) if tiers else None
    return tier_rank(best) <= tier_rank(item["tier"])


# ------------------------------------------------------------------------------ content
def test_content_files_load_and_cover_every_area_and_tier() -> None:
    flags = redflags().flags
    assert {flag.area for flag in flags} == {"back", "gut", "crisis", "eating"}
    assert {flag.tier for flag in flags} == set(TIERS)
    assert len(regions().regions) >= 25
    assert safety_wording().weekly_options


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["flags"][0].__setitem__("tier", "T9"), "tier"),
        (lambda d: d["flags"][0].__setitem__("patterns", []), "pattern"),
        (lambda d: d["flags"][0].__setitem__("area", "knees"), "area"),
        (lambda d: d["flags"][0].__setitem__("answer", "Call {ambulance} now."), "placeholder"),
        (lambda d: d["flags"][0].__setitem__("requires", ["nonsense"]), "context"),
        (lambda d: d["flags"].append(copy.deepcopy(d["flags"][0])), "duplicate"),
    ],
)
def test_bad_red_flag_content_fails_loudly(change, message: str) -> None:
    data = copy.deepcopy(read_yaml("redflags.yaml"))
    change(data)
    with pytest.raises(ValidationError, match=message):
        RedFlagFile.model_validate(data)


def test_bad_region_and_wording_content_fails_loudly() -> None:
    data = copy.deepcopy(read_yaml("emergency_numbers.yaml"))
    data["regions"][1]["zones"].append(data["regions"][0]["zones"][0])
    with pytest.raises(ValidationError, match="zone"):
        RegionFile.model_validate(data)
    wording = copy.deepcopy(read_yaml("safety_wording.yaml"))
    del wording["tiers"]["T2"]
    with pytest.raises(ValidationError, match="tiers"):
        SafetyWording.model_validate(wording)


def test_every_flag_answer_says_what_to_do_and_how_soon() -> None:
    for flag in redflags().flags:
        texts = [flag.answer, *(esc.answer for esc in flag.escalate)]
        for text in texts:
            assert TIME_WORDS.search(text), f"{flag.id}: no time word in {text!r}"
        assert flag.source.strip(), flag.id


# ------------------------------------------------------------------------------ evaluation set
def test_evaluation_set_is_big_enough_and_covers_every_flag_and_tier() -> None:
    items = _eval_items()
    negatives = [item for item in items if item["tier"] is None]
    assert len(items) >= 1400
    assert len(negatives) >= 500
    labelled = {flag for item in items for flag in item.get("flags", [])}
    assert {flag.id for flag in redflags().flags} <= labelled
    assert {item["tier"] for item in items if item["tier"]} == set(TIERS)


def test_evaluation_set_meets_recall_and_false_alarm_targets() -> None:
    """The tuned set (three writers): what the screen was tuned on must stay caught.

    These figures say nothing about new text; the frozen holdout does (bench/safety.py
    --holdout, scored by the lead), and cross-validation over the writers (--cv) estimates it.
    """
    items = _eval_items()
    positives = [item for item in items if item["tier"] is not None]
    negatives = [item for item in items if item["tier"] is None]
    for tier in ("T0", "T1"):
        of_tier = [i for i in positives if i["tier"] == tier]
        missed = [i["text"] for i in of_tier if not _caught(i)]
        assert len(missed) / len(of_tier) <= 0.01, f"{tier} missed: {missed}"
    caught = sum(_caught(item) for item in positives)
    assert caught / len(positives) >= 0.97
    alarms = [
        item["text"]
        for item in negatives
        if screen(item["text"]).tier is not None or screen(item["text"]).ask is not None
    ]
    assert len(alarms) / len(negatives) < 0.03, alarms


# ------------------------------------------------------------------------------ language
@pytest.mark.parametrize(
    "text",
    [
        "no numbness",
        "not bleeding",
        "never had blood in my poo",
        "back is stiff, without fever",
        "denies any numbness around the groin",
        "the tingling in my groin is no longer there",
        "no blood, no fever, just sore",
        "no fever or chills",
        "I don't have a fever and my back is sore",
    ],
)
def test_negated_signs_are_not_reported(text: str) -> None:
    assert screen(text).tier is None


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("no fever but I can't feel my bum", "ces_saddle_numbness"),
        ("no pain today, though my groin has gone numb", "ces_saddle_numbness"),
        ("no fever and I can't pee", "ces_bladder"),
        ("never had blood in my poo before today", "gi_blood_in_stool"),
        ("No I can't feel my bum", "ces_saddle_numbness"),
        ("not sure if I can feel when I wipe", "ces_saddle_numbness"),
        ("I don't think I can feel my bum properly", "ces_saddle_numbness"),
    ],
)
def test_negation_does_not_reach_past_but_or_a_new_subject(text: str, flag: str) -> None:
    assert flag in screen(text).flag_ids


@pytest.mark.parametrize(
    "text",
    [
        "dying for a coffee",
        "this pain is killing me",
        "killing me today lol back 6",
        "I could kill for a pizza",
        "bloody annoying day",
        "dead tired",
        "heart burn after dinner",
        "heartburn again",
        "I wet myself laughing",
    ],
)
def test_idioms_are_not_alarms(text: str) -> None:
    assert screen(text).tier is None


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("numbnes around my butt", "ces_saddle_numbness"),
        ("feaver and my back hurts", "infection_fever_back"),
        ("vomitting blood", "gi_vomit_blood"),
        ("sucidal again", "crisis_suicide"),
        ("diarrhea with blood", "gi_bloody_diarrhoea"),
        ("BLACK TARRY POOP", "gi_black_stool"),
        ("I can’t feel when I wipe", "ces_saddle_numbness"),
        ("sooo numb around my groin", "ces_saddle_numbness"),
    ],
)
def test_typos_spellings_and_shouting_are_understood(text: str, flag: str) -> None:
    assert flag in screen(text).flag_ids


def test_past_resolved_events_are_ignored_but_a_cancer_history_is_not() -> None:
    assert screen("had a bad fall years ago, back sore").tier is None
    assert screen("had breast cancer years ago and now my back hurts").tier == "T2"


def test_when_two_tiers_fit_the_more_urgent_one_wins() -> None:
    result = screen("blood on the paper and I can't feel my bum")
    assert result.tier == "T1"
    assert {"gi_blood_in_stool", "ces_saddle_numbness"} <= set(result.flag_ids)
    assert screen("fever and back pain and now my legs are weak").tier == "T1"
    assert screen("black tarry poo and I feel dizzy").tier == "T1"


def test_eating_signals_set_the_flag_for_the_caller() -> None:
    assert screen("I make myself sick after eating").ed_signal
    assert not screen("bloated after pasta, back 5").ed_signal


# ------------------------------------------------------------------------------ numbers
@pytest.mark.parametrize(
    ("zone", "emergency", "urgent", "crisis"),
    [
        ("Europe/London", "999", "111", "116 123"),
        ("Europe/Berlin", "112", "116 117", "0800 111 0 111"),
        ("America/New_York", "911", None, "988"),
        ("America/Toronto", "911", "811", "988"),
        ("Asia/Kolkata", "112", None, "14416"),
        ("Australia/Sydney", "000", "1800 022 222", "13 11 14"),
        ("Pacific/Auckland", "111", "0800 611 116", "1737"),
        ("Europe/Kyiv", "112", None, None),
    ],
)
def test_region_numbers(zone: str, emergency: str, urgent: str | None, crisis: str | None) -> None:
    numbers = numbers_for(zone)
    assert emergency in numbers.emergency
    assert (urgent in numbers.urgent) if urgent else numbers.urgent is None
    assert (crisis in numbers.crisis) if crisis else numbers.crisis is None
    assert numbers.source


@pytest.mark.parametrize("zone", [None, "", "Mars/Olympus", "UTC+05:30", "Etc/GMT-5"])
def test_unknown_zone_falls_back_to_generic_wording(zone: str | None) -> None:
    answer = answer_for(screen("crushing pain in my chest"), zone)
    assert "your local emergency number" in answer.text


def test_answers_carry_the_regions_numbers() -> None:
    assert "999" in answer_for(screen("can't feel my bum"), "Europe/London").text
    assert "NHS 111" in answer_for(screen("back pain and a fever"), "Europe/London").text
    assert "116 117" in answer_for(screen("back pain and a fever"), "Europe/Berlin").text
    crisis = answer_for(screen("I want to kill myself"), "America/New_York").text
    assert "988" in crisis and "911" in crisis


# ------------------------------------------------------------------------------ answers
def test_emergencies_and_crises_stand_alone_and_emergencies_get_a_follow_up() -> None:
    emergency = answer_for(screen("both legs numb"), "Europe/London")
    assert emergency.tier == "T1" and emergency.stand_alone
    assert emergency.follow_up_hours is not None and 0 < emergency.follow_up_hours < 12
    crisis = answer_for(screen("I want to die"), "Europe/London")
    assert crisis.tier == "T0" and crisis.stand_alone and not crisis.ask_first
    same_day = answer_for(screen("back pain and a temperature"), "Europe/London")
    assert same_day.tier == "T2" and not same_day.stand_alone
    assert same_day.follow_up_hours is None


def test_pain_linked_hopelessness_gets_a_gentle_question_first() -> None:
    gentle = answer_for(screen("I can't go on with this pain"), "Europe/London")
    assert gentle.ask_first and gentle.stand_alone
    assert "?" in gentle.text and "116 123" in gentle.text
    crisis = answer_for(screen("I can't go on, I want to kill myself"), "Europe/London")
    assert not crisis.ask_first
    assert crisis.text != gentle.text


def test_crisis_reply_keeps_the_conversation_open_and_gives_no_method_details() -> None:
    text = answer_for(screen("I've taken all my pills"), "Europe/London").text
    assert "116 123" in text and "999" in text
    assert "keep writing" in text
    for word in ("pill", "overdose", "tablet", "dose"):
        assert word not in text.lower()


def test_every_tier_answer_tells_what_to_do_and_how_soon() -> None:
    for flag in redflags().flags:
        finding_text = next(
            item["text"]
            for item in _eval_items()
            if flag.id in item.get("flags", []) and screen(item["text"]).tier
        )
        answer = answer_for(screen(finding_text), "Europe/London")
        assert answer.text and TIME_WORDS.search(answer.text), flag.id
        assert "{" not in answer.text, flag.id


def test_nothing_found_means_nothing_to_say() -> None:
    answer = answer_for(screen("porridge and coffee, back 4"), "Europe/London")
    assert answer.tier is None and answer.text == "" and not answer.stand_alone


# ------------------------------------------------------------------------------ pain alert
def _days(*scores: float | None, end: date = date(2026, 3, 10)) -> list[tuple[date, float | None]]:
    start = end - timedelta(days=len(scores) - 1)
    return [(start + timedelta(days=i), score) for i, score in enumerate(scores)]


def test_pain_alert_three_high_days_running() -> None:
    assert pain_alert(_days(8, 9, 8))
    assert not pain_alert(_days(8, 7, 8))
    assert not pain_alert(_days(9, 9, None))
    gap = [(date(2026, 3, 1), 9.0), (date(2026, 3, 2), 9.0), (date(2026, 3, 4), 9.0)]
    assert not pain_alert(gap)


def test_pain_alert_jump_above_the_weekly_average() -> None:
    assert pain_alert(_days(3, 4, 3, 4, 3, 4, 3, 7))
    assert not pain_alert(_days(3, 4, 3, 4, 3, 4, 3, 6))
    assert not pain_alert(_days(None, None, None, None, None, 3, 3, 8))  # only two prior days
    assert not pain_alert([])


def test_pain_alert_counts_a_days_highest_score() -> None:
    day = date(2026, 3, 10)
    readings = [(day - timedelta(days=d), 8.0) for d in (1, 2)]
    assert pain_alert([*readings, (day, 4.0), (day, 8.5)])


# ------------------------------------------------------------------------------ texts and weekly
def test_weekly_screen_options_cover_the_emergency_signs() -> None:
    options = weekly_screen_options()
    flags = {option.flag_id for option in options}
    assert {"ces_saddle_numbness", "ces_bladder", "ces_bowel", "neuro_both_legs"} <= flags
    assert "new" in weekly_screen_question().lower()
    assert all(len(option.label) <= 40 for option in options)


def test_weekly_screen_answer() -> None:
    assert screen_answer([], "Europe/London") is None
    assert screen_answer(["not-an-option"], "Europe/London") is None
    answer = screen_answer(["blood_stool", "bladder"], "Europe/London")
    assert answer is not None and answer.tier == "T1" and answer.stand_alone
    assert "999" in answer.text


def test_redflags_about_and_pain_alert_texts() -> None:
    text = redflags_text("Europe/London")
    assert "999" in text and "NHS 111" in text and "116 123" in text
    assert max(len(line) for line in text.splitlines()) <= 70
    about = about_text("Europe/Berlin").lower()
    assert "not a medical device" in about and "112" in about and "emergenc" in about
    assert TIME_WORDS.search(pain_alert_text("Europe/London"))


def test_the_one_jump_rule_needs_three_scored_days_of_the_week_before() -> None:
    """The check-in's extra screen after a jump and the pain alert share this rule."""
    today = date(2025, 3, 10)
    week = {today - timedelta(days=n): 3.0 for n in (1, 2, 3)}
    assert pain_jumped(week, today, 6)
    assert not pain_jumped(week, today, 5)
    assert not pain_jumped(dict(list(week.items())[:2]), today, 9)  # two days are not enough
    old = {today - timedelta(days=n): 3.0 for n in (8, 9, 10)}
    assert not pain_jumped(old, today, 9)  # older than the week before does not count
