"""The diary one local date at a time: check-in answers and free-text logs merged.

The export's CSV and JSON, the recap and its chart, the tips and the clinician report all read
this one view, so a number means the same thing everywhere. One rule decides a day's pain,
stool type, stress or sleep when a check-in answer and a typed line disagree: **the latest
wins** (a "pain 3" typed after the evening check-in said 6 is the day's 3; a check-in answered
after the line overrules it in turn). Warning rules alone read the day's highest score instead.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Integer,
    Select,
    SmallInteger,
    String,
    bindparam,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.numbers import score
from bot.diary.questions import (
    BRISTOL,
    DIGESTION,
    FOOD,
    FOOD_NOTE,
    MEDICINES,
    NO_BOWEL_MOVEMENT,
    PAIN,
    SLEEP,
    STRESS,
)
from bot.store.models import Answer, LogEntry

_SCALAR_QUESTIONS = (PAIN, BRISTOL, STRESS, SLEEP)


@dataclass
class DiaryDay:
    """One local date of the diary, built from check-in answers and free-text logs."""

    answered: dict[str, Any] = field(default_factory=dict)  # latest non-skipped answer
    logged: dict[str, Any] = field(default_factory=dict)  # latest value a log mentioned
    #: When each of those was given, so the later of the two can win.
    answered_at: dict[str, datetime] = field(default_factory=dict)
    logged_at: dict[str, datetime] = field(default_factory=dict)
    symptoms: set[str] = field(default_factory=set)
    foods: set[str] = field(default_factory=set)
    notes: list[tuple[datetime, str]] = field(default_factory=list)  # (when, text)
    #: A check-in answered the digestion question ("none" included) or a diary line named a
    #: symptom: a day without bloating is known only then, not from silence.
    digestion_reported: bool = False
    #: Medicines and supplements taken (ids of :data:`bot.base.vocabulary.MEDICINES`), from the
    #: optional check-in question; candidates for the insight engine (painkillers hide pain).
    medicines: set[str] = field(default_factory=set)
    #: The medicines question was answered ("none" included): only then is an empty set known.
    medicines_reported: bool = False

    def value(self, question: str) -> Any:
        """The day's value: whichever of the check-in answer and the diary line came last.

        On a tie the check-in answer wins (it was asked for this very question).
        """
        if question not in self.logged:
            return self.answered.get(question)
        if question not in self.answered:
            return self.logged[question]
        if self.logged_at[question] > self.answered_at[question]:
            return self.logged[question]
        return self.answered[question]

    def highest(self, question: str) -> float | None:
        """The higher of the check-in answer and the diary line's value (for warning rules)."""
        known = [
            found
            for found in (score(self.answered.get(question)), score(self.logged.get(question)))
            if found is not None
        ]
        return max(known) if known else None


#: Where a row of the diary statement comes from. A caller that needs other rows in the same
#: round trip (the recap reads the week's warning signs with the diary) adds selects built by
#: :func:`extra_rows` with a source of its own, from :data:`FIRST_EXTRA_SOURCE` on.
ANSWER_ROW, LINE_ROW, FIRST_EXTRA_SOURCE = 0, 1, 2


def extra_rows(
    source: int,
    *,
    at: Any,
    row_id: Any,
    where: Iterable[Any],
    question: Any = None,
    text: Any = None,
    tag: Any = None,
) -> Select[Any]:
    """A select with the diary statement's columns, for rows of another table.

    Only ``source``, ``at`` (ordering, then ``row_id``), ``question``, ``text`` and ``tag``
    carry values; every other column is NULL. :func:`days_from_rows` skips these rows.
    """
    return select(
        literal_column(str(int(source))),
        null(),  # local_date
        at,
        row_id,
        question if question is not None else null(),
        null(),  # value
        *(null() for _ in _SCALAR_QUESTIONS),
        null(),  # symptoms
        null(),  # food_groups
        text if text is not None else null(),
        null(),  # checkin_id
        tag if tag is not None else null(),
    ).where(*where)


@functools.cache
def diary_statement(
    has_start: bool, has_end: bool, notes: bool, more: tuple[Select[Any], ...] = ()
) -> Select[Any]:
    """Check-in answers, then diary lines, each in the order given, as one ``UNION ALL``.

    Built once per shape with bound parameters (``user_id``, ``start``, ``end``): the recap runs
    it for every person every week, and composing the statement anew cost as much as running it.
    ``more`` are selects from :func:`extra_rows`, ordered after the diary's rows by source, then
    ``at`` and ``row_id`` (pass the same tuple each time, so the statement is built once).
    """

    def bounds(column: Any) -> list[Any]:
        found = []
        if has_start:
            found.append(column >= bindparam("start", type_=Date))
        if has_end:
            found.append(column <= bindparam("end", type_=Date))
        return found

    # Table columns, not the ORM's attributes: a plain Core statement, so the session hands
    # back plain rows without the ORM's per-row loading (the recap reads every diary weekly).
    answer, line = Answer.__table__.c, LogEntry.__table__.c
    user = bindparam("user_id", type_=Integer)
    no_int, no_json = type_coerce(null(), SmallInteger), type_coerce(null(), JSON)
    no_text = type_coerce(null(), String)
    answers = select(
        literal_column(str(ANSWER_ROW)).label("source"),
        answer.local_date.label("local_date"),
        answer.answered_at.label("at"),
        answer.id.label("id"),
        answer.question.label("question"),
        answer.value.label("value"),
        *(no_int.label(name) for name in _SCALAR_QUESTIONS),
        no_json.label("symptoms"),
        no_json.label("food_groups"),
        no_text.label("text"),
        answer.checkin_id.label("checkin_id"),
        no_text.label("tag"),
    ).where(answer.user_id == user, *bounds(answer.local_date))
    logs = select(
        literal_column(str(LINE_ROW)),
        line.local_date,
        line.created_at,
        line.id,
        null(),
        null(),
        *(line[name] for name in _SCALAR_QUESTIONS),
        line.symptoms,
        line.food_groups,
        line.text if notes else null(),
        null(),
        null(),
    ).where(line.user_id == user, *bounds(line.local_date))
    rows = union_all(answers, logs, *more).subquery()
    return select(rows).order_by(rows.c.source, rows.c.at, rows.c.id)


def diary_params(user_id: int, start: date | None, end: date | None) -> dict[str, Any]:
    """The bound parameters of :func:`diary_statement` for one person and period."""
    params: dict[str, Any] = {"user_id": user_id}
    if start is not None:
        params["start"] = start
    if end is not None:
        params["end"] = end
    return params


async def diary_days(
    session: AsyncSession,
    user_id: int,
    start: date | None = None,
    end: date | None = None,
    *,
    notes: bool = True,
) -> dict[date, DiaryDay]:
    """The diary by local date (``start`` and ``end`` inclusive when given).

    Pain, Bristol type, stress and sleep are each read by :meth:`DiaryDay.value`: the latest of
    the day's check-in answer and the diary lines that mentioned it. Symptoms and food groups
    are every one a check-in or a diary line named that day. Notes are food notes and diary
    lines; a caller that shows no notes (the recap) passes ``notes=False`` and the lines' text
    is not even read.

    One round trip of plain columns (no ORM objects), answers before diary lines: the recap reads
    the whole diary of every person every week, so this is kept cheap.
    """
    statement = diary_statement(start is not None, end is not None, notes)
    rows = await session.execute(statement, diary_params(user_id, start, end))
    return days_from_rows(rows, notes=notes)


def days_from_rows(rows: Iterable[Any], *, notes: bool) -> dict[date, DiaryDay]:
    """The per-day view from the rows of :func:`diary_statement`, in their order.

    Rows of other sources (:func:`extra_rows`) are skipped.
    """
    days: dict[date, DiaryDay] = {}
    for row in rows:
        source = row.source
        if source > LINE_ROW:
            continue
        day = days.setdefault(row.local_date, DiaryDay())
        if source == ANSWER_ROW:
            question, value = row.question, row.value
            if question in _SCALAR_QUESTIONS and value is not None:
                day.answered[question] = value
                day.answered_at[question] = row.at
            elif question == DIGESTION and value is not None:
                day.digestion_reported = True
                day.symptoms.update(value)
            elif question == FOOD and value:
                day.foods.update(value)
            elif question == MEDICINES and value is not None:
                day.medicines_reported = True
                day.medicines.update(value)
            elif question == FOOD_NOTE and value and notes:
                day.notes.append((row.at, str(value)))
            continue
        for question in _SCALAR_QUESTIONS:
            value = getattr(row, question)
            if value is not None:
                day.logged[question] = value
                day.logged_at[question] = row.at
        day.symptoms.update(row.symptoms or ())
        day.digestion_reported |= bool(row.symptoms)
        day.foods.update(row.food_groups or ())
        if notes:
            day.notes.append((row.at, row.text))
    return days


#: How far back the pain rules look: three days running, or the seven days before today.
PAIN_LOOK_BACK = timedelta(days=10)


async def daily_pain(session: AsyncSession, user_id: int, today: date) -> dict[date, float]:
    """The last ten days' pain, one score a day (its highest), for the safety rules."""
    days = await diary_days(session, user_id, today - PAIN_LOOK_BACK, today, notes=False)
    return {when: pain for when, day in days.items() if (pain := day.highest(PAIN)) is not None}


def stool_counts(days: Iterable[DiaryDay]) -> tuple[dict[int, int], int]:
    """Days with each Bristol type (1-7, in order) and days with no bowel movement.

    "No bowel movement" is its own count, never a type on the scale; the recap and the PDF read
    both from here so they say the same.
    """
    types: dict[int, int] = {}
    none_days = 0
    for day in days:
        bristol = day.value(BRISTOL)
        if isinstance(bristol, bool) or not isinstance(bristol, int):
            continue
        if bristol == NO_BOWEL_MOVEMENT:
            none_days += 1
        elif 1 <= bristol <= 7:
            types[bristol] = types.get(bristol, 0) + 1
    return dict(sorted(types.items())), none_days
