"""A person's own data: a full copy (``/export``) and erasure (``/delete``).

Health diaries are special-category data, so the person can take everything with them in a
machine-readable form and can erase it as easily as they gave it. Which tables hold a person's rows
is read from the schema (every table with a foreign key to ``users.id``) rather than listed by hand,
so a table added later is exported and erased without anyone having to remember this module.
Rows are deleted explicitly, children first, in the caller's single transaction: that works the
same on SQLite and PostgreSQL and does not depend on ``ON DELETE CASCADE`` being switched on.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.content import load_model
from bot.base.vocabulary import FOOD_GROUPS, MEDICINES, SYMPTOMS
from bot.chat import inbox
from bot.chat.buttons import simple_data
from bot.chat.messenger import Button, Keyboard
from bot.chat.outbox import Outbox, SendFile
from bot.diary.questions import BRISTOL, NO_BOWEL_MOVEMENT, PAIN, SLEEP, STRESS
from bot.diary.view import diary_days
from bot.people.onboarding import consent_stamp
from bot.store.models import Base, User

CSV_NAME = "gutback-diary.csv"
JSON_NAME = "gutback-data.json"
#: Tables that are settings, not diary: "delete my diary, keep my settings" leaves them alone.
SETTINGS_TABLES = frozenset({"schedules"})
#: Button choices on the /delete confirmation.
EVERYTHING, DIARY, CANCEL = "all", "diary", "cancel"
_CHOICES = frozenset({EVERYTHING, DIARY, CANCEL})
#: Spreadsheets run a cell that starts with one of these as a formula; a quote keeps it text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- wording ----------------------------------------------------------------------------------


class _Text(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExportWording(_Text):
    nothing: str = Field(min_length=1)
    intro: str = Field(min_length=1)
    csv_caption: str = Field(min_length=1, max_length=1024)
    json_caption: str = Field(min_length=1, max_length=1024)


class DeleteWording(_Text):
    nothing: str = Field(min_length=1)
    ask: str = Field(min_length=1)
    everything_button: str = Field(min_length=1, max_length=40)
    diary_button: str = Field(min_length=1, max_length=40)
    cancel_button: str = Field(min_length=1, max_length=40)
    done_everything: str = Field(min_length=1)
    done_diary: str = Field(min_length=1)
    done_toast: str = Field(min_length=1, max_length=200)
    cancelled: str = Field(min_length=1)
    stale_button: str = Field(min_length=1, max_length=200)


class PrivacyWording(_Text):
    export: ExportWording
    delete: DeleteWording


@functools.cache
def privacy_wording() -> PrivacyWording:
    return load_model("privacy.yaml", PrivacyWording)


# --- which rows are a person's ----------------------------------------------------------------


def person_tables() -> list[tuple[Table, str]]:
    """Every table that references a user, with the referencing column, children first."""
    users = User.__table__
    found: list[tuple[Table, str]] = []
    for table in reversed(Base.metadata.sorted_tables):
        for column in table.columns:
            if any(fk.column is users.c.id for fk in column.foreign_keys):
                found.append((table, column.name))
                break
    return found


async def erase_everything(session: AsyncSession, user_id: int) -> None:
    """Delete every row that references the person, then the person."""
    platform_id = await session.scalar(select(User.platform_id).where(User.id == user_id))
    if platform_id is not None:
        await inbox.erase(session, platform_id)  # updates of theirs still waiting (webhook)
    for table, column in person_tables():
        await session.execute(delete(table).where(table.c[column] == user_id))
    # ORM-enabled, so the loaded ``User`` leaves the session too and is never flushed again.
    await session.execute(delete(User).where(User.id == user_id))


async def erase_diary(session: AsyncSession, user: User, now: datetime) -> None:
    """Delete the diary but keep the person, their consent, timezone and check-in times."""
    await inbox.erase(session, user.platform_id)  # updates of theirs still waiting (webhook)
    for table, column in person_tables():
        if table.name not in SETTINGS_TABLES:
            await session.execute(delete(table).where(table.c[column] == user.id))
    # Dates that only make sense with the diary they came from.
    user.screened_on = None
    user.pain_alert_on = None
    user.skip_date = None
    user.breathing_followup = False
    user.updated_at = now


# --- export -----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A stored value as JSON: instants and dates in ISO 8601, everything else as it is."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return value


async def _rows(session: AsyncSession, table: Table, where: Any) -> list[dict[str, Any]]:
    order = [*table.primary_key.columns]
    result = await session.execute(select(table).where(where).order_by(*order))
    rows = [{key: _plain(value) for key, value in row.items()} for row in result.mappings()]
    if table.name == "answers":
        for row in rows:
            if row.get("question") == BRISTOL:
                _bristol_apart(row)
    return rows


def _bristol_apart(row: dict[str, Any]) -> None:
    """A Bristol answer with "no bowel movement" kept apart from the 1-7 scale.

    The diary stores "none" as 0 on the Bristol question (old rows too); the file says
    ``"value": null, "no_bowel_movement": true`` so that nobody reads it as a type 0. A skipped
    question (no value) says nothing either way.
    """
    none = _is_no_bowel_movement(row.get("value"))
    row["no_bowel_movement"] = none if row.get("value") is not None else None
    if none:
        row["value"] = None


def _is_no_bowel_movement(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == NO_BOWEL_MOVEMENT


async def data_json(session: AsyncSession, user_id: int) -> bytes:
    """Every stored record about the person; the same data always gives the same bytes."""
    users = User.__table__
    profile = await _rows(session, users, users.c.id == user_id)
    document: dict[str, Any] = {"profile": profile[0] if profile else None}
    for table, column in person_tables():
        document[table.name] = await _rows(session, table, table.c[column] == user_id)
    document["diary_days"] = await _diary_days(session, user_id)
    text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


async def _diary_days(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
    """Each day's values as the diary reads them (the latest of check-in and typed line wins).

    The records above hold every answer and line; this says which one counts for the day, the
    same as the CSV, the recap and the report.
    """
    days = await diary_days(session, user_id, notes=False)
    found = []
    for local_date in sorted(days):
        day = days[local_date]
        bristol = day.value(BRISTOL)
        none = _is_no_bowel_movement(bristol)
        found.append(
            {
                "date": local_date.isoformat(),
                "pain": day.value(PAIN),
                "bristol": None if none else bristol,
                "no_bowel_movement": none if bristol is not None else None,
                "stress": day.value(STRESS),
                "sleep": day.value(SLEEP),
                "symptoms": sorted(day.symptoms),
                "food_groups": sorted(day.foods),
            }
        )
    return found


def csv_header() -> list[str]:
    return [
        "date",
        "pain",
        *(f"symptom_{s}" for s in SYMPTOMS),
        "bristol",
        "no_bowel_movement",
        *(f"food_{g}" for g in FOOD_GROUPS),
        "stress",
        "sleep",
        *(f"med_{m}" for m in MEDICINES),
        "notes",
    ]


async def diary_csv(session: AsyncSession, user_id: int) -> bytes:
    """One row per local date that has anything, for a spreadsheet.

    Pain, Bristol type, stress and sleep are the latest of the day's check-in answer and the
    diary lines that mentioned it (:meth:`bot.diary.view.DiaryDay.value`). A symptom or food
    group is 1 when any check-in or diary line named it that day. A ``med_`` column is 1 or 0 on a
    day the optional medicines question was answered, empty otherwise (not asked is not "none").
    "No bowel movement" is a column of its own (1, or 0 beside a Bristol type; empty when
    unknown), never a Bristol type. Notes are food notes and diary lines, oldest first.
    """
    days = await diary_days(session, user_id)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(csv_header())
    for local_date in sorted(days):
        day = days[local_date]
        bristol = day.value(BRISTOL)
        no_bowel_movement = _is_no_bowel_movement(bristol)
        writer.writerow(
            [
                local_date.isoformat(),
                _cell(day.value(PAIN)),
                *(int(s in day.symptoms) for s in SYMPTOMS),
                "" if no_bowel_movement else _cell(bristol),
                _cell(None if bristol is None else int(no_bowel_movement)),
                *(int(g in day.foods) for g in FOOD_GROUPS),
                _cell(day.value(STRESS)),
                _cell(day.value(SLEEP)),
                *(int(m in day.medicines) if day.medicines_reported else "" for m in MEDICINES),
                _as_text(" | ".join(text for _, text in sorted(day.notes, key=_when))),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _when(note: tuple[datetime, str]) -> datetime:
    return note[0]


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _as_text(note: str) -> str:
    return "'" + note if note.startswith(_FORMULA_STARTS) else note


async def export(session: AsyncSession, user: User) -> Outbox:
    """``/export``: the diary as CSV and every record as JSON, sent as two files."""
    words = privacy_wording().export
    outbox = Outbox()
    if user.consented_at is None:
        outbox.send(words.nothing)
        return outbox
    outbox.send(words.intro)
    outbox.messages.append(SendFile(CSV_NAME, await diary_csv(session, user.id), words.csv_caption))
    outbox.messages.append(
        SendFile(JSON_NAME, await data_json(session, user.id), words.json_caption)
    )
    return outbox


# --- delete -----------------------------------------------------------------------------------


def confirm_keyboard(user: User) -> Keyboard:
    words = privacy_wording().delete
    stamp = consent_stamp(user)
    choices = (
        (words.everything_button, EVERYTHING),
        (words.diary_button, DIARY),
        (words.cancel_button, CANCEL),
    )
    return tuple(
        (Button(label, simple_data("privacy", f"{choice}:{stamp}")),) for label, choice in choices
    )


def ask_delete(user: User) -> Outbox:
    """``/delete``: nothing happens until one of the buttons is pressed."""
    words = privacy_wording().delete
    outbox = Outbox()
    if user.consented_at is None:
        outbox.send(words.nothing)
        return outbox
    outbox.send(words.ask, confirm_keyboard(user))
    return outbox


async def press(
    session: AsyncSession, user: User, arg: str, message_id: int | None, now: datetime
) -> Outbox:
    """A confirmation button: acts only for the person and the consent it was made for."""
    words = privacy_wording().delete
    outbox = Outbox()
    choice, _, stamp = arg.partition(":")
    if user.consented_at is None or stamp != consent_stamp(user) or choice not in _CHOICES:
        outbox.toast = words.stale_button
        return outbox
    if choice == CANCEL:
        outbox.edit(message_id, words.cancelled)
        outbox.toast = words.cancelled
        return outbox
    if choice == EVERYTHING:
        await erase_everything(session, user.id)
        outbox.edit(message_id, words.done_everything)
    else:
        await erase_diary(session, user, now)
        outbox.edit(message_id, words.done_diary)
    outbox.toast = words.done_toast
    return outbox
