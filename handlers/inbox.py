"""A webhook worker's side of the inbox (bot/chat/inbox.py): nothing answered 200 is lost.

Each accepted update is put on the Application's queue at once (a warning sign is never held
up by the write) and written to the inbox in the same request; the 200 goes out once the write
is done. A handler in the last group deletes the row when the update has been handled. At start
the worker takes over what its previous run left (same host and port) and anything whose holder
went quiet for ``GUTBACK_TAKEOVER_SECONDS``; a repeating job says it is alive and takes over
rows of workers that stopped.

When the database is away the update is handled from memory only, as before the inbox existed,
and for a few seconds no write is tried, so that an outage costs one timeout, not one per update.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.chat import inbox
from bot.store.db import Sessions, is_unavailable

log = logging.getLogger(__name__)

#: After the inbox could not be written, updates are kept in memory only for this long.
DOWN_SECONDS = 10.0
#: Runs after every other handler group (a handler's error does not stop later groups).
DONE_GROUP = 1_000
#: Updates taken over at once.
TAKE_OVER_BATCH = 500
TEND_JOB = "gutback-inbox"


def worker_name(port: int) -> str:
    """Stable across restarts of the same worker (host and port), unique among live ones."""
    host = socket.gethostname()
    return f"{host}:{port}" if port else f"{host}:pid{os.getpid()}"


class WebhookInbox:
    def __init__(
        self, application: Application, sessions: Sessions, worker: str, takeover_seconds: float
    ) -> None:
        self.application = application
        self.sessions = sessions
        self.worker = worker
        self.takeover = timedelta(seconds=takeover_seconds)
        #: Update id -> its write, or whether it has a row (taken over: yes; database away: no).
        self._writes: dict[int, asyncio.Task[bool] | bool] = {}
        self._down_until = 0.0
        application.add_handler(TypeHandler(Update, self._handled), group=DONE_GROUP)

    @staticmethod
    def now() -> datetime:
        # Real time, not the bot's clock: "alive" is about processes (tests freeze the clock).
        return datetime.now(UTC)

    async def accept(self, update: Update, body: dict[str, Any]) -> None:
        """Queue the update for handling and keep it in the inbox; returns once it is kept."""
        if time.monotonic() < self._down_until:
            self._writes[update.update_id] = False
            self.application.update_queue.put_nowait(update)
            return
        write = asyncio.create_task(self._write(update, body))
        self._writes[update.update_id] = write
        self.application.update_queue.put_nowait(update)
        await asyncio.shield(write)

    async def _write(self, update: Update, body: dict[str, Any]) -> bool:
        user = update.effective_user
        try:
            async with self.sessions() as session, session.begin():
                await inbox.accept(
                    session,
                    update.update_id,
                    user.id if user is not None else None,
                    body,
                    self.worker,
                    self.now(),
                )
        except Exception as error:
            # Never the error itself: its message may quote the update (the person's text).
            if is_unavailable(error):
                self._down_until = time.monotonic() + DOWN_SECONDS
            log.warning(
                "update kept in memory only: inbox not written",
                extra={"update_id": update.update_id, "error": type(error).__name__},
            )
            return False
        return True

    async def _handled(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        write = self._writes.pop(update.update_id, True)
        kept = await write if isinstance(write, asyncio.Task) else write
        if not kept:
            return  # kept in memory only: no row to clear
        try:
            async with self.sessions() as session, session.begin():
                await inbox.done(session, update.update_id)
        except Exception as error:
            # Left in the inbox: handled again later, and dropped then as a redelivery.
            log.warning(
                "handled update not cleared from the inbox",
                extra={"update_id": update.update_id, "error": type(error).__name__},
            )

    async def replay(self) -> int:
        """At start: queue what this worker's previous run and stopped workers left."""
        return await self._take_over(own=True)

    async def tend(self, _: ContextTypes.DEFAULT_TYPE | None = None) -> None:
        """Say this worker is alive; take over the updates of workers that went quiet."""
        try:
            async with self.sessions() as session, session.begin():
                await inbox.heartbeat(session, self.worker, self.now())
            await self._take_over(own=False)
        except Exception as error:
            if not is_unavailable(error):
                raise
            log.warning("inbox not tended: database unavailable")

    async def _take_over(self, *, own: bool) -> int:
        now = self.now()
        async with self.sessions() as session, session.begin():
            bodies = await inbox.take_over(
                session, self.worker, now, now - self.takeover, TAKE_OVER_BATCH, own=own
            )
        for body in bodies:
            try:
                update = Update.de_json(body, self.application.bot)
            except Exception:
                update_id = body.get("update_id")
                log.warning("inbox update unreadable: dropped", extra={"update_id": update_id})
                if isinstance(update_id, int):
                    async with self.sessions() as session, session.begin():
                        await inbox.done(session, update_id)
                continue
            self._writes[update.update_id] = True
            self.application.update_queue.put_nowait(update)
        if bodies:
            log.warning("accepted updates taken over", extra={"count": len(bodies)})
        return len(bodies)

    def schedule(self) -> None:
        """Tend the inbox a few times per takeover period."""
        assert self.application.job_queue is not None
        every = max(1.0, self.takeover.total_seconds() / 4)
        self.application.job_queue.run_repeating(
            self.tend,
            interval=every,
            first=every,
            name=TEND_JOB,
            job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
