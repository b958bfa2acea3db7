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


def reminders(harness: Harness) -> list[str]:
    """Every "the check-in you asked me to bring back" message sent."""
    return [
        call.params["text"]
        for call in harness.fake.calls_to("sendMessage")
        if call.params["chat_id"] == ALEX and "you asked me to bring back" in call.params["text"]
    ]


async def set_quiet_hours(harness: Harness) -> None:
    shown = await harness.say(ALEX, "/settings", "Quiet hours")
    choices = await harness.tap(ALEX, shown, "Quiet hours", "no check-in comes")
    await harness.tap(ALEX, choices, "22:00 to 07:00", "no check-ins from 22:00 to 07:00")


async def test_a_snooze_into_the_quiet_hours_waits_for_their_end_and_says_so(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)  # check-ins at 08:00 and 20:00 in Berlin (UTC+1)
    await set_quiet_hours(harness)
    await at_utc(harness, 12, 19)  # the evening check-in
    harness.clock.set(datetime(2026, 1, 12, 20, 30, tzinfo=UTC))  # 21:30: an hour is 22:30
    evening = harness.fake.last_message(ALEX)
    assert evening is not None and PROMPT in evening.text
    shown = await harness.tap(ALEX, evening, "Remind me in 1 h", "bring this check-in back")
    assert "tomorrow at 07:00, when your quiet hours end" in shown.text

    await at_utc(harness, 12, 21, 31)  # 22:31, an hour after the tap: quiet, nothing comes
    await at_utc(harness, 13, 5, 31)  # 06:31
    assert reminders(harness) == []
    await at_utc(harness, 13, 6, 0)  # 07:00 in Berlin
    [reminder] = reminders(harness)
    assert "Mon 12 Jan" in reminder and PROMPT in reminder


async def test_a_snooze_outside_quiet_hours_comes_in_an_hour(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await set_quiet_hours(harness)
    await at_utc(harness, 12, 19)  # 20:01 in Berlin: an hour later is before 22:00
    evening = harness.fake.last_message(ALEX)
    assert evening is not None
    await harness.tap(ALEX, evening, "Remind me in 1 h", "back in about an hour")
    await at_utc(harness, 12, 20, 2)  # 21:02
    assert len(reminders(harness)) == 1


async def test_quiet_hours_set_after_a_snooze_hold_it_back_too(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await at_utc(harness, 12, 19)
    harness.clock.set(datetime(2026, 1, 12, 20, 30, tzinfo=UTC))  # 21:30
    evening = harness.fake.last_message(ALEX)
    assert evening is not None
    await harness.tap(ALEX, evening, "Remind me in 1 h", "back in about an hour")
    await set_quiet_hours(harness)  # from 22:00: the reminder, due 22:30, now falls in them
    await at_utc(harness, 12, 21, 31)
    assert reminders(harness) == []
    await at_utc(harness, 13, 6, 0)  # 07:00
    assert len(reminders(harness)) == 1
