"""SQLite through aiosqlite with one trip to its worker thread per statement.

aiosqlite runs each sqlite3 call on a thread of its own, and SQLAlchemy's adapter makes four
calls per statement: create a cursor, execute, fetch the rows, close the cursor. Each call is a
round trip between the event loop and that thread (a queue put, a thread wake-up, a
``call_soon_threadsafe`` back), and on a small machine that trip costs more than the query: a
check-in press spent most of its time in fifteen of them. Here a statement is one function run
on the thread (cursor, execute, fetch, close together), and ending a transaction that never
began costs no trip, so a press costs one trip per statement plus the commit.

Nothing else changes: the same sqlite3 connection, the same SQL, the same transactions and
locking (pysqlite's implicit ``BEGIN`` before the first write), the same exceptions (raised on
the thread, re-raised here and wrapped by SQLAlchemy as before). Streaming (server-side) cursors
keep SQLAlchemy's own class. Plugged in through ``create_engine``'s documented ``module``
argument, so the URL stays ``sqlite+aiosqlite://``.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

#: What a statement leaves behind: description, rowcount, lastrowid, the rows (or ``None``).
_Outcome = tuple[Any, int, int | None, list[Any] | None]


def _execute_on_thread(
    connection: aiosqlite.Connection, operation: str, parameters: Any
) -> _Outcome:
    """Runs on aiosqlite's thread: the whole statement, rows fetched, cursor closed."""
    cursor = connection._conn.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        # Read after the fetch: with RETURNING, sqlite3 counts the rows as they are stepped.
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _executemany_on_thread(
    connection: aiosqlite.Connection, operation: str, seq_of_parameters: Any
) -> _Outcome:
    cursor = connection._conn.cursor()
    try:
        cursor.executemany(operation, seq_of_parameters)
        return cursor.description, cursor.rowcount, cursor.lastrowid, None
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement costs a single trip to the worker thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor is made here (that alone was a trip): the thread makes its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows: collections.deque[Any] = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None  # nothing is open on the thread between statements

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None  # sqlite3 ignores them too

    def nextset(self) -> None:
        raise self._adapt_connection.dbapi.NotSupportedError("SQLite has no next result set")

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            outcome = await self._connection._execute(
                _execute_on_thread, self._connection, operation, parameters
            )
        self._take(outcome)
        return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            outcome = await self._connection._execute(
                _executemany_on_thread, self._connection, operation, seq_of_parameters
            )
        self._take(outcome)
        return self

    def _take(self, outcome: _Outcome) -> None:
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = collections.deque(rows) if rows is not None else collections.deque()

    def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        return super().fetchmany(self._arraysize if size is None else size)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """The connection: one-trip cursors, and no trip to end a transaction that never began.

    pysqlite begins a transaction at the first write, and its ``commit()`` and ``rollback()`` do
    nothing outside one. The pool rolls back every connection it gets back, after a commit too,
    and a read-only session commits: both would cost a trip to do nothing. ``in_transaction`` is
    safe to read from the event loop's thread (sqlite3 checks no thread for it), and nothing runs
    on the connection meanwhile: its statements are awaited one at a time, and a cancelled one
    makes SQLAlchemy throw the connection away rather than reset it.
    """

    __slots__ = ()
    _cursor_cls = OneHopCursor

    def _idle(self) -> bool:
        raw = self._connection._connection
        return raw is not None and not raw.in_transaction

    def rollback(self) -> None:
        if not self._idle():
            super().rollback()

    def commit(self) -> None:
        if not self._idle():
            super().commit()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DBAPI shim SQLAlchemy builds, handing out :class:`OneHopConnection`."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)
