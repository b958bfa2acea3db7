"""The webhook inbox: updates a worker answered 200 for, kept in the database until handled.

Telegram counts an update as delivered the moment the webhook answers 200 and never sends it
again, so a worker killed with updates still queued in memory would lose them for good. A
webhook worker therefore writes each accepted update here in the same request, before the 200
(:func:`accept`), and deletes it once handled (:func:`done`). Rows left behind are handled by
whoever takes them over (:func:`take_over`): the same worker when it starts again (rows under
its own name), or any worker once their holder has not said it is alive (:func:`heartbeat`) for
``GUTBACK_TAKEOVER_SECONDS``. Handling twice is harmless: the core drops an update id it has
already handled.

Long polling needs no inbox: an update is confirmed to Telegram only by the next
``getUpdates`` offset, after it was fetched, and a process that dies before that gets the same
updates again when it restarts.

The rows hold the raw update (message text included) for the seconds it waits, and the sender's
platform id, so that erasing a person also erases what of theirs is still waiting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.db import insert_for
from bot.store.models import InboxUpdate

#: Telegram keeps an update 24 hours; one still here after that could not be handled at all
#: (it failed before any handler ran) and is dropped instead of being replayed at every start.
KEPT_AT_MOST = timedelta(hours=24)


async def accept(
    session: AsyncSession,
    update_id: int,
    platform_id: int | None,
    body: dict[str, Any],
    worker: str,
    now: datetime,
) -> None:
    """Keep an accepted update; a copy already kept (a redelivery) is left as it is."""
    await session.execute(
        insert_for(session, InboxUpdate)
        .values(
            update_id=update_id,
            platform_id=platform_id,
            body=body,
            received_at=now,
            claimed_by=worker,
            claimed_at=now,
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
    )


async def done(session: AsyncSession, update_id: int) -> None:
    """The update was handled: forget it."""
    await session.execute(delete(InboxUpdate).where(InboxUpdate.update_id == update_id))


async def heartbeat(session: AsyncSession, worker: str, now: datetime) -> None:
    """This worker is alive: its waiting updates are not to be taken over."""
    await session.execute(
        update(InboxUpdate).where(InboxUpdate.claimed_by == worker).values(claimed_at=now)
    )


async def take_over(
    session: AsyncSession,
    worker: str,
    now: datetime,
    stale_before: datetime,
    limit: int,
    *,
    own: bool = False,
) -> list[dict[str, Any]]:
    """Claim updates whose holder went quiet before ``stale_before`` (and, with ``own``, those
    this worker's previous run left); returns their bodies, oldest update first."""
    await session.execute(delete(InboxUpdate).where(InboxUpdate.received_at < now - KEPT_AT_MOST))
    stale = InboxUpdate.claimed_at < stale_before
    condition = or_(stale, InboxUpdate.claimed_by == worker) if own else stale
    rows = (
        await session.scalars(
            select(InboxUpdate)
            .where(condition)
            .order_by(InboxUpdate.update_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not rows:
        return []
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id.in_([row.update_id for row in rows]))
        .values(claimed_by=worker, claimed_at=now)
    )
    return [row.body for row in rows]


async def erase(session: AsyncSession, platform_id: int) -> None:
    """A person's updates still waiting, erased with the rest of their data."""
    await session.execute(delete(InboxUpdate).where(InboxUpdate.platform_id == platform_id))
