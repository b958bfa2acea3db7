"""Loading people and keeping their schedules in step with their settings."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.times import local_date, start_of_day
from bot.chat.messenger import Sender
from bot.people.schedules import reschedule, stop_schedules
from bot.store.db import insert_for
from bot.store.models import User


async def find_user(session: AsyncSession, platform_id: int) -> User | None:
    return await session.scalar(select(User).where(User.platform_id == platform_id))


async def get_or_create_user(session: AsyncSession, sender: Sender, now: datetime) -> User:
    """The person behind a message; creating the row stores no health data (that needs consent).

    Creating is an upsert (``INSERT ... ON CONFLICT DO NOTHING``, then read): a new person's
    ``/start`` and first message handled by two workers at once both find the one row, where a
    plain INSERT failed the second on the unique ``platform_id`` and lost that message.
    """
    user = await find_user(session, sender.platform_id)
    if user is None:
        await session.execute(
            insert_for(session, User)
            .values(
                platform_id=sender.platform_id,
                chat_id=sender.chat_id,
                onboarding_step="consent",
                active=True,
                paused=False,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["platform_id"])
        )
        user = await find_user(session, sender.platform_id)
        assert user is not None, "the person's row exists after the upsert"
    elif not user.active:
        # They wrote to us, so they no longer block the bot: start their schedule again.
        user.active = True
        user.updated_at = now
        await reschedule(session, user, now)
    return user


# --- the weekly recap's schedule ----------------------------------------------------------------


def is_paused(user: User, now: datetime) -> bool:
    return user.paused and (user.paused_until is None or user.paused_until > now)


def pause_end(now: datetime, zone: str, days: int) -> datetime:
    """The start of the local day ``days`` after today: a pause ends on a day, not a minute.

    ``/pause 1`` keeps today quiet and check-ins come back tomorrow; ``/pause 7`` on a Tuesday
    brings them back next Tuesday. (A midnight that a clock change skips falls on the first
    minute after it.)
    """
    return start_of_day(local_date(now, zone) + timedelta(days=days), zone)


def back_on(user: User) -> date:
    """The local day a pause with an end gives way to check-ins again."""
    assert user.timezone is not None and user.paused_until is not None
    return local_date(user.paused_until, user.timezone)


def move_pause(user: User, old_zone: str | None) -> None:
    """After a timezone change a pause still ends at the start of the same day, local time."""
    if user.paused_until is None or old_zone is None or user.timezone is None:
        return
    user.paused_until = start_of_day(local_date(user.paused_until, old_zone), user.timezone)


async def mark_gone(session: AsyncSession, user_id: int, now: datetime) -> None:
    """The person blocked the bot: inactive, and out of the sweep until they write again.

    The one place this is written; the postman calls it for every kind of message.
    """
    await session.execute(
        update(User).where(User.id == user_id).values(active=False, updated_at=now)
    )
    await stop_schedules(session, user_id)
