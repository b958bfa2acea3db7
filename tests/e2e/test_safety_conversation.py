"""The conversation around a warning sign, through the real Application and the fake Bot API.

The bot's own questions are answered by buttons and by typed words, and each answer leads
somewhere right; crisis and emergency advice both come when both apply; nothing generic follows
an urgent answer; one follow-up per answer, naming the right day; other languages are answered
honestly; what the screen and the parser cannot place is never stored; the recap and the PDF
name warning signs discreetly and plainly.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot.base.logs import setup_logging
from bot.base.wording import t
from bot.safety.rules import safety_wording
from bot.safety.screen import screen
from bot.store.models import Answer, LogEntry, SafetyAsk, SafetyEvent
from tests.e2e.conftest import Harness, at
from tests.fake_bot_api import BotMessage

ALEX = 1001
SAM = 2002
HOPELESS = "I can't go on with this pain anymore"
WORDING = safety_wording()
CRISIS_REPLY_START = "I'm really glad you told me, and I'm taking what you said seriously"
DECLINED = "I believe you"
UNSURE = "not being sure is an answer too"
GENERIC = "I'm not sure what to do with that"


async def the_question(harness: Harness, user: int = ALEX) -> BotMessage:
    """The gentle crisis question, asked after pain-linked hopelessness (London numbers)."""
    question = await harness.say(user, HOPELESS, "are you having thoughts of ending your life")
    assert question.button_labels == ["Yes", "No", "Not sure"]
    assert "116 123" in question.text
    return question


async def said_after(harness: Harness, user: int, message: BotMessage) -> list[str]:
    """Everything the bot said after ``message``, once a /help shows it has caught up."""
    await harness.say(user, "/help", "what I can do")
    texts = [m.text or "" for m in harness.fake.messages(user) if m.message_id > message.message_id]
    return texts[:-1]


async def events(harness: Harness) -> list[tuple[str, str, str]]:
    await harness.settled()  # the last message's transaction, which records its answer
    rows = await harness.query(select(SafetyEvent.flag_id, SafetyEvent.tier, SafetyEvent.source))
    return [tuple(row) for row in rows]


# --- the crisis question, answered --------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expect", "stored"),
    [
        ("yes", CRISIS_REPLY_START, "yes"),
        ("yeah", CRISIS_REPLY_START, "yes"),
        ("yes I have been thinking about it", CRISIS_REPLY_START, "yes"),
        ("not sure", UNSURE, "unsure"),
        ("maybe", UNSURE, "unsure"),
        ("no, I'm just tired of the pain", DECLINED, "no"),
        ("no just tired of the pain", DECLINED, "no"),
        ("yes I have", CRISIS_REPLY_START, "yes"),
        ("honestly yes", CRISIS_REPLY_START, "yes"),
        ("all the time", CRISIS_REPLY_START, "yes"),
        ("not really", DECLINED, "no"),
        ("not at the moment", DECLINED, "no"),
        # Not a yes by its words, but the screen hears the very sign it asked about: a yes.
        ("i think about it sometimes", CRISIS_REPLY_START, "yes"),
    ],
)
async def test_the_crisis_question_answered_in_typed_words(
    harness: Harness, typed: str, expect: str, stored: str
) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    await the_question(harness)
    reply = await harness.say(ALEX, typed, "")
    assert expect in reply.text
    if expect == DECLINED:
        # Taken at its word, with where help is if that changes; no crisis script.
        assert "116 123" in reply.text and CRISIS_REPLY_START not in reply.text
        assert ("T0", "ask") not in {(tier, source) for _, tier, source in await events(harness)}
    else:
        # "Not sure" is treated as a yes, gently: the crisis reply follows the gentle lead.
        assert CRISIS_REPLY_START in reply.text
        assert "116 123" in reply.text and "999" in reply.text
        assert ("crisis_suicide", "T0", "ask") in await events(harness)
    assert await said_after(harness, ALEX, reply) == []  # nothing generic after it
    assert await harness.count(LogEntry) == 0
    assert await harness.query(select(SafetyAsk.answer)) == [(stored,)]


@pytest.mark.parametrize(
    ("label", "expect"),
    [("Yes", CRISIS_REPLY_START), ("Not sure", UNSURE), ("No", DECLINED)],
)
async def test_the_crisis_question_answered_by_button(
    harness: Harness, label: str, expect: str
) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    question = await the_question(harness)
    reply = await harness.tap(ALEX, question, label, expect)
    if label == "No":
        assert CRISIS_REPLY_START not in reply.text
    else:
        assert CRISIS_REPLY_START in reply.text and "116 123" in reply.text
    assert await said_after(harness, ALEX, reply) == []
    # A second tap on the same answer is not a second answer.
    toast = await harness.press(ALEX, question.message_id, question.data_for(label))
    assert toast == WORDING.ask_answered


@pytest.mark.parametrize("typed", ["hmm", "ok", "lol ok", "whatever"])
async def test_a_reply_the_bot_cannot_read_gets_the_question_again_not_the_generic_one(
    harness: Harness, typed: str
) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    await the_question(harness)
    again = await harness.say(ALEX, typed, "")
    assert GENERIC not in again.text and again.text != t("smalltalk")
    assert again.text.startswith(t("ask_unread")) and "ending your life" in again.text
    assert again.button_labels == ["Yes", "No", "Not sure"]
    assert await harness.count(LogEntry) == 0
    await harness.tap(ALEX, again, "Yes", CRISIS_REPLY_START)
    assert await harness.query(select(SafetyAsk.answer)) == [("yes",)]


async def test_no_then_yes_on_the_buttons_gets_the_crisis_reply(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    question = await the_question(harness)
    await harness.tap(ALEX, question, "No", DECLINED)
    changed = await harness.tap(ALEX, question, "Yes", CRISIS_REPLY_START)
    assert "116 123" in changed.text


async def test_a_typed_answer_minutes_later_on_another_process_is_read(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    await the_question(harness)
    await harness.restart()  # the open question lives in the database, not in a process
    harness.clock.advance(timedelta(minutes=20))
    reply = await harness.say(ALEX, "yes", CRISIS_REPLY_START)
    assert "116 123" in reply.text


async def test_a_bare_yes_after_the_question_closed_asks_it_again(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    await the_question(harness)
    harness.clock.advance(at(7))
    again = await harness.say(ALEX, "yes", WORDING.ask_again)
    assert "ending your life" in again.text and again.button_labels == ["Yes", "No", "Not sure"]
    await harness.tap(ALEX, again, "Yes", CRISIS_REPLY_START)


async def test_no_goes_back_to_the_check_in_that_was_open(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    await harness.tap(ALEX, pain, "8", "digestion")
    await the_question(harness)
    await harness.say(ALEX, "no", DECLINED)
    back = await harness.fake.wait_for_message(ALEX, "Back to your check-in")
    assert "digestion" in back.text
    await harness.tap(ALEX, back, "None of these", "Bristol")


async def test_old_and_foreign_question_buttons_get_a_kind_notice(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    await harness.onboard(SAM, city="London")
    question = await the_question(harness)
    yes = question.data_for("Yes")
    sams = harness.fake.last_message(SAM)
    assert sams is not None
    assert await harness.press(SAM, sams.message_id, yes) == WORDING.ask_closed
    assert await harness.press(ALEX, question.message_id, "ask:999999:y") == WORDING.ask_closed
    assert await harness.press(ALEX, question.message_id, "ask:nonsense") == WORDING.ask_closed
    assert not any(CRISIS_REPLY_START in (m.text or "") for m in harness.fake.messages(SAM))


# --- both answers, and the helper's ---------------------------------------------------------


async def test_crisis_words_with_an_emergency_get_both_answers_in_one_message(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    text = "shivering uncontrollably and confused, I feel like I'm going to die and I want to die"
    reply = await harness.say(ALEX, text, "")
    assert CRISIS_REPLY_START in reply.text and "116 123" in reply.text
    assert "Please act on this now" in reply.text and "999" in reply.text
    assert reply.text.index(CRISIS_REPLY_START) < reply.text.index("Please act on this now")
    assert await said_after(harness, ALEX, reply) == []
    assert {"crisis_suicide", "sepsis_signs"} <= {flag for flag, _, _ in await events(harness)}
    [(follow_up,)] = await harness.query(
        select(SafetyEvent.follow_up_at).where(SafetyEvent.follow_up_at.is_not(None))
    )
    assert follow_up is not None


async def test_someone_else_in_danger_gets_words_for_the_helper(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    reply = await harness.say(ALEX, "my husband took all his pills and won't wake up", "")
    assert "call 999 for them now" in reply.text and "stay with them" in reply.text
    assert "116 123" in reply.text  # support for the one helping
    assert CRISIS_REPLY_START not in reply.text
    assert await said_after(harness, ALEX, reply) == []
    assert await events(harness) == []  # not the person's own health


# --- nothing generic after an urgent answer ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I can't feel anything when I wipe and my back is killing me",  # T1
        "my poo has been black and tarry since yesterday",  # T2
    ],
)
async def test_an_urgent_answer_stands_without_a_generic_fallback(
    harness: Harness, text: str
) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    reply = await harness.say(ALEX, text, "")
    assert screen(text).tier in ("T1", "T2")
    assert "112" in reply.text or "116 117" in reply.text
    after = await said_after(harness, ALEX, reply)
    assert not any(GENERIC in said or said == t("smalltalk") for said in after)
    assert after == []


# --- the follow-up ------------------------------------------------------------------------------


async def test_one_follow_up_per_answer_naming_the_right_day_across_midnight(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX, preset="Just once, at 20:00")  # Berlin, UTC+1
    harness.clock.set(datetime(2026, 1, 12, 22, 0, tzinfo=UTC))  # 23:00 in Berlin
    await harness.fake.wait_for_message(ALEX, "How is your back pain")  # the 20:00 check-in
    several = "I can't feel anything when I wipe, I can't pee and my chest is tight"
    reply = await harness.say(ALEX, several, "112")

    async def two_flags_recorded() -> bool:
        return len({flag for flag, _, _ in await events(harness)}) >= 2

    # The answer goes out before it is stored (bot/app/warning_first.py); then it is stored.
    await harness.fake.wait_for(two_flags_recorded)
    harness.clock.advance(timedelta(minutes=10))
    await harness.say(ALEX, "my legs are giving way, both of them", "112")  # a second answer

    harness.clock.advance(at(3))  # 02:10 the next day in Berlin
    follow_up = await harness.fake.wait_for_message(ALEX, "you were able to get help")
    assert follow_up.text.startswith("Yesterday evening you told me")
    assert "112" in follow_up.text and "Earlier today" not in follow_up.text
    harness.clock.advance(at(5))
    await harness.sweep_now()
    await harness.sweep_now()
    sent = [m for m in harness.fake.messages(ALEX) if "you were able to get help" in (m.text or "")]
    assert len(sent) == 1
    assert reply.message_id < follow_up.message_id


async def test_a_follow_up_the_same_day_says_earlier_today(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.say(ALEX, "I can't feel anything when I wipe and my back is killing me", "112")
    harness.clock.advance(at(3) + timedelta(minutes=5))
    follow_up = await harness.fake.wait_for_message(ALEX, "you were able to get help")
    assert follow_up.text.startswith("Earlier today you told me")


# --- other languages ----------------------------------------------------------------------------


async def test_a_warning_sign_in_german_is_answered_first_and_nothing_is_stored(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    text = "Seit gestern habe ich Blut im Stuhl und starke Rückenschmerzen"
    screening = screen(text)
    assert screening.language == "de" and screening.tier is not None
    answer = await harness.say(ALEX, text, "")
    notice = await harness.fake.wait_for_message(ALEX, "I can only read English for now")
    assert answer.message_id < notice.message_id
    assert "112" in notice.text and "Weekly check" not in notice.text
    assert "Chest pain" in notice.button_labels
    assert await said_after(harness, ALEX, notice) == []
    assert await harness.count(LogEntry) == 0 and await harness.count(Answer) == 0
    # The one-tap signs work whatever language the person writes in.
    urgent = await harness.tap(ALEX, notice, "Chest pain", "112")
    assert "now" in urgent.text
    assert ("chest_pain", "T1", "sign") in await events(harness)


async def test_a_harmless_line_in_german_is_answered_honestly_and_not_stored(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    text = "Heute habe ich Pizza gegessen und danach einen Spaziergang gemacht"
    assert screen(text).language == "de"
    notice = await harness.say(ALEX, text, "")
    assert notice.text.startswith("I can only read English for now")
    assert "112" in notice.text
    assert await said_after(harness, ALEX, notice) == []
    assert await harness.count(LogEntry) == 0
    toast = await harness.press(ALEX, notice.message_id, notice.data_for("None of these"))
    assert toast == WORDING.sign_none


@pytest.mark.parametrize(
    ("city", "text", "crisis_line"),
    [
        ("Madrid", "Tengo sangre en las heces y mucho dolor de espalda", "024"),
        ("Warsaw", "Nie czuję nóg i nie mogę oddać moczu", "116 123"),
    ],
)
async def test_a_warning_sign_in_spanish_or_polish_gets_the_regions_numbers_and_the_signs(
    harness: Harness, city: str, text: str, crisis_line: str
) -> None:
    await harness.start()
    await harness.onboard(ALEX, city=city)
    notice = await harness.say(ALEX, text, "I can only read English for now")
    assert "112" in notice.text and crisis_line in notice.text
    assert "Numb bottom or groin" in notice.button_labels
    # What the screen read (the Polish bladder sign) is answered first, the notice last.
    assert await said_after(harness, ALEX, notice) == []
    assert await harness.count(LogEntry) == 0 and await harness.count(Answer) == 0
    urgent = await harness.tap(ALEX, notice, "Numb bottom or groin", "112")
    assert "now" in urgent.text


@pytest.mark.parametrize(
    ("city", "text", "numbers"),
    [
        ("Madrid", "quiero morir", ("112", "024")),
        ("Berlin", "Hilfe", ("112",)),
        ("Warsaw", "pomocy", ("112", "116 123")),
    ],
)
async def test_a_short_line_in_another_language_is_never_answered_generically(
    harness: Harness, city: str, text: str, numbers: tuple[str, ...]
) -> None:
    await harness.start()
    await harness.onboard(ALEX, city=city)
    notice = await harness.say(ALEX, text, "")
    assert GENERIC not in notice.text
    assert notice.text.startswith("I can only read English for now")
    assert all(number in notice.text for number in numbers)
    assert "None of these" in notice.button_labels
    assert await said_after(harness, ALEX, notice) == []
    assert await harness.count(LogEntry) == 0


# --- what nobody could place is stored as nothing -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "took some molly and my tummy feels weird",
        "spew looked like red wine",
        "did a line of coke and my belly is killing me",
    ],
)
async def test_a_missed_sign_is_stored_as_nothing(harness: Harness, text: str) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    reply = await harness.say(ALEX, text, "")
    screening = screen(text)
    if screening.tier is None and screening.ask is None:
        # The screen missed it: the diary must not take it either.
        assert reply.text == t("unplaced_symptom")
        assert "/redflags" in reply.text
    assert "Noted" not in reply.text
    assert await harness.count(LogEntry) == 0
    # Nor with /log, nor as the answer to the check-in's food question.
    reply = await harness.say(ALEX, f"/log {text}", "")
    assert "Noted" not in reply.text
    question = await harness.say(ALEX, "/checkin", "How is your back pain")
    for label, expect in [("5", "digestion"), ("Skip", "Bristol"), ("Skip", "eat and drink")]:
        question = await harness.tap(ALEX, question, label, expect)
    await harness.say(ALEX, text, "")
    assert await harness.count(LogEntry) == 0
    assert await harness.count(Answer, Answer.question == "food_note") == 0


# --- recap and report -----------------------------------------------------------------------------


async def test_the_recap_and_the_pdf_name_warning_signs_without_labels(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    await harness.say(ALEX, "i want to kill myself, i cant take this anymore", "116 123")
    harness.clock.advance(at(1))
    await harness.say(ALEX, "I can't feel anything when I wipe, I can't pee and my back hurts", "")

    recap = await harness.say(ALEX, "/recap", "Your week")
    for label in ("Crisis", "crisis", "suicide", "Nerves", "bladder", "(emergency)", "ces_", "T1"):
        assert label not in recap.text, label
    assert "something worrying; I hope you got help" in recap.text
    assert "warning signs (emergency advice given)" in recap.text

    await harness.say(ALEX, "/report 1", "last 1 week")
    document = await harness.fake.wait_for_message(ALEX, "for a clinician")
    assert document.file_bytes is not None
    text = " ".join(PdfReader(io.BytesIO(document.file_bytes)).pages[0].extract_text().split())
    assert "Thoughts of ending their life (crisis line and emergency number given)" in text
    assert "Numbness around the bottom, groin or genitals" in text
    assert "advised to call emergency services" in text
    for label in ("crisis_", "ces_", "Crisis:", "Nerves:", "(emergency)", "T0", "T1"):
        assert label not in text, label


# --- logs ---------------------------------------------------------------------------------------


async def test_the_safety_conversation_logs_no_text(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    setup_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    await harness.start()
    await harness.onboard(ALEX, city="London")
    await the_question(harness)
    await harness.say(ALEX, "no, I'm just tired of the pain-secret-words", DECLINED)
    await harness.say(ALEX, "Heute habe ich Pizza gegessen, geheime-worte", "English")
    await harness.stop()
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "safety question answered" in logged  # the conversation is logged, by ids only
    for words in ("pain-secret-words", "geheime-worte", "go on with this pain"):
        assert words not in logged
