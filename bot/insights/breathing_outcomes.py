"""How the breathing breaks went: the "did it help?" answers and stress before and after.

``/breathe`` sets a flag; the next check-in asks "Did the breathing break help?" (stored as the
``breathing`` answer of that check-in). Stress "after" is the stress answer of that same
check-in; stress "before" is the latest stress answer of an earlier check-in, the last one
given before the break. Only a break with both counts towards the stress figures. Read by
question and value only, never text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, Integer, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.numbers import score
from bot.diary.questions import BREATHING, STRESS
from bot.diary.view import ANSWER_ROW
from bot.store.models import Answer

#: How far before the week a "before" stress answer may be.
LOOK_BACK = timedelta(days=7)
HELPED, A_LITTLE, NOT_HELPED, DIZZY = "helped", "a_little", "not_helped", "dizzy"
_QUESTIONS = (BREATHING, STRESS)


@dataclass(frozen=True, slots=True)
class BreathingWeek:
    answered: int  # breaks whose "did it help?" was answered this week
    helped: int
    a_little: int
    not_helped: int
    dizzy: int
    stress_before: float | None  # averages over the breaks with both answers
    stress_after: float | None
    stress_pairs: int


@functools.cache
def _statement() -> Select[Any]:
    return (
        select(Answer.checkin_id, Answer.question, Answer.value, Answer.local_date)
        .where(
            Answer.user_id == bindparam("user_id", type_=Integer),
            Answer.local_date >= bindparam("since", type_=Date),
            Answer.local_date <= bindparam("end", type_=Date),
            Answer.question.in_(_QUESTIONS),
        )
        .order_by(Answer.answered_at, Answer.id)
    )


async def breathing_week(
    session: AsyncSession, user_id: int, start: date, end: date
) -> BreathingWeek | None:
    """The breaks answered on local dates ``start``..``end``, or ``None`` when there were none."""
    rows = (
        await session.execute(
            _statement(), {"user_id": user_id, "since": start - LOOK_BACK, "end": end}
        )
    ).all()
    return summarise(rows, start)


def rows_from_diary(rows: Iterable[Any], start: date, end: date) -> list[tuple[Any, ...]]:
    """The rows :func:`breathing_week` reads, taken from the diary statement's rows instead
    (:func:`bot.diary.view.diary_statement`: answers in the order given, with their check-in),
    so the recap reads both in one round trip."""
    since = start - LOOK_BACK
    return [
        (row.checkin_id, row.question, row.value, row.local_date)
        for row in rows
        if row.source == ANSWER_ROW
        and row.question in _QUESTIONS
        and since <= row.local_date <= end
    ]


def summarise(rows: list[Any], start: date) -> BreathingWeek | None:
    """From (checkin_id, question, value, local_date) rows in time order: a pure function."""
    stress_by_checkin: dict[int, float] = {}
    for checkin_id, question, value, _ in rows:
        if question == STRESS and (stress := score(value)) is not None:
            stress_by_checkin[checkin_id] = stress
    counts = {HELPED: 0, A_LITTLE: 0, NOT_HELPED: 0, DIZZY: 0}
    before: list[float] = []
    after: list[float] = []
    stresses: list[tuple[int, float]] = []  # (check-in, value), oldest first
    answered = 0
    for checkin_id, question, value, on in rows:
        if question == STRESS:
            if (stress := score(value)) is not None:
                stresses.append((checkin_id, stress))
            continue
        if on < start or value not in counts:
            continue
        answered += 1
        counts[value] += 1
        earlier = next((v for c, v in reversed(stresses) if c != checkin_id), None)
        now = stress_by_checkin.get(checkin_id)
        if earlier is not None and now is not None:
            before.append(earlier)
            after.append(now)
    if not answered:
        return None
    return BreathingWeek(
        answered=answered,
        helped=counts[HELPED],
        a_little=counts[A_LITTLE],
        not_helped=counts[NOT_HELPED],
        dizzy=counts[DIZZY],
        stress_before=sum(before) / len(before) if before else None,
        stress_after=sum(after) / len(after) if after else None,
        stress_pairs=len(before),
    )
