"""Reminders that ease off after days of silence, and quiet hours, through the real Application."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.conftest import Harness

ALEX = 1001
PROMPT = "How is your back pain"


def prompts(harness: Harness) -> list[str]:
    """Every check-in message sent (as sent: an answered one is edited later)."""
    return [
        call.params["text"]
        for call in harness.fake.calls_to("sendMessage")
        if call.params["chat_id"] == ALEX and PROMPT in call.params["text"]
    ]


async def at_utc(harness: Harness, day: int, hour: int, minute: int = 1) -> None:
    """Move the clock to a January 2026 instant and let the scheduler sweep there."""
    harness.clock.set(datetime(2026, 1, day, hour, minute, tzinfo=UTC))
    await harness.sweep_now()


async def test_three_silent_days_ease_to_one_checkin_a_day_until_an_answer(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)  # Mon 12 Jan, 07:00 in Berlin; check-ins at 08:00 and 20:00
    for day in (12, 13, 14):  # Berlin is UTC+1: 07:00 and 19:00 UTC
        await at_utc(harness, day, 7)
        await at_utc(harness, day, 19)
    assert len(prompts(harness)) == 6  # both times, every day, while silence is short

    await at_utc(harness, 15, 7)  # Thursday morning: three days without an answer
    assert len(prompts(harness)) == 6
    await at_utc(harness, 15, 19)
    [evening] = prompts(harness)[6:]
    assert "just once a day for now" in evening and "/pause" in evening and "/reminders" in evening
    await at_utc(harness, 16, 7)
    await at_utc(harness, 16, 19)
    friday = prompts(harness)[7:]
    assert len(friday) == 1 and "once a day" not in friday[0]  # the note came once

    # An answer brings every chosen time back.
    message = harness.fake.messages(ALEX)[-1]
    await harness.tap(ALEX, message, "3", "digestion")
    await at_utc(harness, 17, 7)
    assert len(prompts(harness)) == 9


async def test_no_checkin_in_quiet_hours(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.say(ALEX, "/reminders 06:30 22:30", "06:30 and 22:30")
    shown = await harness.say(ALEX, "/settings", "Quiet hours: none")
    choices = await harness.tap(ALEX, shown, "Quiet hours", "no check-in comes")
    await harness.tap(ALEX, choices, "22:00 to 07:00", "no check-ins from 22:00 to 07:00")
    settings = await harness.say(ALEX, "/settings", "Your settings")
    assert "Quiet hours: no check-ins from 22:00 to 07:00" in settings.text

    await at_utc(harness, 12, 21, 31)  # 22:31 in Berlin: in the quiet hours, ending tomorrow
    await at_utc(harness, 13, 5, 31)  # 06:31: it waits for the quiet hours to end
    assert prompts(harness) == []
    await at_utc(harness, 13, 6, 0)  # 07:00 in Berlin
    [morning] = prompts(harness)
    assert "Good morning" in morning
