"""A person's data through the real Application: /export sends it all, /delete erases it."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import func, select

from bot.store.models import Base, User
from tests.e2e.conftest import Harness
from tests.fake_bot_api import BotMessage

ALEX, SAM = 1001, 2002


async def user_id_of(harness: Harness, platform_id: int) -> int:
    [(user_id,)] = await harness.query(select(User.id).where(User.platform_id == platform_id))
    return int(user_id)


async def rows_referencing(harness: Harness, user_id: int) -> dict[str, int]:
    """Rows per table that point at the person, ``users`` included, found from the schema."""
    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        column = table.c.id if table.name == "users" else table.c.get("user_id")
        if column is not None:
            [(count,)] = await harness.query(
                select(func.count()).select_from(table).where(column == user_id)
            )
            counts[table.name] = int(count)
    return counts


async def document(harness: Harness, user: int, caption: str) -> BotMessage:
    message = await harness.fake.wait_for_message(user, caption)
    assert message.kind == "document" and message.file_bytes is not None
    return message


async def test_export_sends_the_diary_and_delete_erases_every_row(harness: Harness) -> None:
    await harness.start()
    await harness.say(ALEX, "/export", "nothing to export")  # before consent nothing is stored
    await harness.onboard(ALEX)
    await harness.say(ALEX, "pizza and a coke, bloated, back 6/10", "Noted")
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    digestion = await harness.tap(ALEX, pain, "4", "digestion")
    await harness.tap(ALEX, digestion, "Gas", "digestion")
    await harness.tap(ALEX, digestion, "Done", "Bristol")

    await harness.say(ALEX, "/export", "copy of everything")
    diary = await document(harness, ALEX, "one row per day")
    everything = await document(harness, ALEX, "in full")
    assert diary.filename == "gutback-diary.csv"
    assert everything.filename == "gutback-data.json"
    assert diary.file_bytes is not None and everything.file_bytes is not None

    [day] = list(csv.DictReader(io.StringIO(diary.file_bytes.decode("utf-8"), newline="")))
    assert day["date"] == "2026-01-12"
    assert day["pain"] == "4"  # the check-in answer, not the 6 in the diary line
    assert day["symptom_bloating"] == day["symptom_gas"] == "1"
    assert day["symptom_nausea"] == "0"
    assert day["food_soda"] == "1" and day["food_fermented"] == "0"
    assert day["notes"] == "pizza and a coke, bloated, back 6/10"

    data = json.loads(everything.file_bytes.decode("utf-8"))
    assert data["profile"]["timezone"] == "Europe/Berlin"
    assert [entry["text"] for entry in data["log_entries"]] == [
        "pizza and a coke, bloated, back 6/10"
    ]
    assert {(a["question"], json.dumps(a["value"])) for a in data["answers"]} >= {
        ("pain", "4"),
        ("digestion", '["gas"]'),
    }
    assert sorted((s["kind"], s["local_time"], s["weekday"]) for s in data["schedules"]) == [
        ("checkin", "08:00:00", None),
        ("checkin", "20:00:00", None),
        ("recap", "18:00:00", 6),
    ]

    # Exporting again gives the very same files.
    await harness.say(ALEX, "/export", "copy of everything")
    assert (await document(harness, ALEX, "one row per day")).file_bytes == diary.file_bytes
    assert (await document(harness, ALEX, "in full")).file_bytes == everything.file_bytes

    user_id = await user_id_of(harness, ALEX)
    before = await rows_referencing(harness, user_id)
    assert all(
        before[name] for name in ("users", "schedules", "checkins", "answers", "log_entries")
    )
    confirm = await harness.say(ALEX, "/delete", "What would you like me to delete")
    erase = confirm.data_for("Delete everything")
    await harness.tap(ALEX, confirm, "Delete everything", "deleted everything")
    assert set((await rows_referencing(harness, user_id)).values()) == {0}

    # Pressing it again changes nothing, and the next /start begins afresh with consent.
    notice = await harness.press(ALEX, confirm.message_id, erase)
    assert notice is not None and "no longer does anything" in notice
    # Any message makes a bare row to start from again: no consent, nothing else about them.
    [(again, consented)] = await harness.query(
        select(User.id, User.consented_at).where(User.platform_id == ALEX)
    )
    assert consented is None
    left = await rows_referencing(harness, again)
    assert left.pop("users") == 1 and set(left.values()) == {0}
    welcome = await harness.say(ALEX, "/start", "I agree")
    assert "I agree" in welcome.button_labels
    await harness.say(ALEX, "/export", "nothing to export")


async def test_someone_elses_delete_press_deletes_nothing(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.onboard(SAM)
    await harness.say(ALEX, "/log porridge with berries, back 3", "Noted")
    await harness.say(SAM, "/log toast and jam, back 5", "Noted")
    alex, sam = await user_id_of(harness, ALEX), await user_id_of(harness, SAM)
    alex_rows = await rows_referencing(harness, alex)
    sam_rows = await rows_referencing(harness, sam)

    confirm = await harness.say(ALEX, "/delete", "What would you like me to delete")
    own = harness.fake.last_message(SAM)
    assert own is not None
    for label in ("Delete everything", "Delete my diary"):
        notice = await harness.press(SAM, own.message_id, confirm.data_for(label))
        assert notice is not None and "no longer does anything" in notice
    assert await rows_referencing(harness, alex) == alex_rows
    assert await rows_referencing(harness, sam) == sam_rows

    # Cancel says so and leaves the diary as it was.
    await harness.tap(ALEX, confirm, "Cancel", "Nothing was deleted")
    assert await rows_referencing(harness, alex) == alex_rows


async def test_deleting_the_diary_keeps_the_settings(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.say(ALEX, "/log porridge with berries, back 3", "Noted")
    confirm = await harness.say(ALEX, "/delete", "What would you like me to delete")
    await harness.tap(ALEX, confirm, "Delete my diary", "Your diary is deleted")
    left = await rows_referencing(harness, await user_id_of(harness, ALEX))
    # Two check-in times and the weekly recap's day are settings: they stay.
    assert left.pop("users") == 1 and left.pop("schedules") == 3
    assert set(left.values()) == {0}
    # Still set up: a check-in starts straight away, no onboarding.
    await harness.say(ALEX, "/checkin", "How is your back pain")
