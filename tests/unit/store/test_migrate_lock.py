"""Migrations are a release step: several `gutback migrate` started at once end with one upgrade.

A deploy that runs the migration on every machine (an init container per pod, say) starts them
together. Without a lock each one sees an empty ``alembic_version`` and creates the same tables,
and all but one fail; with the advisory lock they take turns and the late ones find nothing to do.

Process start-up times differ by more than an upgrade takes, so to make the race real the test
holds the (empty) version table locked until every process is waiting on the database, then lets
them all go at once.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import alembic_config, make_engine
from bot.store.models import Base
from tests.support import empty_database

ROOT = Path(__file__).resolve().parents[3]
RUNS = 3
# What Alembic itself creates first; made here so the test can hold it locked.
VERSION_TABLE = (
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
)


async def migrate_in_a_process(url: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "GUTBACK_"))}
    env["DATABASE_URL"] = url
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "migrate",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


async def waiting_sessions(engine: AsyncEngine, database: str) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = :database AND wait_event_type = 'Lock'"
            ),
            {"database": database},
        )
    return int(count or 0)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_migrations_started_together_upgrade_once_and_all_succeed(backend_url: str) -> None:
    await empty_database(backend_url)
    database = make_url(backend_url).database
    assert database is not None
    gate, watcher = make_engine(backend_url), make_engine(backend_url)
    try:
        async with gate.connect() as holder:
            await holder.execute(text(VERSION_TABLE))
            await holder.commit()
            await holder.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
            runs = [asyncio.create_task(migrate_in_a_process(backend_url)) for _ in range(RUNS)]
            deadline = asyncio.get_running_loop().time() + 60
            while await waiting_sessions(watcher, database) < RUNS:
                assert asyncio.get_running_loop().time() < deadline, "migrations never started"
                assert not any(run.done() for run in runs), [r.result() for r in runs if r.done()]
                await asyncio.sleep(0.05)
            await holder.commit()  # the gate opens: every process goes at once
        results = await asyncio.gather(*runs)
    finally:
        await gate.dispose()
        await watcher.dispose()
    for code, output in results:
        assert code == 0, output
        assert "database is up to date" in output

    head = ScriptDirectory.from_config(alembic_config(backend_url)).get_current_head()
    engine = make_engine(backend_url)
    try:
        async with engine.connect() as connection:
            versions = await connection.execute(text("SELECT version_num FROM alembic_version"))
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
    assert [row[0] for row in versions] == [head]
    assert set(Base.metadata.tables) <= tables
