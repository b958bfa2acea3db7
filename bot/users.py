"""Loading people and keeping their schedules in step with their settings."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messenger import Sender
from bot.models import Schedule, User
from bot.schedule import local_now, next_daily

CHECKIN = "checkin"
DEFAULT_TIMES = (time(8, 0), time(20, 0))


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


async def checkin_times(session: AsyncSession, user: User) -> list[time]:
    rows = await session.scalars(
        select(Schedule.local_time)
        .where(Schedule.user_id == user.id, Schedule.kind == CHECKIN)
        .order_by(Schedule.slot)
    )
    return list(rows)


async def set_checkin_times(
    session: AsyncSession, user: User, times: list[time], now: datetime
) -> None:
    """Replace the daily check-in slots; each gets its next due instant in the person's zone."""
    assert user.timezone is not None
    await session.execute(
        delete(Schedule).where(Schedule.user_id == user.id, Schedule.kind == CHECKIN)
    )
    for slot, local_time in enumerate(sorted(times)):
        session.add(
            Schedule(
                user_id=user.id,
                kind=CHECKIN,
                slot=slot,
                local_time=local_time,
                next_due_at=next_daily(local_time, user.timezone, now),
            )
        )
    await session.flush()


async def reschedule(session: AsyncSession, user: User, now: datetime) -> None:
    """Recompute every next due instant from now (after a timezone change or a return)."""
    if user.timezone is None:
        return
    schedules = await session.scalars(select(Schedule).where(Schedule.user_id == user.id))
    for schedule in schedules:
        schedule.next_due_at = next_daily(schedule.local_time, user.timezone, now)


async def stop_schedules(session: AsyncSession, user_id: int) -> None:
    """Take a person out of the sweep entirely (they blocked the bot)."""
    await session.execute(
        update(Schedule).where(Schedule.user_id == user_id).values(next_due_at=None)
    )


async def next_checkin_at(session: AsyncSession, user: User) -> datetime | None:
    return await session.scalar(
        select(Schedule.next_due_at)
        .where(Schedule.user_id == user.id, Schedule.kind == CHECKIN)
        .order_by(Schedule.next_due_at)
        .limit(1)
    )


def is_paused(user: User, now: datetime) -> bool:
    return user.paused and (user.paused_until is None or user.paused_until > now)


def format_local(instant: datetime, zone: str, now: datetime) -> str:
    """'today at 20:00', 'tomorrow at 08:00' or 'Mon 3 Mar at 08:00', in the person's zone."""
    local = local_now(instant, zone)
    today = local_now(now, zone).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return f"today at {clock}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow at {clock}"
    return f"{local.strftime('%a')} {local.day} {local.strftime('%b')} at {clock}"


def format_times(times: list[time]) -> str:
    labels = [moment.strftime("%H:%M") for moment in times]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]
