"""What the two experiment sweeps share: which experiments to look at now, and claiming a message.

A week's message (:mod:`bot.experiments.weeks`) and the result (:mod:`bot.experiments.results`)
are found and claimed the same way: active experiments of people who can be written to, the
rows locked for this worker (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never
look at the same experiment), and one delivery row per message inserted with
``ON CONFLICT DO NOTHING``: whoever inserts it sends it. Kept in one place so the two cannot
drift apart on who is skipped or how a message is claimed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from bot.people.users import is_paused
from bot.store.db import insert_for
from bot.store.models import Delivery, Experiment, User
from bot.store.states import DeliveryStatus, ExperimentStatus


async def due_experiments(
    session: AsyncSession,
    now: datetime,
    limit: int,
    *where: ColumnElement[bool],
    order: QueryableAttribute[Any],
) -> list[tuple[Experiment, User]]:
    """Up to ``limit`` active experiments matching ``where``, with their people, ``order`` first.

    Paused people are skipped in SQL, or enough of them would fill every batch; the exact pause
    (``paused_until`` passed) and a person with no timezone yet are checked here.
    """
    rows = (
        await session.execute(
            select(Experiment, User)
            .join(User, User.id == Experiment.user_id)
            .where(
                Experiment.status == ExperimentStatus.ACTIVE,
                *where,
                User.active,
                or_(~User.paused, User.paused_until <= now),
            )
            .order_by(order, Experiment.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Experiment)
        )
    ).all()
    return [
        (experiment, user)
        for experiment, user in rows
        if user.timezone is not None and not is_paused(user, now)
    ]


async def claim_message(
    session: AsyncSession, user_id: int, kind: str, local_date: date, slot: int, now: datetime
) -> int | None:
    """Insert the delivery row that claims one message; its id, or ``None`` if already claimed."""
    return await session.scalar(
        insert_for(session, Delivery)
        .values(
            user_id=user_id,
            kind=kind,
            local_date=local_date,
            slot=slot,
            status=DeliveryStatus.CLAIMED,
            claimed_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "kind", "local_date", "slot"])
        .returning(Delivery.id)
    )
