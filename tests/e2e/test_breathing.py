"""The breathing break: guided in chat, and the next check-in asks whether it helped."""

from __future__ import annotations

from sqlalchemy import select

from bot.knowledge.breathing import breathing_steps
from bot.store.models import Answer, User
from handlers.app import runtime_of
from tests.e2e.conftest import Harness

ALEX = 1001


async def test_breathe_guides_then_the_next_checkin_asks_if_it_helped(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    steps = breathing_steps()
    before = len(harness.fake.messages(ALEX))
    first = await harness.say(ALEX, "/breathe", steps[0].text[:30])
    assert first.disable_notification
    last = await harness.fake.wait_for_message(ALEX, steps[-1].text[:30])
    assert harness.app is not None
    await runtime_of(harness.app).core.wait_for_breathing()
    # One message, edited step by step, every step in order.
    assert last.message_id == first.message_id
    assert len(harness.fake.messages(ALEX)) == before + 1
    edits = [
        call.params["text"]
        for call in harness.fake.calls_to("editMessageText")
        if call.params["message_id"] == first.message_id and call.error_code is None
    ]
    assert [steps[0].text, *edits] == [step.text for step in steps]

    question = await harness.say(ALEX, "/checkin", "breathing break help")
    reply = await harness.tap(ALEX, question, "A little", "How is your back pain")
    assert reply
    (value,) = (await harness.query(select(Answer.value).where(Answer.question == "breathing")))[0]
    assert value == "a_little"
    # Asked once: nothing is left pending for the next check-in.
    assert await harness.count(User, User.breathing_followup.is_(True)) == 0
