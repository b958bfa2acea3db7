"""The message at the start of each week of a randomised experiment: what to do this week.

A week's message is claimed like every scheduled message (a delivery row of kind
:data:`KIND` for the experiment's week start and the week's number, ``ON CONFLICT DO NOTHING``),
so two workers never both send it; the sweep posts it through the postman from :data:`WEEK_AT`
local time on the week's first day. ``experiments.next_block_on`` says which week is next, so the
query reads only the experiments with a message due. A week whose message could not go out in
its own days (the person paused) is passed over: telling someone on Thursday what Monday's week
was helps nobody, and the next week's message says what to do then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.times import local_now
from bot.diary.adherence import experiment_plan
from bot.diary.checkins import format_day
from bot.experiments.due import claim_message, due_experiments
from bot.knowledge.trial_plan import Block
from bot.knowledge.trials import experiment_wording, spec_for, title_of
from bot.store.models import Delivery, Experiment
from bot.store.states import DeliveryStatus

#: The delivery kind of a week's message; its slot is the week's number.
KIND = "experiment_week"
#: From this local time on the week's first day.
WEEK_AT = time(9, 0)


def todo(experiment: Experiment, block: Block) -> str:
    """What the week asks, in the person's words."""
    w = experiment_wording()
    spec = spec_for(experiment.swap_id)
    stick = spec.stick if spec is not None else ""
    if block.arm == "swap":
        return w.week_swap.format(stick=stick)
    return w.week_baseline if block.arm == "baseline" else w.week_usual


def week_text(experiment: Experiment, block: Block, weeks: int) -> str:
    return experiment_wording().week_message.format(
        week=block.index + 1,
        weeks=weeks,
        title=title_of(experiment.swap_id),
        todo=todo(experiment, block),
        start=format_day(block.start),
        end=format_day(block.end),
    )


def next_week_after(blocks: list[Block], block: Block) -> Block | None:
    later = [b for b in blocks if b.start > block.start]
    return later[0] if later else None


@dataclass(frozen=True, slots=True)
class DueWeek:
    user_id: int
    chat_id: int
    experiment_id: int
    delivery_id: int
    text: str


async def claim_due_weeks(session: AsyncSession, now: datetime, limit: int) -> list[DueWeek]:
    """Claim the week messages due now and move each experiment on to its next week."""
    utc_tomorrow = now.astimezone(UTC).date() + timedelta(days=1)
    rows = await due_experiments(
        session,
        now,
        limit,
        Experiment.design >= 2,
        Experiment.next_block_on <= utc_tomorrow,
        order=Experiment.next_block_on,
    )
    due: list[DueWeek] = []
    for experiment, user in rows:
        if user.timezone is None or experiment.next_block_on is None:
            continue
        local = local_now(now, user.timezone).replace(tzinfo=None)
        blocks = experiment_plan(experiment)
        block = next((b for b in blocks if b.start == experiment.next_block_on), None)
        if block is None:
            experiment.next_block_on = None
            continue
        if local < datetime.combine(block.start, WEEK_AT):
            continue
        following = next_week_after(blocks, block)
        experiment.next_block_on = following.start if following else None
        if local.date() > block.end:
            continue  # passed over (see the module docstring)
        claimed = await claim_message(session, user.id, KIND, block.start, block.index, now)
        if claimed is not None:
            text = week_text(experiment, block, len(blocks))
            due.append(DueWeek(user.id, user.chat_id, experiment.id, claimed, text))
    return due


async def give_back_refused(session: AsyncSession, week: DueWeek, status: DeliveryStatus) -> None:
    """A week's message Telegram refused (429) is offered again by the next sweep."""
    if status is not DeliveryStatus.REFUSED:
        return
    local_date = await session.scalar(
        select(Delivery.local_date).where(Delivery.id == week.delivery_id)
    )
    await session.execute(delete(Delivery).where(Delivery.id == week.delivery_id))
    if local_date is not None:
        await session.execute(
            update(Experiment)
            .where(Experiment.id == week.experiment_id)
            .values(next_block_on=local_date)
        )
