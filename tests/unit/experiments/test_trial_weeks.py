"""Randomised experiments (design 2) in the core: each week's message, the evening question's
task, the verdict with "one more pair of weeks", and rows from before the upgrade."""

from __future__ import annotations

import asyncio
from datetime import time, timedelta

from alembic import command as alembic
from sqlalchemy import select, text

from bot.base.clock import FrozenClock
from bot.delivery.sweep import Sweeper
from bot.diary.adherence import experiment_plan, question_values
from bot.insights import trial
from bot.store.db import Sessions, alembic_config, make_engine, migrate
from bot.store.models import Delivery, Experiment
from tests.support import RecordingMessenger, add_user, empty_database
from tests.unit.experiments.test_experiments import (
    ALEX,
    START,
    add_day,
    berlin,
    button,
    experiments_of,
    only_send,
    press,
    start,
)

WEEKDAY = [1, 0, -1, 0, 0, -1, 1]


def weeks_sent(messenger: RecordingMessenger) -> list[str]:
    return [m.text for m in messenger.to(ALEX) if "Your experiment, week" in m.text]


async def test_each_week_is_announced_once_on_its_first_morning(
    sessions: Sessions, second_process: Sessions, clock: FrozenClock, messenger: RecordingMessenger
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX, times=[time(21, 30)])
    experiment = await start(sessions, alex, clock.now(), "soda_to_kombucha", design=2)
    blocks = experiment_plan(experiment)
    ours = Sweeper(sessions, messenger, clock)
    theirs = Sweeper(second_process, messenger, clock)

    clock.set(berlin(blocks[1].start, 8, 59))
    await ours.run_once()
    assert weeks_sent(messenger) == []
    clock.set(berlin(blocks[1].start, 9))
    await asyncio.gather(ours.run_once(), theirs.run_once())
    await ours.run_once()
    [week] = weeks_sent(messenger)
    assert "week 2 of 5" in week
    todo = "A swap week: kombucha" if blocks[1].arm == "swap" else "A usual week: no swap"
    assert todo in week
    assert "Mon 9 Mar to Sun 15 Mar" in week
    [row] = await experiments_of(sessions, alex)
    assert row.next_block_on == blocks[2].start

    # The evening question names this week's task.
    async with sessions() as session:
        values = await question_values(session, alex, blocks[1].start)
        baseline = await question_values(session, alex, START)
    said = "this week, kombucha" if blocks[1].arm == "swap" else "this week, your usual (not"
    assert values["swap"].startswith(said)
    assert baseline["swap"] == "this week, your usual food and drink, as before"


async def test_a_refused_week_message_is_sent_on_the_next_sweep(
    sessions: Sessions, clock: FrozenClock, messenger: RecordingMessenger
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX, times=[time(21, 30)])
    experiment = await start(sessions, alex, clock.now(), "soda_to_kombucha", design=2)
    blocks = experiment_plan(experiment)
    sweeper = Sweeper(sessions, messenger, clock)
    messenger.refuse[ALEX] = 1
    clock.set(berlin(blocks[1].start, 9))
    await sweeper.run_once()
    assert weeks_sent(messenger) == []
    clock.advance(timedelta(seconds=30))
    await sweeper.run_once()
    assert len(weeks_sent(messenger)) == 1


async def test_a_week_missed_while_paused_is_passed_over_and_the_next_one_comes(
    sessions: Sessions, clock: FrozenClock, messenger: RecordingMessenger
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX, times=[time(21, 30)])
    experiment = await start(sessions, alex, clock.now(), "soda_to_kombucha", design=2)
    blocks = experiment_plan(experiment)
    sweeper = Sweeper(sessions, messenger, clock)
    async with sessions() as session, session.begin():
        await session.execute(text("UPDATE users SET paused = true"))
    clock.set(berlin(blocks[2].start, 8))  # week 2 went by while paused
    await sweeper.run_once()
    async with sessions() as session, session.begin():
        await session.execute(text("UPDATE users SET paused = false"))
    await sweeper.run_once()
    assert weeks_sent(messenger) == []  # week 2 is over; week 3 starts at 09:00
    clock.set(berlin(blocks[2].start, 9))
    await sweeper.run_once()
    [week] = weeks_sent(messenger)
    assert "week 3 of 5" in week


async def unclear_diary(sessions: Sessions, user_id: int, blocks: list[trial.Block]) -> None:
    """A one-point difference over two pairs: within the diary's own ups and downs."""
    for block in blocks:
        for offset in range(trial.BLOCK_DAYS):
            day = block.start + timedelta(days=offset)
            wobble = WEEKDAY[(day - START).days % 7] * 1.5
            pain = round(5 + wobble - (1 if block.arm == "swap" else 0))
            await add_day(sessions, user_id, day, pain=pain, stuck="yes")


async def test_cant_tell_yet_offers_one_more_pair_which_runs_two_more_weeks_to_a_new_verdict(
    sessions: Sessions, clock: FrozenClock, messenger: RecordingMessenger
) -> None:
    alex = await add_user(sessions, clock.now(), ALEX, times=[time(21, 30)])
    experiment = await start(sessions, alex, clock.now(), "soda_to_kombucha", design=2)
    blocks = experiment_plan(experiment)
    await unclear_diary(sessions, alex, blocks)
    sweeper = Sweeper(sessions, messenger, clock)
    result_day = experiment.ends_on + timedelta(days=1)
    clock.set(berlin(result_day, 9))
    await sweeper.run_once()
    [result] = [m for m in messenger.to(ALEX) if "has ended" in m.text]
    assert "can't tell yet" in result.text
    assert "One more pair of weeks" in result.text or result.buttons
    assert len(result.text.splitlines()) <= 8
    [row] = await experiments_of(sessions, alex)
    assert (row.status, row.verdict) == ("finished", "not_enough")
    assert row.effect is not None and row.effect_low is not None and row.effect_high is not None
    assert row.effect_low < row.effect < row.effect_high

    more = button(result, "One more pair of weeks")
    added = await press(sessions, alex, more, clock.now())
    assert "Added: two more weeks" in only_send(added).text
    [row] = await experiments_of(sessions, alex)
    tomorrow = result_day + timedelta(days=1)
    assert (row.status, row.pairs, row.next_block_on) == ("active", 3, tomorrow)
    assert row.ends_on == tomorrow + timedelta(days=13)
    assert row.extra_starts == [tomorrow.isoformat()]
    assert experiment_plan(row)[:5] == blocks  # the weeks so far keep their order
    # The same button again does nothing more.
    again = await press(sessions, alex, more, clock.now())
    assert again.toast is not None and not again.messages

    clock.set(berlin(tomorrow, 9))
    await sweeper.run_once()
    assert any("week 6 of 7" in m for m in weeks_sent(messenger))
    clock.set(berlin(row.ends_on + timedelta(days=1), 9))
    await sweeper.run_once()
    results = [m for m in messenger.to(ALEX) if "has ended" in m.text]
    assert len(results) == 2
    assert await sessions_count(sessions) == 2  # two results, each claimed once


async def sessions_count(sessions: Sessions) -> int:
    async with sessions() as session:
        rows = await session.scalars(select(Delivery).where(Delivery.kind == "experiment"))
        return len(list(rows))


async def test_an_experiment_running_at_the_upgrade_keeps_the_old_rules(database_url: str) -> None:
    """Rows from before migration 0005 get design 1 (two weeks against the two before), and
    adding the users column on SQLite keeps every row that points at a person."""
    await empty_database(database_url)
    config = alembic_config(database_url)
    await asyncio.to_thread(alembic.upgrade, config, "0004")
    engine = make_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO users (id, platform_id, chat_id, onboarding_step, active, paused,"
                " no_restriction_tips, breathing_followup, created_at, updated_at)"
                " VALUES (1, 1, 1, 'done', true, false, false, false, :at, :at)"
            ),
            {"at": berlin(START, 7)},
        )
        await connection.execute(
            text(
                "INSERT INTO experiments (user_id, swap_id, started_on, ends_on, status,"
                " created_at) VALUES (1, 'soda_to_kombucha', :start, :end, 'active', :at)"
            ),
            {"start": START, "end": START + timedelta(days=13), "at": berlin(START, 7)},
        )
    await engine.dispose()
    await migrate(database_url)
    engine = make_engine(database_url)
    async with engine.connect() as connection:
        row = (await connection.execute(select(Experiment.design, Experiment.seed))).one()
        medicines = (await connection.execute(text("SELECT ask_medicines FROM users"))).scalar()
    await engine.dispose()
    assert tuple(row) == (1, None)
    assert not medicines
