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
from bot.knowledge.trial_plan import Block, block_on, plan
from bot.knowledge.trials import experiment_wording, spec_for
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


def experiment_plan(experiment: Experiment) -> list[Block]:
    """The weeks of a randomised experiment (design 2), from what its row stores."""
    assert experiment.seed is not None and experiment.pairs is not None
    extra = [date.fromisoformat(day) for day in experiment.extra_starts or ()]
    return plan(experiment.started_on, experiment.seed, experiment.pairs, extra)


def stick_text(experiment: Experiment, day: date) -> str | None:
    """What the person is asked to do on ``day``: the swap, or their usual (design 2 by week)."""
    spec = spec_for(experiment.swap_id)
    if spec is None:
        return None
    if experiment.design < 2:
        return spec.stick
    block = block_on(experiment_plan(experiment), day)
    w = experiment_wording()
    if block is None or block.arm == "baseline":
        return w.stick_baseline
    if block.arm == "usual":
        return w.stick_usual.format(stick=spec.stick)
    return w.stick_swap.format(stick=spec.stick)


async def question_values(session: AsyncSession, user_id: int, day: date) -> dict[str, str]:
    """The swap to name in that day's adherence question (empty if none is known)."""
    experiment = await session.scalar(
        select(Experiment)
        .where(
            Experiment.user_id == user_id,
            Experiment.started_on <= day,
            Experiment.ends_on >= day,
        )
        .order_by(Experiment.id.desc())
        .limit(1)
    )
    text = stick_text(experiment, day) if experiment is not None else None
    return {"swap": text} if text is not None else {}
