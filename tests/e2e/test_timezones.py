"""Timezones as people type them, through the real Application: "Paris France", "EST", an
ambiguous "IST" answered by its button, a city in its own script, and a fixed offset with its
note and the buttons that swap it for a zone that keeps daylight saving."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.models import User
from tests.e2e.conftest import Harness
from tests.fake_bot_api import BotMessage

ALEX = 1001


async def consent(harness: Harness, user_id: int = ALEX) -> BotMessage:
    welcome = await harness.say(user_id, "/start", "I agree")
    return await harness.tap(user_id, welcome, "I agree", "Step 1 of 2")


async def stored_zone(harness: Harness) -> str:
    (zone,) = (await harness.query(select(User.timezone)))[0]
    return zone


async def test_a_city_and_its_country_without_a_comma(harness: Harness) -> None:
    await harness.start()
    await consent(harness)
    confirmed = await harness.say(ALEX, "Paris France", "Timezone set")
    assert "Europe/Paris" in confirmed.text
    await harness.fake.wait_for_message(ALEX, "Step 2 of 2")
    assert await stored_zone(harness) == "Europe/Paris"


async def test_an_abbreviation_with_one_meaning(harness: Harness) -> None:
    await harness.start()
    await consent(harness)
    confirmed = await harness.say(ALEX, "EST", "Timezone set")
    assert "America/New_York" in confirmed.text
    assert "stays the same all year" not in confirmed.text  # a named zone keeps summer time
    await harness.fake.wait_for_message(ALEX, "Step 2 of 2")
    assert await stored_zone(harness) == "America/New_York"


async def test_an_ambiguous_abbreviation_is_answered_by_its_button(harness: Harness) -> None:
    await harness.start()
    await consent(harness)
    question = await harness.say(ALEX, "IST", "more than one timezone")
    assert question.button_labels == ["India", "Israel", "Ireland"]
    assert await stored_zone(harness) is None  # nothing guessed
    confirmed = await harness.tap(ALEX, question, "Israel", "Timezone set")
    assert "Asia/Jerusalem" in confirmed.text
    await harness.fake.wait_for_message(ALEX, "Step 2 of 2")
    assert await stored_zone(harness) == "Asia/Jerusalem"


async def test_a_city_in_its_own_script(harness: Harness) -> None:
    """At the timezone step a city in its own script is an answer, not a message in a language
    the diary cannot read."""
    await harness.start()
    await consent(harness)
    await harness.say(ALEX, "東京", "Asia/Tokyo")
    await harness.say(ALEX, "/timezone", "Step 1 of 2")
    await harness.say(ALEX, "Москва", "Europe/Moscow")
    assert await stored_zone(harness) == "Europe/Moscow"
    assert not any("English" in m.text for m in harness.fake.messages(ALEX) if m.text)


async def test_a_warning_sign_at_the_timezone_step_is_still_answered_first(
    harness: Harness,
) -> None:
    """ "chest pain germany" ends in a country, but it is the safety screen's, not a timezone."""
    await harness.start()
    await consent(harness)
    answer = await harness.say(ALEX, "chest pain germany")
    assert "Timezone" not in answer.text
    assert await stored_zone(harness) is None


async def test_a_fixed_offset_comes_with_its_note_and_the_places_on_that_clock(
    harness: Harness,
) -> None:
    await harness.start()
    await consent(harness)
    await harness.say(ALEX, "GMT+2", "Timezone set to UTC+02:00")
    note = await harness.fake.wait_for_message(ALEX, "stays the same all year")
    assert "summer time" in note.text
    # January: Cairo and Johannesburg are on UTC+2, Berlin is not.
    assert {"Cairo", "Johannesburg"} <= set(note.button_labels)
    assert "Berlin" not in note.button_labels
    await harness.fake.wait_for_message(ALEX, "Step 2 of 2")  # set-up goes on meanwhile
    assert await stored_zone(harness) == "Etc/GMT-2"

    moved = await harness.tap(ALEX, note, "Cairo", "Africa/Cairo")
    assert "stays the same all year" not in moved.text
    assert await stored_zone(harness) == "Africa/Cairo"
    times = await harness.fake.wait_for_message(ALEX, "Step 2 of 2")
    await harness.tap(ALEX, times, "08:00 and 20:00", "All set")

    # After set-up an offset says the same, and the timezone change names the next check-in.
    changed = await harness.say(ALEX, "/timezone +5:30", "Timezone changed to UTC+05:30")
    assert "stay at 08:00 and 20:00" in changed.text and "next one is" in changed.text
    note = await harness.fake.wait_for_message(ALEX, "stays the same all year")
    await harness.tap(ALEX, note, "Kolkata", "Timezone changed to Asia/Kolkata")
    assert await stored_zone(harness) == "Asia/Kolkata"
