"""Engine, sessions and the few SQL idioms that must work the same on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, exc, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.base.errors import chained
from bot.store.models import Base
from bot.store.onehop import OneHopDBAPI

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

Sessions = async_sessionmaker[AsyncSession]

#: Seconds to wait for a PostgreSQL connection unless told otherwise (asyncpg waits 60).
CONNECT_TIMEOUT = 10.0
#: Key of the PostgreSQL advisory lock held while migrating (any constant; "gutback" in ASCII).
MIGRATION_LOCK_KEY = 0x6775746261636B


def make_engine(url: str, *, timeout: float | None = None, **kwargs: Any) -> AsyncEngine:
    """Create the engine; on SQLite turn on what a multi-task bot needs.

    WAL lets the sweep read while a handler writes, ``busy_timeout`` waits for a lock instead of
    failing, and ``foreign_keys`` makes ``ON DELETE CASCADE`` real (SQLite leaves it off).

    On PostgreSQL the pool tests each connection as it is handed out (``pool_pre_ping``), so that
    after the server restarted, or the network dropped idle connections, the next update gets a
    fresh connection instead of an error. ``timeout`` bounds connecting and, when given, every
    statement: the running bot passes one, because a database that stopped answering (packets
    dropped, nothing refused) would otherwise hold an update for the quarter of an hour TCP takes
    to give up, and a chat's updates are handled one after another. Migrations and scripts pass
    none. ``hide_parameters`` is always on: a failed statement's message would otherwise quote
    its parameters (a diary line) wherever the error is logged.

    On SQLite each statement is one trip to aiosqlite's thread instead of four
    (:mod:`bot.store.onehop`).
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite+aiosqlite"):
        kwargs.setdefault("module", OneHopDBAPI())  # one worker-thread trip per statement
    if url.startswith("postgresql"):
        kwargs.setdefault("pool_pre_ping", True)
        connect_args: dict[str, float] = {"timeout": timeout or CONNECT_TIMEOUT}
        if timeout:
            connect_args["command_timeout"] = timeout
        kwargs.setdefault("connect_args", connect_args)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def make_sessions(engine: AsyncEngine) -> Sessions:
    return async_sessionmaker(engine, expire_on_commit=False)


def insert_for(session: AsyncSession, table: Any) -> Any:
    """A dialect ``INSERT`` that supports ``ON CONFLICT`` (both dialects spell it the same way)."""
    return dialect_insert(session.bind.dialect.name, table)


def dialect_of(session: AsyncSession) -> str:
    """The session's dialect name, the key of statements built once per dialect."""
    return str(session.bind.dialect.name)


def dialect_insert(name: str, table: Any) -> Any:
    """:func:`insert_for` by dialect name, for statements built once and kept.

    A statement of the commonest updates is built once per dialect (``functools.cache``) and run
    with bound parameters: building an upsert costs more than running it (its ``excluded``
    collection alone is a third of a millisecond), while a kept statement's cache key is
    memoised, so SQLAlchemy finds its compiled SQL at once.
    """
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect: {name}")


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached, rather than a bug.

    Such an error is worth a "please try again" and a retry at the next sweep: the transaction was
    rolled back, so nothing was half stored, and the pool reconnects by itself once the database is
    back. Looks through the exception's causes, because SQLAlchemy wraps the driver's error.
    """
    for current in chained(error, with_orig=True):
        if isinstance(current, exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, exc.DisconnectionError | exc.TimeoutError):
            return True  # the pool gave up on a connection, or waited too long for one
        if isinstance(current, OSError | TimeoutError):
            return True  # refused, reset, unreachable, timed out
        if isinstance(current, _SERVER_AWAY):
            return True
        if isinstance(current, sqlite3.OperationalError) and "locked" in str(current):
            return True  # another process held the SQLite file for longer than busy_timeout
    return False


#: asyncpg's errors for a server that is going away, restarting or full.
_SERVER_AWAY = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
)


@contextlib.contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock while migrating, so concurrent upgrades run one at a time.

    If a deploy starts ``gutback migrate`` on several machines at once, the first one upgrades and
    the others wait, then find the schema already current and do nothing. The lock is held by the
    session, not the transaction, and is committed so that Alembic starts its own transaction.
    SQLite needs no lock: its writers are serialised by the file lock already.
    """
    if connection.dialect.name != "postgresql":
        yield
        return
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    connection.commit()
    try:
        yield
    finally:
        # If the connection died, the server dropped the lock with it: nothing to release.
        with contextlib.suppress(exc.DBAPIError):
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()


@contextlib.contextmanager
def foreign_keys_off(connection: Connection) -> Iterator[None]:
    """On SQLite, enforce no foreign keys while migrating, as Alembic's batch mode requires.

    A batch operation that SQLite cannot do in place (dropping a column, a non-constant
    default) copies the table into a new one, drops the old one and renames the new. With
    foreign keys on, that drop deletes every row that points at the table through
    ``ON DELETE CASCADE``: rebuilding ``users`` would erase every diary. The copy keeps every
    id, so the rows point at the same people afterwards. The pragma does nothing inside a
    transaction, so it is set and committed before Alembic begins its own. PostgreSQL alters
    tables in place and needs none of this.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        yield
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def _upgrade(url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")


async def migrate(url: str) -> None:
    """Bring the schema to the newest revision.

    Alembic's env runs its own event loop, so it gets a thread of its own.
    """
    await asyncio.to_thread(_upgrade, url)


class MigrationFailed(RuntimeError):
    """The schema could not be brought up to date at start; the bot must not run on it."""


async def migrate_in_child(url: str) -> None:
    """Bring the schema up to date from a short-lived ``gutback migrate`` child process.

    Alembic and its scripts, once imported, stay in a process for good: about 9 MiB that the
    long-running bot would hold only to check an up-to-date schema at start (bench/memory.py).
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gutback",
        "migrate",
        env={**os.environ, "DATABASE_URL": url},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await process.communicate()
    if process.returncode != 0:
        lines = errors.decode(errors="replace").strip().splitlines()
        raise MigrationFailed(lines[-1] if lines else f"exit status {process.returncode}")


async def ping(engine: AsyncEngine) -> None:
    """One round trip to the database (readiness probes); raises if it does not answer."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


# --- is the schema this release's? (checked at a start that does not migrate) -----------------

_REVISION_LINE = re.compile(
    r"^(?P<kind>down_revision|revision)\s*(?::[^=]+)?=\s*(?P<value>None|['\"][^'\"]+['\"])",
    re.M,
)


def migration_chain() -> list[str]:
    """This release's revisions, oldest first, read from the migration files as text.

    Not through Alembic: once imported it stays in the long-running bot's memory (about 9 MiB,
    bench/memory.py), and this is all the start-up check needs.
    """
    parents: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found = {m["kind"]: m["value"] for m in _REVISION_LINE.finditer(path.read_text("utf-8"))}
        if "revision" in found:
            down = found.get("down_revision", "None")
            parents[found["revision"].strip("'\"")] = None if down == "None" else down.strip("'\"")
    children = {parent: child for child, parent in parents.items()}
    chain: list[str] = []
    current = children.get(None)
    while current is not None:
        chain.append(current)
        current = children.get(current)
    return chain


async def schema_problem(url: str) -> str | None:
    """Why the schema at ``url`` is not this release's (a few words), or ``None`` when it is.

    A database that Alembic upgraded names its revision: none, or an older one than this
    release's head, is a problem; a revision this release does not know is taken for a newer
    one (the next release may have migrated already). A schema made without Alembic (the
    tests' ``create_all``) must hold every table and column of the models.
    """
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_schema_problem)
    finally:
        await engine.dispose()


def _schema_problem(connection: Connection) -> str | None:
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" in tables:
        rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        versions = {version for (version,) in rows}
        chain = migration_chain()
        if chain and chain[-1] in versions:
            return None
        if not versions or versions & set(chain):
            return "older than this release"
        return None
    models = Base.metadata.sorted_tables
    if not tables & {table.name for table in models}:
        return "missing"
    inspector = inspect(connection)
    for table in models:
        if table.name not in tables:
            return "older than this release"
        have = {column["name"] for column in inspector.get_columns(table.name)}
        if not {column.name for column in table.columns} <= have:
            return "older than this release"
    return None
