"""A two-week swap experiment through the real Application: start it with a tap, answer the
evening question, and get one honest result after the last day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.store.models import Answer, Delivery, Experiment
from tests.e2e.conftest import Harness, at

ALEX = 1001


async def test_a_swap_experiment_from_first_tap_to_one_result(harness: Harness) -> None:
    await harness.start()
    assert "experiment" in [c["command"] for c in harness.fake.commands]  # in Telegram's menu
    await harness.onboard(ALEX)  # Berlin, check-ins at 08:00 and 20:00
    # Six days of diary before: back pain 6 and bloated (Mon 12 to Sat 17 Jan).
    for _ in range(6):
        await harness.say(ALEX, "/log back 6/10, bloated", "Noted")
        harness.clock.advance(at(24))

    # Sun 18 Jan, 07:00 in Berlin: the offer, and one tap starts it.
    offer = await harness.say(ALEX, "/experiment", "Pick one swap")
    assert "From the article: I Cut Down on Gut Offenders" in offer.text
    takeout = offer.data_for("Takeout")
    started = await harness.tap(ALEX, offer, "Soda → kombucha", "Experiment started")
    assert "from today (Sun 18 Jan) to Sat 31 Jan" in started.text
    assert "On Sun 1 Feb I'll compare your back pain and bloating" in started.text
    assert started.button_labels == []
    # The old offer's other button starts nothing more.
    notice = await harness.press(ALEX, offer.message_id, takeout)
    assert notice == "One experiment at a time ✓"
    running = await harness.fake.wait_for_message(ALEX, "didn't start a second one")
    assert "Day 1 of 14" in running.text
    assert await harness.count(Experiment) == 1

    # 20:00 in Berlin: the evening check-in asks whether they stuck to it, right after food.
    harness.clock.set(datetime(2026, 1, 18, 19, 0, tzinfo=UTC))
    pain = await harness.fake.wait_for_message(ALEX, "How is your back pain")
    digestion = await harness.tap(ALEX, pain, "3", "digestion")
    bristol = await harness.tap(ALEX, digestion, "None of these", "Bristol")
    food = await harness.tap(ALEX, bristol, "Skip", "eat and drink")
    stuck = await harness.tap(ALEX, food, "None of these", "Did you stick to it today?")
    assert "kombucha or sparkling water instead of soda" in stuck.text
    assert stuck.button_labels[:3] == ["Yes", "Partly", "No"]
    stress = await harness.tap(ALEX, stuck, "Yes", "stressed")
    # The check-in's one message now shows the choice among the answers so far (the weekly
    # recap, due Sunday 18:00 too, may arrive in between, so the message is found by its id).
    (answered,) = [m for m in harness.fake.messages(ALEX) if m.message_id == stuck.message_id]
    assert "· Experiment: Yes" in answered.text
    weekly = await harness.tap(ALEX, stress, "2", "Weekly check")
    summary = await harness.tap(ALEX, weekly, "None of these", "in your diary")
    assert "Experiment: Yes" in summary.text
    [(value,)] = await harness.query(select(Answer.value).where(Answer.question == "experiment"))
    assert value == "yes"

    # A few more days of the experiment, with lower pain.
    for _ in range(4):
        harness.clock.advance(at(24))
        await harness.say(ALEX, "/log back 3/10", "Noted")

    progress = await harness.say(ALEX, "/experiment", "Your experiment")
    assert "Day 5 of 14" in progress.text
    assert "1 of the 1 days you answered (1 yes, 0 partly)" in progress.text

    # The last day passes; on Sun 1 Feb at 09:00 in Berlin the result arrives, once.
    harness.clock.set(datetime(2026, 1, 31, 22, 0, tzinfo=UTC))  # 23:00 on the last day
    await harness.sweep_now()
    assert not any("has ended" in (m.text or "") for m in harness.fake.messages(ALEX))
    harness.clock.set(datetime(2026, 2, 1, 8, 0, tzinfo=UTC))
    result = await harness.fake.wait_for_message(ALEX, "has ended")
    assert "(Sun 18 Jan to Sat 31 Jan)" in result.text
    assert "Back pain: 6.0 on average over 6 days before, 3.0 over 5 days during." in result.text
    assert "looks better during the experiment" in result.text
    assert "not proof" in result.text
    harness.clock.advance(timedelta(minutes=5))
    await harness.sweep_now()
    await harness.sweep_now()
    results = [m for m in harness.fake.messages(ALEX) if "has ended" in (m.text or "")]
    assert len(results) == 1
    assert await harness.count(Delivery, Delivery.kind == "experiment") == 1
    [(status, verdict)] = await harness.query(select(Experiment.status, Experiment.verdict))
    assert (status, verdict) == ("finished", "better")

    # Asking again now offers a fresh experiment rather than the same result.
    await harness.say(ALEX, "/experiment", "Pick one swap")
