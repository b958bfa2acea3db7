"""Choosing a tip that fits what a person reported lately, and remembering it was shown."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.numbers import score
from bot.diary.questions import PAIN, SLEEP, STRESS
from bot.diary.view import diary_days
from bot.knowledge.tips import Signals, choose_tip, format_tip
from bot.store.models import TipShown, User

LOOK_BACK = timedelta(days=7)
REMEMBER = timedelta(days=14)


async def signals_for(session: AsyncSession, user_id: int, today: date) -> Signals:
    """Summarise the last week of the diary into what the tip chooser reads.

    Read from the one per-day diary view (:func:`bot.diary.view.diary_days`), so a tip sees the
    same week as the recap: symptoms and foods count days, stress, sleep and pain are each day's
    value (the check-in's answer, else what a diary line said).
    """
    days = await diary_days(
        session, user_id, today - LOOK_BACK + timedelta(days=1), today, notes=False
    )
    stress = [v for day in days.values() if (v := score(day.value(STRESS))) is not None]
    sleep = [v for day in days.values() if (v := score(day.value(SLEEP))) is not None]
    pains = sorted(
        (when, int(pain))
        for when, day in days.items()
        if (pain := score(day.value(PAIN))) is not None
    )
    trend = None
    if len(pains) >= 2:
        span = max((pains[-1][0] - pains[0][0]).days, 1)
        trend = (pains[-1][1] - pains[0][1]) / span
    return Signals(
        symptom_counts=Counter(s for day in days.values() for s in day.symptoms),
        food_counts=Counter(g for day in days.values() for g in day.foods),
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
