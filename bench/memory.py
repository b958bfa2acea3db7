"""Peak memory of one bot process with 100k people in the database, during a sweep.

    python bench/memory.py [--users 100000] [--due 1000] [--backend sqlite|postgresql|both]
                           [--postgres-url URL] [--auto-migrate]

Builds the database (migrated by Alembic, as the release step does) with ``--users`` people,
``--due`` of them with a check-in due now, then starts the real bot as a child process as
docs/deployment.md runs it (``gutback run --no-migrate``; ``--auto-migrate`` runs plain
``gutback run``, which on SQLite checks the schema itself and so also loads Alembic) against the
tests' fake Bot API, which accepts 30 sends in any second as Telegram does. The sweep
starts at once; when every due prompt has reached the fake, the child's ``VmHWM`` (its peak
resident set since it started, from ``/proc/<pid>/status``) is read, then the bot is stopped. It
also prints the resident set once the bot was polling, before the sweep's sends got under way.
Each backend is measured twice: a fresh worker, and a worker that has already drawn a weekly recap
chart (matplotlib is imported only when something is drawn, and once loaded it stays; every worker
that sweeps draws recap charts on recap days, so that second figure is the steady state and the one
the target is judged on). It prints figures; it asserts nothing. ``--backend both`` runs
PostgreSQL only when it answers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _bot_process import FakeBotApi, bot_command, bot_env, memory_kib, running_bot
from _population import (
    POSTGRES_ENV,
    migrated_schema,
    populate,
    postgres_answers,
    scratch_postgres,
    spread_evenly,
)

from bot.store.db import make_engine

TARGET_MB = 150.0


@contextlib.asynccontextmanager
async def database(backend: str, folder: Path, postgres_url: str | None) -> AsyncIterator[str]:
    if backend == "postgresql":
        assert postgres_url
        async with scratch_postgres(postgres_url, "memory") as url:
            yield url
        return
    yield f"sqlite+aiosqlite:///{folder / 'memory.db'}"


async def prepare(url: str, users: int, due_count: int) -> None:
    engine = make_engine(url)
    try:
        await migrated_schema(engine, url)
        now = datetime.now(UTC)
        due = dict.fromkeys(spread_evenly(users, due_count), now - timedelta(minutes=1))
        await populate(engine, users, now=now, due=due)
    finally:
        await engine.dispose()


#: Draws one recap chart in the bot's own process, then runs ``gutback`` with the given arguments:
#: a worker as it is after its first recap day.
AFTER_A_CHART = """
import math, runpy, sys
from datetime import date, timedelta
from bot.insights.recap import ChartData, render_chart
start = date(2026, 11, 2)
render_chart(ChartData(start=start, end=start + timedelta(days=27),
                       pain=tuple(float(n % 9) if n % 5 else math.nan for n in range(28)),
                       symptom_rows=(("bloating", (start, start + timedelta(days=9))),),
                       food_rows=(("greasy", (start + timedelta(days=3),)),)))
sys.argv = ["gutback", *sys.argv[1:]]
runpy.run_module("gutback", run_name="__main__")
"""


def sends(fake: FakeBotApi) -> int:
    return sum(1 for call in fake.calls_to("sendMessage") if call.error_code is None)


async def measure(
    backend: str,
    users: int,
    due_count: int,
    postgres_url: str | None,
    command: list[str],
    after_a_chart: bool,
) -> float:
    with tempfile.TemporaryDirectory(prefix="gutback-memory-") as name:
        folder = Path(name)
        async with database(backend, folder, postgres_url) as url:
            started = time.monotonic()
            await prepare(url, users, due_count)
            built = time.monotonic() - started
            async with FakeBotApi(rate_limit_per_second=30) as fake:
                env = bot_env(fake, url)
                argv = (
                    [sys.executable, "-c", AFTER_A_CHART, *command]
                    if after_a_chart
                    else bot_command(*command)
                )
                async with running_bot(argv, env, folder) as bot:
                    await fake.wait_for(lambda: fake.calls_to("getUpdates"), timeout=60)
                    polling = memory_kib(bot.pid)
                    await fake.wait_for(lambda: sends(fake) >= 1, timeout=60)
                    first = time.monotonic()
                    deadline = 60 + 3 * due_count / 28
                    await fake.wait_for(lambda: sends(fake) >= due_count, timeout=deadline)
                    swept = time.monotonic() - first
                    # Let the sweep record its results (the last batch's UPDATEs) before reading.
                    await asyncio.sleep(2)
                    peak = memory_kib(bot.pid)
                rejected = fake.rejected_429
    peak_mib = peak["VmHWM"] / 1024
    peak_mb = peak["VmHWM"] * 1024 / 1e6
    worker = "a worker that has drawn a recap chart" if after_a_chart else "a fresh worker"
    print(
        f"backend={backend} people={users} due={due_count} (database built in {built:.1f} s)\n"
        f"  command: gutback {' '.join(command)}, {worker}\n"
        f"  RSS once polling:         {polling['VmRSS'] / 1024:6.1f} MiB\n"
        f"  peak RSS (VmHWM):         {peak_mib:6.1f} MiB = {peak_mb:.1f} MB\n"
        f"  RSS after the sweep:      {peak['VmRSS'] / 1024:6.1f} MiB\n"
        f"  {due_count} prompts sent in {swept:.1f} s, 429s: {rejected}",
        flush=True,
    )
    return peak_mb


async def bench(args: argparse.Namespace) -> None:
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "postgresql" and not (
            args.postgres_url and await postgres_answers(args.postgres_url)
        ):
            print(f"backend=postgresql skipped: no server answers at {args.postgres_url!r}")
            continue
        command = ["run"] if args.auto_migrate else ["run", "--no-migrate"]
        peaks = [
            await measure(backend, args.users, args.due, args.postgres_url, command, after)
            for after in (False, True)
        ]
        verdict = "met" if max(peaks) < TARGET_MB else "NOT met"
        print(
            f"backend={backend}: fresh worker {peaks[0]:.1f} MB, after a recap chart "
            f"{peaks[1]:.1f} MB (target < {TARGET_MB:g} MB for both: {verdict})",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument(
        "--auto-migrate", action="store_true", help="run `gutback run` without --no-migrate"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_ENV),
        help="a PostgreSQL server (postgresql+asyncpg://...); a scratch database is made on it",
    )
    args = parser.parse_args()
    if args.backend == "postgresql" and not args.postgres_url:
        parser.error(f"--backend postgresql needs --postgres-url (or {POSTGRES_ENV})")
    asyncio.run(bench(args))
    sys.exit(0)


if __name__ == "__main__":
    main()
