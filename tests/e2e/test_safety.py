"""Warning signs are answered first, at the right urgency, whatever state the person is in."""

from __future__ import annotations

from sqlalchemy import select

from bot.knowledge.tips import tips
from bot.safety.screen import pain_alert_text
from bot.store.models import Answer, SafetyEvent, TipShown
from tests.e2e.conftest import Harness, at

ALEX = 1001
tips_by_id = {tip.id: tip for tip in tips().tips}
CAUDA_EQUINA = "I can't feel anything when I wipe and my back is killing me"


async def events(harness: Harness) -> list[tuple[str, str, str]]:
    await harness.settled()  # the last message's transaction, which records its answer
    rows = await harness.query(select(SafetyEvent.flag_id, SafetyEvent.tier, SafetyEvent.source))
    return [tuple(row) for row in rows]


async def test_before_consent_a_red_flag_is_answered_and_nothing_is_stored(
    harness: Harness,
) -> None:
    await harness.start()
    reply = await harness.say(ALEX, CAUDA_EQUINA, "now")
    assert "emergency" in reply.text.lower()
    assert "I need your OK" not in reply.text
    assert await events(harness) == []


async def test_while_paused_an_emergency_is_answered_alone_and_followed_up_that_day(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)  # Berlin: 112
    await harness.say(ALEX, "/pause", "paused")
    sent_before = len(harness.fake.calls_to("sendMessage"))
    reply = await harness.say(ALEX, CAUDA_EQUINA, "112")
    assert "now" in reply.text.lower()
    await harness.fake.wait_updates_consumed()
    await harness.say(ALEX, "/help", "what I can do")
    # The emergency answer was one message: no tip, no question, nothing else with it.
    assert len(harness.fake.calls_to("sendMessage")) == sent_before + 2
    assert await harness.count(TipShown) == 0
    stored = await events(harness)
    assert stored and all(tier == "T1" for _, tier, _ in stored)
    assert all("wipe" not in flag for flag, _, _ in stored)

    harness.clock.advance(at(3) + at(0.1))
    follow_up = await harness.fake.wait_for_message(ALEX, "get help")
    assert "112" in follow_up.text


async def test_mid_checkin_a_warning_sign_comes_before_the_diary(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    await harness.tap(ALEX, pain, "5", "digestion")
    reply = await harness.say(ALEX, "there was blood in my poo this morning", "")
    assert "today" in reply.text.lower() or "soon" in reply.text.lower()
    first_tier = (await events(harness))[0][1]
    assert first_tier in ("T2", "T3")
    # The check-in is still there to continue.
    digestion = next(m for m in harness.fake.messages(ALEX) if "your digestion" in m.text)
    await harness.tap(ALEX, digestion, "None of these", "Bristol")


async def test_negated_and_idiomatic_lines_raise_no_alarm(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.say(ALEX, "no numbness, no fever, just sore. dying for a coffee", "")
    assert await events(harness) == []


async def test_the_weekly_screen_appears_and_a_yes_escalates_without_a_tip(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX, preset="Just once, at 20:00")
    harness.clock.set(harness.clock.now().replace(hour=19, minute=0))
    message = await harness.fake.wait_for_message(ALEX, "How is your back pain")
    for label, expect in [
        ("7", "digestion"),
        ("None of these", "Bristol"),
        ("Skip", "eat and drink"),
        ("Skip", "stressed"),
        ("3", "sleep"),
        ("3", "Weekly check"),
    ]:
        message = await harness.tap(ALEX, message, label, expect)
    message = await harness.tap(ALEX, message, "New trouble peeing", "Weekly check")
    await harness.tap(ALEX, message, "Done", "in your diary")
    urgent = await harness.fake.wait_for_message(ALEX, "112")
    assert "now" in urgent.text.lower()
    assert ("T1", "screen") in {(tier, source) for _, tier, source in await events(harness)}
    await harness.say(ALEX, "/help", "what I can do")
    assert not any("From the article" in m.text for m in harness.fake.messages(ALEX))
    assert await harness.count(Answer, Answer.question == "screen") == 1


async def test_about_and_redflags_work_for_anyone(harness: Harness) -> None:
    await harness.start()
    about = await harness.say(ALEX, "/about", "")
    assert "not" in about.text.lower() and "medical" in about.text.lower()
    signs = await harness.say(ALEX, "/redflags", "")
    assert "now" in signs.text.lower()


async def test_crisis_language_gets_a_warm_reply_with_the_regional_line(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    reply = await harness.say(ALEX, "i want to kill myself, i cant take this anymore", "116 123")
    assert "999" in reply.text
    assert "From the article" not in reply.text
    # The conversation stays open: the next message is answered normally.
    await harness.say(ALEX, "/help", "what I can do")
    assert ("T0", "message") in {(tier, source) for _, tier, source in await events(harness)}


async def test_pain_linked_hopelessness_gets_a_gentle_question_first(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    reply = await harness.say(ALEX, "I can't go on with this pain anymore", "")
    assert "?" in reply.text
    assert "116 123" in reply.text


async def test_eating_disorder_signals_stop_restriction_tips(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    reply = await harness.say(ALEX, "I've been making myself sick after meals", "")
    assert "won't suggest cutting foods" in reply.text
    for _ in range(12):
        await harness.say(ALEX, "/tip", "From the article")
    shown = await harness.query(select(TipShown.tip_id))
    kinds = {tips_by_id[tip_id].kind for (tip_id,) in shown}
    assert shown and "restriction" not in kinds
    # The one swap that means leaving a food out is not offered either.
    reply = await harness.say(ALEX, "/swap gluten", "rather not suggest leaving foods out")
    assert "two weeks" not in reply.text.lower()


async def test_three_days_of_severe_pain_lead_to_one_suggestion(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    alert = pain_alert_text("Europe/Berlin")
    for _ in range(2):
        await harness.say(ALEX, "/log back pain 9/10", "Noted")
        harness.clock.advance(at(24))
    await harness.say(ALEX, "/log back pain 9/10", "Noted")
    await harness.fake.wait_for_message(ALEX, alert[:40])
    harness.clock.advance(at(24))
    await harness.say(ALEX, "/log back pain 9/10", "Noted")
    await harness.say(ALEX, "/help", "what I can do")  # everything before it has been answered
    assert sum(m.text == alert for m in harness.fake.messages(ALEX)) == 1
    stored = [flag for flag, _, _ in await events(harness)]
    assert stored.count("pain_alert") == 1


async def test_an_emergency_typed_as_the_check_ins_food_answer_is_not_diary_data(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    question = await harness.say(ALEX, "/checkin", "How is your back pain")
    for label, expect in [("6", "digestion"), ("Skip", "Bristol"), ("Skip", "eat and drink")]:
        question = await harness.tap(ALEX, question, label, expect)
    reply = await harness.say(ALEX, CAUDA_EQUINA, "112")
    assert "now" in reply.text.lower()
    await harness.say(ALEX, "/help", "what I can do")
    said = [m.text for m in harness.fake.messages(ALEX) if m.message_id > reply.message_id]
    assert said[:-1] == []  # no "Noted", no next question, nothing generic after it
    assert await harness.count(Answer, Answer.question == "food_note") == 0
    assert ("T1", "message") in {(tier, source) for _, tier, source in await events(harness)}


async def test_crisis_words_mid_check_in_get_the_crisis_reply_alone(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="London")
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    await harness.tap(ALEX, pain, "9", "digestion")
    reply = await harness.say(ALEX, "i want to kill myself", "116 123")
    assert "999" in reply.text
    await harness.say(ALEX, "/help", "what I can do")
    said = [m.text for m in harness.fake.messages(ALEX) if m.message_id > reply.message_id]
    assert said[:-1] == []
    assert ("T0", "message") in {(tier, source) for _, tier, source in await events(harness)}
