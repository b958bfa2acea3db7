"""Diary lines typed between check-ins (bot/diary/freetext.py): the same line sent again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.chat.outbox import Outbox, Send
from bot.diary import freetext
from bot.store.db import Sessions
from bot.store.models import LogEntry, User
from tests.support import add_user

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
ALEX = 1001
LINE = "porridge with berries, back 4/10"


async def log(sessions: Sessions, text: str, now: datetime) -> Send:
    async with sessions() as session, session.begin():
        user = await session.scalar(select(User).where(User.platform_id == ALEX))
        assert user is not None
        outbox: Outbox = await freetext.handle(session, user, text, now)
    first = outbox.messages[0]
    assert isinstance(first, Send)
    return first


async def test_the_same_line_again_within_minutes_is_already_noted_and_later_is_a_new_entry(
    sessions: Sessions,
) -> None:
    await add_user(sessions, NOW - timedelta(days=1), ALEX)
    first = await log(sessions, LINE, NOW)
    assert first.text.startswith("Noted for")

    # The retry after "I couldn't save that" when the entry was stored after all.
    retry = await log(sessions, f" {LINE} ", NOW + timedelta(minutes=2))
    assert retry.text.startswith("Already noted ✓")
    assert retry.buttons == first.buttons  # its Undo removes the entry that was stored

    other = await log(sessions, LINE.replace("4/10", "5/10"), NOW + timedelta(minutes=3))
    assert other.text.startswith("Noted for")
    later = await log(sessions, LINE, NOW + timedelta(hours=3))  # a genuine repeat
    assert later.text.startswith("Noted for")
    async with sessions() as session:
        stored = list(await session.scalars(select(LogEntry.text).order_by(LogEntry.id)))
        assert await session.scalar(select(func.count()).select_from(LogEntry)) == 3
    assert stored == [LINE, LINE.replace("4/10", "5/10"), LINE]
