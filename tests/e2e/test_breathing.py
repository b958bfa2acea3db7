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
    await harness.say(ALEX, "/breathe", steps[0].text[:30])
    await harness.fake.wait_for_message(ALEX, steps[-1].text[:30])
    texts = [m.text for m in harness.fake.messages(ALEX)]
    start = texts.index(steps[0].text)
    assert texts[start : start + len(steps)] == [step.text for step in steps]
    assert harness.app is not None
    await runtime_of(harness.app).core.wait_for_breathing()

    question = await harness.say(ALEX, "/checkin", "breathing break help")
    reply = await harness.tap(ALEX, question, "A little", "How is your back pain")
    assert reply
    (value,) = (await harness.query(select(Answer.value).where(Answer.question == "breathing")))[0]
    assert value == "a_little"
    # Asked once: nothing is left pending for the next check-in.
    assert await harness.count(User, User.breathing_followup.is_(True)) == 0
