"""Optional retention: diary entries older than a set number of days are removed.

Keeping health data no longer than needed is good practice, but how long is the operator's call,
so it is off unless ``GUTBACK_RETENTION_DAYS`` is set. Only the diary goes (check-ins and their
answers, diary lines, tips seen, warning signs and the safety questions asked, delivery claims,
swap experiments); the person, their consent and their check-in times stay, so check-ins carry
on. Age is the local date a row belongs to (an experiment's last day) or, for rows that have
none (warning signs, questions asked), the UTC instant it was made. The cut-off is computed from
the UTC date, so a row may stay up to a day longer than the setting in far-east timezones, never
less.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.db import Sessions
from bot.store.models import (
    Answer,
    Checkin,
    Delivery,
    Experiment,
    LogEntry,
    SafetyAsk,
    SafetyEvent,
    TipShown,
)

log = logging.getLogger(__name__)


async def remove_old_entries(session: AsyncSession, today_utc_date: date, days: int | None) -> int:
    """Delete diary rows dated before ``today_utc_date - days``; returns how many went."""
    if days is None:
        return 0
    if days < 1:
        raise ValueError("retention must keep at least one day")
    cutoff = today_utc_date - timedelta(days=days)
    cutoff_instant = datetime.combine(cutoff, time(), tzinfo=UTC)
    old_checkins = select(Checkin.id).where(Checkin.local_date < cutoff)
    statements = (
        # Answers first: they point at check-ins. An answer goes with its check-in too.
        delete(Answer).where(or_(Answer.local_date < cutoff, Answer.checkin_id.in_(old_checkins))),
        delete(Checkin).where(Checkin.local_date < cutoff),
        delete(LogEntry).where(LogEntry.local_date < cutoff),
        delete(TipShown).where(TipShown.shown_on < cutoff),
        delete(SafetyEvent).where(SafetyEvent.created_at < cutoff_instant),
        delete(SafetyAsk).where(SafetyAsk.asked_at < cutoff_instant),
        delete(Delivery).where(Delivery.local_date < cutoff),
        # An experiment is as old as its last day: once that is past the cut-off, so is its diary.
        delete(Experiment).where(Experiment.ends_on < cutoff),
    )
    removed = 0
    for statement in statements:
        result = await session.execute(statement)
        removed += max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    return removed


async def remove_expired(sessions: Sessions, now: datetime, days: int | None) -> int:
    """Housekeeping entry point: one transaction, and a count in the log (never any content)."""
    if days is None:
        return 0
    async with sessions() as session, session.begin():
        removed = await remove_old_entries(session, now.astimezone(UTC).date(), days)
    if removed:
        log.info("old diary entries removed", extra={"rows": removed, "retention_days": days})
    return removed
