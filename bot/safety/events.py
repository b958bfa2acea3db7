"""Where the safety screen meets the diary: answering, recording, following up.

Every free-text message is screened before anything else, in every state (before consent, while
paused, mid-check-in). The answer is sent whatever happens; a consenting person's event is
recorded by flag and tier only, never with the text. Emergency answers get a follow-up later that
day, which the sweep sends (even to someone who paused check-ins).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.wording import t
from bot.chat.outbox import Outbox
from bot.knowledge.trials import experiment_library
from bot.people.onboarding import has_consented
from bot.safety.screen import (
    SafetyAnswer,
    Screening,
    answer_for,
    numbers_for,
    pain_alert,
    pain_alert_text,
    screen,
)
from bot.store.models import Experiment, SafetyEvent, User
from bot.store.states import ExperimentStatus

PAIN_ALERT_COOLDOWN = timedelta(days=7)
SCREEN_EVERY = timedelta(days=7)


async def screen_message(
    session: AsyncSession, user: User, text: str, now: datetime, *, source: str = "message"
) -> tuple[Outbox, bool] | None:
    """Screen one message; ``(answer, stand_alone)`` when it needs one, else ``None``."""
    screening = screen(text)
    if screening.tier is None and not screening.ed_signal:
        return None
    answer = answer_for(screening, user.timezone)
    if not answer.text:
        return None
    await record(session, user, screening, answer, now, source=source)
    outbox = Outbox()
    outbox.send(answer.text)
    return outbox, answer.stand_alone


async def record(
    session: AsyncSession,
    user: User,
    screening: Screening,
    answer: SafetyAnswer,
    now: datetime,
    *,
    source: str,
) -> None:
    """Remember what was flagged (only with consent) so recaps and reports can mention it."""
    if not has_consented(user):
        return
    if screening.ed_signal:
        user.no_restriction_tips = True
        await stop_restrictions(session, user.id, now)
    follow_up = now + timedelta(hours=answer.follow_up_hours) if answer.follow_up_hours else None
    for finding in screening.findings:
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

    The user id goes with each, so that a blocked chat marks the person gone like any message.
    """
    rows = await session.execute(
        select(SafetyEvent.id, User.id, User.chat_id, User.timezone)
        .join(User, User.id == SafetyEvent.user_id)
        .where(SafetyEvent.follow_up_at <= now, User.active)
        .order_by(SafetyEvent.follow_up_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=SafetyEvent)
    )
    claimed = []
    for event_id, user_id, chat_id, zone in rows.all():
        cleared = await session.execute(
            update(SafetyEvent)
            .where(SafetyEvent.id == event_id, SafetyEvent.follow_up_at.is_not(None))
            .values(follow_up_at=None)
            .returning(SafetyEvent.id)
        )
        if cleared.first() is not None:
            text = t("safety_follow_up", emergency=numbers_for(zone).emergency)
            claimed.append((user_id, chat_id, text))
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
