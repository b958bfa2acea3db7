"""How long one sweep takes to claim 1,000 due prompts among 10k and 100k people.

    python bench/sweep.py [--backend sqlite|postgresql] [--postgres-url URL] [--runs 5]

Builds a fresh database (a temp SQLite file, or a scratch database on the PostgreSQL server given,
dropped afterwards), each person with two daily check-in schedules, exactly 1,000 of them
due. It then times claiming and advancing only (``Sweeper.claim_due`` until nothing is due; no
messages are sent), re-arming the same 1,000 prompts between runs, and prints the median, the
tracemalloc peak of one sweep, the process's max RSS and the 100k/10k ratio next to the targets.
It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time as clock_time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _population import POSTGRES_ENV, create_schema, populate, scratch_postgres, spread_evenly
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.base.clock import FrozenClock
from bot.chat.messenger import NO_BUTTONS, Keyboard
from bot.delivery.claims import SweepStats
from bot.delivery.sweep import Sweeper
from bot.store.db import make_engine, make_sessions
from bot.store.models import Checkin, Delivery, Schedule

SIZES = (10_000, 100_000)
DUE_COUNT = 1_000
NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
TARGET_SECONDS = 1.0  # SQLite, 100k people
TARGET_RATIO = 1.5


class NoMessenger:
    """Never called: the benchmark claims only, it does not send."""

    async def send(
        self,
        chat_id: int,
        text: str,
        buttons: Keyboard = NO_BUTTONS,
        *,
        ask_location: str | None = None,
        clear_reply_keyboard: bool = False,
        silent: bool = False,
    ) -> int:
        raise AssertionError("the benchmark does not send")

    async def edit(self, chat_id: int, message_id: int, text: str, buttons: Keyboard) -> None:
        raise AssertionError("the benchmark does not send")

    async def send_photo(
        self, chat_id: int, png: bytes, caption: str, *, silent: bool = False
    ) -> int:
        raise AssertionError("the benchmark does not send")

    async def send_file(self, chat_id: int, filename: str, data: bytes, caption: str) -> int:
        raise AssertionError("the benchmark does not send")


async def build(engine: AsyncEngine, users: int) -> list[int]:
    """Create the schema and the people in bulk; return the ids of the schedules to arm."""
    await create_schema(engine)
    due_at = NOW - timedelta(minutes=1)
    due = dict.fromkeys(spread_evenly(users, DUE_COUNT), due_at)
    return await populate(engine, users, now=NOW, due=due)


async def rearm(engine: AsyncEngine, armed: list[int]) -> None:
    """Put the same 1,000 prompts back to due and forget the claims and check-ins they made."""
    async with engine.begin() as connection:
        await connection.execute(delete(Checkin))
        await connection.execute(delete(Delivery))
        await connection.execute(
            update(Schedule)
            .where(Schedule.id.in_(armed))
            .values(next_due_at=NOW - timedelta(minutes=1))
        )


async def claim_everything(sweeper: Sweeper) -> int:
    stats = SweepStats()
    while True:
        _, more = await sweeper.claim_due(stats)
        if not more:
            return stats.claimed


async def measure(url: str, users: int, runs: int) -> dict[str, float]:
    engine = make_engine(url)
    try:
        started = clock_time.perf_counter()
        armed = await build(engine, users)
        build_seconds = clock_time.perf_counter() - started
        sweeper = Sweeper(make_sessions(engine), NoMessenger(), FrozenClock(NOW))
        timings = []
        for _ in range(runs):
            await rearm(engine, armed)
            started = clock_time.perf_counter()
            claimed = await claim_everything(sweeper)
            timings.append(clock_time.perf_counter() - started)
            if claimed != DUE_COUNT:
                print(f"  warning: claimed {claimed}, expected {DUE_COUNT}", file=sys.stderr)
        # Memory in a separate run: tracemalloc slows Python down and would skew the timings.
        await rearm(engine, armed)
        tracemalloc.start()
        await claim_everything(sweeper)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        await engine.dispose()
    return {
        "build": build_seconds,
        "median": statistics.median(timings),
        "min": min(timings),
        "max": max(timings),
        "peak_mib": peak / 2**20,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def bench(backend: str, url_for: dict[int, str], runs: int) -> None:
    print(f"backend={backend} due={DUE_COUNT} runs={runs} (claim + advance only, no sending)")
    print(
        f"{'people':>8} {'build_s':>8} {'median_s':>9} {'min_s':>7} {'max_s':>7} "
        f"{'sweep_peak_MiB':>14} {'max_rss_MiB':>11}"
    )
    medians = {}
    for users in SIZES:
        result = await measure(url_for[users], users, runs)
        medians[users] = result["median"]
        target = (
            f"  (target < {TARGET_SECONDS:g} s)"
            if backend == "sqlite" and users == SIZES[-1]
            else ""
        )
        print(
            f"{users:>8} {result['build']:>8.2f} {result['median']:>9.3f} {result['min']:>7.3f} "
            f"{result['max']:>7.3f} {result['peak_mib']:>14.1f} {result['rss_mib']:>11.0f}{target}"
        )
    ratio = medians[SIZES[-1]] / medians[SIZES[0]]
    print(
        f"ratio {SIZES[-1] // 1000}k/{SIZES[0] // 1000}k: {ratio:.2f}  (target <= {TARGET_RATIO:g})"
    )


async def bench_postgres(server_url: str, runs: int) -> None:
    async with scratch_postgres(server_url, "sweep") as url:
        await bench("postgresql", dict.fromkeys(SIZES, url), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_ENV),
        help="a PostgreSQL server (postgresql+asyncpg://...); a scratch database is made on it",
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.backend == "postgresql":
        if not args.postgres_url:
            parser.error("--backend postgresql needs --postgres-url")
        asyncio.run(bench_postgres(args.postgres_url, args.runs))
        return
    with tempfile.TemporaryDirectory(prefix="gutback-bench-") as folder:
        urls = {n: f"sqlite+aiosqlite:///{Path(folder) / f'sweep-{n}.db'}" for n in SIZES}
        asyncio.run(bench("sqlite", urls, args.runs))


if __name__ == "__main__":
    main()
