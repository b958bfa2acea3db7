"""Webhook settings and commands: one-line refusals, `set-webhook`, `run --webhook` and SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.base.config import InvalidSetting, MissingSetting, Settings
from tests.fake_bot_api import FakeBotApi
from tests.unit.gutback.test_cli import clean_env, start_gutback

SECRET = "cli-secret_abc-123"
PUBLIC_URL = "https://gutback.example.org/"


def settings(**fields: object) -> Settings:
    return Settings(_env_file=None, telegram_bot_token="1:x", **fields)


def test_the_secret_is_required_and_must_follow_telegrams_rule() -> None:
    with pytest.raises(MissingSetting, match="GUTBACK_WEBHOOK_SECRET is not set"):
        settings(webhook_url=PUBLIC_URL).require_webhook(register=True)
    for bad in ("has space", "semi;colon", "ü" * 3, "x" * 257):
        with pytest.raises(InvalidSetting, match="GUTBACK_WEBHOOK_SECRET"):
            settings(webhook_url=PUBLIC_URL, webhook_secret=SecretStr(bad)).require_webhook(
                register=True
            )
    ok = settings(webhook_url=PUBLIC_URL, webhook_secret=SecretStr("A-z_0" * 51 + "9"))
    assert ok.require_webhook(register=True) == "A-z_0" * 51 + "9"


def test_the_url_is_needed_only_where_the_webhook_is_registered() -> None:
    worker = settings(webhook_secret=SecretStr(SECRET))
    assert worker.require_webhook(register=False) == SECRET
    with pytest.raises(MissingSetting, match="GUTBACK_WEBHOOK_URL is not set"):
        worker.require_webhook(register=True)
    plain = settings(webhook_secret=SecretStr(SECRET), webhook_url="http://gutback.example.org")
    with pytest.raises(InvalidSetting, match="https://"):
        plain.require_webhook(register=True)


def test_endpoint_joins_url_and_path_and_the_path_cannot_be_a_probe() -> None:
    configured = settings(
        webhook_secret=SecretStr(SECRET), webhook_url=PUBLIC_URL, webhook_path="hook-7f3a"
    )
    assert configured.webhook_endpoint == "https://gutback.example.org/hook-7f3a"
    for path in ("/healthz", "/readyz", "/", "/hook/{id}", "/hook?x=1", "/a b"):
        with pytest.raises(InvalidSetting, match="GUTBACK_WEBHOOK_PATH"):
            settings(webhook_secret=SecretStr(SECRET), webhook_path=path).require_webhook(
                register=False
            )


def test_the_secret_never_shows_in_a_repr() -> None:
    configured = settings(webhook_secret=SecretStr(SECRET))
    assert SECRET not in repr(configured) and SECRET not in str(configured)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({}, "GUTBACK_WEBHOOK_SECRET"),
        ({"GUTBACK_WEBHOOK_SECRET": "not allowed!"}, "GUTBACK_WEBHOOK_SECRET"),
        ({"GUTBACK_WEBHOOK_SECRET": SECRET}, "GUTBACK_WEBHOOK_URL"),
    ],
)
def test_run_webhook_without_what_it_needs_stops_with_one_line(
    tmp_path: Path, extra: dict[str, str], named: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--webhook"],
        cwd=tmp_path,
        env=clean_env(tmp_path, TELEGRAM_BOT_TOKEN="1:x", **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]
    assert "not allowed!" not in result.stderr, "a rejected secret is not echoed either"


async def test_set_webhook_registers_url_and_secret(tmp_path: Path) -> None:
    async with FakeBotApi() as fake:
        env = clean_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_URL=fake.base_url,
            GUTBACK_WEBHOOK_URL=PUBLIC_URL,
            GUTBACK_WEBHOOK_SECRET=SECRET,
        )
        process = await start_gutback(tmp_path, env, "set-webhook")
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().strip() == "webhook set: https://gutback.example.org/telegram"
    assert fake.webhook_url == "https://gutback.example.org/telegram"
    assert fake.webhook_secret == SECRET
    assert SECRET not in stdout.decode() + stderr.decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_run_webhook_answers_updates_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    async with FakeBotApi() as fake:
        env = clean_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_URL=fake.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}",
            GUTBACK_WEBHOOK_URL=PUBLIC_URL,
            GUTBACK_WEBHOOK_SECRET=SECRET,
            GUTBACK_WEBHOOK_PORT=str(port),
        )
        process = await start_gutback(tmp_path, env, "run", "--webhook")
        try:
            await fake.wait_for(lambda: fake.webhook_url, timeout=30)
            fake.deliver_webhook_to(f"http://127.0.0.1:{port}/telegram")
            fake.user_sends_text(77, "/start")
            await fake.wait_for_message(77, "I agree", timeout=15)
            async with httpx.AsyncClient() as http:
                ready = await http.get(f"http://127.0.0.1:{port}/readyz")
            assert ready.status_code == 200, ready.text
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "webhook worker stopping" in log
    assert fake.token not in log and SECRET not in log
    assert not fake.calls_to("deleteWebhook"), "a stopping worker leaves the webhook to the others"


async def test_run_webhook_with_a_refused_token_stops_without_logging_it(tmp_path: Path) -> None:
    async with FakeBotApi() as fake:
        refused = "999999:RefusedTokenThatMustNeverBeLogged"
        env = clean_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=refused,
            TELEGRAM_API_URL=fake.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}",
            GUTBACK_WEBHOOK_URL=PUBLIC_URL,
            GUTBACK_WEBHOOK_SECRET=SECRET,
            GUTBACK_WEBHOOK_PORT=str(free_port()),
        )
        process = await start_gutback(tmp_path, env, "run", "--webhook")
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    log = stderr.decode()
    assert process.returncode != 0
    assert "Telegram refused TELEGRAM_BOT_TOKEN" in log
    assert refused not in log and "RefusedTokenThatMustNeverBeLogged" not in log
