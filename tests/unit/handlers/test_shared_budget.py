"""N bot processes on one token share Telegram's overall send budget (``GUTBACK_WORKERS``).

Telegram's ~30 messages/s is per bot, so two processes that each sent at the full rate would
together send twice what Telegram allows. Each process gets ``GUTBACK_GLOBAL_RATE / N``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.base.config import Settings
from handlers.app import build_application
from tests.fake_bot_api import FakeBotApi

GLOBAL_RATE = 20.0
PER_WORKER = 30  # messages each worker sends, each to a chat of its own


def test_each_worker_gets_an_equal_share_of_the_global_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).global_rate_per_worker == 28.0  # one process: all of it
    monkeypatch.setenv("GUTBACK_GLOBAL_RATE", "25")
    monkeypatch.setenv("GUTBACK_WORKERS", "4")
    assert Settings(_env_file=None).global_rate_per_worker == 6.25
    monkeypatch.setenv("GUTBACK_WORKERS", "0")
    with pytest.raises(ValidationError, match="GUTBACK_WORKERS"):
        Settings(_env_file=None)


async def test_two_workers_together_stay_within_the_global_rate(tmp_path: Path) -> None:
    async with FakeBotApi() as fake:
        settings = Settings(
            _env_file=None,
            telegram_bot_token=fake.token,
            telegram_api_url=fake.base_url,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
            global_rate_per_second=GLOBAL_RATE,
            chat_rate_per_second=100,
            workers=2,
        )
        workers = [build_application(settings) for _ in range(2)]
        for app in workers:
            await app.initialize()
        try:
            await asyncio.gather(
                *(
                    app.bot.send_message(chat_id=1000 * number + i, text="due")
                    for number, app in enumerate(workers, start=1)
                    for i in range(PER_WORKER)
                )
            )
        finally:
            for app in workers:
                await app.shutdown()
        sent = sorted(c.at for c in fake.calls_to("sendMessage") if c.error_code is None)

    assert len(sent) == 2 * PER_WORKER
    # Together the workers may start with one second's worth (a burst of 10 each), then must keep
    # to 20/s: the other 40 messages need at least 2 s. Two workers each at the full rate (the
    # budget not shared) would be done in about 0.5 s.
    assert sent[-1] - sent[0] >= 0.9 * (len(sent) - GLOBAL_RATE) / GLOBAL_RATE
