"""A webhook worker under faults: slow and vanishing clients, hostile bodies, kill -9.

The slow-client and body tests run the real Starlette/uvicorn server in the test's loop (the
WebhookHarness of test_webhook.py) with its time limits shortened. The kill -9 test runs the real
``python -m bot run --webhook`` as a child process, kills it with updates it answered 200 for still
waiting, starts it again on the same port and counts what was stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, make_url, select

import handlers.webhook
from bot.base.clock import FrozenClock
from bot.store.models import InboxUpdate, LogEntry
from tests.e2e.conftest import START
from tests.e2e.test_faults import ROOT, kill_9
from tests.e2e.test_webhook import PUBLIC_URL, SECRET, SECRET_HEADER, WebhookHarness
from tests.fake_bot_api import FakeBotApi
from tests.support import add_user, sessions_for
from tests.tcp_proxy import TcpProxy

ALEX = 4101
SLOW_CLIENTS = 5
LIMIT = 1.0  # seconds: the shortened header and body limits


@pytest.fixture
async def webhook(database_url: str) -> AsyncIterator[WebhookHarness]:
    async with FakeBotApi() as fake:
        harness = WebhookHarness(fake, database_url, FrozenClock(START))
        try:
            yield harness
        finally:
            await harness.stop()


async def open_slow(port: int, head: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    await writer.drain()
    return reader, writer


async def drip_until_closed(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, byte: bytes, limit: float
) -> tuple[float, bytes]:
    """Send one byte every 0.2 s until the server closes; (seconds it took, what it answered)."""
    started = time.monotonic()
    answer = b""
    while time.monotonic() - started < limit:
        try:
            writer.write(byte)
            await writer.drain()
        except ConnectionError:
            break
        try:
            chunk = await asyncio.wait_for(reader.read(4096), 0.2)
        except TimeoutError:
            continue
        except ConnectionError:
            break
        if not chunk:
            break
        answer += chunk
    writer.close()
    return time.monotonic() - started, answer


async def test_clients_sending_headers_or_a_body_very_slowly_are_cut_off(
    webhook: WebhookHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(handlers.webhook, "HEADER_SECONDS", LIMIT)
    monkeypatch.setattr(handlers.webhook, "BODY_SECONDS", LIMIT)
    webhook.push = False
    await webhook.start()
    assert webhook.worker is not None
    port = webhook.worker.port
    slow_headers = b"POST /telegram HTTP/1.1\r\nHost: bot\r\n"
    slow_body = (
        f"POST /telegram HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
        f"{SECRET_HEADER}: {SECRET}\r\nContent-Length: 5000\r\n\r\n{{"
    ).encode()
    clients = [await open_slow(port, slow_headers) for _ in range(SLOW_CLIENTS)]
    clients += [await open_slow(port, slow_body) for _ in range(SLOW_CLIENTS)]

    # Each would go on for a minute; the server must close every one within its limit.
    results = await asyncio.gather(
        *(
            drip_until_closed(reader, writer, b"x" if n < SLOW_CLIENTS else b" ", 60)
            for n, (reader, writer) in enumerate(clients)
        )
    )
    seconds = [s for s, _ in results]
    print(f"slow clients cut off after {min(seconds):.1f}-{max(seconds):.1f} s (limit {LIMIT} s)")
    assert max(seconds) < LIMIT + 3, seconds
    assert all(answer == b"" for _, answer in results[:SLOW_CLIENTS])
    assert all(answer.startswith(b"HTTP/1.1 408") for _, answer in results[SLOW_CLIENTS:])

    # The worker still serves everyone else.
    update = webhook.fake.user_sends_text(ALEX, "/start")
    assert await webhook.post(update) == 200
    await webhook.fake.wait_for_message(ALEX, "I agree")
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_a_client_that_goes_away_mid_body_is_one_line_not_a_traceback(
    webhook: WebhookHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    webhook.push = False
    await webhook.start()
    assert webhook.worker is not None
    head = (
        f"POST /telegram HTTP/1.1\r\nHost: bot\r\n{SECRET_HEADER}: {SECRET}\r\n"
        f'Content-Length: 1000\r\n\r\n{{"update_id": 1'
    ).encode()
    _, writer = await open_slow(webhook.worker.port, head)
    await asyncio.sleep(0.2)
    writer.transport.abort()
    await webhook.fake.wait_for(
        lambda: any("went away" in r.getMessage() for r in caplog.records), timeout=5
    )
    assert [r.getMessage() for r in caplog.records if "went away" in r.getMessage()] == [
        "webhook client went away before sending the whole body"
    ]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_deeply_nested_json_is_dropped_never_a_500(
    webhook: WebhookHarness, caplog: pytest.LogCaptureFixture
) -> None:
    webhook.push = False
    await webhook.start()
    update = webhook.fake.user_sends_text(ALEX, "/start")
    for depth in (100, 100_000):  # within the parser's recursion limit, and far beyond it
        nested = b"[" * depth + b"]" * depth
        body = b'{"update_id": 77, "message": {"extra": ' + nested + b"}}"
        assert await webhook.post(body) == 200, depth
        assert not await webhook.handled(77)
    shallow = {**update, "message": {**update["message"], "extra": json.loads("[" * 20 + "]" * 20)}}
    assert await webhook.post(shallow) == 200
    await webhook.fake.wait_for_message(ALEX, "I agree")  # a normal update is still read
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


# --- the database away: memory only, a warning sign still answered at once -----------------------


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_with_the_database_away_updates_are_handled_from_memory_and_signs_answered(
    webhook: WebhookHarness, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = make_url(database_url)
    async with TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        webhook.overrides["database_url"] = server.set(port=proxy.port).render_as_string(
            hide_password=False
        )
        await webhook.start()
        await webhook.onboard(ALEX)

        proxy.cut()
        started = time.monotonic()
        reply = await webhook.say(ALEX, "there was blood in my poo this morning", "couldn't save")
        answered_in = time.monotonic() - started
        sign = [m.text for m in webhook.fake.messages(ALEX) if "blood" in (m.text or "").lower()]
        await webhook.say(ALEX, "/help", "")  # the next one goes straight to memory
        kept_in_memory = [
            r for r in caplog.records if r.getMessage().startswith("update kept in memory only")
        ]
        proxy.restore()
    print(f"warning sign answered in {answered_in:.2f} s with the database away")
    assert "try again" in reply.text
    assert sign, "the warning sign is answered from the screen alone"
    assert answered_in < 5
    assert len(kept_in_memory) == 1  # one failed write, then no more tries for a while
    assert {status for _, status in webhook.fake.webhook_posts} == {200}


# --- kill -9 with accepted updates ----------------------------------------------------------------

LINES = 200
STARTUP = 90.0  # a loaded machine: seconds to import, connect and register


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start_worker(
    webhook: WebhookHarness, port: int, chat_rate: str
) -> asyncio.subprocess.Process:
    """A real `python -m bot run --webhook` on ``port`` against the fake Bot API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "GUTBACK_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=webhook.fake.token,
        TELEGRAM_API_URL=webhook.fake.base_url,
        DATABASE_URL=webhook.database_url,
        GUTBACK_WEBHOOK_URL=PUBLIC_URL,
        GUTBACK_WEBHOOK_SECRET=SECRET,
        GUTBACK_WEBHOOK_PORT=str(port),
        GUTBACK_GLOBAL_RATE="200",
        GUTBACK_CHAT_RATE=chat_rate,
        GUTBACK_SWEEP_SECONDS="5",
        GUTBACK_LOG_LEVEL="WARNING",
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--webhook",
        "--no-migrate",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_a_worker_killed_with_accepted_updates_loses_none_after_its_restart(
    webhook: WebhookHarness,
) -> None:
    fake = webhook.fake
    now = datetime.now(UTC)
    async with sessions_for(webhook.database_url) as sessions:
        # Its check-in is half a day away: every line is a diary line, none a check-in answer.
        later = (now + timedelta(hours=12)).time().replace(second=0, microsecond=0)
        await add_user(sessions, now, ALEX, "Etc/UTC", times=[later])
    port = free_port()
    lines = [f"coffee and toast, entry {n}" for n in range(LINES)]

    # One person, paced at 20 replies/s: the worker accepts faster than it answers.
    first = await start_worker(webhook, port, chat_rate="20")
    try:
        await fake.wait_for(lambda: fake.webhook_url, timeout=STARTUP)
        fake.deliver_webhook_to(f"http://127.0.0.1:{port}/telegram")
        for line in lines:
            fake.user_sends_text(ALEX, line)
        await fake.wait_for(lambda: fake.pending_updates == 0, timeout=120)
        await kill_9(first)
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    acknowledged = {u for u, status in fake.webhook_posts if status == 200}
    waiting = await webhook.count(InboxUpdate)
    stored_before = await webhook.count(LogEntry)
    print(
        f"kill -9 of a webhook worker: {len(acknowledged)} updates answered 200, "
        f"{stored_before} handled, {waiting} waiting in the inbox"
    )
    assert len(acknowledged) == LINES
    assert waiting > 0  # the kill came with accepted updates still unhandled

    second = await start_worker(webhook, port, chat_rate="100")
    try:
        deadline = time.monotonic() + 180
        while await webhook.count(LogEntry) < LINES and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.0)  # anything doubled would have been stored by now
    finally:
        await stop(second)
    rows = await webhook.query(select(LogEntry.text, func.count()).group_by(LogEntry.text))
    stored = dict(rows)
    lost = [line for line in lines if line not in stored]
    doubled = [line for line, count in stored.items() if count > 1]
    print(f"after the restart: {len(lost)} lost, {len(doubled)} stored twice")
    assert lost == [] and doubled == []
    assert await webhook.count(InboxUpdate) == 0
