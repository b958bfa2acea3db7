"""Short and right, through the real Application: /help and /about fit a phone screen, thanks
get a reply of their own, settings messages say what changed, and a pause ends on a named day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.app.commands import COMMANDS
from bot.store.models import User
from tests.e2e.conftest import Harness

ALEX = 1001


async def test_help_fits_ten_lines_and_names_every_command(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    reply = await harness.say(ALEX, "/help", "Here's what I can do")
    assert len(reply.text.splitlines()) <= 10
    for command in COMMANDS:
        if command.name not in ("start", "help"):
            assert f"/{command.name}" in reply.text, command.name


async def test_about_is_short_and_more_shows_the_rest(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    about = await harness.say(ALEX, "/about", "not a doctor")
    assert len(about.text.splitlines()) <= 8
    assert "112" in about.text  # the emergency number for Berlin
    assert about.button_labels == ["More"]
    more = await harness.tap(ALEX, about, "More", "What I store")
    assert more.message_id == about.message_id  # the same message grows
    assert "NHS" in more.text and "medical device" in more.text  # sources and disclaimer


async def test_about_works_before_set_up_too(harness: Harness) -> None:
    await harness.start()
    about = await harness.say(ALEX, "/about", "not a doctor")
    await harness.tap(ALEX, about, "More", "What I store")


@pytest.mark.parametrize("thanks", ["thanks!", "thank you", "ta", "cheers", "thx"])
async def test_thanks_gets_a_reply_of_its_own(harness: Harness, thanks: str) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    reply = await harness.say(ALEX, thanks)
    assert "welcome" in reply.text
    assert "Hello" not in reply.text


async def test_reminders_after_set_up_show_the_times_not_a_set_up_step(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    ask = await harness.say(ALEX, "/reminders", "Your check-ins are at 08:00 and 20:00")
    assert "Step" not in ask.text
    changed = await harness.say(ALEX, "07:30 21:00", "changed to 07:30 and 21:00")
    assert "Next one:" in changed.text
    same = await harness.say(ALEX, "/reminders 07:30 21:00", "already at 07:30 and 21:00")
    assert "nothing changed" in same.text

    settings = await harness.say(ALEX, "/settings", "Your settings")
    ask = await harness.tap(ALEX, settings, "Change check-in times", "Your check-ins are at")
    assert "Step" not in ask.text
    ask = await harness.say(ALEX, "/timezone", "Your timezone is Europe/Berlin")
    assert "Step" not in ask.text
    same = await harness.say(ALEX, "Berlin", "already Europe/Berlin")
    assert "Check-in times" not in same.text


async def test_a_pause_ends_on_a_named_day(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)  # Monday 12 January, 07:00 in Berlin
    paused = await harness.say(ALEX, "/pause 7", "Check-ins paused for 7 days")
    assert "start again on Monday 19 January" in paused.text
    assert ":" not in paused.text.split(";")[1].split(".")[0]  # a day, no clock time
    (until,) = (await harness.query(select(User.paused_until)))[0]
    assert until == datetime(2026, 1, 18, 23, 0, tzinfo=UTC)  # midnight in Berlin
    settings = await harness.say(ALEX, "/settings", "Your settings")
    assert "paused, back on Mon 19 Jan" in settings.text
    moved = await harness.say(ALEX, "/timezone London", "Timezone changed to Europe/London")
    assert "Mon 19 Jan at 08:00" in moved.text  # the next check-in comes after the pause
    (until,) = (await harness.query(select(User.paused_until)))[0]
    assert until == datetime(2026, 1, 19, 0, 0, tzinfo=UTC)  # still the start of that day
    await harness.say(ALEX, "/pause 1", "paused for 1 day;")


async def test_counted_nouns_agree_with_their_number(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    reply = await harness.say(ALEX, "/report 1", "nothing to report yet")
    assert "the last 1 week." in reply.text
    reply = await harness.say(ALEX, "/report 2", "nothing to report yet")
    assert "the last 2 weeks." in reply.text


async def test_the_recap_names_months_and_counts_one_day_as_a_day(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)  # Mon 12 Jan 2026
    harness.clock.set(datetime(2026, 2, 2, 18, 0, tzinfo=UTC))  # Mon 2 Feb, 19:00 in Berlin
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    await harness.tap(ALEX, pain, "3", "digestion")
    recap = await harness.say(ALEX, "/recap", "Your week")
    # The week runs from January into February: both months are named.
    assert recap.text.startswith("Your week, Tue 27 Jan to Mon 2 Feb")
    assert "Back pain averaged 3.0 over 1 day." in recap.text
    assert "1 days" not in recap.text
