"""Updates of different chats at once, those of one chat in order.

PTB handles updates one at a time by default, so one person's burst (each reply waiting for
that chat's send pacing, about one message a second) or a database that stopped answering held
up everybody behind it: a warning-sign answer came 35-40 s late. PTB's concurrent mode runs
every update at once, which would let a person's second message overtake their first (a check-in
answer before the question it answers, "yes" before the message it replies to).

Here each chat has a lane: an update waits only for the earlier updates of its own chat, and
different chats run side by side. Two bounds:

- ``max_running``: how many updates are handled at the same moment (across chats). It is
  taken *after* the chat's turn comes, so updates queued behind their own chat hold nothing
  (with PTB's own semaphore, which is taken first, one chat's 300 queued messages would fill
  every slot and stall every other chat again).
- ``max_admitted`` (PTB's ``max_concurrent_updates``): how many updates may be in hand at all,
  queued or running; beyond it PTB's update fetcher waits, so memory stays bounded.

A lane exists only while its chat has an update in hand, and goes away when the last one ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Hashable
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

#: Updates handled at the same moment. Each holds at most one database connection at a time,
#: and waits on the network most of the time; the pool bounds the database side itself.
MAX_RUNNING = 256
#: Updates in hand (queued in their lane or running).
MAX_ADMITTED = 4096


@dataclass
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: Updates of this chat in hand (waiting for the lock or holding it).
    holders: int = 0


def lane_key(update: object) -> Hashable | None:
    """The chat an update belongs to (its person when it has no chat), or ``None``.

    Updates with neither (a poll's state, an unknown kind) keep no order with anything.
    """
    if not isinstance(update, Update):
        return None
    chat = update.effective_chat
    if chat is not None:
        return ("chat", chat.id)
    user = update.effective_user
    if user is not None:
        return ("user", user.id)
    return None


class PerChatProcessor(BaseUpdateProcessor):
    """A PTB update processor that keeps each chat's updates in order and runs chats at once."""

    def __init__(self, *, max_running: int = MAX_RUNNING, max_admitted: int = MAX_ADMITTED) -> None:
        if max_running < 1:
            raise ValueError("max_running must be at least 1")
        super().__init__(max(max_admitted, max_running))
        self.max_running = max_running
        self._running: asyncio.Semaphore | None = None
        self._lanes: dict[Hashable, _Lane] = {}

    @property
    def lanes(self) -> int:
        """Chats with an update in hand (idle chats hold no lane)."""
        return len(self._lanes)

    async def initialize(self) -> None:
        self._running = asyncio.Semaphore(self.max_running)

    async def shutdown(self) -> None:
        # PTB's Application.stop() has waited for every update task before this is called.
        self._lanes.clear()

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        if self._running is None:
            self._running = asyncio.Semaphore(self.max_running)
        running = self._running
        key = lane_key(update)
        if key is None:
            async with running:
                await coroutine
            return
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        lane.holders += 1
        try:
            async with lane.lock, running:
                await coroutine
        finally:
            lane.holders -= 1
            if lane.holders == 0 and self._lanes.get(key) is lane:
                del self._lanes[key]
