"""How long a warning sign waits for its answer while others are busy, and ordinary replies at load.

    python bench/latency.py [--postgres-url URL] [--signs 10] [--people 200]

The real Application (``handlers/app.py``, the real ``ChatRateLimiter`` at Telegram's pace:
1 message/s per chat, 28/s overall) runs against the tests' fake Bot API and talks to
PostgreSQL through the tests' TCP proxy (``tests/tcp_proxy.py``). Each scenario runs twice in
the same run: with updates handled one at a time (PTB's default, the baseline) and with the
per-chat processor (``handlers/processor.py``, as shipped).

1. **Burst**: person A sends 40 diary lines at once; right after, ``--signs`` other people
   each send a warning sign (cauda equina, T0), a quarter of a second apart. Reply time of each
   warning-sign answer, from the update being queued to the answer reaching the fake server.
2. **Database hung**: the proxy stops passing packets (nothing refused, nothing closed: a
   network that drops them; ``GUTBACK_DB_TIMEOUT`` 5 s). A sends 5 diary lines, then the same
   warning signs. Everyone wrote before (their timezone is known to the process).
3. **200 people**: ``--people`` people each send one diary line at the same moment. Reply
   time of each first reply (p50/p95). At 28 messages/s overall, 200 replies need at least
   ``200 / 28`` s to go out however fast the bot is: that floor is printed too.

Target: warning-sign p95 < 2 s in scenarios 1 and 2. Needs the test extras and a PostgreSQL
server (a scratch database is made and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import asyncpg
from sqlalchemy import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the fake Bot API, the proxy and the harness live in tests/

from telegram.ext import Application  # noqa: E402

from bot.base.clock import FrozenClock  # noqa: E402
from bot.store.db import make_engine  # noqa: E402
from bot.store.models import Base  # noqa: E402
from handlers.app import build_application, runtime_of  # noqa: E402
from tests.e2e.conftest import START, Harness  # noqa: E402
from tests.fake_bot_api import FakeBotApi  # noqa: E402
from tests.support import add_person, sessions_for  # noqa: E402
from tests.tcp_proxy import TcpProxy  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SIGN = "I can't feel my groin and I can't control my bladder since this morning"
DIARY = "pizza and a coke for lunch, bloated, back 5/10"
TARGET = 2.0
WAIT = 180.0
ALEX = 1001  # the person with the burst
SIGNERS = 2001  # first of the people who send a warning sign
CROWD = 5001  # first of the 200


class PacedHarness(Harness):
    """The tests' harness at Telegram's real pace, with the processor on or off."""

    per_chat: bool = True

    async def start(self) -> Application:
        settings = self.settings().model_copy(
            update={"chat_rate_per_second": 1.0, "global_rate_per_second": 28.0}
        )
        app = build_application(
            settings, clock=self.clock, migrate_on_start=False, per_chat=self.per_chat
        )
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1, drop_pending_updates=False)
        await app.start()
        self.app = app
        self.apps.append(app)
        return app


def quantiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


async def reply_time(fake: FakeBotApi, chat_id: int, queued_at: float) -> float:
    await fake.wait_for_message(chat_id, timeout=WAIT)
    return time.monotonic() - queued_at


async def signs_meanwhile(fake: FakeBotApi, signers: list[int]) -> list[float]:
    waits = []
    for person in signers:
        queued = time.monotonic()
        fake.user_sends_text(person, SIGN)
        waits.append(asyncio.create_task(reply_time(fake, person, queued)))
        await asyncio.sleep(0.25)
    return list(await asyncio.gather(*waits))


async def scenario(
    direct_url: str, per_chat: bool, signs: int, people: int
) -> dict[str, list[float]]:
    server = make_url(direct_url)
    results: dict[str, list[float]] = {}
    async with (
        FakeBotApi() as fake,
        TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy,
    ):
        harness = PacedHarness(fake, direct_url, FrozenClock(START), sweep_seconds=30)
        harness.per_chat = per_chat
        harness.overrides.update(
            database_url=server.set(port=proxy.port).render_as_string(hide_password=False),
            db_timeout_seconds=5.0,
        )
        app = await harness.start()
        signers = [SIGNERS + i for i in range(signs)]
        try:
            # Everyone has written before: the process knows them (and their timezone).
            for person in [ALEX, *signers]:
                fake.user_sends_text(person, "/help")
            for person in [ALEX, *signers]:
                await fake.wait_for_message(person, timeout=WAIT)

            # 1. A burst of 40 from A, warning signs from the others meanwhile.
            for i in range(40):
                fake.user_sends_text(ALEX, f"{DIARY} ({i})")
            results["burst"] = await signs_meanwhile(fake, signers)
            await fake.wait_for(lambda: len(fake.messages(ALEX)) >= 41, timeout=WAIT)

            # 2. The database stops answering; A writes, the others send warning signs.
            proxy.silence()
            for i in range(5):
                fake.user_sends_text(ALEX, f"{DIARY} (hung {i})")
            results["hung"] = await signs_meanwhile(fake, signers)
            proxy.restore()
            runtime = runtime_of(app)
            await runtime.engine.dispose()  # drop the connections the silence left hanging
            await fake.wait_updates_consumed(timeout=WAIT)

        finally:
            await harness.stop()

        # 3. Many people at once, an ordinary diary line each: straight to PostgreSQL (the
        # proxy, in this process, would take CPU time from the bot it measures).
        crowd = [CROWD + i for i in range(people)]
        async with sessions_for(direct_url) as sessions:
            for person in crowd:
                await add_person(sessions, person)
        harness = PacedHarness(fake, direct_url, FrozenClock(START), sweep_seconds=30)
        harness.per_chat = per_chat
        harness.overrides["db_timeout_seconds"] = 5.0
        await harness.start()
        try:
            started = time.monotonic()
            for person in crowd:
                fake.user_sends_text(person, DIARY)
            results["crowd"] = list(
                await asyncio.gather(*(reply_time(fake, p, started) for p in crowd))
            )
        finally:
            await harness.stop()
    return results


async def admin(server_url: str, sql: str) -> None:
    dsn = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def fresh_database(server_url: str, name: str) -> str:
    await admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin(server_url, f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    await engine.dispose()
    return url


def line(label: str, values: list[float], target: float | None = None) -> str:
    p50, p95, worst = quantiles(values)
    mark = ""
    if target is not None:
        mark = "  (target p95 < 2 s: " + ("met" if p95 < target else "NOT met") + ")"
    return f"  {label:<34} p50 {p50:6.2f} s   p95 {p95:6.2f} s   max {worst:6.2f} s{mark}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres-url", default=os.environ.get("GUTBACK_BENCH_POSTGRES_URL", DEFAULT_URL)
    )
    parser.add_argument("--signs", type=int, default=10)
    parser.add_argument("--people", type=int, default=200)
    args = parser.parse_args()
    name = f"gutback_bench_latency_{os.getpid()}"
    figures = {}
    try:
        for per_chat in (False, True):
            url = await fresh_database(args.postgres_url, name)
            label = "per-chat processor" if per_chat else "baseline: one update at a time"
            print(f"running: {label} ...", flush=True)
            figures[per_chat] = await scenario(url, per_chat, args.signs, args.people)
    finally:
        await admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"\nwarning-sign reply time, {args.signs} people, while A sends 40 messages:")
    print(line("baseline (one update at a time)", figures[False]["burst"]))
    print(line("per-chat processor", figures[True]["burst"], TARGET))
    print("warning-sign reply time while the database hangs (packets dropped):")
    print(line("baseline (one update at a time)", figures[False]["hung"]))
    print(line("per-chat processor", figures[True]["hung"], TARGET))
    print(f"ordinary reply time, {args.people} people at once (first reply each):")
    print(line("baseline (one update at a time)", figures[False]["crowd"]))
    print(line("per-chat processor", figures[True]["crowd"]))
    print(
        f"  floor at 28 messages/s overall: the last of {args.people} replies cannot leave "
        f"before {args.people / 28:.1f} s"
    )


if __name__ == "__main__":
    asyncio.run(main())
