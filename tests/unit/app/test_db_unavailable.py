"""When the database cannot be reached: told apart from bugs, answered kindly, recovered from.

The end-to-end story (a cut proxy in front of PostgreSQL) is in tests/e2e/test_outage.py; these
tests pin down the pieces: which errors count as "database away", what a person hears (warning
signs still answered first), and that the pool replaces connections that died while idle.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import exc, make_url, text

from bot.app.core import GutBack
from bot.base.clock import FrozenClock
from bot.base.wording import t
from bot.chat.messenger import Sender
from bot.store.db import is_unavailable, make_engine, make_sessions
from tests.support import RecordingMessenger
from tests.tcp_proxy import TcpProxy

ALEX = Sender(platform_id=41, chat_id=41)
NOWHERE = "postgresql+asyncpg://postgres@127.0.0.1:1/gutback"  # nothing listens on port 1
CAUDA_EQUINA = "I can't feel anything when I wipe and my back is killing me"


def wrapped(cause: BaseException) -> exc.DBAPIError:
    """What SQLAlchemy raises around a driver error."""
    return exc.DBAPIError("SELECT 1", {}, cause)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "refused"),
        ConnectionResetError(104, "reset by peer"),
        TimeoutError(),
        exc.DBAPIError("SELECT 1", {}, Exception("closed"), connection_invalidated=True),
        exc.TimeoutError("QueuePool limit reached"),
        wrapped(sqlite3.OperationalError("database is locked")),
    ],
    ids=["refused", "reset", "timeout", "invalidated", "pool-timeout", "file-locked"],
)
def test_errors_of_a_database_that_is_away(error: BaseException) -> None:
    assert is_unavailable(error)
    try:
        raise RuntimeError("while saving") from error
    except RuntimeError as outer:
        assert is_unavailable(outer)  # found through the chain of causes


@pytest.mark.parametrize(
    "error",
    [
        exc.IntegrityError("INSERT", {}, Exception("duplicate key")),
        wrapped(sqlite3.OperationalError("no such table: users")),
        ValueError("a bug"),
        KeyError("pain"),
    ],
    ids=["integrity", "missing-table", "value", "key"],
)
def test_bugs_are_not_mistaken_for_an_outage(error: BaseException) -> None:
    assert not is_unavailable(error)


async def test_with_the_database_away_a_person_hears_try_again_and_warning_signs_first() -> None:
    clock = FrozenClock(datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    engine = make_engine(NOWHERE)
    messenger = RecordingMessenger(clock)
    core = GutBack(make_sessions(engine), messenger, clock)
    try:
        await core.on_text(ALEX, "pizza for lunch", update_id=1)
        await core.on_command(ALEX, "checkin", update_id=2)
        await core.on_text(ALEX, CAUDA_EQUINA, update_id=3)
        notice = await core.on_button(ALEX, 7, "c:1:pain:6", update_id=4)
    finally:
        await engine.dispose()

    said = [sent.text for sent in messenger.sent]
    unsaved = t("db_unavailable")
    assert said[:2] == [unsaved, unsaved]
    # A warning sign is answered even now, before storage is tried (general numbers: the
    # timezone cannot be looked up), and nothing follows an urgent answer: no "try again".
    assert len(said) == 3 and "emergency" in said[2].lower()
    # A press gets a short notice and no message, so its buttons stay for another try.
    assert notice == t("db_unavailable_toast") and len(notice) <= 200


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_connections_that_died_while_idle_are_replaced_unnoticed(database_url: str) -> None:
    server = make_url(database_url)
    async with TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        engine = make_engine(server.set(port=proxy.port).render_as_string(hide_password=False))
        try:
            async with engine.connect() as connection:
                assert await connection.scalar(text("SELECT 1")) == 1
            # The database restarts while the bot is idle: the pooled connection is dead.
            proxy.cut()
            proxy.restore()
            async with engine.connect() as connection:
                assert await connection.scalar(text("SELECT 2")) == 2
        finally:
            await engine.dispose()
