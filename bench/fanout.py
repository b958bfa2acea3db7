"""Fan-out: 10k people due in the same minute, sent through the real bot against a 30 msg/s limit.

    python bench/fanout.py [--users 10000] [--server-rate 30] [--backend sqlite|postgresql]
                           [--postgres-url URL]

Builds a fresh database (a temp SQLite file, or a scratch database on the PostgreSQL server given)
with ``--users`` people whose morning check-in falls due within one minute, then runs the real
bot: ``handlers.app.build_application`` (``ChatRateLimiter``, ``TelegramMessenger``, the sweep job
on PTB's JobQueue, long polling), started the way ``run_polling`` starts it, talking real HTTP to
the tests' fake Bot API in a separate process (``_fake_server.py``). The fake accepts at most
``--server-rate`` sends in any one-second window and answers 429 with ``retry_after`` beyond it.
The bot's own limit is whatever ``Settings`` says (``GUTBACK_GLOBAL_RATE``).

When every prompt is recorded as sent it prints the limits, the achieved send rate over the send
window (first to last accepted send, as the server saw them), that rate as a share of the
limits, the busiest second at the server, the 429s the server answered, whether every person got
exactly one prompt, and how long it took. 10k prompts at ~28/s take about six minutes; use
``--users 2000`` for a quick look. It prints figures; it asserts nothing, but exits 1 when a
prompt is missing or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _fake_server import FakeServer
from _population import POSTGRES_ENV, chat_id_of, migrated_schema, populate, scratch_postgres
from sqlalchemy import func, select

from bot.base.config import Settings
from bot.base.logs import setup_logging
from bot.store.db import make_engine, make_sessions
from bot.store.models import Delivery
from handlers.app import build_application, runtime_of

TARGET_SHARE = 0.90
TARGET_429 = 0


@contextlib.asynccontextmanager
async def database(backend: str, postgres_url: str | None) -> AsyncIterator[str]:
    if backend == "postgresql":
        assert postgres_url
        async with scratch_postgres(postgres_url, "fanout") as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="gutback-fanout-") as folder:
        yield f"sqlite+aiosqlite:///{Path(folder) / 'fanout.db'}"


async def prepare(url: str, users: int) -> None:
    """Everyone's morning prompt falls due within the minute that just ended."""
    engine = make_engine(url)
    try:
        await migrated_schema(engine, url)
        now = datetime.now(UTC)
        minute = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
        due = {u: minute + timedelta(milliseconds=(u * 7919) % 60_000) for u in range(1, users + 1)}
        await populate(engine, users, now=now, due=due)
    finally:
        await engine.dispose()


async def delivery_counts(url: str) -> Counter[str]:
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session:
            rows = await session.execute(
                select(Delivery.status, func.count()).group_by(Delivery.status)
            )
            return Counter(dict(rows.all()))
    finally:
        await engine.dispose()


async def run_bot(settings: Settings, users: int, deadline: float) -> tuple[float, int]:
    """Run the Application until ``users`` prompts are recorded sent; (seconds, sweeps) back."""
    application = build_application(settings, migrate_on_start=False)
    sessions = runtime_of(application).core.sessions
    started = time.monotonic()
    # What Application.run_polling does, without taking over the event loop and its signals.
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    assert application.updater is not None
    await application.updater.start_polling(allowed_updates=["message", "callback_query"])
    await application.start()
    try:
        while time.monotonic() < deadline:
            async with sessions() as session:
                sent = await session.scalar(
                    select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
                )
            if sent is not None and sent >= users:
                break
            await asyncio.sleep(0.5)
        elapsed = time.monotonic() - started
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
    return elapsed, runtime_of(application).sweeper.last_finished_count


def busiest_second(times: list[float]) -> int:
    """The most sends the server accepted in any one-second window."""
    window: deque[float] = deque()
    best = 0
    for at in sorted(times):
        window.append(at)
        while at - window[0] >= 1.0:
            window.popleft()
        best = max(best, len(window))
    return best


def summarize(
    report: dict[str, Any], users: int, bot_rate: float, elapsed: float, sweeps: int
) -> bool:
    server_rate = report["rate_limit_per_second"]
    sends = report["sends"]
    per_chat = Counter(chat for chat, _ in sends)
    expected = {chat_id_of(u) for u in range(1, users + 1)}
    missing = len(expected - per_chat.keys())
    twice = sum(1 for count in per_chat.values() if count > 1)
    strangers = len(per_chat.keys() - expected)
    times = sorted(at for _, at in sends)
    window = times[-1] - times[0] if len(times) > 1 else math.nan
    achieved = (len(times) - 1) / window if len(times) > 1 else math.nan
    share_bot = achieved / bot_rate
    share_server = achieved / server_rate if server_rate else math.nan
    rejected = report["rejected_429"]
    ok = missing == 0 and twice == 0 and strangers == 0

    def verdict(met: bool) -> str:
        return "met" if met else "NOT met"

    print(f"server limit (fake Bot API): {server_rate:g} msg/s in any 1 s, 429 beyond it")
    print(f"bot limit (GUTBACK_GLOBAL_RATE): {bot_rate:g} msg/s")
    print(
        f"prompts sent: {len(sends)} to {len(per_chat)} distinct chats of {users}; "
        f"chats sent twice: {twice}; missing: {missing}"
        + (f"; unexpected chats: {strangers}" if strangers else "")
        + f"  (exactly once: {verdict(ok)})"
    )
    print(f"send window: {window:.1f} s (first to last accepted send, server clock)")
    print(
        f"achieved rate: {achieved:.2f} msg/s = {share_server:.1%} of the server's limit "
        f"(target >= {TARGET_SHARE:.0%}: {verdict(share_server >= TARGET_SHARE)}), "
        f"{share_bot:.1%} of the bot's"
    )
    print(f"busiest second at the server: {busiest_second(times)} sends")
    gaps = [b - a for a, b in itertools.pairwise(times)]
    stalls = [gap for gap in gaps if gap > 3 / bot_rate]
    print(
        f"pauses longer than 3/limit between sends: {len(stalls)}, {sum(stalls):.1f} s in all "
        f"(longest {max(gaps):.2f} s; median gap {statistics.median(gaps) * 1000:.1f} ms)"
    )
    print(f"429s received: {rejected}  (target {TARGET_429}: {verdict(rejected <= TARGET_429)})")
    print(f"duration: {elapsed:.1f} s from start until every prompt was recorded as sent")
    print(f"sweeps finished: {sweeps}")
    other = {k: v for k, v in report["calls"].items() if not k.endswith(":ok")}
    if other:
        print(f"failed calls at the server: {other}")
    return ok


async def bench(args: argparse.Namespace) -> int:
    setup_logging("WARNING")
    fake = FakeServer(rate=args.server_rate)
    await fake.start()
    try:
        async with database(args.backend, args.postgres_url) as url:
            started = time.monotonic()
            await prepare(url, args.users)
            print(
                f"fan-out: {args.users} people due in one minute, backend={args.backend} "
                f"(built in {time.monotonic() - started:.1f} s)",
                flush=True,
            )
            settings = Settings(
                telegram_bot_token=fake.token, telegram_api_url=fake.base_url, database_url=url
            )
            deadline = time.monotonic() + 120 + 3 * args.users / settings.global_rate_per_second
            elapsed, sweeps = await run_bot(settings, args.users, deadline)
            statuses = await delivery_counts(url)
        report = await fake.report()
    finally:
        await fake.stop()
    ok = summarize(report, args.users, settings.global_rate_per_second, elapsed, sweeps)
    if set(statuses) != {"sent"}:
        print(f"deliveries by status: {dict(statuses)}")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--server-rate", type=float, default=30.0, help="the fake's limit")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_ENV),
        help="a PostgreSQL server (postgresql+asyncpg://...); a scratch database is made on it",
    )
    args = parser.parse_args()
    if args.backend == "postgresql" and not args.postgres_url:
        parser.error(f"--backend postgresql needs --postgres-url (or {POSTGRES_ENV})")
    sys.exit(asyncio.run(bench(args)))


if __name__ == "__main__":
    main()
