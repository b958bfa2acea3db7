"""A definite warning sign is answered before any database work, and only once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot.app.core import GutBack
from bot.base.clock import FrozenClock
from bot.chat.messenger import Sender
from bot.store.db import Sessions
from bot.store.models import SafetyEvent
from tests.support import RecordingMessenger, add_person

ALEX = Sender(platform_id=31, chat_id=31)
CAUDA_EQUINA = "I can't feel anything when I wipe and I can't pee since this morning"


class _Held:
    def __init__(self, session: Any, gate: asyncio.Event) -> None:
        self.session, self.gate = session, gate

    async def __aenter__(self) -> Any:
        await self.gate.wait()  # the database does not answer until the gate opens
        return await self.session.__aenter__()

    async def __aexit__(self, *exc: object) -> None:
        await self.session.__aexit__(*exc)


class HeldSessions:
    """Sessions that wait, as on a database that stopped answering, until ``release()``."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions, self.gate = sessions, asyncio.Event()

    def __call__(self) -> _Held:
        return _Held(self.sessions(), self.gate)

    def release(self) -> None:
        self.gate.set()


async def test_the_answer_goes_out_while_the_database_waits_and_is_stored_after(
    sessions: Sessions,
) -> None:
    clock = FrozenClock(datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    await add_person(sessions, ALEX.platform_id)
    messenger = RecordingMessenger(clock)
    held = HeldSessions(sessions)
    core = GutBack(held, messenger, clock)  # type: ignore[arg-type]
    handling = asyncio.create_task(core.on_text(ALEX, CAUDA_EQUINA, update_id=1))
    await asyncio.wait_for(_said(messenger), 5)
    assert not handling.done()  # still waiting for the database
    [answer] = messenger.sent
    assert "emergency" in answer.text.lower()
    held.release()
    await handling
    # Stored once the database answered, and said once.
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SafetyEvent)) >= 1
    assert messenger.sent == [answer]
    # Telegram's copy of the same update is not answered again.
    await core.on_text(ALEX, CAUDA_EQUINA, update_id=1)
    assert messenger.sent == [answer]


async def test_a_reply_to_an_open_question_waits_for_the_transaction(sessions: Sessions) -> None:
    """ "yes, and I can't pee" may answer the bot's question: it needs the stored question."""
    clock = FrozenClock(datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    await add_person(sessions, ALEX.platform_id)
    messenger = RecordingMessenger(clock)
    held = HeldSessions(sessions)
    core = GutBack(held, messenger, clock)  # type: ignore[arg-type]
    handling = asyncio.create_task(core.on_text(ALEX, "yes, and " + CAUDA_EQUINA, update_id=2))
    await asyncio.sleep(0.7)  # longer than the timezone look-up would wait
    assert messenger.sent == []
    held.release()
    await handling
    assert len(messenger.sent) == 1


async def _said(messenger: RecordingMessenger) -> None:
    while not messenger.sent:  # noqa: ASYNC110 - the recording messenger has no event
        await asyncio.sleep(0.01)
