"""The reply to a COMMIT is lost: the entry was stored, the person was told it wasn't, and retries.

PostgreSQL through the tests' TCP proxy, which lets the COMMIT of the diary line's transaction
reach the server and then drops the reply with the connection. The bot cannot know the line was
stored, so it asks the person to try again (the honest answer); the retry of the same line must
be recognised ("already noted"), not stored a second time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import make_url, select

from bot.store.models import LogEntry
from tests.e2e.conftest import Harness
from tests.tcp_proxy import TcpProxy

ALEX = 1001
LINE = "pizza and a cola, bloated, back 6/10"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[TcpProxy]:
    server = make_url(database_url)
    async with TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        yield proxy


async def test_a_retry_after_a_lost_commit_reply_is_already_noted_not_doubled(
    harness: Harness, proxy: TcpProxy, database_url: str
) -> None:
    harness.overrides["database_url"] = (
        make_url(database_url).set(port=proxy.port).render_as_string(hide_password=False)
    )
    await harness.start()
    await harness.onboard(ALEX)

    proxy.lose_commit_reply(after=b"INSERT INTO log_entries")
    reply = await harness.say(ALEX, LINE, "couldn't save")
    assert proxy.commit_replies_lost == 1
    assert await harness.query(select(LogEntry.text)) == [(LINE,)]  # stored after all

    retry = await harness.say(ALEX, LINE, "Already noted")
    assert "try again" in reply.text and "Undo" in retry.button_labels
    assert await harness.query(select(LogEntry.text)) == [(LINE,)]  # not a second time

    await harness.say(ALEX, "/help", "what I can do")  # and the bot carries on
