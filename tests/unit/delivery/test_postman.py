"""The postman: every kind of message marks a person who blocked the bot the same way.

Before the postman, the safety follow-up had a sender of its own that ignored a blocked chat, so the
person stayed "active" and the sweep kept trying them. These tests pin the one rule for the
follow-up and for a reply, next to the sweep's own tests in test_delivery.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.base.clock import FrozenClock
from bot.chat.outbox import Outbox
from bot.delivery.postman import Postman
from bot.delivery.sweep import Sweeper
from bot.store.db import Sessions
from bot.store.models import SafetyEvent, Schedule, User
from bot.store.states import DeliveryStatus
from tests.support import RecordingMessenger, add_user

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def messenger(clock: FrozenClock) -> RecordingMessenger:
    return RecordingMessenger(clock)


async def is_gone(sessions: Sessions, user_id: int) -> bool:
    """Inactive, and no schedule of theirs is due any more."""
    async with sessions() as session:
        user = await session.get(User, user_id)
        dues = await session.scalars(
            select(Schedule.next_due_at).where(Schedule.user_id == user_id)
        )
        assert user is not None
        return user.active is False and set(dues) == {None}


async def test_a_safety_follow_up_to_a_blocked_chat_marks_the_person_gone(
    sessions: Sessions, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    blocked = await add_user(sessions, NOW, 501)
    async with sessions() as session, session.begin():
        session.add(
            SafetyEvent(
                user_id=blocked,
                flag_id="cauda_equina",
                tier="emergency",
                source="message",
                created_at=NOW - timedelta(hours=4),
                follow_up_at=NOW - timedelta(minutes=1),
            )
        )
    messenger.gone.add(501)

    stats = await Sweeper(sessions, messenger, clock).run_once()

    assert messenger.to(501) == []
    assert stats.counts["follow_up"] == 0
    assert await is_gone(sessions, blocked)


async def test_a_follow_up_that_arrives_is_counted_and_leaves_the_person_active(
    sessions: Sessions, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    person = await add_user(sessions, NOW, 502)
    async with sessions() as session, session.begin():
        session.add(
            SafetyEvent(
                user_id=person,
                flag_id="cauda_equina",
                tier="emergency",
                source="message",
                created_at=NOW - timedelta(hours=4),
                follow_up_at=NOW - timedelta(minutes=1),
            )
        )

    stats = await Sweeper(sessions, messenger, clock).run_once()

    [follow_up] = messenger.to(502)
    assert "help" in follow_up.text
    assert stats.counts["follow_up"] == 1
    assert not await is_gone(sessions, person)


async def test_a_reply_to_a_blocked_chat_marks_the_person_gone(
    sessions: Sessions, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    blocked = await add_user(sessions, NOW, 503)
    messenger.gone.add(503)

    await Postman(sessions, messenger, clock).deliver(503, Outbox.saying("hi"), user_id=blocked)

    assert await is_gone(sessions, blocked)


async def test_post_tells_the_outcome_instead_of_raising(
    sessions: Sessions, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    postman = Postman(sessions, messenger, clock)
    messenger.gone.add(504)

    sent = await postman.post(505, Outbox.saying("hello").messages[0], user_id=None)
    gone = await postman.post(504, Outbox.saying("hello").messages[0], user_id=None)

    assert sent.status is DeliveryStatus.SENT and sent.message_id is not None
    assert gone.status is DeliveryStatus.GONE and gone.message_id is None
