"""The experiment's "did you stick to it today?" question: when a check-in asks it, for which swap.

Kept in the diary (not with the ``/experiment`` conversation, which sits above it) because the
check-in and the sweep need it on every check-in: is an experiment running on this day, and
where in the check-in does its question go.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.times import local_now
from bot.diary.questions import EXPERIMENT, FOOD, SCREEN
from bot.knowledge.trials import spec_for
from bot.store.models import Experiment, User
from bot.store.states import ExperimentStatus

#: A ``/checkin`` from this local time on counts as the evening one.
EVENING_FROM = time(17, 0)


def with_question(questions: list[str], *, evening: bool = False) -> list[str]:
    """Add "did you stick to it today?" to a check-in that asks about food, right after food.

    A check-in without the food question gets it only in the ``evening`` (a ``/checkin`` late in
    the day), before the weekly warning-sign screen so that the screen stays last.
    """
    if EXPERIMENT in questions:
        return questions
    if FOOD in questions:
        at = questions.index(FOOD) + 1
        return [*questions[:at], EXPERIMENT, *questions[at:]]
    if not evening:
        return questions
    at = questions.index(SCREEN) if SCREEN in questions else len(questions)
    return [*questions[:at], EXPERIMENT, *questions[at:]]


async def running_for(session: AsyncSession, days: set[tuple[int, date]]) -> set[tuple[int, date]]:
    """Which (user id, local day) pairs fall inside a running experiment: one query per batch."""
    if not days:
        return set()
    rows = await session.execute(
        select(Experiment.user_id, Experiment.started_on, Experiment.ends_on).where(
            Experiment.user_id.in_({user_id for user_id, _ in days}),
            Experiment.status == ExperimentStatus.ACTIVE,
        )
    )
    spans = rows.all()
    return {
        (user_id, day)
        for user_id, day in days
        if any(who == user_id and start <= day <= end for who, start, end in spans)
    }


async def with_question_now(
    session: AsyncSession,
    user: User,
    day: date,
    questions: list[str],
    answered: Mapping[str, object],
    now: datetime,
) -> list[str]:
    """A ``/checkin`` during an experiment: ask once a day, with food or in the evening."""
    if EXPERIMENT in answered or not await running_for(session, {(user.id, day)}):
        return questions
    assert user.timezone is not None
    evening = local_now(now, user.timezone).time() >= EVENING_FROM
    return with_question(questions, evening=evening)


async def question_values(session: AsyncSession, user_id: int, day: date) -> dict[str, str]:
    """The swap to name in that day's adherence question (empty if none is known)."""
    swap_id = await session.scalar(
        select(Experiment.swap_id)
        .where(
            Experiment.user_id == user_id,
            Experiment.started_on <= day,
            Experiment.ends_on >= day,
        )
        .order_by(Experiment.id.desc())
        .limit(1)
    )
    spec = spec_for(swap_id) if swap_id is not None else None
    return {"swap": spec.stick} if spec is not None else {}
