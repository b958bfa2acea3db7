"""Fill a gutback database with many people fast, for the benchmarks that need a crowd.

Why bulk inserts and not the core's onboarding: 100k people through ``/start`` would take longer
than the benchmark itself, and the rows a sweep reads (a consented, onboarded person with two
daily check-in schedules) are the same either way. Every person gets schedules at 08:00 and 20:00
local time; the caller says which people have their first prompt due and when. Not-due prompts are
spread over the day that starts an hour from now, as real schedules are spread, and none falls due
while a benchmark runs.

Also here: a throw-away PostgreSQL database for a benchmark run, so a bench never touches a
database someone else is using.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, time, timedelta

import asyncpg
from sqlalchemy import insert, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.people.schedules import CHECKIN
from bot.store.db import migrate
from bot.store.models import Base, Schedule, User

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC")
LOCAL_TIMES = (time(8, 0), time(20, 0))
CHUNK = 10_000
#: Where a bench may put a PostgreSQL database of its own (``--postgres-url`` overrides it).
POSTGRES_ENV = "GUTBACK_BENCH_POSTGRES_URL"


async def create_schema(engine: AsyncEngine) -> None:
    """Drop and recreate every gutback table from the models (for in-process benches)."""
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        await connection.run_sync(Base.metadata.create_all)


async def migrated_schema(engine: AsyncEngine, url: str) -> None:
    """Drop every gutback table, then build the schema the way a release does (Alembic).

    Benches that start a real ``gutback run`` need this: the bot checks the Alembic revision.
    """
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await migrate(url)


async def populate(
    engine: AsyncEngine,
    users: int,
    *,
    now: datetime,
    due: Mapping[int, datetime],
) -> list[int]:
    """Insert people 1..``users``; person ``u``'s morning prompt is due at ``due[u]`` if given.

    Returns the ids of the schedules made due, in person order. Chat ids are ``10_000_000 + u``.
    """
    armed: list[int] = []
    for first in range(1, users + 1, CHUNK):
        ids = range(first, min(first + CHUNK, users + 1))
        people = [
            {
                "id": user_id,
                "platform_id": chat_id_of(user_id),
                "chat_id": chat_id_of(user_id),
                "onboarding_step": "done",
                "consented_at": now,
                "timezone": ZONES[user_id % len(ZONES)],
                "active": True,
                "paused": False,
                "created_at": now,
                "updated_at": now,
            }
            for user_id in ids
        ]
        schedules = []
        for user_id in ids:
            later = now + timedelta(minutes=60 + (user_id * 7) % 1380)
            for slot, local_time in enumerate(LOCAL_TIMES):
                schedule_id = 2 * user_id - 1 + slot
                due_at = due.get(user_id) if slot == 0 else None
                if due_at is not None:
                    armed.append(schedule_id)
                schedules.append(
                    {
                        "id": schedule_id,
                        "user_id": user_id,
                        "kind": CHECKIN,
                        "slot": slot,
                        "local_time": local_time,
                        "next_due_at": due_at if due_at is not None else later,
                    }
                )
        async with engine.begin() as connection:
            await connection.execute(insert(User), people)
            await connection.execute(insert(Schedule), schedules)
    if engine.dialect.name == "postgresql":
        # Explicit ids leave the sequences at 1; move them past the rows so the bot can insert.
        async with engine.begin() as connection:
            for table in ("users", "schedules"):
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql("ANALYZE")
    return armed


def chat_id_of(user_id: int) -> int:
    return 10_000_000 + user_id


def spread_evenly(users: int, count: int) -> list[int]:
    """``count`` people spread evenly over the id range, so their rows are not neighbours."""
    step = users // count
    return [1 + i * step for i in range(count)]


async def postgres_answers(url: str) -> bool:
    """Whether a PostgreSQL server answers at ``url`` (benches skip it quietly when not)."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        connection = await asyncpg.connect(dsn, timeout=5)
    except (OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


@contextlib.asynccontextmanager
async def scratch_postgres(server_url: str, label: str) -> AsyncIterator[str]:
    """A new database on the server of ``server_url`` for this run, dropped afterwards."""
    server = make_url(server_url)
    name = f"gutback_bench_{label}_{os.getpid()}"
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
