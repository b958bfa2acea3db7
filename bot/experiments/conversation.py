"""``/experiment``: offer a swap to test, start it with one tap, show progress, stop, extend.

The whole feature: ``/experiment`` offers a few swaps in a few lines (those that match what the
diary shows first, from ``content/experiments.yaml``; "More about these" shows their plans), one
tap starts a randomised N-of-1 trial in local days (a baseline week, then two pairs of weeks with
and without the swap in an order drawn from a stored seed: :mod:`bot.knowledge.trial_plan`),
each week begins with a message saying what it is (:mod:`bot.experiments.weeks`), each evening
check-in asks "did you stick to it today?" naming the week's task, and the morning after the
last day a result says what back pain did (:mod:`bot.experiments.results` gives it,
:mod:`bot.insights.trial` holds the rules). "Can't tell yet" offers one more pair of weeks.
``/experiment`` during an experiment shows how it is going and offers to stop it. Experiments
started before the randomised design (``design`` 1) run and end under the two-week rules of
:mod:`bot.insights.verdict`.

Buttons carry the owner's consent stamp (:func:`bot.people.onboarding.consent_stamp`), so a button
from before a deletion, or forged from another chat, does nothing. One experiment at a time: the
person's row is locked before the check (see :func:`_lock_person`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.clean import ascii_id
from bot.base.content import article_sections
from bot.base.times import local_date
from bot.base.wording import t
from bot.chat.buttons import simple_data
from bot.chat.messenger import Button, Keyboard
from bot.chat.outbox import Outbox
from bot.diary.adherence import experiment_plan
from bot.diary.checkins import format_day
from bot.diary.view import diary_days
from bot.experiments.results import (
    active_experiment,
    adherence_answers,
    adherence_line,
    can_extend,
    verdict_reply,
)
from bot.experiments.weeks import todo
from bot.insights import trial
from bot.insights.engine import diary_links, experiment_order
from bot.insights.verdict import count_adherence
from bot.knowledge.swaps import swap_by_id
from bot.knowledge.trials import (
    ExperimentSpec,
    experiment_library,
    experiment_wording,
    spec_for,
    title_of,
)
from bot.people.onboarding import consent_stamp, is_set_up
from bot.store.models import Experiment, User
from bot.store.states import ExperimentStatus

#: Experiments offered at once.
OFFERS = 4
#: How far back the diary is read to put the fitting swaps first.
FIT_DAYS = 14
GO, STOP, STOP_YES, KEEP, MORE, INFO = "go", "stop", "yes", "keep", "more", "info"


def _data(verb: str, target: object, user: User) -> str:
    return simple_data("exp", f"{verb}:{target}:{consent_stamp(user)}")


async def _lock_person(session: AsyncSession, user: User) -> None:
    """Serialise this person's experiment changes before reading them.

    A no-op ``UPDATE`` of the person's row: PostgreSQL locks the row until commit, and SQLite
    (which starts a transaction only at the first write) takes its write lock here, before the
    read, so two taps at once cannot both see "no experiment yet".
    """
    await session.execute(update(User).where(User.id == user.id).values(updated_at=User.updated_at))


# --- offering ---------------------------------------------------------------------------------


def choose_offers(
    food_days: Mapping[str, int],
    *,
    allow_restriction: bool,
    linked: Sequence[str] = (),
    limit: int = OFFERS,
) -> list[ExperimentSpec]:
    """The experiments to offer: swaps away from the food groups the insight engine links to
    higher pain first (``linked``, strongest evidence first: the experiment the diary suggests),
    then those whose food group shows up most in the diary.

    Ties and the rest keep the content file's order, which is also the default offer.
    """
    specs = [
        spec
        for spec in experiment_library().experiments
        if allow_restriction or not spec.restriction
    ]
    order = {spec.swap: index for index, spec in enumerate(specs)}
    rank = {group: index for index, group in enumerate(linked)}
    specs.sort(
        key=lambda spec: (
            rank.get(spec.group, len(rank)),
            -food_days.get(spec.group, 0),
            order[spec.swap],
        )
    )
    return specs[:limit]


async def linked_foods(session: AsyncSession, user_id: int) -> list[str]:
    """Food groups the insight engine links to higher pain over the whole diary, strongest
    first: the same analysis the recap and the PDF show."""
    return experiment_order(diary_links(await diary_days(session, user_id, notes=False)))


async def food_days(session: AsyncSession, user_id: int, today: date) -> Counter[str]:
    """On how many of the last :data:`FIT_DAYS` days each food group was noted."""
    days = await diary_days(session, user_id, today - timedelta(days=FIT_DAYS - 1), today)
    return Counter(group for day in days.values() for group in day.foods)


def _offer_text(specs: list[ExperimentSpec], counts: Mapping[str, int], *, full: bool) -> str:
    """The offer in a few lines (one per swap), or ``full``: each swap's plan and section."""
    w = experiment_wording()
    if not full:
        lines = [w.offer_short_intro]
        for spec in specs:
            if counts.get(spec.group):
                group = t(f"group_{spec.group}")
                lines.append(
                    w.offer_short_fit.format(
                        title=spec.title, group=group, count=counts[spec.group]
                    )
                )
            else:
                lines.append(w.offer_short_line.format(title=spec.title))
        lines.append(w.offer_short_end)
        return "\n".join(lines)
    sections = article_sections()
    parts = [w.offer_intro]
    for spec in specs:
        line = w.offer_line.format(
            title=spec.title, plan=spec.plan, section=sections.title(_section(spec))
        )
        if counts.get(spec.group):
            fit = w.offer_fit.format(group=t(f"group_{spec.group}"), count=counts[spec.group])
            line = f"{line}\n{fit}"
        parts.append(line)
    return "\n\n".join(parts)


async def offer(
    session: AsyncSession, user: User, today: date, *, full: bool = False
) -> tuple[str, Keyboard] | None:
    """The swaps to offer, as text and buttons: a short list with a "more" button first."""
    counts = await food_days(session, user.id, today)
    specs = choose_offers(
        counts,
        allow_restriction=not user.no_restriction_tips,
        linked=await linked_foods(session, user.id),
    )
    if not specs:
        return None
    buttons = tuple((Button(spec.button, _data(GO, spec.swap, user)),) for spec in specs)
    if not full:
        more = Button(experiment_wording().offer_more_button, _data(INFO, 0, user))
        buttons = (*buttons, (more,))
    return _offer_text(specs, counts, full=full), buttons


async def _offer(session: AsyncSession, user: User, today: date) -> Outbox:
    found = await offer(session, user, today)
    if found is None:
        return Outbox.saying(experiment_wording().offer_none)
    outbox = Outbox()
    outbox.send(*found)
    return outbox


async def _offer_in_full(
    session: AsyncSession, user: User, message_id: int | None, now: datetime
) -> Outbox:
    """The offer's "more" button: the same message grows into every plan and its section."""
    assert user.timezone is not None
    found = await offer(session, user, local_date(now, user.timezone), full=True)
    if found is None:
        return Outbox.saying(experiment_wording().offer_none)
    outbox = Outbox()
    if message_id is None:
        outbox.send(*found)
    else:
        outbox.edit(message_id, *found)
    return outbox


def _section(spec: ExperimentSpec) -> str:
    swap = swap_by_id(spec.swap)
    assert swap is not None  # checked when the content is loaded
    return swap.section


# --- progress ---------------------------------------------------------------------------------


def _total_days(experiment: Experiment) -> int:
    return (experiment.ends_on - experiment.started_on).days + 1


def _day_number(experiment: Experiment, today: date) -> int:
    return min(max((today - experiment.started_on).days + 1, 1), _total_days(experiment))


async def progress_text(session: AsyncSession, experiment: Experiment, today: date) -> str:
    w = experiment_wording()
    lines = [
        w.progress.format(
            title=title_of(experiment.swap_id),
            day=_day_number(experiment, today),
            total=_total_days(experiment),
            end=format_day(experiment.ends_on),
            results_on=format_day(experiment.ends_on + timedelta(days=1)),
        )
    ]
    if experiment.design >= 2:
        block = trial.block_on(experiment_plan(experiment), today)
        if block is not None:
            lines.append(
                w.progress_week.format(
                    start=format_day(block.start),
                    end=format_day(block.end),
                    todo=todo(experiment, block),
                )
            )
    answers = await adherence_answers(
        session, experiment.user_id, experiment.started_on, min(today, experiment.ends_on)
    )
    kept = count_adherence(answers)
    lines.append(adherence_line(kept, w.progress_adherence, w.progress_no_adherence))
    return "\n".join(lines)


async def _progress(
    session: AsyncSession, user: User, experiment: Experiment, today: date, intro: str = ""
) -> Outbox:
    outbox = Outbox()
    stop = Button(experiment_wording().stop_button, _data(STOP, experiment.id, user))
    text = await progress_text(session, experiment, today)
    outbox.send(f"{intro}\n\n{text}" if intro else text, ((stop,),))
    return outbox


# --- the command and its buttons ----------------------------------------------------------------


async def command(session: AsyncSession, user: User, now: datetime) -> Outbox:
    """``/experiment``: the result if one just ended, progress if one runs, else the offer."""
    assert user.timezone is not None
    today = local_date(now, user.timezone)
    await _lock_person(session, user)
    experiment = await active_experiment(session, user.id)
    if experiment is not None and today > experiment.ends_on:
        return await verdict_reply(session, experiment, now)
    if experiment is not None:
        return await _progress(session, user, experiment, today)
    return await _offer(session, user, today)


async def press(
    session: AsyncSession, user: User, arg: str, message_id: int | None, now: datetime
) -> Outbox:
    """An experiment button: acts only for the person and the consent it was made for."""
    verb, _, rest = arg.partition(":")
    target, _, stamp = rest.partition(":")
    if stamp != consent_stamp(user) or not is_set_up(user) or user.timezone is None:
        return Outbox(toast=t("button_expired"))
    if verb == GO:
        return await _start(session, user, target, message_id, now)
    if verb == INFO:
        return await _offer_in_full(session, user, message_id, now)
    experiment_id = ascii_id(target)
    if verb == MORE and experiment_id is not None:
        return await _one_more_pair(session, user, experiment_id, now)
    if verb in (STOP, STOP_YES, KEEP) and experiment_id is not None:
        return await _stop_flow(session, user, verb, experiment_id, message_id, now)
    return Outbox(toast=t("button_expired"))


async def _start(
    session: AsyncSession, user: User, swap_id: str, message_id: int | None, now: datetime
) -> Outbox:
    assert user.timezone is not None
    w = experiment_wording()
    spec = spec_for(swap_id)
    if spec is None:
        return Outbox(toast=t("button_expired"))
    if spec.restriction and user.no_restriction_tips:
        outbox = Outbox.saying(t("swap_no_elimination"))
        outbox.toast = w.not_for_you_toast
        return outbox
    today = local_date(now, user.timezone)
    await _lock_person(session, user)
    running = await active_experiment(session, user.id)
    if running is not None:
        if today > running.ends_on:
            return await verdict_reply(session, running, now)
        outbox = await _progress(session, user, running, today, intro=w.already_running)
        outbox.toast = w.already_running_toast
        return outbox
    seed = trial.new_seed()
    blocks = trial.plan(today, seed, trial.FIRST_PAIRS)
    experiment = Experiment(
        user_id=user.id,
        swap_id=spec.swap,
        started_on=today,
        ends_on=trial.last_day(blocks),
        status=ExperimentStatus.ACTIVE,
        created_at=now,
        design=2,
        seed=seed,
        pairs=trial.FIRST_PAIRS,
        next_block_on=blocks[1].start,
    )
    session.add(experiment)
    await session.flush()
    text = await _started_text(session, user, spec, experiment)
    outbox = Outbox(toast=w.started_toast)
    if message_id is None:
        outbox.send(text)
    else:
        outbox.edit(message_id, text)
    return outbox


async def _started_text(
    session: AsyncSession, user: User, spec: ExperimentSpec, experiment: Experiment
) -> str:
    w = experiment_wording()
    baseline = experiment_plan(experiment)[0]
    parts = [
        w.started.format(
            title=spec.title,
            plan=spec.plan,
            section=article_sections().title(_section(spec)),
            start=format_day(experiment.started_on),
            week_end=format_day(baseline.end),
            results_on=format_day(experiment.ends_on + timedelta(days=1)),
        )
    ]
    swap = swap_by_id(spec.swap)
    if swap is not None and swap.caution:
        parts.append(w.started_caution.format(caution=swap.caution))
    return "\n\n".join(parts)


async def _one_more_pair(
    session: AsyncSession, user: User, experiment_id: int, now: datetime
) -> Outbox:
    """ "One more pair of weeks" under a "can't tell yet": the same experiment, two weeks longer.

    The new pair starts tomorrow (or the day after the last week, if that is later), so its
    first week's message comes on its first morning; the days in between are in no week.
    """
    assert user.timezone is not None
    w = experiment_wording()
    await _lock_person(session, user)
    experiment = await session.get(Experiment, experiment_id)
    if experiment is None or experiment.user_id != user.id or not can_extend(experiment):
        return Outbox(toast=w.ended_toast)
    if await active_experiment(session, user.id) is not None:
        return Outbox(toast=w.already_running_toast)
    today = local_date(now, user.timezone)
    start = max(today + timedelta(days=1), experiment.ends_on + timedelta(days=1))
    experiment.extra_starts = [*(experiment.extra_starts or ()), start.isoformat()]
    experiment.pairs = (experiment.pairs or trial.FIRST_PAIRS) + 1
    blocks = experiment_plan(experiment)
    experiment.ends_on = trial.last_day(blocks)
    experiment.next_block_on = start
    experiment.status = ExperimentStatus.ACTIVE
    experiment.verdict = None
    experiment.finished_at = None
    experiment.effect = experiment.effect_low = experiment.effect_high = None
    text = w.more_started.format(
        start=format_day(start), results_on=format_day(experiment.ends_on + timedelta(days=1))
    )
    outbox = Outbox(toast=w.more_toast)
    outbox.send(text)  # the result above keeps its numbers: a new message, not an edit
    return outbox


async def _stop_flow(
    session: AsyncSession,
    user: User,
    verb: str,
    experiment_id: int,
    message_id: int | None,
    now: datetime,
) -> Outbox:
    assert user.timezone is not None
    w = experiment_wording()
    await _lock_person(session, user)
    experiment = await session.get(Experiment, experiment_id)
    if experiment is None or experiment.user_id != user.id:
        return Outbox(toast=t("button_expired"))
    if experiment.status != ExperimentStatus.ACTIVE:
        return Outbox(toast=w.ended_toast)
    today = local_date(now, user.timezone)
    outbox = Outbox()
    if verb == STOP:
        buttons = (
            (Button(w.stop_yes_button, _data(STOP_YES, experiment.id, user)),),
            (Button(w.stop_keep_button, _data(KEEP, experiment.id, user)),),
        )
        outbox.edit(message_id, w.stop_ask, buttons)
    elif verb == KEEP:
        day = _day_number(experiment, today)
        outbox.edit(message_id, w.kept_going.format(day=day, total=_total_days(experiment)))
        outbox.toast = t("button_saved")
    else:
        # Compare-and-set: a result the sweep is giving right now is not overwritten.
        stopped = await session.scalar(
            update(Experiment)
            .where(Experiment.id == experiment.id, Experiment.status == ExperimentStatus.ACTIVE)
            .values(status=ExperimentStatus.STOPPED, finished_at=now)
            .returning(Experiment.id)
        )
        if stopped is None:
            return Outbox(toast=w.ended_toast)
        outbox.edit(message_id, w.stopped)
        outbox.toast = t("button_saved")
    return outbox
