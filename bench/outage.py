"""A 30-second database outage, start to finish, with what a person sees printed as it happens.

    python bench/outage.py [--seconds 30] [--mode refused|silent] [--postgres-url URL]

The real Application (``handlers/app.py``) runs against the fake Bot API from the tests and talks
to PostgreSQL through a TCP proxy on 127.0.0.1 that this script cuts and restores; the PostgreSQL
server itself is never stopped. ``refused`` drops every connection and turns new ones away (a
server that is down); ``silent`` lets nothing through and closes nothing (a network that drops
packets). During the outage a person presses a check-in button and writes a message, and a
scheduled check-in falls due; afterwards the same press is stored and the check-in is sent.

Needs the test extras (``pip install -e ".[test]"``) and a PostgreSQL server; the script makes a
database of its own there and drops it at the end. The test suite runs the same story with a
one-second outage (tests/e2e/test_outage.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path

import asyncpg
from sqlalchemy import make_url, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the fake Bot API, the proxy and the harness live in tests/

from bot.base.clock import FrozenClock  # noqa: E402
from bot.store.db import make_engine  # noqa: E402
from bot.store.models import Answer, Base, Delivery, LogEntry  # noqa: E402
from tests.e2e.conftest import START, Harness  # noqa: E402
from tests.fake_bot_api import BotMessage, FakeBotApi  # noqa: E402
from tests.tcp_proxy import TcpProxy  # noqa: E402

ALEX = 1001
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SWEEP_SECONDS = 1.0
DB_TIMEOUT = 5.0  # the default of GUTBACK_DB_TIMEOUT
WAIT = 60.0  # seconds to wait for any one answer before calling it lost


class Counter(logging.Handler):
    """Counts log records whose message starts with a prefix (the sweep's skipped turns)."""

    def __init__(self, prefix: str) -> None:
        super().__init__(logging.WARNING)
        self.prefix = prefix
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(self.prefix):
            self.count += 1


async def admin(server_url: str, sql: str) -> None:
    dsn = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def run(server_url: str, seconds: float, mode: str) -> None:
    name = f"gutback_outage_{os.getpid()}"
    await admin(server_url, f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name)
    try:
        engine = make_engine(url.render_as_string(hide_password=False))
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        await engine.dispose()
        await story(url.render_as_string(hide_password=False), seconds, mode)
    finally:
        await admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def story(direct_url: str, seconds: float, mode: str) -> None:
    skipped = Counter("sweep skipped: database unavailable")
    logging.getLogger("handlers.app").addHandler(skipped)
    server = make_url(direct_url)
    async with (
        FakeBotApi() as fake,
        TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy,
    ):
        harness = Harness(fake, direct_url, FrozenClock(START), sweep_seconds=SWEEP_SECONDS)
        harness.overrides.update(
            database_url=server.set(port=proxy.port).render_as_string(hide_password=False),
            db_timeout_seconds=DB_TIMEOUT,
        )
        app = await harness.start()
        try:
            await harness.onboard(ALEX)  # check-ins at 08:00 and 20:00 in Berlin
            pain = await harness.say(ALEX, "/checkin", "How is your back pain")
            print(
                f"bot running: sweep every {SWEEP_SECONDS:g} s, GUTBACK_DB_TIMEOUT={DB_TIMEOUT:g} s"
            )
            await outage(harness, proxy, pain, seconds, mode, skipped)
        finally:
            await harness.stop()
        print(f"process stopped cleanly at the end: {not app.running}")


async def press(harness: Harness, message: BotMessage, label: str) -> str | None:
    """Press a button; return the notice shown on it (``Harness.press`` waits only 5 s)."""
    data = message.data_for(label)
    query_id = harness.fake.user_presses(ALEX, message.message_id, data)["callback_query"]["id"]
    answer = await harness.fake.wait_for(
        lambda: next(
            (a for a in harness.fake.callback_answers if a["callback_query_id"] == query_id), None
        ),
        timeout=WAIT,
    )
    return answer.get("text")


async def arrival(harness: Harness, contains: str) -> float:
    """When (monotonic) a message containing ``contains`` is in the person's chat."""
    await harness.fake.wait_for(
        lambda: any(contains in (m.text or "") for m in harness.fake.messages(ALEX)), timeout=WAIT
    )
    return time.monotonic()


def first_line(messages: list[BotMessage], contains: str) -> str:
    found = next(m for m in messages if contains in (m.text or ""))
    return (found.text or "").splitlines()[0]


async def outage(
    harness: Harness,
    proxy: TcpProxy,
    pain: BotMessage,
    seconds: float,
    mode: str,
    skipped: Counter,
) -> None:
    fake = harness.fake
    app = harness.app
    assert app is not None and app.updater is not None
    started = time.monotonic()

    def stamp(text: str) -> None:
        print(f"t+{time.monotonic() - started:5.1f} s  {text}")

    if mode == "silent":
        proxy.silence()
    else:
        proxy.cut()
    stamp(f"database unreachable ({mode})")

    await asyncio.sleep(1)
    before = time.monotonic()
    notice = await press(harness, pain, "6")
    stamp(f"button press answered after {time.monotonic() - before:.2f} s: {notice!r}")

    await asyncio.sleep(1)
    before = time.monotonic()
    fake.user_sends_text(ALEX, "pizza and a cola, bloated")
    reply = await fake.wait_for_message(ALEX, "couldn't save", timeout=WAIT)
    stamp(f"message answered after {time.monotonic() - before:.2f} s: {reply.text!r}")

    harness.clock.set(harness.clock.now().replace(hour=7, minute=0))
    stamp("the 08:00 (Berlin) check-in is now due")

    while (left := seconds - (time.monotonic() - started)) > 0:
        await asyncio.sleep(min(10.0, left))
        stamp(
            f"process up: {app.running and app.updater.running}; sweeps skipped so far: "
            f"{skipped.count}; connections turned away: {proxy.refused}"
        )

    proxy.restore()
    stamp("database reachable again")
    restored = time.monotonic()
    morning = asyncio.create_task(arrival(harness, "Good morning"))
    notice = await press(harness, pain, "6")
    question_at = await arrival(harness, "How was your digestion")
    question = first_line(fake.messages(ALEX), "How was your digestion")
    stamp(
        f"the same press again: notice {notice!r}, next question after "
        f"{question_at - restored:.2f} s ({question!r})"
    )
    stamp(
        f"scheduled check-in sent by the sweep {await morning - restored:.2f} s after the "
        f"database came back ({first_line(fake.messages(ALEX), 'Good morning')!r})"
    )

    answers = await harness.query(select(Answer.question, Answer.value))
    logs = await harness.count(LogEntry)
    deliveries = await harness.query(select(Delivery.status))
    unsaved = [m for m in fake.messages(ALEX) if "couldn't save" in (m.text or "")]
    print(
        f"stored answers: {[tuple(a) for a in answers]}; diary lines from the outage: {logs}; "
        f"scheduled prompts: {[d for (d,) in deliveries]}; 'couldn't save' replies: {len(unsaved)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the outage")
    parser.add_argument("--mode", choices=("refused", "silent"), default="refused")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("GUTBACK_TEST_POSTGRES_URL", DEFAULT_URL),
        help="a PostgreSQL server (a database of the script's own is made there)",
    )
    args = parser.parse_args()
    # Warnings are counted above, not printed; an error would be news, so it is shown.
    logging.basicConfig(level=logging.WARNING, format="  log: %(levelname)s %(name)s: %(message)s")
    logging.getLogger().handlers[0].setLevel(logging.ERROR)
    asyncio.run(run(args.postgres_url, args.seconds, args.mode))


if __name__ == "__main__":
    main()
