"""Choosing a tip that fits what a person reported lately, and remembering it was shown."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.knowledge.tips import Signals, choose_tip, format_tip
from bot.store.models import Answer, LogEntry, TipShown, User

LOOK_BACK = timedelta(days=7)
REMEMBER = timedelta(days=14)


async def signals_for(session: AsyncSession, user_id: int, today: date) -> Signals:
    """Summarise the last week of check-ins and free-text logs into what the tip chooser reads."""
    since = today - LOOK_BACK
    answers = (
        await session.execute(
            select(Answer.local_date, Answer.question, Answer.value).where(
                Answer.user_id == user_id, Answer.local_date > since, Answer.local_date <= today
            )
        )
    ).all()
    logs = (
        await session.execute(
            select(
                LogEntry.local_date, LogEntry.food_groups, LogEntry.symptoms, LogEntry.pain
            ).where(
                LogEntry.user_id == user_id,
                LogEntry.local_date > since,
                LogEntry.local_date <= today,
            )
        )
    ).all()
    symptom_days: dict[str, set[date]] = {}
    food_days: dict[str, set[date]] = {}
    stress: list[int] = []
    sleep: list[int] = []
    pains: list[tuple[date, int]] = []
    for day, question, value in answers:
        if question == "digestion" and isinstance(value, list):
            for symptom in value:
                symptom_days.setdefault(symptom, set()).add(day)
        elif question == "food" and isinstance(value, list):
            for group in value:
                food_days.setdefault(group, set()).add(day)
        elif question == "stress" and isinstance(value, int):
            stress.append(value)
        elif question == "sleep" and isinstance(value, int):
            sleep.append(value)
        elif question == "pain" and isinstance(value, int):
            pains.append((day, value))
    for day, groups, symptoms, pain in logs:
        for group in groups or ():
            food_days.setdefault(group, set()).add(day)
        for symptom in symptoms or ():
            symptom_days.setdefault(symptom, set()).add(day)
        if pain is not None:
            pains.append((day, pain))
    pains.sort()
    trend = None
    if len(pains) >= 2:
        span = max((pains[-1][0] - pains[0][0]).days, 1)
        trend = (pains[-1][1] - pains[0][1]) / span
    return Signals(
        symptom_counts=Counter({k: len(v) for k, v in symptom_days.items()}),
        food_counts=Counter({k: len(v) for k, v in food_days.items()}),
        avg_stress=sum(stress) / len(stress) if stress else None,
        avg_sleep=sum(sleep) / len(sleep) if sleep else None,
        last_pain=pains[-1][1] if pains else None,
        pain_trend=trend,
    )


async def tip_for(session: AsyncSession, user: User, today: date) -> str | None:
    """A fitting tip not shown in the last 14 days, recorded as shown; ``None`` if none is left."""
    shown = (
        await session.execute(
            select(TipShown.tip_id, TipShown.shown_on).where(
                TipShown.user_id == user.id, TipShown.shown_on > today - REMEMBER
            )
        )
    ).all()
    recently = {tip_id: day for tip_id, day in shown}
    signals = await signals_for(session, user.id, today)
    tip = choose_tip(
        signals,
        recently,
        today,
        allow_restriction=not user.no_restriction_tips,
        rng=random.Random(f"{user.id}:{today.isoformat()}"),
    )
    if tip is None:
        return None
    session.add(TipShown(user_id=user.id, tip_id=tip.id, shown_on=today))
    return format_tip(tip)
