"""The answer rules: what is said for which findings, how a reply is read, how signs are named.

Findings are built by hand here, so these rules hold whatever the screen learns to hear.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.safety.conversation import maybe_not_english, read_reply
from bot.safety.mentions import follow_up_text, plain_name, recap_phrase, report_phrase
from bot.safety.rules import TIERS, redflags, safety_wording
from bot.safety.screen import (
    Ask,
    Finding,
    Screening,
    answer_for,
    ask_text,
    confirmed,
    confirmed_screening,
)
from bot.store.states import AskAnswer

LONDON = "Europe/London"
WORDING = safety_wording()
CRISIS = "I'm really glad you told me, and I'm taking what you said seriously"


def screening(*findings: Finding) -> Screening:
    ordered = sorted(findings, key=lambda f: (TIERS.index(f.tier), f.flag_id))
    return Screening(
        findings=ordered,
        tier=ordered[0].tier,
        ed_signal=any(f.area == "eating" for f in ordered),
    )


def finding(flag_id: str, *, other: bool = False) -> Finding:
    flag = redflags().flag(flag_id)
    return Finding(flag.id, flag.tier, flag.area, other)


# --- answers ----------------------------------------------------------------------------------


def test_crisis_and_an_emergency_are_both_answered_crisis_first() -> None:
    answer = answer_for(screening(finding("crisis_suicide"), finding("sepsis_signs")), LONDON)
    sepsis = redflags().flag("sepsis_signs").answer.format(emergency="999")
    assert CRISIS in answer.text and sepsis in answer.text
    assert answer.text.index(CRISIS) < answer.text.index(sepsis)
    assert "116 123" in answer.text and "999" in answer.text
    assert answer.stand_alone and answer.follow_up_hours == 3 and not answer.ask_first


def test_crisis_with_advice_that_can_wait_gives_the_crisis_reply_only() -> None:
    answer = answer_for(screening(finding("crisis_suicide"), finding("gi_blood_in_stool")), LONDON)
    assert CRISIS in answer.text
    assert WORDING.tiers["T3"].lead not in answer.text
    assert answer.follow_up_hours is None


def test_the_gentle_question_goes_last_after_emergency_advice() -> None:
    answer = answer_for(screening(finding("crisis_pain_hopeless"), finding("chest_pain")), LONDON)
    assert answer.ask_first and answer.follow_up_hours == 3
    assert answer.text.index(WORDING.tiers["T1"].lead) < answer.text.index(
        "are you having thoughts of ending your life"
    )
    assert CRISIS not in answer.text


def test_someone_else_in_danger_now_gets_words_for_the_helper() -> None:
    answer = answer_for(screening(finding("crisis_suicide", other=True)), LONDON)
    assert "call 999 for them now" in answer.text and "stay with them" in answer.text
    assert CRISIS not in answer.text
    emergency = answer_for(screening(finding("ces_bladder", other=True)), LONDON)
    assert "for them" in emergency.text and "your bladder" not in emergency.text
    assert emergency.follow_up_hours is None  # someone else's emergency is not followed up


def test_a_family_history_is_the_writers_own_concern() -> None:
    answer = answer_for(screening(finding("gi_family_history", other=True)), LONDON)
    assert "for them" not in answer.text
    assert WORDING.tiers["T3"].lead in answer.text


def test_yes_to_the_crisis_question_is_the_crisis_reply_never_the_question_again() -> None:
    gentle = Ask("ask_crisis", "crisis_pain_hopeless", "T0")
    assert confirmed_screening(gentle).flag_ids == ["crisis_suicide"]
    answer = confirmed(gentle, LONDON)
    assert CRISIS in answer.text and not answer.ask_first


def test_every_question_has_words_and_every_question_reads_as_one_question() -> None:
    for rule in redflags().asks:
        text = ask_text(Ask(rule.id, rule.flags[0], rule.tier))
        assert text.count("?") == 1, rule.id  # one polarity: "yes" means the sign is there
        assert confirmed(Ask(rule.id, rule.flags[0], rule.tier), LONDON).text


def test_the_crisis_and_safety_questions_name_the_regions_line_before_any_answer() -> None:
    # Someone not ready to tap "yes" still sees where to turn, in their own region.
    crisis = Ask("ask_crisis", "crisis_pain_hopeless", "T0")
    assert "116 123" in ask_text(crisis, "Europe/London")
    assert "988" in ask_text(crisis, "America/New_York")
    assert "999" in ask_text(Ask("ask_safe", "crisis_safeguarding", "T0"), "Europe/London")
    assert "{" not in ask_text(crisis)  # no region known: still filled, with the fallback


# --- reading a reply ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", AskAnswer.YES),
        ("Yeah.", AskAnswer.YES),
        ("yep", AskAnswer.YES),
        ("yes I have been thinking about it", AskAnswer.YES),
        ("I have been thinking about it", AskAnswer.YES),
        ("I have", AskAnswer.YES),
        ("ja", AskAnswer.YES),
        ("👍", AskAnswer.YES),
        ("no", AskAnswer.NO),
        ("No, I'm just tired of the pain", AskAnswer.NO),
        ("nope", AskAnswer.NO),
        ("not really", AskAnswer.NO),
        ("I'm fine", AskAnswer.NO),
        ("no I'm not", AskAnswer.NO),
        ("nein", AskAnswer.NO),
        ("not sure", AskAnswer.UNSURE),
        ("I'm not sure", AskAnswer.UNSURE),
        ("maybe", AskAnswer.UNSURE),
        ("I don't know", AskAnswer.UNSURE),
        ("dunno", AskAnswer.UNSURE),
        ("sometimes", AskAnswer.UNSURE),
        ("kind of, it comes and goes", AskAnswer.UNSURE),
        ("honestly yes", AskAnswer.YES),
        ("tbh, yes", AskAnswer.YES),
        ("all the time", AskAnswer.YES),
        ("every day lately", AskAnswer.YES),
        ("well, not really", AskAnswer.NO),
        ("not at the moment", AskAnswer.NO),
        ("not anymore", AskAnswer.NO),
    ],
)
def test_replies_are_read_as_answers(text: str, answer: AskAnswer) -> None:
    reply = read_reply(text)
    assert reply is not None and reply.answer is answer


@pytest.mark.parametrize(
    "text",
    [
        "no bloating today",
        "no pain today, back 3",
        "maybe the curry did it last night",
        "I am tired of everything going wrong today",
        "pizza and chips",
        "honestly the pizza was great",
        "every day I eat porridge for breakfast with honey",
        "often bloated after dinner",
        "recently started kefir",
        "ok",
        "hmm",
        "ja, ich denke schon",  # a foreign yes counts first only in a message not in English
        "",
    ],
)
def test_lines_that_are_not_answers(text: str) -> None:
    assert read_reply(text) is None


def test_a_foreign_yes_starts_a_message_in_another_language() -> None:
    reply = read_reply("ja, ich denke schon", not_english=True)
    assert reply is not None and reply.answer is AskAnswer.YES


# --- naming the day and the signs ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("answered", "now", "when"),
    [
        (datetime(2026, 1, 12, 9, 0), datetime(2026, 1, 12, 12, 0), "Earlier today"),
        (datetime(2026, 1, 12, 22, 0), datetime(2026, 1, 13, 1, 0), "Yesterday evening"),
        (datetime(2026, 1, 12, 9, 0), datetime(2026, 1, 13, 9, 0), "Yesterday"),
        (datetime(2026, 1, 12, 9, 0), datetime(2026, 1, 15, 9, 0), "On Monday"),
    ],
)
def test_the_follow_up_names_the_day_where_the_person_is(
    answered: datetime, now: datetime, when: str
) -> None:
    # Berlin is UTC+1 in January: 22:00 UTC is 23:00, and 01:00 UTC the next day is 02:00.
    text = follow_up_text(answered.replace(tzinfo=UTC), now.replace(tzinfo=UTC), "Europe/Berlin")
    assert text.startswith(f"{when} you told me")
    assert "112" in text


def test_every_flag_has_a_plain_name_and_no_name_is_an_id() -> None:
    names = WORDING.mentions.plain_names
    for flag in redflags().flags:
        assert flag.id in names, f"add a plain name for {flag.id} to safety_wording.yaml"
    for name in names.values():
        assert "_" not in name and name[0].isupper()
    assert plain_name("a_flag_not_named_yet") == WORDING.mentions.unnamed


def test_the_recap_never_names_a_sign_or_a_crisis() -> None:
    assert recap_phrase("T0", 1) == "something worrying; I hope you got help"
    assert recap_phrase("T1", 2) == "2 warning signs (emergency advice given)"
    assert recap_phrase("T3", 1) == "a warning sign (advice to see a GP soon)"
    for tier in TIERS:
        for count in (1, 3):
            phrase = recap_phrase(tier, count)
            assert not any(word in phrase.lower() for word in ("crisis", "suicide", "nerves"))


def test_the_report_names_signs_in_plain_words() -> None:
    assert report_phrase(["gi_black_stool"], "T2") == (
        "Black or tarry poo (advised to be seen the same day)"
    )


@pytest.mark.parametrize("text", ["quiero morir", "Hilfe", "pomocy", "me duele mucho", "merci"])
def test_a_short_line_of_another_language_may_be_not_english(text: str) -> None:
    assert maybe_not_english(text)


@pytest.mark.parametrize(
    "text", ["hmm", "ok", "will do", "gut feeling", "rug burn", "lol", "kombucha", "I feel mal"]
)
def test_english_nobody_could_place_is_not_called_another_language(text: str) -> None:
    assert not maybe_not_english(text)
