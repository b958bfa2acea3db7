"""Webhook mode end to end: the real Application behind the real Starlette/uvicorn server.

The fake Bot API plays Telegram on both sides: it answers the bot's calls, and once the bot has
registered its webhook it POSTs updates to the worker's port (standing in for the TLS proxy that
maps the public URL to it). Tests that need a forged or broken request post it themselves.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

import handlers.webhook
from bot.base.clock import FrozenClock
from bot.base.config import Settings
from bot.store.models import ProcessedUpdate
from handlers.app import SWEEP_JOB, build_application
from handlers.webhook import MAX_BODY_BYTES, SECRET_HEADER, WebhookWorker
from tests.e2e.conftest import START, Harness
from tests.fake_bot_api import FakeBotApi

SECRET = "test-secret_0123456789"
PUBLIC_URL = "https://gutback.example.org"
ALEX, SAM = 3101, 3202


@dataclass
class WebhookHarness(Harness):
    """The e2e Harness with the worker fed over HTTP instead of by long polling."""

    register: bool = True
    sweep_window: float | None = None
    worker: WebhookWorker | None = None
    serving: asyncio.Task[None] | None = None
    push: bool = True
    port: int = 0

    def settings(self) -> Settings:
        return (
            super()
            .settings()
            .model_copy(
                update={
                    "webhook_url": PUBLIC_URL,
                    "webhook_secret": SecretStr(SECRET),
                    "webhook_listen": "127.0.0.1",
                    "webhook_port": self.port,
                }
            )
        )

    async def start(self) -> Any:
        settings = self.settings()
        app = build_application(settings, clock=self.clock, migrate_on_start=False)
        worker = WebhookWorker(app, settings, handle_signals=False, sweep_window=self.sweep_window)
        serving = asyncio.create_task(worker.run(register=self.register))
        self.app, self.worker, self.serving = app, worker, serving
        self.apps.append(app)
        listening = asyncio.create_task(worker.server.listening.wait())
        await asyncio.wait({serving, listening}, return_when=asyncio.FIRST_COMPLETED)
        if serving.done():
            await serving  # start-up failed: raise why
        if self.register:
            await self.fake.wait_for(lambda: self.fake.webhook_url)
        if self.push:
            self.fake.deliver_webhook_to(self.url(settings.webhook_path))
        return app

    async def stop(self) -> None:
        """Graceful stop, as on SIGTERM; returns once the worker has finished."""
        worker, serving = self.worker, self.serving
        self.app = self.worker = self.serving = None
        if worker is not None and serving is not None:
            worker.stop()
            await asyncio.wait_for(serving, timeout=15)

    def url(self, path: str) -> str:
        assert self.worker is not None
        return f"http://127.0.0.1:{self.worker.port}{path}"

    async def post(self, body: bytes | dict[str, Any], secret: str | None = SECRET) -> int:
        """POST to the update path as Telegram (or anyone else) would; returns the status."""
        content = json.dumps(body).encode() if isinstance(body, dict) else body
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        async with httpx.AsyncClient() as http:
            answer = await http.post(self.url("/telegram"), content=content, headers=headers)
        return answer.status_code

    async def get(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient() as http:
            return await http.get(self.url(path))

    async def handled(self, update_id: int) -> bool:
        rows = await self.query(
            select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
        )
        return bool(rows)


@pytest.fixture
async def webhook(database_url: str) -> AsyncIterator[WebhookHarness]:
    async with FakeBotApi() as fake:
        harness = WebhookHarness(fake, database_url, FrozenClock(START))
        try:
            yield harness
        finally:
            await harness.stop()


def texts(harness: Harness, chat_id: int, contains: str) -> list[str]:
    return [m.text or "" for m in harness.fake.messages(chat_id) if contains in (m.text or "")]


async def test_worker_registers_its_webhook_and_a_whole_onboarding_arrives_over_http(
    webhook: WebhookHarness,
) -> None:
    await webhook.start()

    [registration] = webhook.fake.calls_to("setWebhook")
    assert registration.params["url"] == f"{PUBLIC_URL}/telegram"
    assert registration.params["secret_token"] == SECRET
    assert registration.params["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert not webhook.fake.calls_to("getUpdates"), "webhook mode must not poll"

    await webhook.onboard(ALEX)  # texts and button presses, each one a webhook POST

    # The last reply can arrive before the fake has read the 200 for its update (an accepted
    # update is handled at once), so wait for the queue to drain before reading the statuses.
    await webhook.fake.wait_for(lambda: webhook.fake.pending_updates == 0)
    statuses = {status for _, status in webhook.fake.webhook_posts}
    assert statuses == {200}


async def test_wrong_or_missing_secret_is_refused_and_nothing_is_handled(
    webhook: WebhookHarness,
) -> None:
    webhook.register = False  # the release step registered it; this worker must not
    webhook.push = False
    await webhook.start()
    assert not webhook.fake.calls_to("setWebhook")

    forged = webhook.fake.user_sends_text(ALEX, "/start")
    assert await webhook.post(forged, secret=None) == 403
    assert await webhook.post(forged, secret="not-the-secret") == 403
    assert await webhook.post(forged, secret=SECRET[:-1]) == 403
    assert await webhook.post(forged, secret=SECRET + "x") == 403

    # Updates are handled in arrival order, so once a later genuine update has been answered,
    # a forged one that had been let in would have been handled too.
    genuine = webhook.fake.user_sends_text(SAM, "/start")
    assert await webhook.post(genuine) == 200
    await webhook.fake.wait_for_message(SAM, "I agree")
    assert webhook.fake.messages(ALEX) == []
    assert not await webhook.handled(forged["update_id"])


async def test_bodies_that_are_no_update_are_dropped_and_the_worker_goes_on(
    webhook: WebhookHarness,
) -> None:
    webhook.push = False
    await webhook.start()

    # Telegram retries anything but 2xx: a body that can never succeed is acknowledged and dropped.
    for body in (b"{not json", b"\xff\xfe", b"[]", b'"text"', b'{"update_id": "7"}', b"{}"):
        assert await webhook.post(body) == 200, body
    assert await webhook.post({"update_id": 5, "message": {"text": "no chat"}}) == 200
    assert await webhook.post(b"{" + b" " * MAX_BODY_BYTES + b"}") == 413

    update = webhook.fake.user_sends_text(ALEX, "/start")
    assert await webhook.post(update) == 200
    await webhook.fake.wait_for_message(ALEX, "I agree")
    assert (await webhook.get("/healthz")).status_code == 200


async def test_updates_sent_while_no_worker_listened_arrive_once_one_does(
    webhook: WebhookHarness,
) -> None:
    # The release step registered the webhook; the worker is not up yet.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        webhook.port = probe.getsockname()[1]
    webhook.fake.webhook_url, webhook.fake.webhook_secret = f"{PUBLIC_URL}/telegram", SECRET
    webhook.fake.deliver_webhook_to(f"http://127.0.0.1:{webhook.port}/telegram")
    update = webhook.fake.user_sends_text(ALEX, "/start")
    await webhook.fake.wait_for(lambda: len(webhook.fake.webhook_posts) >= 2)
    assert {status for _, status in webhook.fake.webhook_posts} == {None}  # refused: retried

    webhook.register = webhook.push = False
    await webhook.start()
    await webhook.fake.wait_for_message(ALEX, "I agree")
    # The update is handled as soon as it is accepted, so the reply may reach the fake before the
    # 200 does: wait for the fake to record it.
    await webhook.fake.wait_for(
        lambda: webhook.fake.webhook_posts[-1] == (update["update_id"], 200)
    )
    assert len(texts(webhook, ALEX, "I agree")) == 1


async def test_a_full_backlog_is_refused_for_telegram_to_retry(
    webhook: WebhookHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    webhook.push = False
    await webhook.start()
    update = webhook.fake.user_sends_text(ALEX, "/start")
    monkeypatch.setattr(handlers.webhook, "MAX_PENDING", 0)
    assert await webhook.post(update) == 503
    monkeypatch.undo()
    assert await webhook.post(update) == 200
    await webhook.fake.wait_for_message(ALEX, "I agree")
    assert len(texts(webhook, ALEX, "I agree")) == 1


async def test_a_redelivered_update_is_answered_once(webhook: WebhookHarness) -> None:
    await webhook.start()
    update = webhook.fake.user_sends_text(ALEX, "/start")
    await webhook.fake.wait_for_message(ALEX, "I agree")

    # Telegram did not see the 200 and sends it again; then the person carries on.
    webhook.fake.push_update(update)
    await webhook.say(ALEX, "/help")

    posted = [
        status
        for update_id, status in webhook.fake.webhook_posts
        if update_id == update["update_id"]
    ]
    assert posted == [200, 200]
    assert len(texts(webhook, ALEX, "I agree")) == 1


async def test_one_update_sent_to_two_workers_is_answered_once(webhook: WebhookHarness) -> None:
    webhook.push = False
    await webhook.start()
    second = WebhookHarness(webhook.fake, webhook.database_url, webhook.clock, push=False)
    second.register = False
    await second.start()
    try:
        update = webhook.fake.user_sends_text(ALEX, "/start")
        assert await webhook.post(update) == 200
        assert await second.post(update) == 200
        # Each worker handles in arrival order: once each has answered a later update, each
        # has dealt with its copy of the first one.
        for harness, user in ((webhook, SAM), (second, SAM + 1)):
            assert await harness.post(webhook.fake.user_sends_text(user, "/start")) == 200
            await webhook.fake.wait_for_message(user, "I agree")
        assert len(texts(webhook, ALEX, "I agree")) == 1
        assert await webhook.handled(update["update_id"])
    finally:
        await second.stop()


async def test_probes_say_alive_and_ready_and_readiness_follows_the_sweep(
    webhook: WebhookHarness,
) -> None:
    webhook.sweep_window = 2.0
    app = await webhook.start()
    alive = await webhook.get("/healthz")
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    await webhook.sweep_now()
    ready = await webhook.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})

    assert app.job_queue is not None
    [sweep] = app.job_queue.get_jobs_by_name(SWEEP_JOB)
    sweep.enabled = False  # the scheduler stalls: nobody would get their check-ins

    async def not_ready() -> httpx.Response | None:
        answer = await webhook.get("/readyz")
        return answer if answer.status_code == 503 else None

    stale = await webhook.fake.wait_for(not_ready, timeout=10)
    assert set(stale.json()["problems"]) == {"sweep"}
    assert (await webhook.get("/healthz")).status_code == 200

    sweep.enabled = True

    async def ready_again() -> bool:
        return (await webhook.get("/readyz")).status_code == 200

    await webhook.fake.wait_for(ready_again, timeout=10)


async def test_readyz_refuses_while_the_database_is_unreachable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/gutback"
    async with FakeBotApi() as fake:
        harness = WebhookHarness(fake, dead, FrozenClock(START), push=False)
        await harness.start()
        try:
            answer = await harness.get("/readyz")
            assert answer.status_code == 503
            assert answer.json()["problems"]["database"] == "unreachable"
            assert str(port) not in answer.text, "no connection details in a public answer"
            assert (await harness.get("/healthz")).status_code == 200
        finally:
            await harness.stop()


async def test_graceful_stop_finishes_the_update_in_hand_and_the_queued_one(
    webhook: WebhookHarness,
) -> None:
    await webhook.start()
    # Telegram asks for a one-second pause on the first reply: ALEX's update is mid-way when
    # the stop begins, and SAM's is acknowledged and waiting behind it.
    webhook.fake.fail_next("sendMessage", error_code=429, retry_after=1)
    alex = webhook.fake.user_sends_text(ALEX, "/start")
    sam = webhook.fake.user_sends_text(SAM, "/start")
    await webhook.fake.wait_for(
        lambda: [c for c in webhook.fake.calls_to("sendMessage") if c.error_code == 429]
    )
    await webhook.fake.wait_for(lambda: webhook.fake.pending_updates == 0)
    assert not webhook.fake.messages(ALEX)
    port = webhook.worker.port if webhook.worker else 0

    await webhook.stop()

    assert len(texts(webhook, ALEX, "I agree")) == 1
    assert len(texts(webhook, SAM, "I agree")) == 1
    assert await webhook.handled(alex["update_id"]) and await webhook.handled(sam["update_id"])
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.get(f"http://127.0.0.1:{port}/healthz")
