"""A bot process that dies mid-send: runs one sweep whose messenger never returns from ``send``.

Used by ``test_delivery_crash.py``, which kills this process with SIGKILL once it prints
``SENDING <chat_id>``: by then the claim on that prompt has been committed, so the test can check
that a fresh process does not send it again. Run from the repository root::

    python tests/unit/sweep_crash_worker.py DATABASE_URL NOW_ISO [--batch N]
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime

from bot.base.clock import FrozenClock
from bot.chat.messenger import NO_BUTTONS, Keyboard
from bot.delivery.sweep import Sweeper
from bot.store.db import make_engine, make_sessions

MARKER = "SENDING"


class BlockingMessenger:
    """Says which chat it is sending to, then blocks forever, as a hung connection would."""

    async def send(
        self,
        chat_id: int,
        text: str,
        buttons: Keyboard = NO_BUTTONS,
        *,
        ask_location: str | None = None,
        clear_reply_keyboard: bool = False,
        silent: bool = False,
    ) -> int:
        print(f"{MARKER} {chat_id}", flush=True)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def edit(self, chat_id: int, message_id: int, text: str, buttons: Keyboard) -> None:
        raise AssertionError("not used by the sweep")

    async def send_photo(
        self, chat_id: int, png: bytes, caption: str, *, silent: bool = False
    ) -> int:
        raise AssertionError("not used by the sweep")

    async def send_file(self, chat_id: int, filename: str, data: bytes, caption: str) -> int:
        raise AssertionError("not used by the sweep")


async def run(url: str, now: datetime, batch: int) -> None:
    engine = make_engine(url)
    try:
        sweeper = Sweeper(make_sessions(engine), BlockingMessenger(), FrozenClock(now), batch=batch)
        await sweeper.run_once()
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="SQLAlchemy async database URL")
    parser.add_argument("now", help="the sweep's frozen clock, an aware ISO 8601 instant")
    parser.add_argument("--batch", type=int, default=1, help="prompts claimed per batch")
    args = parser.parse_args()
    asyncio.run(run(args.url, datetime.fromisoformat(args.now), args.batch))


if __name__ == "__main__":
    main()
