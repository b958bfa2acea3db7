"""End-to-end harness: the real PTB Application, built by the composition root, talking HTTP to
the fake Bot API server, with an injected clock so scheduled check-ins arrive on demand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram.ext import Application

from bot.base.clock import FrozenClock
from bot.base.config import Settings
from bot.store.db import make_engine, make_sessions
from bot.store.models import ProcessedUpdate
from handlers.app import build_application, runtime_of
from tests.fake_bot_api import BotMessage, FakeBotApi

# A Monday in winter: Berlin is UTC+1.
START = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)


@dataclass
class Harness:
    fake: FakeBotApi
    database_url: str
    clock: FrozenClock
    sweep_seconds: float = 0.1
    app: Application | None = None
    apps: list[Application] = field(default_factory=list)
    #: Settings to change for the app under test (e.g. a database URL through a proxy).
    overrides: dict[str, Any] = field(default_factory=dict)

    def settings(self) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": self.fake.token,
            "telegram_api_url": self.fake.base_url,
            "database_url": self.database_url,
            "sweep_seconds": self.sweep_seconds,
            "global_rate_per_second": 200,
            # Conversations in tests move faster than thumbs; pacing has its own test.
            "chat_rate_per_second": 100,
        }
        return Settings(_env_file=None, **{**values, **self.overrides})

    async def start(self) -> Application:
        app = build_application(self.settings(), clock=self.clock, migrate_on_start=False)
        runtime_of(app).core.breath_pace = 0.0  # the breathing break's pauses take no time here
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1, drop_pending_updates=False)
        await app.start()
        self.app = app
        self.apps.append(app)
        return app

    async def stop(self) -> None:
        app, self.app = self.app, None
        if app is None:
            return
        assert app.updater is not None
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def sweep_now(self) -> None:
        """Wait for the scheduler's next sweep (the real job, not a direct call)."""
        assert self.app is not None
        sweeper = runtime_of(self.app).sweeper
        before = sweeper.last_finished_count
        await self.fake.wait_for(lambda: sweeper.last_finished_count >= before + 2, timeout=5)

    async def query(self, statement: Any) -> Any:
        engine = make_engine(self.database_url)
        try:
            async with make_sessions(engine)() as session:
                return (await session.execute(statement)).all()
        finally:
            await engine.dispose()

    async def settled(self) -> None:
        """Wait until the last update queued was handled and committed.

        A warning sign is answered before its transaction (bot/app/warning_first.py), so its
        record may land a moment after the answer did.
        """
        last = self.fake._next_update_id - 1

        async def committed() -> bool:
            return bool(await self.count(ProcessedUpdate, ProcessedUpdate.update_id == last))

        await self.fake.wait_for(committed)

    async def count(self, model: Any, *where: Any) -> int:
        rows = await self.query(select(func.count()).select_from(model).where(*where))
        return int(rows[0][0])

    # --- a person using the bot ---------------------------------------------------------------

    async def say(
        self, user_id: int, text: str, expect: str | None = None, **kw: Any
    ) -> BotMessage:
        self.fake.user_sends_text(user_id, text, **kw)
        return await self.fake.wait_for_message(user_id, expect)

    async def tap(
        self, user_id: int, message: BotMessage, label: str, expect: str | None = None
    ) -> BotMessage:
        current = next(m for m in self.fake.messages(user_id) if m.message_id == message.message_id)
        self.fake.user_presses(user_id, message.message_id, current.data_for(label))
        return await self.fake.wait_for_message(user_id, expect)

    async def press(self, user_id: int, message_id: int, data: str) -> str | None:
        """Press a button and return the notice the bot showed on it (``None`` for none)."""
        query_id = self.fake.user_presses(user_id, message_id, data)["callback_query"]["id"]

        def answer() -> dict[str, Any] | None:
            for answered in self.fake.callback_answers:
                if answered["callback_query_id"] == query_id:
                    return answered
            return None

        return (await self.fake.wait_for(answer)).get("text")

    async def onboard(
        self, user_id: int, city: str = "Berlin", preset: str = "08:00 and 20:00"
    ) -> None:
        welcome = await self.say(user_id, "/start", "I agree")
        zone_prompt = await self.tap(user_id, welcome, "I agree", "timezone")
        assert "timezone" in zone_prompt.text
        await self.say(user_id, city, "Step 2 of 2")
        times = self.fake.last_message(user_id)
        assert times is not None
        await self.tap(user_id, times, preset, "All set")


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    async with FakeBotApi() as fake:
        harness = Harness(fake, database_url, FrozenClock(START))
        try:
            yield harness
        finally:
            await harness.stop()


def at(hours: float) -> timedelta:
    return timedelta(hours=hours)
