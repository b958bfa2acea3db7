"""Swap experiments on a real database: offering, starting once, stopping, the evening question,
and a result that reaches the person exactly once.

Berlin is UTC+1 all through March 2026 (summer time starts on the 29th). The experiment in most
tests runs Mon 2 Mar to Sun 15 Mar; its result is due on Mon 16 Mar from 09:00 Berlin (08:00 UTC).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.app.presses import parse
from bot.base.clock import FrozenClock
from bot.base.content import article_sections
from bot.base.wording import t
from bot.chat.buttons import CheckinPress, SimplePress, simple_data
from bot.chat.outbox import Edit, Outbox, Send
from bot.delivery.sweep import Sweeper
from bot.diary import checkins
from bot.diary.freetext import ELIMINATION_SWAPS
from bot.diary.questions import EXPERIMENT, FOOD
from bot.experiments import conversation as experiments
from bot.knowledge.swaps import swap_by_id
from bot.knowledge.trials import MAX_SWAP_ID, experiment_library, spec_for
from bot.people.onboarding import consent_stamp
from bot.safety import conversation as safety_flow
from bot.store.db import Sessions
from bot.store.models import Answer, Checkin, Delivery, Experiment, User
from tests.support import RecordingMessenger, add_checkin, add_user

START = date(2026, 3, 2)
END = date(2026, 3, 15)
ALEX, SAM = 501, 502


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    """A Berlin wall-clock time in March 2026 as a UTC instant (UTC+1)."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC) - timedelta(hours=1)


Action = Callable[[Any, User], Awaitable[Outbox]]


async def act(sessions: Sessions, user_id: int, action: Action) -> Outbox:
    """Run one core action for a person in its own transaction, as an update would."""
    async with sessions() as session, session.begin():
        user = await session.get(User, user_id)
        assert user is not None
        return await action(session, user)


async def command(sessions: Sessions, user_id: int, now: datetime) -> Outbox:
    return await act(sessions, user_id, lambda s, u: experiments.command(s, u, now))


async def press(
    sessions: Sessions, user_id: int, data: str, now: datetime, message_id: int = 77
) -> Outbox:
    pressed = parse(data)
    assert isinstance(pressed, SimplePress) and pressed.action == "exp"
    return await act(
        sessions, user_id, lambda s, u: experiments.press(s, u, pressed.arg, message_id, now)
    )


def only_send(outbox: Outbox) -> Send:
    [message] = outbox.messages
    assert isinstance(message, Send)
    return message


def only_edit(outbox: Outbox) -> Edit:
    [message] = outbox.messages
    assert isinstance(message, Edit)
    return message


def button(message: Send | Edit, label: str) -> str:
    for row in message.buttons:
        for candidate in row:
            if label in candidate.label:
                return candidate.data
    raise AssertionError(f"no {label!r} button in {message.buttons!r}")


def labels(message: Send | Edit) -> list[str]:
    return [b.label for row in message.buttons for b in row]


async def add_day(
    sessions: Sessions,
    user_id: int,
    day: date,
    *,
    pain: int | None = None,
    digestion: list[str] | None = None,
    food: list[str] | None = None,
    stuck: str | None = None,
) -> None:
    """One evening check-in with the given answers, as if tapped that day."""
    answers = {"pain": pain, "digestion": digestion, "food": food, EXPERIMENT: stuck}
    answers = {question: value for question, value in answers.items() if value is not None}
    async with sessions() as session, session.begin():
        await add_checkin(session, user_id, day, answers, berlin(day, 20))


def days(first: date, count: int) -> Iterable[date]:
    return (first + timedelta(days=offset) for offset in range(count))


async def start(
    sessions: Sessions, user_id: int, now: datetime, swap: str, *, design: int = 1
) -> Experiment:
    """Start an experiment the way a person does: /experiment, then a tap on its button.

    ``design=1`` (the default here) then turns it into one that was running at the upgrade to
    randomised experiments: two weeks, compared with the two before (these tests are its
    rules, which such an experiment finishes under). ``tests/e2e/test_experiment.py`` and the
    tests marked "design 2" below run the randomised trial.
    """
    offer = only_send(await command(sessions, user_id, now))
    spec = spec_for(swap)
    assert spec is not None
    await press(sessions, user_id, button(offer, spec.button), now)
    if design == 1:
        async with sessions() as session, session.begin():
            row = await session.scalar(select(Experiment).where(Experiment.user_id == user_id))
            assert row is not None
            row.design, row.ends_on = 1, row.started_on + timedelta(days=13)
            row.seed = row.pairs = row.next_block_on = None
    [experiment] = await experiments_of(sessions, user_id)
    return experiment


async def experiments_of(sessions: Sessions, user_id: int) -> list[Experiment]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Experiment).where(Experiment.user_id == user_id).order_by(Experiment.id)
        )
        return list(rows)


async def count(sessions: Sessions, model: Any, *where: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


# --- content ----------------------------------------------------------------------------------


def test_every_experiment_names_a_swap_and_its_section_and_leaving_food_out_is_marked() -> None:
    library = experiment_library()
    sections = article_sections()
    for spec in library.experiments:
        swap = swap_by_id(spec.swap)
        assert swap is not None
        assert sections.title(swap.section)
    restricted = {spec.swap for spec in library.experiments if spec.restriction}
    offered = {spec.swap for spec in library.experiments}
    assert offered & ELIMINATION_SWAPS <= restricted
    assert "gluten_two_week_trial" in restricted


def test_the_longest_button_fits_telegrams_64_bytes() -> None:
    user = User(id=999_999_999, consented_at=utc(2099, 12, 31, 23, 59, 59, 999_999))
    longest = "x" * MAX_SWAP_ID
    data = simple_data("exp", f"go:{longest}:{consent_stamp(user)}")
    assert len(data.encode()) <= 64


# --- offering and starting --------------------------------------------------------------------


async def test_an_empty_diary_is_offered_the_first_four_swaps_with_their_sections(
    sessions: Sessions, clock: FrozenClock
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX)
    offer = only_send(await command(sessions, alex, clock.now()))
    first_four = experiment_library().experiments[:4]
    assert labels(offer) == [*(spec.button for spec in first_four), "More about these"]
    assert len(offer.text.splitlines()) <= 8  # the plans wait behind "More about these"
    for spec in first_four:
        assert f"• {spec.title}\n" in offer.text
    assert "may help" in offer.text
    assert "you noted" not in offer.text
    more = only_edit(await press(sessions, alex, button(offer, "More about these"), clock.now()))
    assert labels(more) == [spec.button for spec in first_four]  # the same swaps, in full
    for spec in first_four:
        swap = swap_by_id(spec.swap)
        assert swap is not None
        assert spec.plan in more.text
        assert f"From the article: {article_sections().title(swap.section)}" in more.text


async def test_swaps_that_fit_the_last_two_weeks_come_first(
    sessions: Sessions, clock: FrozenClock
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX)
    for day in days(START - timedelta(days=3), 3):
        await add_day(sessions, alex, day, food=["alcohol", "prebiotic"])
    await add_day(sessions, alex, START, food=["greasy"])
    await add_day(sessions, alex, START - timedelta(days=20), food=["gluten"])  # too long ago
    offer = only_send(await command(sessions, alex, clock.now()))
    assert labels(offer) == [
        "Alcohol → alcohol-free",
        "Fried → baked or grilled",
        "Soda → kombucha",
        "Takeout → home cooking",
        "More about these",
    ]
    assert "(you noted alcohol on 3 of the last 14 days)" in offer.text
    assert "(you noted greasy or fried food on 1 of the last 14 days)" in offer.text


async def test_after_eating_disorder_signals_going_without_gluten_is_never_offered_or_started(
    sessions: Sessions, clock: FrozenClock
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX)
    for day in days(START - timedelta(days=5), 5):
        await add_day(sessions, alex, day, food=["gluten"])
    offer = only_send(await command(sessions, alex, clock.now()))
    gluten_data = button(offer, "without gluten")
    assert labels(offer)[0] == "Two weeks without gluten"  # it fits the diary best

    async with sessions() as session, session.begin():
        user = await session.get(User, alex)
        assert user is not None
        user.no_restriction_tips = True
    offer = only_send(await command(sessions, alex, clock.now()))
    assert not any("gluten" in label for label in labels(offer))
    assert len(labels(offer)) == 4 + 1  # and "More about these"
    # The button from before still sits in the chat: it starts nothing.
    refused = await press(sessions, alex, gluten_data, clock.now())
    assert only_send(refused).text == t("swap_no_elimination")
    assert await experiments_of(sessions, alex) == []


async def test_one_tap_starts_a_randomised_experiment_in_local_days_and_says_its_plan(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """Design 2: a usual week, then two pairs of weeks; results the day after the fifth week."""
    alex = await add_user(sessions, clock.now(), ALEX)
    # 00:30 in Berlin on Mon 2 Mar is still Sun 1 Mar in UTC: the local date counts.
    now = utc(2026, 3, 1, 23, 30)
    offer = only_send(await command(sessions, alex, now))
    started = await press(sessions, alex, button(offer, "Soda"), now, message_id=41)
    [confirmation] = started.messages
    assert isinstance(confirmation, Edit) and confirmation.message_id == 41
    assert confirmation.buttons == ()  # the other offers are gone with the edit
    assert "Experiment started: Kombucha or sparkling water instead of soda" in confirmation.text
    assert "This week (Mon 2 Mar to Sun 8 Mar) is a usual week" in confirmation.text
    assert "Results on Mon 6 Apr" in confirmation.text
    assert "From the article: I Cut Down on Gut Offenders" in confirmation.text
    assert "Kombucha still has some sugar" in confirmation.text  # the swap's caution
    assert started.toast == experiment_library().wording.started_toast
    [experiment] = await experiments_of(sessions, alex)
    assert (experiment.swap_id, experiment.started_on, experiment.ends_on) == (
        "soda_to_kombucha",
        START,
        START + timedelta(days=34),
    )
    assert (experiment.design, experiment.pairs, experiment.next_block_on) == (
        2,
        2,
        START + timedelta(days=7),
    )
    assert experiment.seed is not None
    assert (experiment.status, experiment.verdict) == ("active", None)


async def test_an_old_offer_button_starts_no_second_experiment(
    sessions: Sessions, clock: FrozenClock
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX)
    offer = only_send(await command(sessions, alex, clock.now()))
    await press(sessions, alex, button(offer, "Soda"), clock.now())
    later = berlin(START + timedelta(days=2), 12)
    second = await press(sessions, alex, button(offer, "Takeout"), later)
    assert second.toast == experiment_library().wording.already_running_toast
    message = only_send(second)
    assert "didn't start a second one" in message.text
    assert "Day 3 of 35" in message.text
    assert "A usual week" in message.text
    assert [e.swap_id for e in await experiments_of(sessions, alex)] == ["soda_to_kombucha"]


async def test_two_taps_at_once_start_one_experiment(
    sessions: Sessions, second_process: Sessions, clock: FrozenClock
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX)
    offer = only_send(await command(sessions, alex, clock.now()))
    taps = [
        press(factory, alex, button(offer, label), clock.now())
        for factory in (sessions, second_process)
        for label in ("Soda", "Takeout", "gluten", "Sweets")
    ]
    await asyncio.gather(*taps)
    assert len(await experiments_of(sessions, alex)) == 1


async def test_experiment_buttons_act_only_for_their_person(
    sessions: Sessions, clock: FrozenClock
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX)
    sam = await add_user(sessions, clock.now(), SAM)
    offer = only_send(await command(sessions, alex, clock.now()))
    refused = await press(sessions, sam, button(offer, "Soda"), clock.now())
    assert refused.messages == [] and refused.toast == t("button_expired")
    assert await count(sessions, Experiment) == 0

    experiment = await start(sessions, alex, clock.now(), "soda_to_kombucha")
    async with sessions() as session:
        sams = await session.get(User, sam)
        assert sams is not None
        # Sam's own stamp on Alex's experiment id: the experiment is not Sam's.
        forged = simple_data("exp", f"yes:{experiment.id}:{consent_stamp(sams)}")
    refused = await press(sessions, sam, forged, clock.now())
    assert refused.toast == t("button_expired")
    assert [e.status for e in await experiments_of(sessions, alex)] == ["active"]


async def test_progress_and_stopping_asks_first(sessions: Sessions, clock: FrozenClock) -> None:
    alex = await add_user(sessions, clock.now(), ALEX)
    await start(sessions, alex, clock.now(), "takeout_to_home_cooking")
    await add_day(sessions, alex, START, stuck="yes")
    await add_day(sessions, alex, START + timedelta(days=1), stuck="partly")
    await add_day(sessions, alex, START + timedelta(days=2), stuck=None)
    now = berlin(START + timedelta(days=3), 12)
    progress = only_send(await command(sessions, alex, now))
    assert "Your experiment: Home cooking instead of takeout" in progress.text
    assert "Day 4 of 14, until Sun 15 Mar" in progress.text
    assert "Stuck to it so far: 2 of the 2 days you answered (1 yes, 1 partly)" in progress.text

    asked = await press(sessions, alex, button(progress, "Stop experiment"), now)
    [ask] = asked.messages
    assert isinstance(ask, Edit) and "Stop the experiment now?" in ask.text
    kept = await press(sessions, alex, button(ask, "Keep going"), now)
    assert "carrying on. Day 4 of 14" in only_edit(kept).text
    assert [e.status for e in await experiments_of(sessions, alex)] == ["active"]

    stopped = await press(sessions, alex, button(ask, "Yes, stop it"), now)
    assert "Experiment stopped" in only_edit(stopped).text
    [experiment] = await experiments_of(sessions, alex)
    assert (experiment.status, experiment.verdict, experiment.finished_at) == ("stopped", None, now)
    again = await press(sessions, alex, button(ask, "Yes, stop it"), now)
    assert again.toast == experiment_library().wording.ended_toast
    # Stopped means free to start another.
    assert "Pick one swap" in only_send(await command(sessions, alex, now)).text


# --- the evening question ---------------------------------------------------------------------


async def test_the_evening_check_in_asks_whether_they_stuck_to_it(
    sessions: Sessions, clock: FrozenClock, messenger: RecordingMessenger
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX)
    sam = await add_user(sessions, clock.now(), SAM)  # no experiment
    await start(sessions, alex, berlin(START, 7), "soda_to_kombucha")
    sweeper = Sweeper(sessions, messenger, clock)
    for instant in (berlin(START, 8), berlin(START, 20)):
        clock.set(instant)
        await sweeper.run_once()
    async with sessions() as session:
        rows = await session.execute(
            select(Checkin.user_id, Checkin.slot, Checkin.questions).order_by(Checkin.id)
        )
        asked = {(user_id, slot): questions for user_id, slot, questions in rows}
    assert EXPERIMENT not in asked[(alex, 0)]  # the morning check-in asks pain and sleep
    evening = asked[(alex, 1)]
    assert evening[evening.index(FOOD) + 1] == EXPERIMENT
    assert EXPERIMENT not in asked[(sam, 1)]

    # When the check-in reaches it, the question names the swap and records one tap.
    async with sessions() as session, session.begin():
        checkin = await session.scalar(
            select(Checkin).where(Checkin.user_id == alex, Checkin.slot == 1)
        )
        assert checkin is not None
        checkin.current = EXPERIMENT
        message = await checkins.question_message(session, checkin, None)
    assert message.text.endswith(
        "Your experiment: kombucha or sparkling water instead of soda. Did you stick to it today?"
    )
    assert labels(message)[:3] == ["Yes", "Partly", "No"]
    assert "Skip" in labels(message)
    # A typed number is not an answer to a Yes / Partly / No question.
    async with sessions() as session, session.begin():
        user = await session.get(User, alex)
        assert user is not None
        assert await checkins.typed(session, user, "0", clock.now()) is None
    yes = parse(button(message, "Yes"))
    async with sessions() as session, session.begin():
        user = await session.get(User, alex)
        assert user is not None and isinstance(yes, CheckinPress)
        answered = await checkins.press(session, user, yes, 9, clock.now())
    # The check-in's one message is edited: the answer joins the line above the next question.
    [edit] = answered.messages
    assert isinstance(edit, Edit) and edit.message_id == 9
    assert "\nExperiment: Yes\n" in edit.text
    async with sessions() as session:
        stored = await session.scalar(
            select(Answer.value).where(Answer.user_id == alex, Answer.question == EXPERIMENT)
        )
    assert stored == "yes"


async def test_a_single_morning_check_in_does_not_ask_about_a_day_not_yet_lived(
    sessions: Sessions, clock: FrozenClock, messenger: RecordingMessenger
) -> None:
    # One check-in a day asks everything, food included; at 08:00 "did you stick to it today?"
    # would only collect honest "no"s and sink the adherence behind the verdict.
    alex = await add_user(sessions, clock.now(), ALEX, times=[time(8, 0)])
    await start(sessions, alex, berlin(START, 7), "soda_to_kombucha")
    clock.set(berlin(START, 8))
    await Sweeper(sessions, messenger, clock).run_once()
    async with sessions() as session:
        questions = await session.scalar(select(Checkin.questions).where(Checkin.user_id == alex))
    assert questions is not None and FOOD in questions
    assert EXPERIMENT not in questions


async def test_a_checkin_on_demand_asks_it_with_food_or_in_the_evening_once_a_day(
    sessions: Sessions, clock: FrozenClock
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX)
    # Food was already answered at lunch, before the experiment started.
    await add_day(sessions, alex, START, pain=4, digestion=[], food=["prebiotic"])
    await start(sessions, alex, berlin(START, 13), "soda_to_kombucha")

    async def on_demand(hour: int) -> list[str]:
        await act(sessions, alex, lambda s, u: checkins.start_now(s, u, berlin(START, hour)))
        async with sessions() as session:
            latest = await session.scalar(
                select(Checkin).where(Checkin.user_id == alex).order_by(Checkin.id.desc())
            )
            assert latest is not None
            latest.status = "done"  # so the next /checkin opens a new one
            await session.commit()
            return latest.questions

    assert EXPERIMENT not in await on_demand(14)  # afternoon, and no food question left
    assert EXPERIMENT in await on_demand(21)  # the evening
    await add_day(sessions, alex, START, stuck="no")
    assert EXPERIMENT not in await on_demand(22)  # once a day


async def test_an_eating_disorder_signal_ends_a_gluten_experiment_but_not_a_soda_one(
    sessions: Sessions, clock: FrozenClock
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX)
    sam = await add_user(sessions, clock.now(), SAM)
    await start(sessions, alex, clock.now(), "gluten_two_week_trial")
    await start(sessions, sam, clock.now(), "soda_to_kombucha")
    for person in (alex, sam):
        await act(
            sessions,
            person,
            lambda s, u: _screened(s, u, "I make myself sick after eating", clock.now()),
        )
    [gluten] = await experiments_of(sessions, alex)
    [soda] = await experiments_of(sessions, sam)
    assert (gluten.status, gluten.verdict) == ("stopped", None)
    assert soda.status == "active"


async def _screened(session: Any, user: User, text: str, now: datetime) -> Outbox:
    screened = await safety_flow.on_message(session, user, text, now)
    assert screened is not None
    return screened.outbox


# --- the result -------------------------------------------------------------------------------


async def seed_trial(sessions: Sessions, user_id: int) -> None:
    """Pain 6 and bloating most days before; pain 3 and little bloating during, stuck to it."""
    for offset, day in enumerate(days(START - timedelta(days=14), 14)):
        await add_day(sessions, user_id, day, pain=6, digestion=["bloating"] if offset % 4 else [])
    for offset, day in enumerate(days(START, 14)):
        await add_day(
            sessions,
            user_id,
            day,
            pain=3,
            digestion=["bloating"] if offset == 0 else ["gas"],
            stuck="partly" if offset % 5 == 0 else "yes",
        )


async def test_the_result_arrives_once_from_two_sweeping_processes(
    sessions: Sessions,
    second_process: Sessions,
    clock: FrozenClock,
    messenger: RecordingMessenger,
) -> None:
    alex = await add_user(sessions, berlin(START, 7), ALEX, times=[time(21, 30)])
    await start(sessions, alex, berlin(START, 7), "soda_to_kombucha")
    await seed_trial(sessions, alex)
    a = Sweeper(sessions, messenger, clock)
    b = Sweeper(second_process, messenger, clock)

    for instant in (berlin(END, 21, 0), berlin(END + timedelta(days=1), 8, 59)):
        clock.set(instant)  # the last day, and the next morning before 09:00
        await asyncio.gather(a.run_once(), b.run_once())
    assert not any("has ended" in sent.text for sent in messenger.to(ALEX))

    clock.set(berlin(END + timedelta(days=1), 9, 0))
    await asyncio.gather(a.run_once(), b.run_once())
    clock.advance(timedelta(minutes=1))
    await asyncio.gather(a.run_once(), b.run_once())
    [result] = [sent for sent in messenger.to(ALEX) if "has ended" in sent.text]
    assert result.text.startswith(
        "Your two-week experiment has ended: Kombucha or sparkling water instead of soda "
        "(Mon 2 Mar to Sun 15 Mar)."
    )
    assert "Back pain: 6.0 on average over 14 days before, 3.0 over 14 days during." in result.text
    assert "Bloating: on 10 of 14 days before (71%), 1 of 14 days during (7%)." in result.text
    assert "You stuck to it on 14 of the 14 days you told me about (11 yes, 3 partly)." in (
        result.text
    )
    assert "looks better during the experiment" in result.text
    assert "not proof" in result.text and "can't rule out other causes" in result.text
    [experiment] = await experiments_of(sessions, alex)
    assert (experiment.status, experiment.verdict) == ("finished", "better")
    assert await count(sessions, Delivery, Delivery.kind == "experiment") == 1
    # /experiment afterwards offers a new one; the result is not sent again.
    assert "Pick one swap" in only_send(await command(sessions, alex, clock.now())).text


async def test_a_thin_diary_gets_an_honest_not_enough(
    sessions: Sessions, clock: FrozenClock, messenger: RecordingMessenger
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX)
    await start(sessions, alex, clock.now(), "takeout_to_home_cooking")
    for day in days(START, 14):
        await add_day(sessions, alex, day, pain=2, stuck="yes")
    clock.set(berlin(END + timedelta(days=1), 10))
    await Sweeper(sessions, messenger, clock).run_once()
    [result] = [sent for sent in messenger.to(ALEX) if "has ended" in sent.text]
    assert "not enough data" in result.text
    assert "only 0 days" in result.text
    assert "looks better" not in result.text
    assert "not proof" not in result.text  # nothing was compared, so there is no pattern
    [experiment] = await experiments_of(sessions, alex)
    assert experiment.verdict == "not_enough"


async def test_asking_after_the_last_day_gives_the_result_and_the_sweep_stays_quiet(
    sessions: Sessions, clock: FrozenClock, messenger: RecordingMessenger
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX)
    await start(sessions, alex, clock.now(), "soda_to_kombucha")
    await seed_trial(sessions, alex)
    early = berlin(END + timedelta(days=1), 7)  # before the sweep would send it
    answer = only_send(await command(sessions, alex, early))
    assert "has ended" in answer.text and "looks better" in answer.text
    clock.set(berlin(END + timedelta(days=1), 10))
    await Sweeper(sessions, messenger, clock).run_once()
    assert not any("has ended" in sent.text for sent in messenger.to(ALEX))


async def test_paused_people_get_the_result_when_they_resume(
    sessions: Sessions, clock: FrozenClock, messenger: RecordingMessenger
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX, paused=True)
    await start(sessions, alex, clock.now(), "soda_to_kombucha")
    sweeper = Sweeper(sessions, messenger, clock)
    clock.set(berlin(END + timedelta(days=2), 10))
    await sweeper.run_once()
    assert messenger.to(ALEX) == []
    async with sessions() as session, session.begin():
        user = await session.get(User, alex)
        assert user is not None
        user.paused = False
    await sweeper.run_once()
    assert [s.text for s in messenger.to(ALEX) if "has ended" in s.text]


async def test_people_who_paused_never_hold_up_anyone_elses_result(
    sessions: Sessions, clock: FrozenClock, messenger: RecordingMessenger
) -> None:
    # Paused people come first in the queue (lower ids) and a sweep takes one result at a time.
    for chat_id in (ALEX + 1, ALEX + 2):
        paused = await add_user(sessions, clock.now(), chat_id, paused=True)
        await start(sessions, paused, clock.now(), "soda_to_kombucha")
    alex = await add_user(sessions, clock.now(), ALEX)
    await start(sessions, alex, clock.now(), "soda_to_kombucha")
    sweeper = Sweeper(sessions, messenger, clock, batch=1)
    clock.set(berlin(END + timedelta(days=1), 10))
    await sweeper.run_once()
    assert len([s for s in messenger.to(ALEX) if "has ended" in s.text]) == 1


async def test_a_refused_result_is_sent_on_the_next_sweep(
    sessions: Sessions, clock: FrozenClock, messenger: RecordingMessenger
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX, times=[time(21, 30)])
    await start(sessions, alex, clock.now(), "soda_to_kombucha")
    sweeper = Sweeper(sessions, messenger, clock)
    messenger.refuse[ALEX] = 1  # Telegram answers 429 once
    clock.set(berlin(END + timedelta(days=1), 9))
    await sweeper.run_once()
    assert messenger.to(ALEX) == []
    [experiment] = await experiments_of(sessions, alex)
    assert experiment.status == "active"
    assert await count(sessions, Delivery, Delivery.kind == "experiment") == 0
    clock.advance(timedelta(seconds=30))
    await sweeper.run_once()
    assert len([s for s in messenger.to(ALEX) if "has ended" in s.text]) == 1
    [delivery] = await _deliveries(sessions, alex)
    assert (delivery.status, delivery.local_date) == ("sent", END)


async def _deliveries(sessions: Sessions, user_id: int) -> list[Delivery]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(Delivery).where(Delivery.user_id == user_id, Delivery.kind == "experiment")
            )
        )


def test_the_swap_the_insight_engine_suggests_is_offered_first() -> None:
    counts = {"soda": 12, "processed": 9, "greasy": 2}
    by_count = experiments.choose_offers(counts, allow_restriction=True)
    assert by_count[0].group == "soda"
    # The engine links greasy food to higher pain: that swap comes first, then by how often.
    linked = experiments.choose_offers(counts, allow_restriction=True, linked=["greasy"])
    assert [spec.group for spec in linked[:3]] == ["greasy", "soda", "processed"]
