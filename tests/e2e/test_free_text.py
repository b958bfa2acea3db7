"""Plain messages: swap questions answered, diary lines stored for the right day and undone."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.store.models import LogEntry
from tests.e2e.conftest import Harness

ALEX = 1001


async def test_a_plain_question_is_answered_with_a_swap_and_its_source(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    reply = await harness.say(ALEX, "what can I drink instead of soda?", "kombucha")
    assert "From the article: I Cut Down on Gut Offenders" in reply.text
    assert "may" in reply.text or "some people" in reply.text
    reply = await harness.say(ALEX, "/swap crisps", "Instead of")
    assert "From the article" in reply.text
    reply = await harness.say(ALEX, "/swap moon rocks", "don't know that one yet")
    assert "soda" in reply.text.lower() or "fizzy" in reply.text.lower()
    await harness.say(ALEX, "do I have IBS?", "clinician")


async def test_a_free_text_log_is_stored_for_its_day_and_can_be_undone(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    reply = await harness.say(ALEX, "pizza and a coke, bloated, back 6/10", "Noted for")
    assert "Back pain: 6/10" in reply.text
    assert "Bloating" in reply.text
    assert "pizza" in reply.text and "Soda" in reply.text
    rows = await harness.query(select(LogEntry.local_date, LogEntry.food_groups, LogEntry.pain))
    assert len(rows) == 1
    day, groups, pain = rows[0]
    assert day == date(2026, 1, 12) and pain == 6
    assert {"processed", "soda"} <= set(groups)

    await harness.tap(ALEX, reply, "Undo", "Removed")
    assert await harness.count(LogEntry) == 0
    # Pressing Undo again is harmless.
    notice = await harness.press(ALEX, reply.message_id, "undo:1")
    assert notice == "That entry is already gone."

    await harness.say(ALEX, "/log yesterday I had kimchi and slept badly", "Sun 11 Jan")
    (day,) = (await harness.query(select(LogEntry.local_date)))[0]
    assert day == date(2026, 1, 11)


async def test_someone_cannot_undo_another_persons_entry(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.onboard(2002)
    await harness.say(ALEX, "/log porridge with berries, back 3", "Noted")
    own = harness.fake.last_message(2002)
    assert own is not None
    notice = await harness.press(2002, own.message_id, "undo:1")
    assert notice == "That entry is already gone."
    assert await harness.count(LogEntry) == 1


async def test_a_log_with_a_warning_sign_gets_the_safety_answer_first(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    first = await harness.say(ALEX, "/log curry last night and black tarry poo this morning", "")
    assert "Noted" not in first.text
    assert "today" in first.text.lower() or "now" in first.text.lower()
    await harness.fake.wait_for_message(ALEX, "Noted")
