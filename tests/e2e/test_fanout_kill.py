"""kill -9 of a real bot process in the middle of a fan-out: only the sends in flight are lost.

A real ``python -m bot run`` claims 300 due check-ins in one batch and sends them to the fake
Bot API at 60 a second. It is killed with SIGKILL a second or so in. A second process then takes
over the dead one's claims whose send never began (``GUTBACK_TAKEOVER_SECONDS``) and sends them.
Nobody may get the prompt twice, and the people who got none must be at most the sends that
were in flight (marked ``sending``, at most ``Sweeper.concurrency``) when the process died.
The test prints the figures.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.delivery.sweep import Sweeper
from bot.store.models import Delivery, Schedule
from tests.e2e.conftest import Harness
from tests.e2e.test_faults import ROOT, kill_9
from tests.support import add_users, sessions_for

PROMPT = "How is your back pain"
CROWD = [60_000 + n for n in range(300)]
KILL_AFTER = 40  # prompts received before the kill
IN_FLIGHT_BOUND = Sweeper.__init__.__kwdefaults__["concurrency"]
STARTUP = 90.0  # a loaded machine: seconds to import, connect and send the first prompts


async def start_bot(harness: Harness) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "GUTBACK_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=harness.fake.token,
        TELEGRAM_API_URL=harness.fake.base_url,
        DATABASE_URL=harness.database_url,
        GUTBACK_GLOBAL_RATE="60",
        GUTBACK_SWEEP_SECONDS="1",
        GUTBACK_SWEEP_BATCH=str(len(CROWD)),  # the whole crowd claimed at once
        GUTBACK_TAKEOVER_SECONDS="3",
        GUTBACK_LOG_LEVEL="WARNING",
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--no-migrate",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def prompts_per_chat(harness: Harness) -> Counter[int]:
    return Counter(
        call.params["chat_id"]
        for call in harness.fake.calls_to("sendMessage")
        if call.error_code is None and PROMPT in call.params.get("text", "")
    )


async def statuses(harness: Harness) -> Counter[str]:
    return Counter(status for (status,) in await harness.query(select(Delivery.status)))


async def test_kill_9_mid_fan_out_loses_only_the_sends_in_flight_and_doubles_none(
    harness: Harness,
) -> None:
    now = datetime.now(UTC)
    later = (now + timedelta(hours=12)).time().replace(second=0, microsecond=0)
    async with sessions_for(harness.database_url) as sessions:
        await add_users(sessions, now, CROWD, "Etc/UTC", times=[later])
        async with sessions() as session, session.begin():
            await session.execute(update(Schedule).values(next_due_at=now - timedelta(seconds=5)))

    first = await start_bot(harness)
    try:
        await harness.fake.wait_for(
            lambda: sum(prompts_per_chat(harness).values()) >= KILL_AFTER, timeout=STARTUP
        )
        await kill_9(first)
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    before = prompts_per_chat(harness)
    at_kill = await statuses(harness)
    print(f"\nkilled after {sum(before.values())} prompts; deliveries then: {dict(at_kill)}")
    # Most of the batch was claimed, its send not begun. Marked as sending: the sends in flight,
    # and perhaps a chunk that had just been sent but not yet recorded.
    assert at_kill["claimed"] > 0
    assert at_kill["sending"] <= IN_FLIGHT_BOUND + Sweeper.__init__.__kwdefaults__["chunk"]

    second = await start_bot(harness)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            now_statuses = await statuses(harness)
            if now_statuses["claimed"] == 0 and sum(prompts_per_chat(harness).values()) >= (
                len(CROWD) - at_kill["sending"]
            ):
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.5)  # a doubled send would have arrived by now
    finally:
        second.terminate()
        await second.wait()

    received = prompts_per_chat(harness)
    lost = [chat for chat in CROWD if received[chat] == 0]
    doubled = [chat for chat in CROWD if received[chat] > 1]
    print(
        f"after the takeover: {len(CROWD) - len(lost)} of {len(CROWD)} received, "
        f"{len(lost)} lost (in flight at the kill: {at_kill['sending']}, bound "
        f"{IN_FLIGHT_BOUND}), {len(doubled)} doubled; deliveries: {dict(await statuses(harness))}"
    )
    assert doubled == []
    assert len(lost) <= min(at_kill["sending"], IN_FLIGHT_BOUND)
