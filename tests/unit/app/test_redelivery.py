"""Telegram delivers updates at least once: a redelivery is absorbed, a failed one is retried."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.app.core import GutBack
from bot.base.clock import FrozenClock
from bot.chat.buttons import checkin_data
from bot.chat.messenger import Sender
from bot.diary import checkins
from bot.store.db import Sessions
from bot.store.models import Answer, Checkin
from gutback.terminal import TerminalMessenger
from tests.support import add_user

ALEX = Sender(platform_id=31, chat_id=31)


async def answers(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Answer)) or 0)


@pytest.fixture
async def core_with_checkin(sessions: Sessions) -> tuple[GutBack, int]:
    clock = FrozenClock(datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    await add_user(sessions, clock.now(), ALEX.chat_id)
    core = GutBack(sessions, TerminalMessenger(io.StringIO()), clock)
    await core.on_command(ALEX, "checkin", update_id=1)
    async with sessions() as session:
        checkin_id = await session.scalar(select(Checkin.id))
    assert checkin_id is not None
    return core, checkin_id


async def test_the_same_update_twice_records_once(
    sessions: Sessions, core_with_checkin: tuple[GutBack, int]
) -> None:
    core, checkin_id = core_with_checkin
    data = checkin_data(checkin_id, "pain", "6")
    await core.on_button(ALEX, 1, data, update_id=2)
    await core.on_button(ALEX, 1, data, update_id=2)
    async with sessions() as session:
        current = await session.scalar(select(Checkin.current))
    assert await answers(sessions) == 1
    assert current != "pain"


async def test_an_update_that_failed_is_handled_when_telegram_sends_it_again(
    sessions: Sessions,
    core_with_checkin: tuple[GutBack, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    core, checkin_id = core_with_checkin
    data = checkin_data(checkin_id, "pain", "6")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away mid-press")

    with monkeypatch.context() as patched:
        patched.setattr(checkins, "press", broken)
        with pytest.raises(RuntimeError):
            await core.on_button(ALEX, 1, data, update_id=3)
    assert await answers(sessions) == 0
    await core.on_button(ALEX, 1, data, update_id=3)  # Telegram redelivers: nothing was confirmed
    assert await answers(sessions) == 1
