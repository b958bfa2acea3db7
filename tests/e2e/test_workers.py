"""Two bot processes on one PostgreSQL database share the work and never double it.

Worker A long-polls the fake Bot API (the Harness's app); worker B is a second Application built
by the same composition root, fed updates directly, the way several webhook workers behind a load
balancer each get some of them. Both run the sweep against one database and one send budget
(``GUTBACK_WORKERS=2``).
"""

from __future__ import annotations

import copy
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update
from telegram.ext import Application

from bot.delivery.claims import SweepStats
from bot.delivery.sweep import Prompt
from bot.store.models import Answer, Delivery
from handlers.app import build_application, runtime_of
from tests.e2e.conftest import START, Harness
from tests.e2e.test_checkin import answers_of
from tests.support import BERLIN, add_users, sessions_for

ALEX = 1001
PROMPT = "How is your back pain"
CROWD = [5000 + i for i in range(40)]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]


@pytest.fixture
async def worker_b(harness: Harness) -> AsyncIterator[Application]:
    """A second worker on the same database and clock, with no poller of its own.

    Both workers get these settings (worker A is started after this): two workers sharing a
    budget of 60/s, and small sweep batches so that a crowd spreads over both.
    """
    harness.overrides.update(global_rate_per_second=60, workers=2, sweep_batch=5)
    app = build_application(harness.settings(), clock=harness.clock, migrate_on_start=False)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)


async def hand_to(app: Application, update: dict[str, Any]) -> None:
    await app.update_queue.put(Update.de_json(copy.deepcopy(update), app.bot))


def count_prompts(app: Application, sent: Counter[str], name: str) -> None:
    """Count the prompts this worker's sweep sends."""
    sweeper = runtime_of(app).sweeper
    send_all: Callable[[list[Prompt], SweepStats], Awaitable[None]] = sweeper.send_all

    async def counting(prompts: list[Prompt], stats: SweepStats) -> None:
        sent[name] += sum(1 for p in prompts if p.delivery_id is not None)
        await send_all(prompts, stats)

    sweeper.send_all = counting  # type: ignore[method-assign]


async def test_a_checkin_moves_between_workers_and_a_redelivery_is_handled_once(
    harness: Harness, worker_b: Application, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app.core")
    fake = harness.fake
    await harness.start()
    await harness.onboard(ALEX)  # through worker A
    pain = await harness.say(ALEX, "/checkin", PROMPT)  # started by worker A

    # The next press reaches worker B, which has never seen this person.
    await hand_to(
        worker_b, fake.withdraw(fake.user_presses(ALEX, pain.message_id, pain.data_for("6")))
    )
    digestion = await fake.wait_for_message(ALEX, "digestion")
    assert await answers_of(harness, ALEX) == {(date(2026, 1, 12), "pain"): 6}

    # The same press delivered to both workers at once (A polls it, B is handed a copy).
    press = fake.user_presses(ALEX, digestion.message_id, digestion.data_for("None of these"))
    await hand_to(worker_b, press)
    await fake.wait_for_message(ALEX, "Bristol")
    await fake.wait_updates_consumed()
    await hand_to(worker_b, fake.withdraw(fake.user_sends_text(ALEX, "/help")))
    await fake.wait_for_message(ALEX, "what I can do")  # B handles in order: the copy is done

    bristol_questions = [m for m in fake.messages(ALEX) if "Bristol" in (m.text or "")]
    assert len(bristol_questions) == 1
    assert await answers_of(harness, ALEX) == {
        (date(2026, 1, 12), "pain"): 6,
        (date(2026, 1, 12), "digestion"): [],
    }
    assert await harness.count(Answer) == 2
    answered = [
        a for a in fake.callback_answers if a["callback_query_id"] == press["callback_query"]["id"]
    ]
    assert len(answered) == 1
    dropped = [r for r in caplog.records if r.getMessage() == "duplicate update dropped"]
    assert [r.update_id for r in dropped] == [press["update_id"]]  # type: ignore[attr-defined]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_many_due_at_once_are_split_between_workers_and_each_sent_once(
    harness: Harness, worker_b: Application
) -> None:
    async with sessions_for(harness.database_url) as sessions:
        await add_users(sessions, START, CROWD, BERLIN, times=[time(8, 0)])
    worker_a = await harness.start()
    sent: Counter[str] = Counter()
    count_prompts(worker_a, sent, "A")
    count_prompts(worker_b, sent, "B")

    harness.clock.set(START.replace(hour=7))  # 08:00 in Berlin, for all of them
    for chat in CROWD:
        await harness.fake.wait_for_message(chat, PROMPT, timeout=10)
    await harness.sweep_now()

    for chat in CROWD:
        prompts = [m for m in harness.fake.messages(chat) if PROMPT in (m.text or "")]
        assert len(prompts) == 1, chat
    deliveries = await harness.query(select(Delivery.user_id, Delivery.status))
    assert len(deliveries) == len(CROWD) == len({user for user, _ in deliveries})
    assert {status for _, status in deliveries} == {"sent"}
    assert sent["A"] + sent["B"] == len(CROWD)
    assert sent["A"] > 0 and sent["B"] > 0, sent  # both took a share
