"""The sweep: find due prompts, claim each one, send it, advance the schedule.

Claiming is an ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` on the delivery's unique key (user,
kind, local date, slot), committed before anything is sent. Whoever inserts the row sends; anyone
else (a second process, a retry after a crash) finds the row and does not. Telegram offers no
idempotency key, so a prompt is sent at most once: just before its send begins it is marked
``sending`` (a chunk of :attr:`Sweeper.chunk` at a time, a few chunks in flight), and a prompt
marked so is never sent again. After a ``kill -9`` only the prompts in flight (at most
:attr:`Sweeper.concurrency`) may be lost; the rest of the claimed batch is still only claimed,
and is given back after ``GUTBACK_TAKEOVER_SECONDS`` (:func:`~bot.delivery.claims.give_back_stale`)
for the next sweep to send. On PostgreSQL the due rows are also locked with
``FOR UPDATE SKIP LOCKED`` so that two processes split the work instead of racing for it.

Daily check-ins and the weekly recap are claimed by the same two steps
(:mod:`bot.delivery.claims`); each kind then builds its own message (the check-in in
:func:`bot.diary.checkins.open_scheduled`, the recap in :mod:`bot.insights.weekly`), and every
message leaves through the postman (:mod:`bot.delivery.postman`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from time import monotonic

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.clock import Clock
from bot.chat.messenger import Messenger
from bot.chat.outbox import Send, SendPhoto
from bot.delivery.claims import (
    SweepStats,
    give_back_stale,
    insert_claims,
    mark_sending,
    take_due,
)
from bot.delivery.postman import Posted, Postman
from bot.diary.checkins import open_scheduled, reminder_message
from bot.experiments import weeks
from bot.experiments.results import claim_due_verdicts, give_back_refused
from bot.insights import weekly
from bot.people.quiet import after_quiet, hold_back
from bot.people.schedules import CHECKIN, RECAP, ensure_recap_schedules
from bot.safety import events as safety_events
from bot.store.db import Sessions
from bot.store.models import Checkin, Delivery, Schedule, User
from bot.store.states import CheckinStatus, DeliveryStatus

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


class Sweeper:
    def __init__(
        self,
        sessions: Sessions,
        messenger: Messenger,
        clock: Clock,
        *,
        grace: timedelta = timedelta(hours=3),
        batch: int = 500,
        concurrency: int = 24,
        chunk: int = 8,
        recap_batch: int = 100,
        takeover: timedelta = timedelta(seconds=120),
    ) -> None:
        self.sessions = sessions
        self.messenger = messenger
        self.clock = clock
        self.postman = Postman(sessions, messenger, clock)
        self.grace = grace
        self.batch = batch
        #: Sends in flight at most: what a ``kill -9`` can lose. Enough to keep the rate limiter
        #: fed (a send takes milliseconds, the limiter lets one through every 1/28 s).
        self.concurrency = concurrency
        #: Prompts marked ``sending`` in one short transaction just before they are sent.
        self.chunk = max(1, min(chunk, concurrency))
        #: A claim older than this whose send never began belongs to a dead worker.
        self.takeover = takeover
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
        await self.give_back_stale(stats)
        for _ in range(MAX_BATCHES_PER_SWEEP):
            prompts, more = await self.claim_due(stats)
            await self.send_all(prompts, stats)
            self._progressed()
            if not more:
                break
        for step in (
            self.send_reminders,
            self.send_follow_ups,
            self.send_experiment_weeks,
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
                    "taken_over": stats.taken_over,
                },
            )
        return stats

    async def give_back_stale(self, stats: SweepStats) -> None:
        """Offer again what a dead worker claimed but never began to send."""
        stale_before = self.clock.now() - self.takeover
        async with self.sessions() as session, session.begin():
            given = await give_back_stale(session, stale_before, self.batch, stats)
        if given:
            log.warning("claims of a stopped worker offered again", extra={"count": given})

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
            prompts = await self._claim(session, candidates, dues, now, stats)
        return prompts, len(found) == self.batch

    async def _claim(
        self,
        session: AsyncSession,
        candidates: list[tuple[Schedule, User, date]],
        dues: dict[int, datetime],
        now: datetime,
        stats: SweepStats,
    ) -> list[Prompt]:
        """Claim the candidates' delivery keys; the check-ins of the ones won are opened."""
        if not candidates:
            return []
        # Quiet hours and easing off after days of silence (bot/people/quiet.py).
        plan = await hold_back(session, candidates, dues, now)
        stats.paused_skipped += plan.quiet_skipped + plan.eased_skipped
        stats.counts.update(
            quiet_waiting=plan.quiet_waiting,
            quiet_skipped=plan.quiet_skipped,
            eased_skipped=plan.eased_skipped,
        )
        candidates = plan.send
        if not candidates:
            return []
        claimed = await insert_claims(session, CHECKIN, candidates, now, stats, dues)
        won = [(s, u, d) for s, u, d in candidates if (u.id, s.slot) in claimed]
        messages = await open_scheduled(session, won, now, eased_notice=plan.eased_notice)
        return [
            Prompt(
                user.id,
                user.chat_id,
                claimed[(user.id, schedule.slot)],
                messages[(user.id, schedule.slot)].checkin_id,
                messages[(user.id, schedule.slot)],
                schedule_id=schedule.id,
                due=dues[schedule.id],
            )
            for schedule, user, _ in won
        ]

    async def send_all(self, prompts: list[Prompt], stats: SweepStats) -> None:
        """Post claimed prompts, a chunk at a time (the messenger's rate limiter paces them).

        Each chunk is marked ``sending`` just before its sends begin and recorded as soon as
        they end, and only a few chunks are in flight at once: a crash loses at most those
        sends, and leaves the rest of the batch claimed but untouched, to be offered again.
        """
        if not prompts:
            return
        chunks = [prompts[i : i + self.chunk] for i in range(0, len(prompts), self.chunk)]
        in_flight = asyncio.Semaphore(max(1, self.concurrency // self.chunk))

        async def send_chunk(chunk: list[Prompt]) -> None:
            async with in_flight:
                ready = await self._mark_sending(chunk)
                results = await asyncio.gather(*(self._send_one(prompt) for prompt in ready))
            # Outside the slot: the next chunk's sends need not wait for this bookkeeping.
            await self._record_results(list(zip(ready, results, strict=True)), stats)

        await asyncio.gather(*(send_chunk(chunk) for chunk in chunks))

    async def _mark_sending(self, chunk: list[Prompt]) -> list[Prompt]:
        """The chunk's prompts that may be sent: reminders, and claims this call marked."""
        claimed = [p.delivery_id for p in chunk if p.delivery_id is not None]
        if not claimed:
            return chunk
        async with self.sessions() as session, session.begin():
            marked = await mark_sending(session, claimed)
        return [p for p in chunk if p.delivery_id is None or p.delivery_id in marked]

    async def _send_one(self, prompt: Prompt) -> Posted:
        posted = await self.postman.post(prompt.chat_id, prompt.message, user_id=prompt.user_id)
        if posted.sent and prompt.photo is not None:
            # The picture follows a text already delivered: losing it must not resend
            # the text, but a blocked chat still counts (the person is marked gone).
            picture = await self.postman.post(prompt.chat_id, prompt.photo, user_id=prompt.user_id)
            if picture.status is DeliveryStatus.GONE:
                posted = picture
        return posted

    async def _record_results(
        self, results: list[tuple[Prompt, Posted]], stats: SweepStats
    ) -> None:
        if not results:
            return
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            await self.postman.record(
                session, [(p.delivery_id, p.user_id, posted) for p, posted in results], now
            )
            sent = [
                {"id": p.checkin_id, "message_id": posted.message_id}
                for p, posted in results
                if posted.message_id is not None and p.checkin_id is not None
            ]
            if sent:
                await session.execute(update(Checkin), sent)
            for prompt, posted in results:
                stats.counts[posted.status] += 1
                if posted.status is DeliveryStatus.REFUSED:
                    await self._rearm(session, prompt)
        stats.sent = stats.counts[DeliveryStatus.SENT]
        stats.gone = stats.counts[DeliveryStatus.GONE]
        stats.failed = stats.counts[DeliveryStatus.FAILED]

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
                .values(status=CheckinStatus.UNSENT, current=None)
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
            claimed = await insert_claims(session, RECAP, candidates, now, stats, dues)
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
                stats.counts[DeliveryStatus.FAILED] += 1
                stats.failed = stats.counts[DeliveryStatus.FAILED]
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
                    # A recap needs no answer: it arrives without a sound, its chart too.
                    Send(text, silent=True),
                    schedule_id=schedule.id,
                    due=dues[schedule.id],
                    photo=dataclasses.replace(photo, silent=True) if photo else None,
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
                    .where(Checkin.remind_at <= now, Checkin.status == CheckinStatus.OPEN)
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
                later = after_quiet(now, user)
                if later > now:
                    # Quiet hours began after the snooze was set: it waits for their end.
                    await session.execute(
                        update(Checkin).where(Checkin.id == checkin.id).values(remind_at=later)
                    )
                    continue
                message = await reminder_message(session, checkin)
                prompts.append(Prompt(user.id, user.chat_id, None, checkin.id, message))
        stats.reminders += len(prompts)
        await self.send_all(prompts, stats)

    async def send_follow_ups(self, stats: SweepStats) -> None:
        """ "Did you get help?" later on the day of an emergency answer, paused or not."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            due = await safety_events.due_follow_ups(session, now, self.batch)
        posts = []
        for user_id, chat_id, text in due:
            posted = await self.postman.post(chat_id, Send(text), user_id=user_id)
            if posted.sent:
                stats.counts["follow_up"] += 1
            posts.append((None, user_id, posted))
        if any(posted.status is DeliveryStatus.GONE for _, _, posted in posts):
            async with self.sessions() as session, session.begin():
                await self.postman.record(session, posts, now)

    async def send_experiment_weeks(self, stats: SweepStats) -> None:
        """What to do this week, on the first morning of each week of a randomised experiment.

        Claimed, posted and recorded like the results (:mod:`bot.experiments.weeks`).
        """
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            due = await weeks.claim_due_weeks(session, now, self.batch)
        if not due:
            return
        outcomes = [
            (week, await self.postman.post(week.chat_id, Send(week.text), user_id=week.user_id))
            for week in due
        ]
        async with self.sessions() as session, session.begin():
            await self.postman.record(
                session, [(w.delivery_id, w.user_id, posted) for w, posted in outcomes], now
            )
            for week, posted in outcomes:
                await weeks.give_back_refused(session, week, posted.status)
        stats.counts.update(f"experiment_week_{posted.status}" for _, posted in outcomes)

    async def send_experiment_verdicts(self, stats: SweepStats) -> None:
        """Results of swap experiments, each given once (bot/experiments/results.py).

        Claim, post, then record: a result Telegram refused (429) is handed back for a retry.
        """
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            due = await claim_due_verdicts(session, now, self.batch)
        outcomes = [
            (
                result,
                await self.postman.post(
                    result.chat_id,
                    Send(result.text, result.buttons, silent=True),
                    user_id=result.user_id,
                ),
            )
            for result in due
        ]
        if outcomes:
            async with self.sessions() as session, session.begin():
                await self.postman.record(
                    session, [(r.delivery_id, r.user_id, posted) for r, posted in outcomes], now
                )
                for result, posted in outcomes:
                    await give_back_refused(session, result, posted.status)
        stats.counts.update(f"experiment_{posted.status}" for _, posted in outcomes)
