"""A new person goes from /start to a confirmed schedule, through the real Application."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.models import Answer, Checkin, Schedule, User
from tests.e2e.conftest import Harness

ALEX = 1001


async def test_onboarding_from_start_to_confirmed_schedule(harness: Harness) -> None:
    await harness.start()
    commands = [c["command"] for c in harness.fake.commands]
    assert {"checkin", "settings", "pause", "resume", "help"} <= set(commands)

    welcome = await harness.say(ALEX, "/start", "I agree")
    assert "not a doctor" in welcome.text.lower()
    assert "emergenc" in welcome.text

    zone_prompt = await harness.tap(ALEX, welcome, "I agree", "timezone")
    assert any("Berlin" in label for label in zone_prompt.button_labels)
    # The location button comes as a reply keyboard of its own.
    assert await harness.fake.wait_for(lambda: harness.fake.reply_keyboard_of(ALEX))

    await harness.say(ALEX, "Berlin", "Europe/Berlin")
    times = await harness.fake.wait_for_message(ALEX, "Step 2 of 2")
    done = await harness.tap(ALEX, times, "08:00 and 20:00", "All set")
    # 06:00 UTC is 07:00 in Berlin in January: the next check-in is at 08:00 local, today.
    assert "08:00 and 20:00" in done.text
    assert "today at 08:00" in done.text

    # Finishing set-up also starts the weekly recap: Sundays at 18:00 local.
    assert "recap of your week comes on Sundays at 18:00" in done.text
    rows = await harness.query(
        select(Schedule.kind, Schedule.weekday, Schedule.local_time, Schedule.next_due_at)
    )
    assert sorted((k, w, t.strftime("%H:%M"), due.isoformat()) for k, w, t, due in rows) == [
        ("checkin", None, "08:00", "2026-01-12T07:00:00+00:00"),
        ("checkin", None, "20:00", "2026-01-12T19:00:00+00:00"),
        ("recap", 6, "18:00", "2026-01-18T17:00:00+00:00"),  # Sunday 18 Jan, 18:00 CET
    ]


async def test_nothing_about_health_is_stored_before_consent(harness: Harness) -> None:
    await harness.start()
    await harness.say(ALEX, "/start", "I agree")
    reply = await harness.say(ALEX, "back 7/10 and bloated", "I need your OK")
    assert "/start" in reply.text
    await harness.say(ALEX, "/checkin", "I need your OK")
    assert await harness.count(Checkin) == 0
    assert await harness.count(Answer) == 0
    (user,) = await harness.query(select(User.consented_at, User.timezone))
    assert user == (None, None)


async def test_declining_consent_stores_nothing_and_can_start_later(harness: Harness) -> None:
    await harness.start()
    welcome = await harness.say(ALEX, "/start", "I agree")
    await harness.tap(ALEX, welcome, "Not now", "nothing about your health has been stored")
    assert await harness.count(Checkin) == 0
    welcome = await harness.say(ALEX, "/start", "I agree")
    await harness.tap(ALEX, welcome, "I agree", "timezone")


async def test_timezone_by_offset_location_and_command(harness: Harness) -> None:
    await harness.start()
    welcome = await harness.say(ALEX, "/start", "I agree")
    await harness.tap(ALEX, welcome, "I agree", "timezone")
    await harness.say(ALEX, "Atlantis", "couldn't match")
    await harness.say(ALEX, "+5:30", "Step 2 of 2")
    await harness.say(ALEX, "/reminders 07:15 21:45", "All set")
    (zone,) = (await harness.query(select(User.timezone)))[0]
    assert zone in ("Asia/Kolkata", "UTC+05:30")

    harness.fake.user_sends_location(ALEX, 52.52, 13.405)
    moved = await harness.fake.wait_for_message(ALEX, "Europe/Berlin")
    # One message: the new zone and the next check-in; the times did not change, so not a word
    # about them changing.
    assert "Timezone changed to Europe/Berlin" in moved.text
    assert "stay at 07:15 and 21:45" in moved.text and "today at 07:15" in moved.text
    assert not any("times changed" in m.text for m in harness.fake.messages(ALEX))
    await harness.say(ALEX, "/timezone America/New_York", "America/New_York")


async def test_bad_times_get_a_clear_answer(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.say(ALEX, "/reminders 25:99", "didn't understand")
    await harness.say(ALEX, "/reminders 6 7 8 9 10", "Up to four")
    await harness.say(ALEX, "/reminders 7am 9:30pm", "07:00 and 21:30")
