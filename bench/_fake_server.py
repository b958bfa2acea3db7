"""The tests' fake Bot API (``tests/fake_bot_api.py``) in a process of its own, for benchmarks.

Why a separate process: a flood-limit benchmark must see sends when they reach the server, not
when the bot's event loop gets round to handling both sides. In its own process the fake keeps its
own clock and its own CPU time, as Telegram would. For the same reason it asks for a higher CPU
priority where it may (as root): on a busy machine a server process that waits 50 ms for a core
stamps the sends that queued meanwhile as if they came together, a burst the bot never sent.
Telegram's servers do not share a core with the bot; the bot keeps its normal priority, so its
own delays stay in the figures.

Protocol (used by ``FakeServer`` below): the child prints one JSON line with ``base_url`` and
``token`` once it listens; when its standard input closes it prints one JSON line with what it
saw (successful sends with their arrival times, 429s, calls per method) and exits.

    python bench/_fake_server.py [--rate 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})


class FakeServer:
    """Starts ``_fake_server.py`` as a child process; ``report()`` stops it and returns its log."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._process: asyncio.subprocess.Process | None = None
        self.base_url = ""
        self.token = ""

    async def start(self) -> None:
        args = [sys.executable, str(HERE)]
        if self.rate is not None:
            args += ["--rate", str(self.rate)]
        self._process = await asyncio.create_subprocess_exec(
            *args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, limit=2**26
        )
        assert self._process.stdout is not None
        ready = json.loads(await self._process.stdout.readline())
        self.base_url, self.token = ready["base_url"], ready["token"]

    async def report(self) -> dict[str, Any]:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        process.stdin.close()
        line = await process.stdout.readline()
        await process.wait()
        self._process = None
        return json.loads(line)

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()
        self._process = None


async def serve(rate: float | None) -> None:
    with contextlib.suppress(PermissionError):
        os.nice(-10)
    sys.path.insert(0, str(ROOT))
    from tests.fake_bot_api import FakeBotApi

    async with FakeBotApi(rate_limit_per_second=rate) as fake:
        print(json.dumps({"base_url": fake.base_url, "token": fake.token}), flush=True)
        # Serve until the parent closes our standard input.
        await asyncio.to_thread(sys.stdin.read)
        sends = [
            [call.params.get("chat_id"), call.at]
            for call in fake.calls
            if call.method.lower() in SEND_METHODS and call.error_code is None
        ]
        methods = Counter(f"{call.method}:{call.error_code or 'ok'}" for call in fake.calls)
        report = {
            "rate_limit_per_second": rate,
            "rejected_429": fake.rejected_429,
            "sends": sends,
            "calls": dict(methods),
        }
    print(json.dumps(report), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=None, help="sends per second (429 beyond)")
    args = parser.parse_args()
    asyncio.run(serve(args.rate))


if __name__ == "__main__":
    main()
