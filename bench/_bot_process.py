"""Run the real ``gutback run`` as a child process against the tests' fake Bot API.

For the benchmarks that measure the process itself (start-up time, peak memory): the bot is
started exactly as an operator starts it, with settings in the environment, in an empty working
directory (so no stray ``.env`` is read), and the fake Bot API serves it from the benchmark's own
process on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_bot_api import FakeBotApi  # noqa: E402

__all__ = ["FakeBotApi", "bot_command", "bot_env", "memory_kib", "running_bot"]


def bot_command(*args: str) -> list[str]:
    """``gutback ARGS`` through the installed console script, else ``python -m gutback``."""
    script = Path(sys.executable).with_name("gutback")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "gutback", *args]


def bot_env(fake: FakeBotApi, database_url: str, **settings: str) -> dict[str, str]:
    """The environment minus any gutback settings of the caller's, plus the ones given."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GUTBACK_", "TELEGRAM_")) and key != "DATABASE_URL"
    }
    env.update(
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_URL=fake.base_url,
        DATABASE_URL=database_url,
        GUTBACK_LOG_LEVEL="WARNING",
    )
    env.update(settings)
    return env


@contextlib.asynccontextmanager
async def running_bot(
    command: list[str], env: dict[str, str], cwd: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start the bot; on the way out stop it as systemd would (SIGTERM), then kill if it hangs."""
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=cwd, stdin=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


def memory_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` (now) and ``VmHWM`` (the peak so far) of a live process, in KiB."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found
