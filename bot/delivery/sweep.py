"""The sweep: find due prompts, claim each one, send it, advance the schedule.

Claiming is an ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` on the delivery's unique key (user,
kind, local date, slot), committed before anything is sent. Whoever inserts the row sends; anyone
else (a second process, a retry after a crash) finds the row and does not. That is at-most-once
per prompt: Telegram offers no idempotency key, so after a ``kill -9`` between claim and send a
prompt is lost rather than doubled (see DESIGN.md §7). On PostgreSQL the due rows are also locked
with ``FOR UPDATE SKIP LOCKED`` so that two processes split the work instead of racing for it.

Daily check-ins and the weekly recap (:mod:`bot.people.recap_day`) are claimed by the same two
steps, :func:`take_due` and :func:`insert_claims`; each kind then builds its own message.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.clock import Clock
from bot.base.wording import t
from bot.chat.messenger import DeliveryError, Messenger, RateLimited, RecipientGone
from bot.chat.outbox import Send, SendPhoto
from bot.delivery.claims import SweepStats, insert_claims, take_due
from bot.diary.adherence import EVENING_FROM, running_for, with_question
from bot.diary.checkins import format_day, question_message, render_question, with_extras
from bot.diary.questions import questions_for_slot
from bot.experiments.results import deliver_verdicts
from bot.insights import weekly
from bot.people.schedules import CHECKIN, RECAP, ensure_recap_schedules, stop_schedules
from bot.safety import events as safety_flow
from bot.store.db import Sessions
from bot.store.models import Answer, Checkin, Delivery, Schedule, User

log = logging.getLogger(__name__)

MAX_BATCHES_PER_SWEEP = 50


@dataclass(slots=True)
class Prompt:
    """A claimed prompt, ready to send once the claim is committed."""

    user_id: int
    chat_id: int
    delivery_id: int | None
    checkin_id: int | None  # None for a weekly recap
    message: Send
    #: For a scheduled prompt: its schedule and due instant, to re-arm it after a refusal.
    schedule_id: int | None = None
    due: datetime | None = None
    #: Sent after the text once the text went out (the weekly recap's chart).
    photo: SendPhoto | None = None


MORNING_ENDS, AFTERNOON_ENDS = time(12, 0), time(17, 0)
SEND_TIMEOUT = 60.0  # seconds; a hung send must not hold the sweep (max_instances=1) forever


def intro_for(local_time: time, day: date) -> str:
    """The greeting fits the hour the person will read it at."""
    label = format_day(day)
    if local_time < MORNING_ENDS:
        return t("checkin_intro_morning", date=label)
    if local_time < AFTERNOON_ENDS:
        return t("checkin_intro_midday", date=label)
    return t("checkin_intro_evening", date=label)


class Sweeper:
    def __init__(
        self,
        sessions: Sessions,
        messenger: Messenger,
        clock: Clock,
        *,
        grace: timedelta = timedelta(hours=3),
        batch: int = 500,
        concurrency: int = 64,
        recap_batch: int = 100,
    ) -> None:
        self.sessions = sessions
        self.messenger = messenger
        self.clock = clock
        self.grace = grace
        self.batch = batch
        self.concurrency = concurrency
        #: Weekly recaps built per sweep: each draws a chart, so a Sunday evening with many
        #: people due is spread over a few sweeps (still within the grace window) instead of
        #: holding one sweep, and the check-ins behind it, for minutes.
        self.recap_batch = recap_batch
        self.last_finished: datetime | None = None
        #: Monotonic time of the last finished batch or step. A fan-out to thousands of people
        #: takes minutes at Telegram's pace; readiness probes read this to tell "busy" from "stuck".
        self.progressed_at: float | None = None
        self.last_finished_count = 0

    async def run_once(self) -> SweepStats:
        stats = SweepStats()
        for _ in range(MAX_BATCHES_PER_SWEEP):
            prompts, more = await self.claim_due(stats)
            await self.send_all(prompts, stats)
            self._progressed()
            if not more:
                break
        for step in (
            self.send_reminders,
            self.send_follow_ups,
            self.send_experiment_verdicts,
            self.send_recaps,
        ):
            await step(stats)
            self._progressed()
        self.last_finished = self.clock.now()
        self.last_finished_count += 1
        if stats.claimed or stats.reminders or stats.late_skipped:
            log.info(
                "sweep done",
                extra={
                    "claimed": stats.claimed,
                    "sent": stats.sent,
                    "late_skipped": stats.late_skipped,
                    "paused_skipped": stats.paused_skipped,
                    "reminders": stats.reminders,
                    "recaps": stats.recaps,
                    "gone": stats.gone,
                    "failed": stats.failed,
                },
            )
        return stats

    def _progressed(self) -> None:
        self.progressed_at = monotonic()

    async def claim_due(self, stats: SweepStats) -> tuple[list[Prompt], bool]:
        """Claim one batch of due prompts and advance their schedules, in one transaction."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            found, candidates, dues = await take_due(
                session, CHECKIN, now, self.grace, self.batch, stats
            )
            if not found:
                return [], False
            # People set up before weekly recaps existed get their recap row on the way.
            await ensure_recap_schedules(session, {user for _, user in found}, now)
            slot_counts = await _slot_counts(session, {user.id for _, user in found})
            prompts = await self._claim(session, candidates, slot_counts, dues, now, stats)
        return prompts, len(found) == self.batch

    async def _claim(
        self,
        session: AsyncSession,
        candidates: list[tuple[Schedule, User, date]],
        slot_counts: dict[int, int],
        dues: dict[int, datetime],
        now: datetime,
        stats: SweepStats,
    ) -> list[Prompt]:
        if not candidates:
            return []
        claimed = await insert_claims(session, CHECKIN, candidates, now, stats)
        won = [(s, u, d) for s, u, d in candidates if (u.id, s.slot) in claimed]
        if not won:
            return []
        questions = {
            (user.id, schedule.slot): with_extras(
                user, day, questions_for_slot(schedule.slot, slot_counts[user.id])
            )
            for schedule, user, day in won
        }
        running = await running_for(session, {(u.id, d) for _, u, d in won})
        for schedule, user, day in won:
            # "Did you stick to it today?" only makes sense once the day is mostly over.
            if (user.id, day) in running and schedule.local_time >= EVENING_FROM:
                key = (user.id, schedule.slot)
                questions[key] = with_question(questions[key])
        # One multi-row INSERT ... RETURNING: row-by-row ORM inserts cost half the sweep.
        created = await session.execute(
            insert(Checkin)
            .values(
                [
                    {
                        "user_id": user.id,
                        "local_date": day,
                        "slot": schedule.slot,
                        "questions": questions[(user.id, schedule.slot)],
                        "current": questions[(user.id, schedule.slot)][0],
                        "status": "open",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for schedule, user, day in won
                ]
            )
            .returning(Checkin.id, Checkin.user_id, Checkin.slot)
        )
        checkin_ids = {(user_id, slot): checkin_id for checkin_id, user_id, slot in created}
        copyable = await _users_with_answers_on(
            session, {(u.id, d - timedelta(days=1)) for _, u, d in won}
        )
        prompts = []
        for schedule, user, day in won:
            key = (user.id, schedule.slot)
            message = render_question(
                checkin_ids[key],
                questions[key][0],
                None,
                first=True,
                can_copy=(user.id, day - timedelta(days=1)) in copyable,
                intro=intro_for(schedule.local_time, day),
            )
            prompts.append(
                Prompt(
                    user.id,
                    user.chat_id,
                    claimed[key],
                    checkin_ids[key],
                    message,
                    schedule_id=schedule.id,
                    due=dues[schedule.id],
                )
            )
        return prompts

    async def send_all(self, prompts: list[Prompt], stats: SweepStats) -> None:
        """Send claimed prompts concurrently (the messenger's rate limiter paces them)."""
        if not prompts:
            return
        limit = asyncio.Semaphore(self.concurrency)
        results: list[tuple[Prompt, int | None, str]] = []

        async def send_one(prompt: Prompt) -> None:
            async with limit:
                try:
                    message_id = await asyncio.wait_for(
                        self.messenger.send(
                            prompt.chat_id, prompt.message.text, prompt.message.buttons
                        ),
                        SEND_TIMEOUT,
                    )
                    if prompt.photo is not None:
                        await self._send_photo(prompt.chat_id, prompt.photo, prompt.user_id)
                except RecipientGone:
                    results.append((prompt, None, "gone"))
                except RateLimited:
                    # Refused, so certainly not delivered: safe to offer again.
                    results.append((prompt, None, "refused"))
                except (DeliveryError, TimeoutError):
                    # The outcome is unknown; at-most-once means we do not try again.
                    log.warning("prompt not delivered", extra={"user_id": prompt.user_id})
                    results.append((prompt, None, "failed"))
                else:
                    results.append((prompt, message_id, "sent"))

        await asyncio.gather(*(send_one(prompt) for prompt in prompts))
        await self._record_results(results, stats)

    async def _send_photo(self, chat_id: int, photo: SendPhoto, user_id: int) -> None:
        """The picture that follows a text already delivered: losing it must not resend the text.

        A blocked chat (:class:`RecipientGone`) still counts, so the person is marked inactive.
        """
        try:
            await asyncio.wait_for(
                self.messenger.send_photo(chat_id, photo.png, photo.caption), SEND_TIMEOUT
            )
        except RecipientGone:
            raise
        except (DeliveryError, TimeoutError):
            log.warning("picture not delivered", extra={"user_id": user_id})

    async def _record_results(
        self, results: list[tuple[Prompt, int | None, str]], stats: SweepStats
    ) -> None:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            deliveries = [
                {
                    "id": p.delivery_id,
                    "status": status,
                    "sent_at": now if message_id else None,
                    "message_id": message_id,
                }
                for p, message_id, status in results
                if p.delivery_id is not None
            ]
            if deliveries:
                await session.execute(update(Delivery), deliveries)
            sent = [
                {"id": p.checkin_id, "message_id": m}
                for p, m, _ in results
                if m is not None and p.checkin_id is not None
            ]
            if sent:
                await session.execute(update(Checkin), sent)
            for prompt, _, status in results:
                stats.counts[status] += 1
                if status == "refused":
                    await self._rearm(session, prompt)
                if status == "gone":
                    await session.execute(
                        update(User)
                        .where(User.id == prompt.user_id)
                        .values(active=False, updated_at=now)
                    )
                    await stop_schedules(session, prompt.user_id)
        stats.sent = stats.counts["sent"]
        stats.gone = stats.counts["gone"]
        stats.failed = stats.counts["failed"]

    async def _rearm(self, session: AsyncSession, prompt: Prompt) -> None:
        """Give back a prompt Telegram refused (429): the next sweep claims it again.

        Only while the grace window lasts; the schedule moves back only if nothing else moved it.
        """
        if prompt.delivery_id is None:
            await session.execute(
                update(Checkin)
                .where(Checkin.id == prompt.checkin_id, Checkin.remind_at.is_(None))
                .values(remind_at=self.clock.now())
            )
            return
        await session.execute(delete(Delivery).where(Delivery.id == prompt.delivery_id))
        if prompt.checkin_id is not None:
            await session.execute(
                update(Checkin)
                .where(Checkin.id == prompt.checkin_id)
                .values(status="unsent", current=None)
            )
        if prompt.schedule_id is not None and prompt.due is not None:
            await session.execute(
                update(Schedule)
                .where(Schedule.id == prompt.schedule_id, Schedule.next_due_at > prompt.due)
                .values(next_due_at=prompt.due)
            )

    async def send_recaps(self, stats: SweepStats) -> None:
        """Send the weekly recaps that are due, at most :attr:`recap_batch` per sweep.

        They are claimed and advanced in one short transaction like check-ins; only after it
        commits is each one built (:func:`bot.insights.weekly.build_recap`: its own session, the
        chart drawn in a worker thread), and they go out through :meth:`send_all`, so a 429 or a
        blocked chat is handled exactly as for a check-in. It runs last in the sweep, so the
        charts never hold up a check-in or a safety follow-up.
        """
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            _, candidates, dues = await take_due(
                session, RECAP, now, self.grace, self.recap_batch, stats
            )
            claimed = await insert_claims(session, RECAP, candidates, now, stats)
        prompts = []
        for schedule, user, day in candidates:
            delivery_id = claimed.get((user.id, schedule.slot))
            if delivery_id is None:
                continue
            try:
                built = await weekly.build_recap(self.sessions, user.id, day)
            except Exception:
                # One person's recap must not cost everyone else theirs; at most once, so the
                # claim stays and this week's recap is lost for them (the error is logged).
                log.exception("weekly recap not built", extra={"user_id": user.id})
                stats.counts["failed"] += 1
                stats.failed = stats.counts["failed"]
                continue
            if built is None:
                continue
            text, photo = built
            prompts.append(
                Prompt(
                    user.id,
                    user.chat_id,
                    delivery_id,
                    None,
                    Send(text),
                    schedule_id=schedule.id,
                    due=dues[schedule.id],
                    photo=photo,
                )
            )
        stats.recaps += len(prompts)
        await self.send_all(prompts, stats)

    async def send_reminders(self, stats: SweepStats) -> None:
        """Bring back check-ins someone asked to see again later ("remind me in 1 h")."""
        now = self.clock.now()
        prompts: list[Prompt] = []
        async with self.sessions() as session, session.begin():
            due = (
                await session.scalars(
                    select(Checkin)
                    .where(Checkin.remind_at <= now, Checkin.status == "open")
                    .order_by(Checkin.remind_at)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for checkin in due:
                # Compare-and-set: only the process that clears remind_at sends the reminder.
                cleared = await session.execute(
                    update(Checkin)
                    .where(Checkin.id == checkin.id, Checkin.remind_at.is_not(None))
                    .values(remind_at=None)
                    .returning(Checkin.id)
                )
                if cleared.first() is None or checkin.current is None:
                    continue
                user = await session.get(User, checkin.user_id)
                if user is None or not user.active:
                    continue
                intro = t("checkin_intro_reminder", date=format_day(checkin.local_date))
                message = await question_message(session, checkin, intro)
                prompts.append(Prompt(user.id, user.chat_id, None, checkin.id, message))
        stats.reminders += len(prompts)
        await self.send_all(prompts, stats)

    async def send_follow_ups(self, stats: SweepStats) -> None:
        """ "Did you get help?" later on the day of an emergency answer, paused or not."""
        async with self.sessions() as session, session.begin():
            due = await safety_flow.due_follow_ups(session, self.clock.now(), self.batch)
        for chat_id, text in due:
            try:
                await self.messenger.send(chat_id, text)
                stats.counts["follow_up"] += 1
            except DeliveryError:
                log.warning("safety follow-up not delivered")

    async def send_experiment_verdicts(self, stats: SweepStats) -> None:
        """Results of two-week swap experiments, each given once (bot/experiments/results.py)."""
        stats.counts.update(
            await deliver_verdicts(
                self.sessions, self.messenger, self.clock.now(), self.batch, SEND_TIMEOUT
            )
        )


async def _slot_counts(session: AsyncSession, user_ids: set[int]) -> dict[int, int]:
    rows = await session.execute(
        select(Schedule.user_id, func.count())
        .where(Schedule.user_id.in_(user_ids), Schedule.kind == CHECKIN)
        .group_by(Schedule.user_id)
    )
    return dict(rows.all())


async def _users_with_answers_on(
    session: AsyncSession, pairs: set[tuple[int, date]]
) -> set[tuple[int, date]]:
    """Which (user, day) pairs have any answer, in one query, for the "same as yesterday" button."""
    if not pairs:
        return set()
    user_ids = {user_id for user_id, _ in pairs}
    days = {day for _, day in pairs}
    rows = await session.execute(
        select(Answer.user_id, Answer.local_date)
        .where(Answer.user_id.in_(user_ids), Answer.local_date.in_(days))
        .distinct()
    )
    return {pair for pair in rows.all() if pair in pairs}
