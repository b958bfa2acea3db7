"""Export and erasure of a person's data, on every database backend."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select

from bot.base.vocabulary import FOOD_GROUPS, SYMPTOMS
from bot.chat.outbox import Edit, Send, SendFile
from bot.privacy import export_and_delete as privacy
from bot.store.db import Sessions
from bot.store.models import (
    Answer,
    Base,
    Checkin,
    Delivery,
    Experiment,
    LogEntry,
    SafetyAsk,
    SafetyEvent,
    Schedule,
    TipShown,
    User,
)
from tests.support import add_checkin, at

NOW = datetime(2026, 1, 13, 21, 0, tzinfo=UTC)
DAY1, DAY2 = date(2026, 1, 12), date(2026, 1, 13)


async def seed_person(sessions: Sessions, platform_id: int) -> int:
    """A consented person with two days of diary, a log line, a tip, a warning sign, and a swap
    experiment with one "did you stick to it?" answer."""
    async with sessions() as session, session.begin():
        user = User(
            platform_id=platform_id,
            chat_id=platform_id,
            onboarding_step="done",
            consented_at=at(DAY1, 6),
            timezone="Europe/Berlin",
            active=True,
            paused=False,
            screened_on=DAY1,
            created_at=at(DAY1, 6),
            updated_at=at(DAY1, 6),
        )
        session.add(user)
        await session.flush()
        for slot, hour in enumerate((8, 20)):
            session.add(
                Schedule(
                    user_id=user.id,
                    kind="checkin",
                    slot=slot,
                    local_time=time(hour),
                    next_due_at=at(date(2026, 1, 14), hour - 1),
                )
            )
        morning, evening, next_day = (
            Checkin(
                user_id=user.id,
                local_date=day,
                slot=slot,
                questions=questions,
                current=None,
                status="done",
                created_at=at(day, hour),
                updated_at=at(day, hour),
            )
            for day, slot, hour, questions in (
                (DAY1, 0, 7, ["pain", "sleep"]),
                (DAY1, 1, 19, ["pain", "digestion", "bristol", "food", "stress"]),
                (DAY2, 1, 19, ["pain", "digestion"]),
            )
        )
        session.add_all([morning, evening, next_day])
        await session.flush()
        answers: list[tuple[Checkin, str, Any, int]] = [
            (morning, "pain", 4, 7),
            (morning, "sleep", 2, 7),
            (evening, "pain", 6, 19),
            (evening, "digestion", ["bloating", "gas"], 19),
            (evening, "bristol", 4, 19),
            (evening, "food", ["greasy"], 19),
            (evening, "food_note", "Käsespätzle at the fair", 20),
            (evening, "stress", 3, 20),
            (next_day, "pain", None, 19),  # skipped: the diary line's value shows instead
            (next_day, "digestion", [], 19),
            (next_day, "experiment", "partly", 20),
        ]
        for checkin, question, value, hour in answers:
            session.add(
                Answer(
                    checkin_id=checkin.id,
                    user_id=user.id,
                    local_date=checkin.local_date,
                    question=question,
                    value=value,
                    answered_at=at(checkin.local_date, hour),
                )
            )
        session.add_all(
            [
                LogEntry(
                    user_id=user.id,
                    local_date=DAY1,
                    text="pizza and a coke, cramps",
                    food_groups=["processed", "soda"],
                    symptoms=["cramps"],
                    pain=5,
                    created_at=at(DAY1, 12),
                ),
                LogEntry(
                    user_id=user.id,
                    local_date=DAY2,
                    text="=porridge, back 3",
                    food_groups=["prebiotic"],
                    symptoms=[],
                    pain=3,
                    created_at=at(DAY2, 8),
                ),
                TipShown(user_id=user.id, tip_id="fibre_slowly", shown_on=DAY1),
                SafetyEvent(
                    user_id=user.id,
                    flag_id="black_stool",
                    tier="urgent",
                    source="text",
                    created_at=at(DAY2, 9),
                ),
                SafetyAsk(
                    user_id=user.id,
                    question="ask_legs",
                    flag_id="neuro_both_legs",
                    tier="T1",
                    asked_at=at(DAY2, 9),
                    open_until=at(DAY2, 15),
                ),
                Delivery(
                    user_id=user.id,
                    kind="checkin",
                    local_date=DAY1,
                    slot=1,
                    status="sent",
                    claimed_at=at(DAY1, 19),
                ),
                Experiment(
                    user_id=user.id,
                    swap_id="soda_to_kombucha",
                    started_on=DAY2,
                    ends_on=date(2026, 1, 26),
                    status="active",
                    created_at=at(DAY2, 10),
                ),
            ]
        )
        return user.id


async def rows_referencing(sessions: Sessions, user_id: int) -> dict[str, int]:
    """Rows per table that point at the person (``users`` included), found from the schema."""
    counts: dict[str, int] = {}
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            column = table.c.get("user_id")
            if table.name == "users":
                column = table.c.id
            if column is None:
                continue
            counts[table.name] = await session.scalar(
                select(func.count()).select_from(table).where(column == user_id)
            )
    return counts


async def test_the_diary_csv_has_one_row_per_day_with_the_days_values(sessions: Sessions) -> None:
    user_id = await seed_person(sessions, 1001)
    await seed_person(sessions, 2002)  # someone else's diary never leaks into the file
    async with sessions() as session:
        data = await privacy.diary_csv(session, user_id)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert [row["date"] for row in rows] == ["2026-01-12", "2026-01-13"]
    first, second = rows
    assert first["pain"] == "6"  # the latest check-in answer wins over the morning's 4
    assert {s for s in SYMPTOMS if first[f"symptom_{s}"] == "1"} == {"bloating", "gas", "cramps"}
    assert all(first[f"symptom_{s}"] in ("0", "1") for s in SYMPTOMS)
    assert {g for g in FOOD_GROUPS if first[f"food_{g}"] == "1"} == {"greasy", "processed", "soda"}
    assert (first["bristol"], first["stress"], first["sleep"]) == ("4", "3", "2")
    assert first["notes"] == "pizza and a coke, cramps | Käsespätzle at the fair"
    assert second["pain"] == "3"  # the check-in skipped it; the diary line said 3
    assert not any(second[f"symptom_{s}"] == "1" for s in SYMPTOMS)
    assert {g for g in FOOD_GROUPS if second[f"food_{g}"] == "1"} == {"prebiotic"}
    assert second["bristol"] == second["stress"] == second["sleep"] == ""
    # A note that a spreadsheet would run as a formula stays text.
    assert second["notes"] == "'=porridge, back 3"


async def test_no_bowel_movement_is_kept_apart_from_the_bristol_scale(sessions: Sessions) -> None:
    """Stored as 0 on the Bristol question (as old rows are); exported as its own column and
    field, never as a Bristol type 0."""
    user_id = await seed_person(sessions, 1001)
    day3 = date(2026, 1, 14)
    async with sessions() as session, session.begin():
        await add_checkin(session, user_id, day3, {"bristol": 0}, at(day3, 19))
    async with sessions() as session:
        diary = await privacy.diary_csv(session, user_id)
        document = json.loads(await privacy.data_json(session, user_id))
    rows = {row["date"]: row for row in csv.DictReader(io.StringIO(diary.decode(), newline=""))}
    assert (rows["2026-01-14"]["bristol"], rows["2026-01-14"]["no_bowel_movement"]) == ("", "1")
    assert (rows["2026-01-12"]["bristol"], rows["2026-01-12"]["no_bowel_movement"]) == ("4", "0")
    assert (rows["2026-01-13"]["bristol"], rows["2026-01-13"]["no_bowel_movement"]) == ("", "")
    bristol = {
        row["local_date"]: (row["value"], row["no_bowel_movement"])
        for row in document["answers"]
        if row["question"] == "bristol"
    }
    assert bristol["2026-01-14"] == (None, True)
    assert bristol["2026-01-12"] == (4, False)
    others = [row for row in document["answers"] if row["question"] != "bristol"]
    assert others and all("no_bowel_movement" not in row for row in others)


async def test_the_json_export_holds_every_record_and_is_identical_twice(
    sessions: Sessions,
) -> None:
    user_id = await seed_person(sessions, 1001)
    other_id = await seed_person(sessions, 2002)
    async with sessions() as session:
        first = await privacy.data_json(session, user_id), await privacy.diary_csv(session, user_id)
    async with sessions() as session:
        again = await privacy.data_json(session, user_id), await privacy.diary_csv(session, user_id)
    assert first == again

    data = json.loads(first[0].decode("utf-8"))
    assert data["profile"]["timezone"] == "Europe/Berlin"
    assert data["profile"]["consented_at"] == "2026-01-12T06:00:00+00:00"
    assert [s["local_time"] for s in data["schedules"]] == ["08:00:00", "20:00:00"]
    assert len(data["checkins"]) == 3
    answers = {(a["local_date"], a["question"]): a["value"] for a in data["answers"]}
    assert answers[("2026-01-12", "digestion")] == ["bloating", "gas"]
    assert answers[("2026-01-12", "food_note")] == "Käsespätzle at the fair"
    assert answers[("2026-01-13", "pain")] is None
    assert [e["text"] for e in data["log_entries"]] == [
        "pizza and a coke, cramps",
        "=porridge, back 3",
    ]
    assert answers[("2026-01-13", "experiment")] == "partly"
    [experiment] = data["experiments"]
    assert (experiment["swap_id"], experiment["started_on"], experiment["ends_on"]) == (
        "soda_to_kombucha",
        "2026-01-13",
        "2026-01-26",
    )
    assert [t["tip_id"] for t in data["tips_shown"]] == ["fibre_slowly"]
    [event] = data["safety_events"]
    assert (event["flag_id"], event["tier"], event["source"]) == ("black_stool", "urgent", "text")
    assert event["created_at"] == "2026-01-13T09:00:00+00:00"
    # The days as the diary counts them (the latest of check-in and line) come with the records.
    assert [day["date"] for day in data["diary_days"]] == sorted(
        {row["local_date"] for row in data["answers"] + data["log_entries"]}
    )
    records = {name: rows for name, rows in data.items() if name not in ("profile", "diary_days")}
    every_row = [row for rows in records.values() for row in rows]
    assert every_row and all(row["user_id"] == user_id for row in every_row)
    assert other_id != user_id


async def test_erasing_everything_leaves_no_row_and_spares_other_people(
    sessions: Sessions,
) -> None:
    user_id = await seed_person(sessions, 1001)
    other_id = await seed_person(sessions, 2002)
    others_before = await rows_referencing(sessions, other_id)
    assert all(others_before.values()), others_before  # the seed touches every table
    async with sessions() as session, session.begin():
        user = await session.get(User, user_id)
        assert user is not None
        user.updated_at = NOW  # a pending change on the loaded person must not resurrect them
        await privacy.erase_everything(session, user_id)
    assert set((await rows_referencing(sessions, user_id)).values()) == {0}
    assert await rows_referencing(sessions, other_id) == others_before
    # Doing it again is harmless.
    async with sessions() as session, session.begin():
        await privacy.erase_everything(session, user_id)
    assert await rows_referencing(sessions, other_id) == others_before


async def test_erasing_the_diary_keeps_consent_timezone_and_schedules(sessions: Sessions) -> None:
    user_id = await seed_person(sessions, 1001)
    other_id = await seed_person(sessions, 2002)
    others_before = await rows_referencing(sessions, other_id)
    async with sessions() as session, session.begin():
        user = await session.get(User, user_id)
        assert user is not None
        await privacy.erase_diary(session, user, NOW)
    left = await rows_referencing(sessions, user_id)
    assert left.pop("users") == 1 and left.pop("schedules") == 2
    assert set(left.values()) == {0}, left
    async with sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        assert user.consented_at == at(DAY1, 6) and user.timezone == "Europe/Berlin"
        assert user.screened_on is None  # the weekly screen starts afresh with the new diary
    assert await rows_referencing(sessions, other_id) == others_before


async def test_confirmation_buttons_act_only_for_their_person_and_consent(
    sessions: Sessions,
) -> None:
    user_id = await seed_person(sessions, 1001)
    other_id = await seed_person(sessions, 2002)
    async with sessions() as session:
        owner = await session.get(User, user_id)
        assert owner is not None
        [ask] = privacy.ask_delete(owner).messages
    assert isinstance(ask, Send)
    everything, diary, cancel = (row[0].data.partition(":")[2] for row in ask.buttons)

    # Someone else pressing the owner's data changes nothing.
    async with sessions() as session, session.begin():
        intruder = await session.get(User, other_id)
        assert intruder is not None
        outbox = await privacy.press(session, intruder, everything, 7, NOW)
    assert outbox.messages == [] and outbox.toast == privacy.privacy_wording().delete.stale_button
    assert 0 not in (await rows_referencing(sessions, user_id)).values()
    assert 0 not in (await rows_referencing(sessions, other_id)).values()

    async with sessions() as session, session.begin():
        owner = await session.get(User, user_id)
        assert owner is not None
        outbox = await privacy.press(session, owner, cancel, 7, NOW)
    assert outbox.messages == [Edit(7, privacy.privacy_wording().delete.cancelled)]
    assert 0 not in (await rows_referencing(sessions, user_id)).values()

    async with sessions() as session, session.begin():
        owner = await session.get(User, user_id)
        assert owner is not None
        await privacy.press(session, owner, everything, 7, NOW)
    assert set((await rows_referencing(sessions, user_id)).values()) == {0}

    # A new person who gets the same id (SQLite may reuse it) is safe from the old button.
    async with sessions() as session, session.begin():
        session.add(
            User(
                id=user_id,
                platform_id=1001,
                chat_id=1001,
                onboarding_step="done",
                consented_at=NOW,
                timezone="Europe/Berlin",
                active=True,
                paused=False,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    async with sessions() as session, session.begin():
        fresh = await session.get(User, user_id)
        assert fresh is not None
        stale = await privacy.press(session, fresh, diary, 7, NOW)
        stale_all = await privacy.press(session, fresh, everything, 7, NOW)
    assert stale.messages == stale_all.messages == []
    assert (await rows_referencing(sessions, user_id))["users"] == 1


async def test_before_consent_there_is_nothing_to_export_or_delete(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        user = User(
            platform_id=3003,
            chat_id=3003,
            onboarding_step="consent",
            active=True,
            paused=False,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(user)
        await session.flush()
        exported = await privacy.export(session, user)
    words = privacy.privacy_wording()
    assert exported.messages == [Send(words.export.nothing)]
    assert privacy.ask_delete(user).messages == [Send(words.delete.nothing)]


async def test_export_sends_the_two_files(sessions: Sessions) -> None:
    user_id = await seed_person(sessions, 1001)
    async with sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        outbox = await privacy.export(session, user)
    files = [m for m in outbox.messages if isinstance(m, SendFile)]
    assert [f.filename for f in files] == ["gutback-diary.csv", "gutback-data.json"]
    assert all(f.data and f.caption for f in files)
