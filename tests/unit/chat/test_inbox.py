"""The webhook inbox (bot/chat/inbox.py): kept until handled, taken over from quiet workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.chat import inbox
from bot.privacy.export_and_delete import erase_everything
from bot.store.db import Sessions
from bot.store.models import InboxUpdate
from tests.support import add_user

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
TAKEOVER = timedelta(minutes=2)
ALEX, SAM = 1001, 2002


def body(update_id: int, sender: int) -> dict[str, object]:
    return {"update_id": update_id, "message": {"text": "private words", "from": {"id": sender}}}


async def keep(sessions: Sessions, update_id: int, sender: int, worker: str, at: datetime) -> None:
    async with sessions() as session, session.begin():
        await inbox.accept(session, update_id, sender, body(update_id, sender), worker, at)


async def take(sessions: Sessions, worker: str, at: datetime, *, own: bool = False) -> list[int]:
    async with sessions() as session, session.begin():
        bodies = await inbox.take_over(session, worker, at, at - TAKEOVER, 100, own=own)
    return [int(b["update_id"]) for b in bodies]  # type: ignore[call-overload]


async def test_a_quiet_workers_updates_are_taken_over_and_a_live_ones_are_not(
    sessions: Sessions,
) -> None:
    await keep(sessions, 3, ALEX, "a:8080", NOW)
    await keep(sessions, 1, ALEX, "a:8080", NOW)
    await keep(sessions, 2, SAM, "b:8081", NOW)
    await keep(sessions, 2, SAM, "a:8080", NOW)  # a redelivery to the other worker: kept once

    assert await take(sessions, "b:8081", NOW + timedelta(minutes=1)) == []  # not quiet yet
    assert await take(sessions, "a:8080", NOW, own=True) == [1, 3]  # a restarted: its own, in order

    async with sessions() as session, session.begin():
        await inbox.heartbeat(session, "a:8080", NOW + timedelta(minutes=3))
    # b went quiet; a said it is alive.
    assert await take(sessions, "c:8082", NOW + timedelta(minutes=3)) == [2]
    async with sessions() as session, session.begin():
        await inbox.done(session, 2)
    async with sessions() as session:
        rows = (await session.execute(select(InboxUpdate.update_id, InboxUpdate.claimed_by))).all()
    assert sorted(rows) == [(1, "a:8080"), (3, "a:8080")]


async def test_an_update_that_could_never_be_handled_is_dropped_after_a_day(
    sessions: Sessions,
) -> None:
    await keep(sessions, 9, ALEX, "a:8080", NOW)
    assert await take(sessions, "a:8080", NOW + timedelta(hours=25), own=True) == []


async def test_erasing_a_person_erases_their_updates_still_waiting(sessions: Sessions) -> None:
    alex = await add_user(sessions, NOW, ALEX)
    await keep(sessions, 1, ALEX, "a:8080", NOW)
    await keep(sessions, 2, SAM, "a:8080", NOW)
    async with sessions() as session, session.begin():
        await erase_everything(session, alex)
    async with sessions() as session:
        left = list(await session.scalars(select(InboxUpdate.platform_id)))
    assert left == [SAM]
