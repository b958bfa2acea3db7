"""When a due check-in holds back: quiet hours, and easing off after days without an answer.

Two kindnesses the sweep applies to the check-ins it is about to claim (pure rules plus one
grouped query per batch, so a sweep of thousands stays a handful of statements):

- **Quiet hours** (optional, ``/settings``): a check-in due between the person's quiet-from and
  quiet-until times (which may wrap past midnight) is not sent then. If the quiet hours end
  later the same local day, it waits for their end (the first instant the person's clock shows
  that time, so a daylight-saving change is handled by :mod:`bot.base.times`); otherwise (an
  evening time that falls in the night's quiet hours) that day's check-in is skipped.
- **Snoozes** ("remind me in 1 h") that would come in quiet hours wait for their end, even the
  next morning (:func:`after_quiet`), and say so when they are set.
- **Easing off**: after three days with neither a check-in answer nor a diary line, on each
  of which a check-in was asked (so an outage of the bot is not the person's silence), only
  the day's last check-in (the one that asks the most) is sent, and the first of those carries a
  note, once per silence, offering other times (/reminders) or a break (/pause). The first
  answer or diary line brings back every chosen time, with nothing to reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.times import local_date, local_now, next_daily
from bot.people.schedules import checkin_slot_counts
from bot.store.models import Answer, Checkin, LogEntry, Schedule, User
from bot.store.states import CheckinStatus

#: Days without an answer after which check-ins ease off to one a day.
EASE_AFTER = timedelta(days=3)
#: ...provided check-ins were asked on at least this many local days of that silence.
UNANSWERED_DAYS = 3


def in_quiet_hours(local: time, quiet_from: time | None, quiet_until: time | None) -> bool:
    """Whether a local wall-clock time is in the quiet hours (``from`` included, ``until`` not)."""
    if quiet_from is None or quiet_until is None or quiet_from == quiet_until:
        return False
    if quiet_from < quiet_until:
        return quiet_from <= local < quiet_until
    return local >= quiet_from or local < quiet_until  # wraps past midnight


def quiet_end(due: datetime, user: User) -> datetime | None:
    """When a check-in due in quiet hours may go instead: their end on the same local day.

    ``None`` when the due time is not in quiet hours, or when they end only the next day.
    """
    assert user.timezone is not None
    local = local_now(due, user.timezone)
    if not in_quiet_hours(local.time().replace(tzinfo=None), user.quiet_from, user.quiet_until):
        return None
    assert user.quiet_until is not None
    end = next_daily(user.quiet_until, user.timezone, due)
    return end if local_date(end, user.timezone) == local.date() else None


def after_quiet(at: datetime, user: User) -> datetime:
    """When something asked for ``at`` may come: then, or the end of quiet hours it falls in.

    For a reminder the person asked for ("remind me in 1 h"): unlike a scheduled check-in,
    which quiet hours skip when they run into the next day, a snooze is a promise to come back,
    so it waits for the end even on the next morning.
    """
    if user.quiet_from is None or user.quiet_until is None or user.timezone is None:
        return at
    local = local_now(at, user.timezone).time().replace(tzinfo=None)
    if not in_quiet_hours(local, user.quiet_from, user.quiet_until):
        return at
    return next_daily(user.quiet_until, user.timezone, at)


def eases_off(last_heard: datetime, now: datetime, slot: int, slot_count: int) -> bool:
    """Whether this slot is held back: silent for three days, and not the day's last check-in."""
    return now - last_heard >= EASE_AFTER and slot < slot_count - 1


async def unanswered_days(
    session: AsyncSession, heard: dict[int, datetime], now: datetime
) -> dict[int, int]:
    """On how many local days each person was asked a check-in since they were last heard."""
    since = min(heard.values(), default=now)
    rows = await session.execute(
        select(Checkin.user_id, Checkin.local_date, func.max(Checkin.created_at))
        .where(
            Checkin.user_id.in_(set(heard)),
            Checkin.created_at > since,
            Checkin.status != CheckinStatus.UNSENT,
        )
        .group_by(Checkin.user_id, Checkin.local_date)
    )
    counts: dict[int, int] = {}
    for user_id, _, asked_at in rows.all():
        if _aware(asked_at) > heard[user_id]:
            counts[user_id] = counts.get(user_id, 0) + 1
    return counts


async def last_heard(session: AsyncSession, users: list[User]) -> dict[int, datetime]:
    """Each person's latest check-in answer or diary line, else when they agreed to start."""
    ids = {user.id for user in users}
    latest = union_all(
        select(Answer.user_id.label("user_id"), func.max(Answer.answered_at).label("at"))
        .where(Answer.user_id.in_(ids))
        .group_by(Answer.user_id),
        select(LogEntry.user_id, func.max(LogEntry.created_at))
        .where(LogEntry.user_id.in_(ids))
        .group_by(LogEntry.user_id),
    ).subquery()
    rows = await session.execute(
        select(latest.c.user_id, func.max(latest.c.at)).group_by(latest.c.user_id)
    )
    found = {user_id: _aware(at) for user_id, at in rows.all() if at is not None}
    heard = {}
    for user in users:
        start = user.consented_at or user.created_at
        heard[user.id] = max(found.get(user.id, start), start)
    return heard


def _aware(value: datetime | str) -> datetime:
    """``max()`` over a union may come back as SQLite's stored text; make it an instant."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(slots=True)
class Plan:
    """What the sweep does with the check-ins it found due."""

    send: list[tuple[Schedule, User, date]] = field(default_factory=list)
    #: People whose check-in now carries the one-time "once a day for now" note.
    eased_notice: set[int] = field(default_factory=set)
    quiet_waiting: int = 0
    quiet_skipped: int = 0
    eased_skipped: int = 0


async def hold_back(
    session: AsyncSession,
    candidates: list[tuple[Schedule, User, date]],
    dues: dict[int, datetime],
    now: datetime,
) -> Plan:
    """Sort due check-ins into those sent now and those held back (see the module docstring).

    A check-in waiting for the end of quiet hours has its schedule set back to that instant
    (the schedule row was already advanced by the claim step), so the next sweeps send it then.
    """
    plan = Plan()
    if not candidates:
        return plan
    users = list({user.id: user for _, user, _ in candidates}.values())
    heard = await last_heard(session, users)
    asked = await unanswered_days(session, heard, now)
    counts = await checkin_slot_counts(session, {user.id for user in users})
    for schedule, user, day in candidates:
        due = dues[schedule.id]
        if user.quiet_from is not None:
            end = quiet_end(due, user)
            if end is not None:
                schedule.next_due_at = end
                plan.quiet_waiting += 1
                continue
            local = local_now(due, user.timezone or "UTC").time().replace(tzinfo=None)
            if in_quiet_hours(local, user.quiet_from, user.quiet_until):
                plan.quiet_skipped += 1
                continue
        silent_since = heard[user.id]
        if asked.get(user.id, 0) < UNANSWERED_DAYS:
            plan.send.append((schedule, user, day))
            continue
        if eases_off(silent_since, now, schedule.slot, counts.get(user.id, 1)):
            plan.eased_skipped += 1
            continue
        if now - silent_since >= EASE_AFTER and (
            user.eased_notice_at is None or user.eased_notice_at < silent_since
        ):
            plan.eased_notice.add(user.id)
            user.eased_notice_at = now
        plan.send.append((schedule, user, day))
    return plan
