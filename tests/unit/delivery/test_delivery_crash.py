"""kill -9 between claim and send: a prompt in flight is lost, never doubled (DESIGN.md §7).

A real bot process (``sweep_crash_worker.py``) claims due prompts, commits, starts sending and is
killed with SIGKILL while the send hangs. A fresh process must then not send a prompt whose send
had begun, must still send everyone else's due prompt exactly once (the dead process's claims
whose send never began are taken over), and the dead process's schedule advance holds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from bot.base.clock import FrozenClock
from bot.delivery.sweep import Sweeper
from bot.people.schedules import CHECKIN
from bot.store.db import Sessions
from bot.store.models import Checkin, Delivery, Schedule
from tests.support import BERLIN, RecordingMessenger, add_users

REPO_ROOT = Path(__file__).resolve().parents[3]
WORKER = Path(__file__).with_name("sweep_crash_worker.py")
DUE = datetime(2025, 1, 15, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
STARTUP_TIMEOUT = 60  # seconds for the worker to import, connect and reach its send


async def kill_mid_send(database_url: str, batch: int = 1) -> int:
    """Run the worker until it is inside ``send``, SIGKILL it, return the chat it was sending to."""
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        database_url,
        DUE.isoformat(),
        "--batch",
        str(batch),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert worker.stdout is not None and worker.stderr is not None
    try:
        line = await asyncio.wait_for(worker.stdout.readline(), STARTUP_TIMEOUT)
        if not line:
            await worker.wait()
            errors = (await worker.stderr.read()).decode(errors="replace")
            raise AssertionError(f"worker exited {worker.returncode} before sending:\n{errors}")
        marker, chat_id = line.decode().split()
        assert marker == "SENDING"
        os.kill(worker.pid, signal.SIGKILL)
        assert await worker.wait() == -signal.SIGKILL
        return int(chat_id)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()


async def test_prompt_claimed_by_a_killed_process_is_not_sent_again(
    sessions: Sessions, database_url: str
) -> None:
    now = datetime(2025, 1, 14, 12, 0, tzinfo=UTC)
    ids = await add_users(sessions, now, [7001, 7002, 7003, 7004], BERLIN, times=[time(8, 0)])
    # 7001's prompt falls due a minute earlier, so it is the one the worker's first batch claims.
    async with sessions() as session, session.begin():
        await session.execute(
            update(Schedule)
            .where(Schedule.user_id == ids[7001])
            .values(next_due_at=datetime(2025, 1, 15, 6, 59, tzinfo=UTC))
        )

    killed_chat = await kill_mid_send(database_url)
    assert killed_chat == 7001

    clock = FrozenClock(DUE)
    messenger = RecordingMessenger(clock)
    sweeper = Sweeper(sessions, messenger, clock)
    await sweeper.run_once()
    await sweeper.run_once()

    assert sorted(sent.chat_id for sent in messenger.sent) == [7002, 7003, 7004]
    async with sessions() as session:
        schedule = await session.scalar(
            select(Schedule).where(Schedule.user_id == ids[7001], Schedule.kind == CHECKIN)
        )
        assert schedule is not None
        assert schedule.next_due_at == datetime(2025, 1, 16, 7, 0, tzinfo=UTC)
        delivery = await session.scalar(select(Delivery).where(Delivery.user_id == ids[7001]))
        assert delivery is not None
        assert (delivery.local_date, delivery.status) == (date(2025, 1, 15), "sending")
        assert delivery.message_id is None
        checkins = list(await session.scalars(select(Checkin).where(Checkin.user_id == ids[7001])))
        assert [c.message_id for c in checkins] == [None]

    # Life goes on: the next day's prompt reaches them as usual.
    clock.set(datetime(2025, 1, 16, 7, 0, tzinfo=UTC))
    await sweeper.run_once()
    assert sorted(sent.chat_id for sent in messenger.sent) == [
        7001,
        7002,
        7002,
        7003,
        7003,
        7004,
        7004,
    ]


CROWD = [7100 + i for i in range(30)]


async def test_only_the_sends_in_flight_are_lost_and_the_rest_of_the_batch_is_taken_over(
    sessions: Sessions, database_url: str
) -> None:
    now = datetime(2025, 1, 14, 12, 0, tzinfo=UTC)
    await add_users(sessions, now, CROWD, BERLIN, times=[time(8, 0)])

    await kill_mid_send(database_url, batch=len(CROWD))  # the whole crowd claimed in one batch
    async with sessions() as session:
        statuses = list(await session.scalars(select(Delivery.status)))
    in_flight = statuses.count("sending")
    assert len(statuses) == len(CROWD)
    assert 0 < in_flight <= Sweeper.__init__.__kwdefaults__["concurrency"]
    assert statuses.count("claimed") == len(CROWD) - in_flight

    clock = FrozenClock(DUE)
    messenger = RecordingMessenger(clock)
    sweeper = Sweeper(sessions, messenger, clock, takeover=timedelta(minutes=2))
    await sweeper.run_once()
    assert messenger.sent == []  # the claims are fresh: their worker may still be sending

    clock.set(DUE + timedelta(minutes=3))  # past the takeover time, within the grace window
    stats = await sweeper.run_once()
    await sweeper.run_once()
    chats = [sent.chat_id for sent in messenger.sent]
    assert len(chats) == len(set(chats))  # nobody twice
    assert len(chats) == stats.taken_over == len(CROWD) - in_flight
    async with sessions() as session:
        statuses = list(await session.scalars(select(Delivery.status)))
        unsent = await session.scalar(
            select(func.count()).select_from(Checkin).where(Checkin.status == "unsent")
        )
    assert sorted(statuses) == sorted(["sending"] * in_flight + ["sent"] * len(chats))
    assert unsent == len(chats)  # the check-ins nobody saw are marked so, not left open
    print(f"kill -9 mid-batch of {len(CROWD)}: {in_flight} in flight lost, 0 doubled")
