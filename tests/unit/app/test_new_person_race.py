"""Two workers handle a new person's /start and first message at the same moment.

Before creating a person was an upsert, the second INSERT failed on the unique platform_id
(10 of 10 trials on PostgreSQL) and that message was lost.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.app.core import GutBack
from bot.base.clock import FrozenClock
from bot.base.wording import t
from bot.chat.messenger import Sender
from bot.store.db import Sessions
from bot.store.models import User
from tests.support import RecordingMessenger

TRIALS = 10


async def test_both_updates_of_a_new_person_are_handled(
    sessions: Sessions, second_process: Sessions
) -> None:
    clock = FrozenClock(datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    one, two = RecordingMessenger(clock), RecordingMessenger(clock)
    first, second = GutBack(sessions, one, clock), GutBack(second_process, two, clock)
    for trial in range(TRIALS):
        person = Sender(platform_id=7000 + trial, chat_id=7000 + trial)
        await asyncio.gather(
            first.on_command(person, "start", update_id=2 * trial + 1),
            second.on_text(person, "hello", update_id=2 * trial + 2),
        )
        welcomes = [s for s in one.to(person.chat_id) if "I agree" in str(s.buttons)]
        assert welcomes, f"trial {trial}: /start unanswered"
        assert [s.text for s in two.to(person.chat_id)] == [t("consent_needed")], trial
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == TRIALS
