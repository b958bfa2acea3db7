"""A person's schedule rows: the daily check-in slots and the weekly recap.

Each row stores its next due instant in UTC (indexed), computed in the person's timezone by
:mod:`bot.base.times`; the sweep reads only that column to find what is due.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.dates import short_day
from bot.base.times import local_now, next_daily, next_weekly
from bot.base.wording import t
from bot.store.db import insert_for
from bot.store.models import Schedule, User

CHECKIN = "checkin"


#: The weekly recap: one row per person (slot 0) with a ``weekday``. A recap row whose weekday is
#: empty means "turned off" (``/recapday off``); the row is kept so nothing creates it again.
RECAP = "recap"


DEFAULT_TIMES = (time(8, 0), time(20, 0))


DEFAULT_RECAP_DAY, DEFAULT_RECAP_TIME = 6, time(18, 0)  # Sunday 18:00, local


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


def next_due(schedule: Schedule, tz_name: str, after: datetime) -> datetime | None:
    """A schedule's next due instant after ``after``: daily, or weekly on its weekday.

    ``None`` for a recap that was turned off: the sweep never sees it.
    """
    if schedule.kind == RECAP:
        if schedule.weekday is None:
            return None
        return next_weekly(schedule.weekday, schedule.local_time, tz_name, after)
    return next_daily(schedule.local_time, tz_name, after)


async def reschedule(session: AsyncSession, user: User, now: datetime) -> None:
    """Recompute every next due instant from now (after a timezone change or a return).

    Someone set up before weekly recaps existed gets their recap row here too.
    """
    if user.timezone is None:
        return
    schedules = list(await session.scalars(select(Schedule).where(Schedule.user_id == user.id)))
    for schedule in schedules:
        schedule.next_due_at = next_due(schedule, user.timezone, now)
    kinds = {schedule.kind for schedule in schedules}
    if CHECKIN in kinds and RECAP not in kinds:
        await ensure_recap_schedules(session, [user], now)


async def recap_schedule(session: AsyncSession, user: User) -> Schedule | None:
    return await session.scalar(
        select(Schedule).where(Schedule.user_id == user.id, Schedule.kind == RECAP)
    )


async def ensure_recap_schedules(
    session: AsyncSession, users: Iterable[User], now: datetime
) -> int:
    """Give each of these set-up people the default weekly recap unless they have a recap row.

    Called when someone finishes set-up, when their schedules are recomputed, and by the sweep
    for the people whose check-ins it claims, so that people who joined before weekly recaps
    existed get one within a day without a data migration doing timezone math. One query to
    find who lacks a row, one insert for those; ``ON CONFLICT DO NOTHING`` lets two processes
    do it at once. Returns how many rows were added.
    """
    zones = {user.id: user.timezone for user in users if user.timezone is not None}
    if not zones:
        return 0
    have = set(
        await session.scalars(
            select(Schedule.user_id).where(Schedule.user_id.in_(zones), Schedule.kind == RECAP)
        )
    )
    missing = {user_id: zone for user_id, zone in zones.items() if user_id not in have}
    if not missing:
        return 0
    await session.execute(
        insert_for(session, Schedule)
        .values(
            [
                {
                    "user_id": user_id,
                    "kind": RECAP,
                    "slot": 0,
                    "weekday": DEFAULT_RECAP_DAY,
                    "local_time": DEFAULT_RECAP_TIME,
                    "next_due_at": next_weekly(DEFAULT_RECAP_DAY, DEFAULT_RECAP_TIME, zone, now),
                }
                for user_id, zone in missing.items()
            ]
        )
        .on_conflict_do_nothing(index_elements=["user_id", "kind", "slot"])
    )
    return len(missing)


async def set_recap_schedule(
    session: AsyncSession, user: User, weekday: int | None, local_time: time, now: datetime
) -> Schedule:
    """Move the weekly recap to ``weekday`` at ``local_time``, or turn it off (``None``)."""
    assert user.timezone is not None
    schedule = await recap_schedule(session, user)
    if schedule is None:
        schedule = Schedule(user_id=user.id, kind=RECAP, slot=0)
        session.add(schedule)
    schedule.weekday = weekday
    schedule.local_time = local_time
    schedule.next_due_at = next_due(schedule, user.timezone, now)
    await session.flush()
    return schedule


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


def format_local(instant: datetime, zone: str, now: datetime) -> str:
    """'today at 20:00', 'tomorrow at 08:00' or 'Mon 3 Mar at 08:00', in the person's zone."""
    local = local_now(instant, zone)
    today = local_now(now, zone).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return t("at_today", time=clock)
    if local.date() == today + timedelta(days=1):
        return t("at_tomorrow", time=clock)
    return t("at_day", day=short_day(local.date()), time=clock)


def format_times(times: list[time]) -> str:
    labels = [moment.strftime("%H:%M") for moment in times]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


async def checkin_slot_counts(session: AsyncSession, user_ids: set[int]) -> dict[int, int]:
    """How many daily check-ins each of these people has (which questions a slot asks)."""
    rows = await session.execute(
        select(Schedule.user_id, func.count())
        .where(Schedule.user_id.in_(user_ids), Schedule.kind == CHECKIN)
        .group_by(Schedule.user_id)
    )
    return dict(rows.all())
