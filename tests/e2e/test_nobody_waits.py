"""Nobody waits behind anybody: another chat's burst, a hung database (issue 15, items 1 and 3).

The real Application at Telegram's pace of one message a second per chat. Before the per-chat
processor, updates were handled one at a time: a warning sign waited behind every message of
another person's burst (each waiting for its own chat's pacing), and behind every update that
waited out the database's time limit when the database hung.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import make_url, select, text

from bot.base.logs import setup_logging
from bot.base.wording import t
from bot.store.models import SafetyEvent
from tests.e2e.conftest import Harness
from tests.tcp_proxy import TcpProxy

ALEX = 1001
BEA = 1002
CAUDA_EQUINA = "I can't feel anything when I wipe and I can't pee since this morning"
DIARY = "pizza and a coke for lunch, bloated, back 5/10"


async def test_a_burst_in_one_chat_does_not_hold_up_a_warning_sign_in_another(
    harness: Harness,
) -> None:
    harness.overrides["chat_rate_per_second"] = 1.0  # Telegram's pace per chat
    await harness.start()
    await harness.onboard(ALEX)
    await harness.onboard(BEA)
    before = len(harness.fake.messages(ALEX))
    for i in range(12):
        harness.fake.user_sends_text(ALEX, f"{DIARY} ({i})")
    harness.fake.user_sends_text(BEA, CAUDA_EQUINA)
    await harness.fake.wait_for_message(BEA, "112", timeout=10)
    # Alex's replies leave at about one a second: most are still to come when Bea is answered.
    assert len(harness.fake.messages(ALEX)) - before < 8
    # And every one of Alex's messages is still answered, in order, after Bea's.
    await harness.fake.wait_for(lambda: len(harness.fake.messages(ALEX)) - before >= 12, 30)


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[TcpProxy]:
    server = make_url(database_url)
    async with TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        yield proxy


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_warning_sign_is_answered_at_once_while_the_database_hangs(
    harness: Harness, proxy: TcpProxy, database_url: str
) -> None:
    harness.overrides.update(
        database_url=make_url(database_url)
        .set(port=proxy.port)
        .render_as_string(hide_password=False),
        db_timeout_seconds=8.0,
    )
    await harness.start()
    await harness.onboard(ALEX)
    await harness.onboard(BEA)
    proxy.silence()  # packets dropped: nothing refused, nothing closed
    for i in range(3):
        harness.fake.user_sends_text(ALEX, f"{DIARY} ({i})")
    harness.fake.user_sends_text(BEA, CAUDA_EQUINA)
    # Long before the 8 s the database is given: the answer does not wait for storage.
    answer = await harness.fake.wait_for_message(BEA, "112", timeout=4)
    assert "Call 112" in answer.text or "112" in answer.text
    # Alex's lines wait for the database (8 s each), and then say they could not be saved.
    assert not any("couldn't save" in (m.text or "") for m in harness.fake.messages(ALEX))
    await harness.fake.wait_for_message(ALEX, "couldn't save", timeout=20)
    proxy.restore()
    # After an urgent answer nothing follows, not even "try again"; once the database is back
    # the next message is stored as usual.
    assert not any("couldn't save" in (m.text or "") for m in harness.fake.messages(BEA))
    harness.fake.user_sends_text(BEA, "/help")
    await harness.fake.wait_for_message(BEA, "/checkin", timeout=20)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_failed_write_leaves_no_trace_of_the_diary_text_in_the_logs(
    harness: Harness, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL's own message quotes the row ("Failing row contains (...)") and the keys."""
    await harness.start()
    await harness.onboard(ALEX)
    # Every diary line now fails its INSERT on the server, whose message quotes the row.
    async with harness.app.bot_data["runtime"].engine.begin() as connection:  # type: ignore[union-attr]
        await connection.execute(
            text("ALTER TABLE log_entries ADD CONSTRAINT never CHECK (length(text) < 0)")
        )
    # Logging as the bot sets it up (gutback run), at the most verbose level an operator can pick.
    setup_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    secret = "zucchini fritters and kombucha, cramps, back 7/10"
    try:
        await harness.say(ALEX, secret, t("error_try_again"))
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "gutback", False)]:
            root.removeHandler(handler)
    assert any(r.exc_info for r in caplog.records), "the failure was logged with its traceback"
    for fragment in (secret, "zucchini", "Failing row", str(ALEX)):
        assert fragment not in caplog.text, fragment
    assert "IntegrityError" in caplog.text  # the kind of failure is there for the operator
    assert not await harness.count(SafetyEvent)
    assert await harness.query(select(text("1")))  # the database itself is fine
