"""Start-up time: from launching ``gutback run`` to its first ``getUpdates`` at the Bot API.

    python bench/startup.py [--runs 5] [--postgres-url URL]

Each run launches the real console script as a child process, as an operator or systemd does,
against the tests' fake Bot API on 127.0.0.1, and times from just before the launch to the moment
the fake receives the first ``getUpdates`` (the bot is then ready for updates). Variants:

- ``sqlite, migrated``: a SQLite file already at the newest schema; ``gutback run`` still checks
  it (on SQLite it upgrades the schema at start, a no-op here).
- ``sqlite, first run``: no database file yet; the first start creates the schema.
- ``postgresql, migrated``: when a PostgreSQL server answers (``--postgres-url`` or
  ``GUTBACK_BENCH_POSTGRES_URL``); workers there never migrate (``gutback migrate`` is a release
  step), so this is a worker's start.

Prints the median, minimum and maximum of ``--runs`` starts per variant next to the target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from _bot_process import FakeBotApi, bot_command, bot_env, running_bot
from _population import POSTGRES_ENV, postgres_answers, scratch_postgres

from bot.store.db import migrate

TARGET_SECONDS = 3.0


async def time_start(url: str, folder: Path) -> float:
    async with FakeBotApi() as fake:
        env = bot_env(fake, url)
        launched = time.monotonic()
        async with running_bot(bot_command("run"), env, folder):
            await fake.wait_for(lambda: fake.calls_to("getUpdates"), timeout=60)
        return fake.calls_to("getUpdates")[0].at - launched


async def variant(name: str, runs: int, url_for_run: Callable[[Path, int], Awaitable[str]]) -> None:
    timings = []
    for run in range(runs):
        with tempfile.TemporaryDirectory(prefix="gutback-startup-") as folder:
            url = await url_for_run(Path(folder), run)
            timings.append(await time_start(url, Path(folder)))
    median = statistics.median(timings)
    verdict = "met" if median < TARGET_SECONDS else "NOT met"
    print(
        f"{name:<22} median {median:5.2f} s  min {min(timings):5.2f}  max {max(timings):5.2f}  "
        f"(target < {TARGET_SECONDS:g} s: {verdict})",
        flush=True,
    )


async def bench(args: argparse.Namespace) -> None:
    print(f"gutback run -> first getUpdates, {args.runs} starts each")

    async def sqlite_migrated(folder: Path, run: int) -> str:
        url = f"sqlite+aiosqlite:///{folder / 'gutback.db'}"
        await migrate(url)
        return url

    async def sqlite_fresh(folder: Path, run: int) -> str:
        return f"sqlite+aiosqlite:///{folder / 'gutback.db'}"

    await variant("sqlite, migrated", args.runs, sqlite_migrated)
    await variant("sqlite, first run", args.runs, sqlite_fresh)
    if not (args.postgres_url and await postgres_answers(args.postgres_url)):
        print(f"postgresql skipped: no server answers at {args.postgres_url!r}")
        return
    async with scratch_postgres(args.postgres_url, "startup") as pg_url:
        await migrate(pg_url)

        async def postgres(folder: Path, run: int) -> str:
            return pg_url

        await variant("postgresql, migrated", args.runs, postgres)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_ENV),
        help="a PostgreSQL server (postgresql+asyncpg://...); a scratch database is made on it",
    )
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
