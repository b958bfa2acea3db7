"""The database goes away and comes back: the bot keeps running, says "try again", and recovers.

The app talks to PostgreSQL through a TCP proxy that the test cuts and restores (the shared
PostgreSQL server is never touched). During the cut a button press gets a "couldn't save" notice
with its buttons left in place, a message gets a "couldn't save" reply, the sweep skips its turns,
and nothing is half stored. After the restore the very next press is stored, and the check-in that
fell due during the outage is sent by the sweep. ``bench/outage.py`` runs the same story with a
30-second outage.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy import make_url

from bot.store.models import Delivery, LogEntry, ProcessedUpdate
from tests.e2e.conftest import Harness
from tests.e2e.test_checkin import answers_of
from tests.tcp_proxy import TcpProxy

ALEX = 1001
SWEEP_SKIPPED = "sweep skipped: database unavailable"
OUTAGE_SWEEPS = 10  # failed sweeps to see before the database comes back (about a second)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[TcpProxy]:
    server = make_url(database_url)
    async with TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        yield proxy


def through(proxy: TcpProxy, database_url: str) -> str:
    return make_url(database_url).set(port=proxy.port).render_as_string(hide_password=False)


async def test_an_outage_is_survived_and_recovered_from_by_itself(
    harness: Harness, proxy: TcpProxy, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    harness.overrides["database_url"] = through(proxy, database_url)
    app = await harness.start()
    await harness.onboard(ALEX)  # check-ins at 08:00 and 20:00 Berlin; it is 07:00 there
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    updates_before = await harness.count(ProcessedUpdate)

    proxy.cut()
    notice = await harness.press(ALEX, pain.message_id, pain.data_for("6"))
    assert notice is not None and "couldn't save" in notice
    still = next(m for m in harness.fake.messages(ALEX) if m.message_id == pain.message_id)
    assert still.button_labels == pain.button_labels and still.edits == pain.edits
    reply = await harness.say(ALEX, "pizza and a cola, bloated", "couldn't save")
    assert "try again" in reply.text

    # The morning check-in falls due while the database is away: the sweep skips its turns.
    harness.clock.set(harness.clock.now().replace(hour=7, minute=0))
    await harness.fake.wait_for(
        lambda: sum(SWEEP_SKIPPED in r.getMessage() for r in caplog.records) >= OUTAGE_SWEEPS
    )
    assert not any("Good morning" in (m.text or "") for m in harness.fake.messages(ALEX))
    assert app.running and app.updater is not None and app.updater.running
    assert proxy.refused > 0

    proxy.restore()
    await harness.tap(ALEX, pain, "6", "digestion")  # the same press again: stored this time
    morning = await harness.fake.wait_for_message(ALEX, "Good morning")
    assert "How is your back pain" in morning.text

    assert await answers_of(harness, ALEX) == {(date(2026, 1, 12), "pain"): 6}
    # Nothing from the outage was half stored: not the message, not the failed updates' ids.
    assert await harness.count(LogEntry) == 0
    assert await harness.count(ProcessedUpdate) == updates_before + 1
    assert await harness.count(Delivery) == 1
    replies = [m for m in harness.fake.messages(ALEX) if "couldn't save" in (m.text or "")]
    assert len(replies) == 1


async def test_a_database_that_stops_answering_does_not_hold_the_bot_up(
    harness: Harness, proxy: TcpProxy, database_url: str
) -> None:
    """Packets dropped, nothing refused: without a timeout a press would hang for minutes."""
    harness.overrides.update(database_url=through(proxy, database_url), db_timeout_seconds=0.5)
    app = await harness.start()
    await harness.onboard(ALEX)
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")

    proxy.silence()
    notice = await harness.press(ALEX, pain.message_id, pain.data_for("6"))
    assert notice is not None and "couldn't save" in notice
    assert app.running

    proxy.restore()
    await harness.tap(ALEX, pain, "6", "digestion")
    assert await answers_of(harness, ALEX) == {(date(2026, 1, 12), "pain"): 6}
