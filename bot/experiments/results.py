"""The end of a swap experiment: the verdict message, given exactly once.

The numbers and the rules are :mod:`bot.insights.trial`'s (randomised experiments, ``design`` 2)
or :mod:`bot.insights.verdict`'s (two-week experiments started before them, which finish under
the rules they started with); this module reads the diary for them and words the result (at most
eight lines, with "one more pair of weeks" under a "can't tell yet"); the sweep posts it.

The result goes out once: claiming it inserts a delivery row (kind ``experiment``, the
experiment's last day, slot 0) with ``ON CONFLICT DO NOTHING``, in the same transaction that marks
the experiment finished with its verdict. Whoever inserts the row (the sweep, or the person's own
``/experiment`` after the last day) gives the result; nobody else does. The sweep gives it from
:data:`VERDICT_AT` local time on the day after the last day. One more pair moves the last day, so
its result is claimed afresh.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.numbers import one_decimal, score
from bot.base.times import local_now
from bot.base.wording import t
from bot.chat.buttons import simple_data
from bot.chat.messenger import NO_BUTTONS, Button, Keyboard
from bot.chat.outbox import Outbox
from bot.diary.adherence import experiment_plan
from bot.diary.checkins import format_day
from bot.diary.questions import EXPERIMENT, PAIN
from bot.diary.view import DiaryDay, diary_days
from bot.experiments.due import claim_message, due_experiments
from bot.insights import trial
from bot.insights.verdict import (
    MIN_PAIN_DAYS,
    Adherence,
    Outcome,
    assess,
    count_adherence,
    windows,
)
from bot.knowledge.trials import experiment_wording, spec_for, title_of
from bot.people.onboarding import consent_stamp
from bot.store.models import Answer, Delivery, Experiment, User
from bot.store.states import DeliveryStatus, ExperimentStatus

log = logging.getLogger(__name__)

#: The result comes the morning after the last day, not at midnight.
VERDICT_AT = time(9, 0)
#: The delivery kind that claims a result (at most once per experiment).
KIND = "experiment"


async def active_experiment(session: AsyncSession, user_id: int) -> Experiment | None:
    return await session.scalar(
        select(Experiment)
        .where(Experiment.user_id == user_id, Experiment.status == ExperimentStatus.ACTIVE)
        .order_by(Experiment.id.desc())
        .limit(1)
    )


async def adherence_answers(
    session: AsyncSession, user_id: int, start: date, end: date
) -> dict[date, Any]:
    """Each day's latest "did you stick to it?" answer (``None`` for a skip)."""
    rows = await session.execute(
        select(Answer.local_date, Answer.value)
        .where(
            Answer.user_id == user_id,
            Answer.question == EXPERIMENT,
            Answer.local_date >= start,
            Answer.local_date <= end,
        )
        .order_by(Answer.answered_at, Answer.id)
    )
    return dict(rows.all())


# --- the result -------------------------------------------------------------------------------


async def outcome_of(session: AsyncSession, experiment: Experiment) -> Outcome:
    """Compare the experiment's days with the 14 days before it, from the diary as it is now."""
    (start, _), (during_start, end) = windows(experiment.started_on)
    days = await diary_days(session, experiment.user_id, start, end)
    answers = await adherence_answers(session, experiment.user_id, during_start, end)
    spec = spec_for(experiment.swap_id)
    return assess(days, answers, experiment.started_on, spec.symptom if spec else "bloating")


def _percent(hits: int, days: int) -> str:
    return f"{round(100 * hits / days)}" if days else "0"


def adherence_line(kept: Adherence, template: str, none_answered: str) -> str:
    """How well the swap was kept, as the progress and the verdict both say it."""
    if not kept.answered:
        return none_answered
    return template.format(kept=kept.kept, answered=kept.answered, yes=kept.yes, partly=kept.partly)


def verdict_text(experiment: Experiment, outcome: Outcome) -> str:
    """The message at the end: the numbers, what they say, and what they cannot say."""
    w = experiment_wording()
    spec = spec_for(experiment.swap_id)
    before, during, kept = outcome.before, outcome.during, outcome.adherence
    counts = {"before_days": before.pain_days, "during_days": during.pain_days}
    lines = [
        w.verdict_title.format(
            title=title_of(experiment.swap_id),
            start=format_day(experiment.started_on),
            end=format_day(experiment.ends_on),
        ),
        "",
    ]
    if before.pain_mean is not None and during.pain_mean is not None:
        lines.append(
            w.verdict_pain.format(
                before=one_decimal(before.pain_mean), during=one_decimal(during.pain_mean), **counts
            )
        )
    else:
        lines.append(w.verdict_pain_days.format(**counts))
    symptom = t(f"symptom_{spec.symptom if spec else 'bloating'}")
    if outcome.symptom_change is not None:
        lines.append(
            w.verdict_symptom.format(
                symptom=symptom,
                before_hits=before.symptom_hits,
                before_days=before.symptom_days,
                before_share=_percent(before.symptom_hits, before.symptom_days),
                during_hits=during.symptom_hits,
                during_days=during.symptom_days,
                during_share=_percent(during.symptom_hits, during.symptom_days),
            )
        )
    else:
        lines.append(
            w.verdict_symptom_few.format(
                symptom=symptom, before_days=before.symptom_days, during_days=during.symptom_days
            )
        )
    lines.append(adherence_line(kept, w.verdict_adherence, w.verdict_no_adherence))
    reason = getattr(w, f"reason_{outcome.reason}")
    lines += ["", reason.format(needed=MIN_PAIN_DAYS, **counts)]
    if outcome.verdict != "not_enough":  # numbers that were compared get the warning
        lines += ["", w.caveat]
    if spec is not None and spec.after:
        lines += ["", spec.after]
    lines += ["", w.next]
    return "\n".join(lines)


def _signed(value: float) -> str:
    return f"{value:+.1f}".replace("+0.0", "0.0").replace("-0.0", "0.0")


def _share(days: list[DiaryDay], symptom: str) -> tuple[int, int]:
    """(days with the symptom, days with a digestion answer) among ``days``."""
    known = [day for day in days if day.digestion_reported or day.symptoms]
    return sum(symptom in day.symptoms for day in known), len(known)


def trial_text(
    experiment: Experiment,
    outcome: trial.TrialOutcome,
    days: dict[date, DiaryDay],
    kept: Adherence,
    blocks: list[trial.Block],
) -> str:
    """The result of a randomised experiment in at most eight lines: numbers, meaning, limits."""
    w = experiment_wording()
    spec = spec_for(experiment.swap_id)
    lines = [
        w.trial_title.format(
            title=title_of(experiment.swap_id),
            start=format_day(experiment.started_on),
            end=format_day(experiment.ends_on),
        )
    ]
    if outcome.swap_mean is not None and outcome.usual_mean is not None:
        lines.append(
            w.trial_pain.format(
                swap=one_decimal(outcome.swap_mean),
                usual=one_decimal(outcome.usual_mean),
                swap_days=outcome.swap_days,
                usual_days=outcome.usual_days,
            )
        )
    if outcome.effect is not None:
        lines.append(
            w.trial_effect.format(
                effect=_signed(outcome.effect.estimate),
                low=_signed(outcome.effect.low),
                high=_signed(outcome.effect.high),
            )
        )
    symptom = spec.symptom if spec else "bloating"
    by_arm: dict[str, list[DiaryDay]] = {"usual": [], "swap": []}
    for block in blocks:
        for offset in range(trial.BLOCK_DAYS):
            day = block.start + timedelta(days=offset)
            if block.arm in by_arm and day in days and not block.washout(day):
                by_arm[block.arm].append(days[day])
    (swap_hits, swap_known), (usual_hits, usual_known) = (
        _share(by_arm["swap"], symptom),
        _share(by_arm["usual"], symptom),
    )
    if swap_known and usual_known:
        lines.append(
            w.trial_symptom.format(
                symptom=t(f"symptom_{symptom}"),
                swap_share=_percent(swap_hits, swap_known),
                usual_share=_percent(usual_hits, usual_known),
            )
        )
    lines.append(adherence_line(kept, w.verdict_adherence, w.verdict_no_adherence))
    reason = getattr(w, f"trial_{outcome.reason}").format(days=trial.MIN_ARM_DAYS)
    if outcome.can_extend and (experiment.pairs or 0) < trial.MAX_PAIRS:
        reason = f"{reason} {w.trial_more}"
    lines.append(reason)
    # The limits and what next share the last line, so the message stays within eight lines.
    closing = [w.trial_caveat] if outcome.verdict != "not_enough" else []
    if spec is not None and spec.after:
        closing.append(spec.after)
    lines.append(" ".join([*closing, w.next]))
    return "\n".join(lines)


def can_extend(experiment: Experiment) -> bool:
    """A finished trial whose answer was "can't tell yet" and that may run one more pair."""
    return (
        experiment.design >= 2
        and experiment.status == ExperimentStatus.FINISHED
        and experiment.verdict == "not_enough"
        and experiment.effect is not None
        and (experiment.pairs or 0) < trial.MAX_PAIRS
    )


def more_button(experiment: Experiment, user: User) -> Keyboard:
    data = simple_data("exp", f"more:{experiment.id}:{consent_stamp(user)}")
    return ((Button(experiment_wording().more_button, data),),)


async def _trial_result(session: AsyncSession, experiment: Experiment) -> str:
    """Judge a randomised experiment from the diary as it is now; store the verdict and effect."""
    blocks = experiment_plan(experiment)
    days = await diary_days(session, experiment.user_id, experiment.started_on, experiment.ends_on)
    pain = {
        when: value for when, day in days.items() if (value := score(day.value(PAIN))) is not None
    }
    outcome = trial.assess(blocks, pain)
    answers = await adherence_answers(
        session, experiment.user_id, experiment.started_on, experiment.ends_on
    )
    experiment.verdict = outcome.verdict
    if outcome.effect is not None:
        experiment.effect = outcome.effect.estimate
        experiment.effect_low = outcome.effect.low
        experiment.effect_high = outcome.effect.high
    else:
        experiment.effect = experiment.effect_low = experiment.effect_high = None
    return trial_text(experiment, outcome, days, count_adherence(answers), blocks)


async def finish(
    session: AsyncSession, experiment: Experiment, now: datetime
) -> tuple[int, str, Keyboard] | None:
    """Claim the result and mark the experiment finished, in the caller's transaction.

    Returns the claim's delivery id, the message and its buttons ("one more pair" when the
    answer is "can't tell yet"), or ``None`` when someone else claimed it. An experiment finishes
    under the rules it started with (its ``design``).
    """
    claimed = await claim_message(session, experiment.user_id, KIND, experiment.ends_on, 0, now)
    if claimed is None:
        return None
    experiment.status = ExperimentStatus.FINISHED
    experiment.finished_at = now
    if experiment.design >= 2:
        text = await _trial_result(session, experiment)
        user = await session.get(User, experiment.user_id)
        buttons = more_button(experiment, user) if user and can_extend(experiment) else NO_BUTTONS
        return claimed, text, buttons
    outcome = await outcome_of(session, experiment)
    experiment.verdict = outcome.verdict
    return claimed, verdict_text(experiment, outcome), NO_BUTTONS


async def verdict_reply(session: AsyncSession, experiment: Experiment, now: datetime) -> Outbox:
    """The person asked after the last day: the result is theirs now, claimed like the sweep's."""
    # Lock the experiment before claiming, in the sweep's order (it locks the row, then inserts
    # the claim): the opposite order could deadlock with a sweep claiming the same result.
    await session.execute(
        select(Experiment.id).where(Experiment.id == experiment.id).with_for_update()
    )
    finished = await finish(session, experiment, now)
    if finished is None:
        return Outbox.saying(experiment_wording().on_its_way)
    delivery_id, text, buttons = finished
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status=DeliveryStatus.REPLY, sent_at=now)
    )
    outbox = Outbox()
    outbox.send(text, buttons)
    return outbox


def verdict_due(experiment: Experiment, zone: str, now: datetime) -> bool:
    """From :data:`VERDICT_AT` local time on the day after the last day."""
    due = datetime.combine(experiment.ends_on + timedelta(days=1), VERDICT_AT)
    return local_now(now, zone).replace(tzinfo=None) >= due


# --- the sweep's part -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueVerdict:
    user_id: int
    chat_id: int
    experiment_id: int
    delivery_id: int
    text: str
    buttons: Keyboard = NO_BUTTONS


async def claim_due_verdicts(session: AsyncSession, now: datetime, limit: int) -> list[DueVerdict]:
    """Claim the results that are due now and finish their experiments (one transaction).

    The query is cheap: only active experiments whose last day is on or before today's UTC date
    can be due (no zone is more than a day ahead of UTC), and the exact local check is done here.
    People who paused check-ins get theirs when they resume (or ask with ``/experiment``).
    """
    utc_today = now.astimezone(UTC).date()
    rows = await due_experiments(
        session, now, limit, Experiment.ends_on <= utc_today, order=Experiment.ends_on
    )
    due: list[DueVerdict] = []
    for experiment, user in rows:
        if user.timezone is None or not verdict_due(experiment, user.timezone, now):
            continue
        finished = await finish(session, experiment, now)
        if finished is not None:
            delivery_id, text, buttons = finished
            due.append(DueVerdict(user.id, user.chat_id, experiment.id, delivery_id, text, buttons))
    return due


async def give_back_refused(
    session: AsyncSession, result: DueVerdict, status: DeliveryStatus
) -> None:
    """A result Telegram refused (429) was certainly not delivered: the next sweep claims it again.

    The postman has recorded every other outcome on the claimed delivery row.
    """
    if status is not DeliveryStatus.REFUSED:
        return
    await session.execute(delete(Delivery).where(Delivery.id == result.delivery_id))
    await session.execute(
        update(Experiment)
        .where(Experiment.id == result.experiment_id)
        .values(
            status=ExperimentStatus.ACTIVE,
            verdict=None,
            finished_at=None,
            effect=None,
            effect_low=None,
            effect_high=None,
        )
    )
