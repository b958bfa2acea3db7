"""The diary one local date at a time: check-in answers and free-text logs merged.

The export's CSV and the clinician report read the same view, so a number means the same thing
in both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Answer, LogEntry
from bot.questions import BRISTOL, DIGESTION, FOOD, FOOD_NOTE, PAIN, SLEEP, STRESS

_SCALAR_QUESTIONS = (PAIN, BRISTOL, STRESS, SLEEP)


@dataclass
class DiaryDay:
    """One local date of the diary, built from check-in answers and free-text logs."""

    answered: dict[str, Any] = field(default_factory=dict)  # latest non-skipped answer
    logged: dict[str, Any] = field(default_factory=dict)  # latest value a log mentioned
    symptoms: set[str] = field(default_factory=set)
    foods: set[str] = field(default_factory=set)
    notes: list[tuple[datetime, str]] = field(default_factory=list)  # (when, text)
    #: A check-in answered the digestion question ("none" included) or a diary line named a
    #: symptom: a day without bloating is known only then, not from silence.
    digestion_reported: bool = False

    def value(self, question: str) -> Any:
        """The check-in answer if there is one, else what a diary line said."""
        if question in self.answered:
            return self.answered[question]
        return self.logged.get(question)


async def diary_days(
    session: AsyncSession, user_id: int, start: date | None = None, end: date | None = None
) -> dict[date, DiaryDay]:
    """The diary by local date (``start`` and ``end`` inclusive when given).

    Pain, Bristol type, stress and sleep are the day's latest check-in answer or, when no check-in
    answered it, the latest diary line that mentioned it. Symptoms and food groups are every one a
    check-in or a diary line named that day. Notes are food notes and diary lines.
    """
    answer_filter = [Answer.user_id == user_id]
    log_filter = [LogEntry.user_id == user_id]
    if start is not None:
        answer_filter.append(Answer.local_date >= start)
        log_filter.append(LogEntry.local_date >= start)
    if end is not None:
        answer_filter.append(Answer.local_date <= end)
        log_filter.append(LogEntry.local_date <= end)
    days: dict[date, DiaryDay] = {}
    answers = await session.scalars(
        select(Answer).where(*answer_filter).order_by(Answer.answered_at, Answer.id)
    )
    for answer in answers:
        day = days.setdefault(answer.local_date, DiaryDay())
        value = answer.value
        if answer.question in _SCALAR_QUESTIONS and value is not None:
            day.answered[answer.question] = value
        elif answer.question == DIGESTION and value is not None:
            day.digestion_reported = True
            day.symptoms.update(value)
        elif answer.question == FOOD and value:
            day.foods.update(value)
        elif answer.question == FOOD_NOTE and value:
            day.notes.append((answer.answered_at, str(value)))
    logs = await session.scalars(
        select(LogEntry).where(*log_filter).order_by(LogEntry.created_at, LogEntry.id)
    )
    for entry in logs:
        day = days.setdefault(entry.local_date, DiaryDay())
        for question in _SCALAR_QUESTIONS:
            if getattr(entry, question) is not None:
                day.logged[question] = getattr(entry, question)
        day.symptoms.update(entry.symptoms or ())
        day.digestion_reported |= bool(entry.symptoms)
        day.foods.update(entry.food_groups or ())
        day.notes.append((entry.created_at, entry.text))
    return days
