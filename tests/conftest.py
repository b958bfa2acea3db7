"""Shared fixtures: a fresh database per test, on SQLite and (when configured) PostgreSQL.

Database-backed tests take the ``database_url`` fixture and so run once per backend. PostgreSQL runs
when ``GUTBACK_TEST_POSTGRES_URL`` is set (``.ci/run`` sets it); without it those cases are skipped
with a reason that says so, never passed silently. At the end pytest prints how many tests ran on
each backend.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import Sessions, make_engine, make_sessions
from bot.store.models import Base

POSTGRES_URL = os.environ.get("GUTBACK_TEST_POSTGRES_URL")
POSTGRES_SKIP = (
    "PostgreSQL tests need GUTBACK_TEST_POSTGRES_URL, e.g. "
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test (.ci/run sets it)"
)
_BACKEND_IN_ID = re.compile(r"\[(?:[^\]]*-)?(sqlite|postgresql)(?:-[^\]]*)?\]")
_outcomes: dict[str, Counter[str]] = {"sqlite": Counter(), "postgresql": Counter()}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    return request.param


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test run's own on the configured server, dropped at the end.

    Tests drop and create tables, so two runs sharing one database would break each other.
    """
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    server = make_url(POSTGRES_URL)
    name = f"gutback_test_{os.getpid()}"

    async def admin(sql: str) -> None:
        dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def backend_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where the chosen backend lives for this test (resolved outside any event loop)."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'gutback-test.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def database_url(backend_url: str) -> AsyncIterator[str]:
    """An empty, current schema on the chosen backend."""
    url = backend_url
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        await connection.run_sync(Base.metadata.create_all)
    await engine.dispose()
    yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> Sessions:
    return make_sessions(engine)


@pytest.fixture
async def second_process(database_url: str) -> AsyncIterator[Sessions]:
    """Sessions on an engine of their own, as a second bot process would have."""
    engine = make_engine(database_url)
    yield make_sessions(engine)
    await engine.dispose()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    match = _BACKEND_IN_ID.search(report.nodeid)
    if match is None:
        return
    if report.when == "call" or (
        report.outcome in ("skipped", "failed") and report.when == "setup"
    ):
        _outcomes[match.group(1)][report.outcome] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.section("database backends")
    for name, counts in _outcomes.items():
        summary = ", ".join(
            f"{counts[k]} {k}" for k in ("passed", "failed", "skipped") if counts[k]
        )
        terminalreporter.write_line(f"{name}: {summary or 'no tests'}")
    if not POSTGRES_URL:
        terminalreporter.write_line(f"postgresql skipped: {POSTGRES_SKIP}")
