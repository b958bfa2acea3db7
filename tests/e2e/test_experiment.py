"""A randomised swap experiment through the real Application: start it with a tap, hear on the
first morning of each week what that week is, log back pain, and get one verdict at the end."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.insights import trial
from bot.store.models import Delivery, Experiment
from tests.e2e.conftest import Harness

ALEX = 1001
WEEKDAY = [1, 0, -1, 0, 0, -1, 1]  # weekday habits, alike in every week


async def test_a_randomised_experiment_runs_block_by_block_to_its_verdict(
    harness: Harness,
) -> None:
    await harness.start()
    assert "experiment" in [c["command"] for c in harness.fake.commands]  # in Telegram's menu
    await harness.onboard(ALEX)  # Berlin, check-ins at 08:00 and 20:00

    # Mon 12 Jan, 07:00 in Berlin: the offer, and one tap starts it.
    offer = await harness.say(ALEX, "/experiment", "Pick one swap")
    takeout = offer.data_for("Takeout")
    started = await harness.tap(ALEX, offer, "Soda → kombucha", "Experiment started")
    assert "This week (Mon 12 Jan to Sun 18 Jan) is a usual week" in started.text
    assert "Results on Mon 16 Feb" in started.text
    notice = await harness.press(ALEX, offer.message_id, takeout)
    assert notice == "One experiment at a time ✓"
    [(seed, pairs)] = await harness.query(select(Experiment.seed, Experiment.pairs))
    blocks = trial.plan(datetime(2026, 1, 12).date(), seed, pairs)
    assert blocks[0].arm == "baseline" and len(blocks) == 5

    # Five weeks, one day at a time: back pain 6 on usual days, 3 on swap days.
    for offset in range(35):
        day = blocks[0].start + timedelta(days=offset)
        harness.clock.set(datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8))
        block = trial.block_on(blocks, day)
        assert block is not None
        if block.index > 0 and day == block.start:
            week = await harness.fake.wait_for_message(ALEX, f"week {block.index + 1} of 5")
            says = "A swap week: kombucha" if block.arm == "swap" else "A usual week: no swap"
            assert says in week.text
        if offset == 16:  # mid-way, /experiment says what this week is
            progress = await harness.say(ALEX, "/experiment", "Your experiment")
            assert "Day 17 of 35, until Sun 15 Feb" in progress.text
            assert ("A swap week" if block.arm == "swap" else "A usual week") in progress.text
        pain = (3 if block.arm == "swap" else 6) + WEEKDAY[offset % 7]
        await harness.say(ALEX, f"/log back {pain}/10", "Noted")
    # Each week's message came once.
    assert await harness.count(Delivery, Delivery.kind == "experiment_week") == 4

    # Mon 16 Feb, 09:00 in Berlin: the verdict, once.
    harness.clock.set(datetime(2026, 2, 16, 8, 0, tzinfo=UTC))
    result = await harness.fake.wait_for_message(ALEX, "has ended")
    assert "(Mon 12 Jan to Sun 15 Feb)" in result.text
    assert "lower back pain on swap weeks" in result.text
    assert "10 and 10 days compared" in result.text  # washout days left out
    effect = re.search(
        r"changed it by (-?\d+\.\d) points \(likely between (\S+) and (\S+)\)", result.text
    )
    assert effect is not None
    estimate, low, high = (float(value) for value in effect.groups())
    assert low < estimate < high < -1 and abs(estimate + 3) < 0.5
    assert len(result.text.splitlines()) <= 8
    await harness.sweep_now()
    await harness.sweep_now()
    assert [m for m in harness.fake.messages(ALEX) if "has ended" in (m.text or "")] == [result]
    [(status, verdict)] = await harness.query(select(Experiment.status, Experiment.verdict))
    assert (status, verdict) == ("finished", "better")
