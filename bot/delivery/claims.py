"""Claiming due prompts: lock due schedule rows, advance them, insert unique delivery keys.

Daily check-ins and the weekly recap are claimed by the same two steps, :func:`take_due` and
:func:`insert_claims`, in one short transaction that commits before anything is sent.

A claim is only a promise to send. Just before its send begins, each prompt is marked
``sending`` (:func:`mark_sending`, a few at a time, compare-and-set), and only a prompt marked
by this call is sent. So if the process dies, the prompts whose send had begun are never sent
again (at most once: only those in flight may be lost), while the ones still only claimed are
given back by :func:`give_back_stale` once ``GUTBACK_TAKEOVER_SECONDS`` have passed, and the
next sweep, of any worker, claims and sends them as usual.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.times import local_date
from bot.people.onboarding import is_set_up
from bot.people.schedules import CHECKIN, RECAP, next_due
from bot.people.users import is_paused
from bot.store.db import insert_for
from bot.store.models import Checkin, Delivery, Schedule, User
from bot.store.states import CheckinStatus, DeliveryStatus


@dataclass(slots=True)
class SweepStats:
    claimed: int = 0
    sent: int = 0
    late_skipped: int = 0
    paused_skipped: int = 0
    already_claimed: int = 0
    reminders: int = 0
    recaps: int = 0
    gone: int = 0
    failed: int = 0
    #: Claims of a dead worker whose send never began, given back to be offered again.
    taken_over: int = 0
    counts: Counter[str] = field(default_factory=Counter)


async def take_due(
    session: AsyncSession,
    kind: str,
    now: datetime,
    grace: timedelta,
    limit: int,
    stats: SweepStats,
) -> tuple[list[tuple[Schedule, User]], list[tuple[Schedule, User, date]], dict[int, datetime]]:
    """Lock up to ``limit`` due schedules of ``kind``, advance each, and sort them out.

    Returns every row found, the ones still to be claimed with the local date they are for, and
    each schedule's due instant (to re-arm it after a 429). A prompt missed by more than
    ``grace`` is skipped, never sent in a burst; a paused or half set-up person's prompt is
    skipped too (and "skip today" skips that day's check-ins, not the weekly recap). Either
    way the schedule moves on, so a return brings no backlog.
    """
    found = (
        await session.execute(
            select(Schedule, User)
            .join(User, User.id == Schedule.user_id)
            .where(Schedule.next_due_at <= now, Schedule.kind == kind, User.active)
            .order_by(Schedule.next_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Schedule)
        )
    ).all()
    candidates: list[tuple[Schedule, User, date]] = []
    dues: dict[int, datetime] = {}
    for schedule, user in found:
        due = schedule.next_due_at
        assert due is not None and user.timezone is not None
        dues[schedule.id] = due
        day = local_date(due, user.timezone)
        schedule.next_due_at = next_due(schedule, user.timezone, max(due, now - grace))
        if due < now - grace:
            stats.late_skipped += 1
        elif (
            is_paused(user, now)
            or (kind == CHECKIN and user.skip_date == day)
            or not is_set_up(user)
        ):
            stats.paused_skipped += 1
        else:
            candidates.append((schedule, user, day))
    return [(schedule, user) for schedule, user in found], candidates, dues


async def insert_claims(
    session: AsyncSession,
    kind: str,
    candidates: list[tuple[Schedule, User, date]],
    now: datetime,
    stats: SweepStats,
    dues: dict[int, datetime] | None = None,
) -> dict[tuple[int, int], int]:
    """Claim each candidate's delivery key in one ``INSERT ... ON CONFLICT DO NOTHING``.

    Returns (user id, slot) -> delivery id for the claims this process won; a key someone else
    already holds is simply absent.
    """
    if not candidates:
        return {}
    rows = await session.execute(
        insert_for(session, Delivery)
        .values(
            [
                {
                    "user_id": user.id,
                    "kind": kind,
                    "local_date": day,
                    "slot": schedule.slot,
                    "status": DeliveryStatus.CLAIMED,
                    "claimed_at": now,
                    "due_at": (dues or {}).get(schedule.id),
                }
                for schedule, user, day in candidates
            ]
        )
        .on_conflict_do_nothing(index_elements=["user_id", "kind", "local_date", "slot"])
        .returning(Delivery.id, Delivery.user_id, Delivery.slot)
    )
    claimed = {(user_id, slot): delivery_id for delivery_id, user_id, slot in rows}
    stats.already_claimed += len(candidates) - len(claimed)
    stats.claimed += len(claimed)
    return claimed


async def mark_sending(session: AsyncSession, delivery_ids: list[int]) -> set[int]:
    """Mark claimed prompts as being sent, just before their send; returns the ids marked.

    Compare-and-set: a claim another worker gave back meanwhile (its row is gone) or already
    marked is not returned, so it is not sent here.
    """
    if not delivery_ids:
        return set()
    rows = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids), Delivery.status == DeliveryStatus.CLAIMED)
        .values(status=DeliveryStatus.SENDING)
        .returning(Delivery.id)
    )
    return {delivery_id for (delivery_id,) in rows}


async def give_back_stale(
    session: AsyncSession, stale_before: datetime, limit: int, stats: SweepStats
) -> int:
    """Give back check-ins and recaps claimed before ``stale_before`` whose send never began.

    Their claimer died (a live worker marks a batch's prompts within seconds). The claim row is
    deleted, the check-in it opened is marked unsent (nobody saw it), and the schedule moves
    back to the prompt's due instant unless something else moved it since; the next sweep
    claims it again, or skips it if the grace window has passed meanwhile.
    """
    stale = (
        await session.scalars(
            select(Delivery)
            .where(
                Delivery.status == DeliveryStatus.CLAIMED,
                Delivery.claimed_at < stale_before,
                Delivery.kind.in_((CHECKIN, RECAP)),
            )
            .order_by(Delivery.claimed_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    given = 0
    for claim in stale:
        gone = await session.execute(
            delete(Delivery)
            .where(Delivery.id == claim.id, Delivery.status == DeliveryStatus.CLAIMED)
            .returning(Delivery.id)
        )
        if gone.first() is None:
            continue  # its send began after all
        given += 1
        if claim.kind == CHECKIN:
            await session.execute(
                update(Checkin)
                .where(
                    Checkin.user_id == claim.user_id,
                    Checkin.local_date == claim.local_date,
                    Checkin.slot == claim.slot,
                    Checkin.status == CheckinStatus.OPEN,
                    Checkin.message_id.is_(None),
                )
                .values(status=CheckinStatus.UNSENT, current=None)
            )
        due = claim.due_at or claim.claimed_at
        await session.execute(
            update(Schedule)
            .where(
                Schedule.user_id == claim.user_id,
                Schedule.kind == claim.kind,
                Schedule.slot == claim.slot,
                Schedule.next_due_at > due,
            )
            .values(next_due_at=due)
        )
    stats.taken_over += given
    return given
