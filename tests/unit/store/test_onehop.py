"""SQLite statements cost one trip to aiosqlite's thread and behave exactly as before.

The trips are counted at aiosqlite's own queue (``Connection._execute``): SQLAlchemy's stock
adapter made four per statement (cursor, execute, fetch, close) and one more to roll back every
connection returned to the pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiosqlite.core
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import make_engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'onehop.db'}")
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)"
        )
    yield engine
    await engine.dispose()


@contextmanager
def trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    names: list[str] = []
    original = aiosqlite.core.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        names.append(getattr(fn, "__name__", "?"))
        return await original(self, fn, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(aiosqlite.core.Connection, "_execute", counted)
        yield names


async def test_a_write_costs_one_trip_per_statement_and_one_to_commit(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.connect() as warm:  # the pool's first connection (pragmas) is not counted
        await warm.execute(text("SELECT 1"))
    with trips(monkeypatch) as made:
        async with engine.begin() as connection:
            inserted = await connection.execute(
                text("INSERT INTO t (name) VALUES (:n) RETURNING id"), {"n": "a"}
            )
            assert inserted.scalar_one() == 1
            rows = await connection.execute(text("SELECT id, name FROM t"))
            assert rows.all() == [(1, "a")]
    # Two statements and the commit; the pool's reset after a commit costs nothing.
    assert len(made) == 3, made


async def test_a_read_only_transaction_costs_only_its_statement(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.connect() as warm:
        await warm.execute(text("SELECT 1"))
    with trips(monkeypatch) as made:
        async with engine.begin() as connection:
            await connection.execute(text("SELECT count(*) FROM t"))
    assert len(made) == 1, made


async def test_results_rowcount_and_lastrowid_as_sqlite3_gives_them(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        first = await connection.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert first.lastrowid == 1
        await connection.execute(
            text("INSERT INTO t (name) VALUES (:n)"), [{"n": "b"}, {"n": "c"}, {"n": "d"}]
        )
        updated = await connection.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 3
        some = await connection.execute(text("SELECT name FROM t ORDER BY id"))
        assert some.fetchmany(2) == [("a",), ("b!",)]
        assert some.fetchall() == [("c!",), ("d!",)]


async def test_a_failed_statement_raises_and_its_transaction_rolls_back(
    engine: AsyncEngine,
) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t (name) VALUES ('x')"))
            await connection.execute(text("INSERT INTO t (name) VALUES ('x')"))
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0


async def test_an_uncommitted_write_is_rolled_back_when_the_connection_returns(
    engine: AsyncEngine,
) -> None:
    connection = await engine.connect()
    await connection.execute(text("INSERT INTO t (name) VALUES ('left open')"))
    await connection.close()  # returned to the pool without a commit: the pool must roll back
    async with engine.connect() as other:
        assert (await other.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
