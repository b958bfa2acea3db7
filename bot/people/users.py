"""Loading people and keeping their schedules in step with their settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.messenger import Sender
from bot.people.schedules import reschedule, stop_schedules
from bot.store.models import User


async def find_user(session: AsyncSession, platform_id: int) -> User | None:
    return await session.scalar(select(User).where(User.platform_id == platform_id))


async def get_or_create_user(session: AsyncSession, sender: Sender, now: datetime) -> User:
    """The person behind a message; creating the row stores no health data (that needs consent)."""
    user = await find_user(session, sender.platform_id)
    if user is None:
        user = User(
            platform_id=sender.platform_id,
            chat_id=sender.chat_id,
            onboarding_step="consent",
            active=True,
            paused=False,
            created_at=now,
            updated_at=now,
        )
        session.add(user)
        await session.flush()
    elif not user.active:
        # They wrote to us, so they no longer block the bot: start their schedule again.
        user.active = True
        user.updated_at = now
        await reschedule(session, user, now)
    return user


# --- the weekly recap's schedule ----------------------------------------------------------------


def is_paused(user: User, now: datetime) -> bool:
    return user.paused and (user.paused_until is None or user.paused_until > now)


async def mark_gone(session: AsyncSession, user_id: int, now: datetime) -> None:
    """The person blocked the bot: inactive, and out of the sweep until they write again.

    The one place this is written; the postman calls it for every kind of message.
    """
    await session.execute(
        update(User).where(User.id == user_id).values(active=False, updated_at=now)
    )
    await stop_schedules(session, user_id)
