"""Where the safety screen meets the diary: recording, following up, the pain alert.

Every free-text message is screened before anything else, in every state (before consent, while
paused, mid-check-in); :mod:`bot.safety.conversation` decides what is said. A consenting
person's event is recorded here by flag and tier only, never with the text. Emergency answers
get one follow-up a few hours later, which the sweep sends (even to someone who paused
check-ins), naming the day of the answer (:func:`bot.safety.mentions.follow_up_text`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.knowledge.trials import experiment_library
from bot.people.onboarding import has_consented
from bot.safety.mentions import follow_up_text
from bot.safety.screen import (
    SafetyAnswer,
    Screening,
    for_helper,
    pain_alert,
    pain_alert_text,
)
from bot.store.models import Experiment, SafetyEvent, User
from bot.store.states import ExperimentStatus

PAIN_ALERT_COOLDOWN = timedelta(days=7)
SCREEN_EVERY = timedelta(days=7)


async def record(
    session: AsyncSession,
    user: User,
    screening: Screening,
    answer: SafetyAnswer,
    now: datetime,
    *,
    source: str,
) -> None:
    """Remember what was flagged (only with consent) so recaps and reports can mention it.

    One answer is one event, however many flags it names: its rows share one instant, and one
    of them carries the follow-up. A follow-up already waiting covers a second emergency answer
    given before it (one "did you get help?", not two within minutes). Someone else's sign is
    answered but not recorded: it is not the person's own health.
    """
    if not has_consented(user):
        return
    if screening.ed_signal:
        user.no_restriction_tips = True
        await stop_restrictions(session, user.id, now)
    follow_up = now + timedelta(hours=answer.follow_up_hours) if answer.follow_up_hours else None
    if follow_up is not None and await _follow_up_waiting(session, user.id):
        follow_up = None
    for finding in screening.findings:
        if for_helper(finding):
            continue
        session.add(
            SafetyEvent(
                user_id=user.id,
                flag_id=finding.flag_id,
                tier=finding.tier,
                source=source,
                created_at=now,
                follow_up_at=follow_up,
            )
        )
        follow_up = None  # one follow-up per answer, not per flag


async def _follow_up_waiting(session: AsyncSession, user_id: int) -> bool:
    waiting = await session.scalar(
        select(SafetyEvent.id)
        .where(SafetyEvent.user_id == user_id, SafetyEvent.follow_up_at.is_not(None))
        .limit(1)
    )
    return waiting is not None


def screen_due(user: User, today: date) -> bool:
    """The weekly "anything new?" screen is due for this person's next check-in."""
    return has_consented(user) and (
        user.screened_on is None or today - user.screened_on >= SCREEN_EVERY
    )


#: Reads the person's recent daily pain scores (the diary's own view, one score a day) on demand:
#: the diary sits above safety, so the check-in and the diary line hand it in.
ReadPain = Callable[[], Awaitable[Mapping[date, float]]]


async def pain_alert_message(
    session: AsyncSession, user: User, today: date, now: datetime, read_pain: ReadPain
) -> str | None:
    """The one suggestion to see a clinician about persistent or jumping pain (weekly at most)."""
    if not has_consented(user):
        return None
    if user.pain_alert_on is not None and today - user.pain_alert_on < PAIN_ALERT_COOLDOWN:
        return None
    if not pain_alert(list((await read_pain()).items())):
        return None
    user.pain_alert_on = today
    session.add(
        SafetyEvent(user_id=user.id, flag_id="pain_alert", tier="T3", source="pain", created_at=now)
    )
    return pain_alert_text(user.timezone)


async def due_follow_ups(
    session: AsyncSession, now: datetime, limit: int
) -> list[tuple[int, int, str]]:
    """Claim the follow-ups that are due: (user id, chat id, text). Clearing the time is the claim.

    The text names the day of the answer as it is for the person when the follow-up goes out:
    three hours after an answer at 23:00 it is "yesterday evening", not "earlier today".

    The user id goes with each, so that a blocked chat marks the person gone like any message.
    """
    rows = await session.execute(
        select(SafetyEvent.id, User.id, User.chat_id, User.timezone, SafetyEvent.created_at)
        .join(User, User.id == SafetyEvent.user_id)
        .where(SafetyEvent.follow_up_at <= now, User.active)
        .order_by(SafetyEvent.follow_up_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=SafetyEvent)
    )
    claimed = []
    for event_id, user_id, chat_id, zone, answered_at in rows.all():
        cleared = await session.execute(
            update(SafetyEvent)
            .where(SafetyEvent.id == event_id, SafetyEvent.follow_up_at.is_not(None))
            .values(follow_up_at=None)
            .returning(SafetyEvent.id)
        )
        if cleared.first() is not None:
            claimed.append((user_id, chat_id, follow_up_text(answered_at, now, zone)))
    return claimed


async def stop_restrictions(session: AsyncSession, user_id: int, now: datetime) -> None:
    """End any running experiment that leaves a food out (after eating-disorder signals).

    Such a person is no longer asked each evening whether they kept a food out, and gets no
    result about it either.
    """
    restricted = [spec.swap for spec in experiment_library().experiments if spec.restriction]
    await session.execute(
        update(Experiment)
        .where(
            Experiment.user_id == user_id,
            Experiment.status == ExperimentStatus.ACTIVE,
            Experiment.swap_id.in_(restricted),
        )
        .values(status=ExperimentStatus.STOPPED, finished_at=now)
    )
