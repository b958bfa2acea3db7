"""The optional medicines question through the real Application: off until switched on in
/settings, then asked right after food, stored, exported and erased with the diary."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlalchemy import select

from bot.store.models import Answer, User
from tests.e2e.conftest import Harness
from tests.e2e.test_privacy import document
from tests.fake_bot_api import BotMessage

ALEX = 1001


async def evening_checkin(harness: Harness, after_food: str) -> BotMessage:
    """A /checkin answered up to the question after food; returns that question's message."""
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    digestion = await harness.tap(ALEX, pain, "5", "digestion")
    bristol = await harness.tap(ALEX, digestion, "None of these", "Bristol")
    food = await harness.tap(ALEX, bristol, "4", "eat and drink")
    return await harness.tap(ALEX, food, "None of these", after_food)


async def test_the_medicines_question_is_asked_only_when_switched_on_and_is_kept_and_erased(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)

    # Off by default: stress comes right after food.
    after_food = await evening_checkin(harness, "stressed")
    await harness.tap(ALEX, after_food, "Skip", "sleep")

    settings = await harness.say(ALEX, "/settings", "Your settings")
    assert "Medicines question: off" in settings.text
    await harness.tap(ALEX, settings, "Ask about medicines too", "Medicines question: on")
    [(asked,)] = await harness.query(select(User.ask_medicines))
    assert asked is True

    harness.clock.advance(timedelta(days=1))
    medicines = await evening_checkin(harness, "Did you take any of these today?")
    assert medicines.button_labels[:6] == [
        "Painkillers",
        "Anti-inflammatories",
        "Probiotics",
        "Omega-3",
        "Magnesium",
        "Something else",
    ]
    ticked = await harness.tap(ALEX, medicines, "Painkillers", "Did you take any")
    assert "✓ Painkillers" in ticked.button_labels
    await harness.tap(ALEX, medicines, "Magnesium", "Did you take any")
    await harness.tap(ALEX, medicines, "Done", "stressed")
    [(value,)] = await harness.query(select(Answer.value).where(Answer.question == "medicines"))
    assert value == ["painkillers", "magnesium"]

    await harness.say(ALEX, "/export", "copy of everything")
    diary = await document(harness, ALEX, "one row per day")
    everything = await document(harness, ALEX, "in full")
    assert diary.file_bytes is not None and everything.file_bytes is not None
    first, second = csv.DictReader(io.StringIO(diary.file_bytes.decode("utf-8"), newline=""))
    assert first["med_painkillers"] == "" and first["med_magnesium"] == ""  # not asked that day
    assert second["med_painkillers"] == second["med_magnesium"] == "1"
    assert second["med_probiotics"] == second["med_anti_inflammatories"] == "0"
    data = json.loads(everything.file_bytes)
    assert data["profile"]["ask_medicines"] is True
    assert [a["value"] for a in data["answers"] if a["question"] == "medicines"] == [
        ["painkillers", "magnesium"]
    ]

    confirm = await harness.say(ALEX, "/delete", "What would you like me to delete")
    await harness.tap(ALEX, confirm, "Delete my diary", "Your diary is deleted")
    assert await harness.count(Answer, Answer.question == "medicines") == 0
