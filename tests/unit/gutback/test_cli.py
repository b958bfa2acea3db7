"""The command line: clear failure without a token, and `gutback run` against a Bot API server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from sqlalchemy import make_url

from bot.store.db import alembic_config
from tests.conftest import POSTGRES_SKIP, POSTGRES_URL
from tests.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[3]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "GUTBACK_"))}
    env.pop("DATABASE_URL", None)
    env.update(extra)
    return env


async def start_gutback(
    tmp_path: Path, env: dict[str, str], *args: str
) -> asyncio.subprocess.Process:
    """``python -m bot <args>`` in ``tmp_path`` with ``env``, its output captured."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def test_run_without_token_names_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0]


@pytest.mark.parametrize("module", ["gutback", "bot"])
def test_both_module_entry_points_are_the_same_command_line(tmp_path: Path, module: str) -> None:
    """``python -m gutback`` is the command line; ``python -m bot`` still hands over to it."""
    result = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: gutback")
    assert "run" in result.stdout and "migrate" in result.stdout


async def test_gutback_run_migrates_a_fresh_database_polls_and_answers_start(
    tmp_path: Path,
) -> None:
    async with FakeBotApi() as fake:
        env = clean_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_URL=fake.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}",
        )
        process = await start_gutback(tmp_path, env, "run")
        try:
            fake.user_sends_text(77, "/start")
            welcome = await fake.wait_for_message(77, "I agree", timeout=30)
            assert "gutback" in welcome.text
        finally:
            process.terminate()
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert (tmp_path / "fresh.db").exists()
        assert fake.token not in stderr.decode(), "the token must never be logged"


async def test_run_stops_with_one_clear_line_when_the_schema_cannot_be_brought_up_to_date(
    tmp_path: Path,
) -> None:
    async with FakeBotApi() as fake:
        env = clean_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_URL=fake.base_url,
            # A database file in a folder that does not exist cannot be created or upgraded.
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'gutback.db'}",
        )
        process = await start_gutback(tmp_path, env, "run")
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    last = stderr.decode().strip().splitlines()[-1]
    assert last.startswith("gutback: could not bring the database schema up to date:"), last
    assert fake.calls_to("getUpdates") == []  # it never started answering on a broken schema


def test_chat_goes_through_onboarding_and_a_checkin_without_a_token(tmp_path: Path) -> None:
    typed = "\n".join(
        [
            "/start",
            "a",  # I agree
            "Lisbon",
            "a",  # 08:00 and 20:00
            "/checkin",
            "h",  # pain 7
            "a",  # bloating
            "i",  # done ("None of these" stays in its place, h, after a tick)
        ]
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        input=typed + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "I agree" in out
    assert "Europe/Lisbon" in out
    assert "All set" in out
    assert "(updated) Check-in for" in out  # one check-in message, edited in place
    assert "Back pain: 7/10 · Digestion: Bloating" in out
    assert "Bristol" in out
    assert (tmp_path / "gutback-chat.db").exists()


@pytest.fixture
def empty_postgres(tmp_path: Path) -> Iterator[str]:
    """A PostgreSQL database of its own with nothing in it (dropped afterwards)."""
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    server = make_url(POSTGRES_URL)
    name = f"gutback_test_{os.getpid()}_empty"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.postgres
@pytest.mark.parametrize("args", [("run",), ("run", "--no-migrate")])
async def test_run_on_an_empty_postgresql_stops_at_start_naming_gutback_migrate(
    tmp_path: Path, empty_postgres: str, args: tuple[str, ...]
) -> None:
    """No schema: one line naming the fix, exit 2, and no update is polled or answered."""
    async with FakeBotApi() as fake:
        env = clean_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_URL=fake.base_url,
            DATABASE_URL=empty_postgres,
        )
        fake.user_sends_text(77, "/start")
        process = await start_gutback(tmp_path, env, *args)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    lines = stderr.decode().strip().splitlines()
    assert lines == ["gutback: the database schema is missing: run `gutback migrate` first"], lines
    assert fake.calls_to("getUpdates") == []
    assert fake.calls_to("sendMessage") == []


@pytest.mark.postgres
async def test_run_on_a_postgresql_schema_older_than_this_release_stops_at_start(
    tmp_path: Path, empty_postgres: str
) -> None:
    """Migrated to the first revision only: the same one line, before anything is served."""
    await asyncio.to_thread(command.upgrade, alembic_config(empty_postgres), "0001")
    async with FakeBotApi() as fake:
        env = clean_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_URL=fake.base_url,
            DATABASE_URL=empty_postgres,
            GUTBACK_WEBHOOK_URL="https://bot.example.org",
            GUTBACK_WEBHOOK_SECRET="s3cret-for-the-test",
            GUTBACK_WEBHOOK_PORT="0",
        )
        process = await start_gutback(tmp_path, env, "run", "--webhook")
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    last = stderr.decode().strip().splitlines()[-1]
    assert last == (
        "gutback: the database schema is older than this release: run `gutback migrate` first"
    )
    assert fake.calls_to("setWebhook") == [] and fake.calls_to("sendMessage") == []
