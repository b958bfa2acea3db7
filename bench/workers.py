"""Webhook workers on PostgreSQL: updates/s handled by one and by two ``gutback run --webhook``.

Run: ``python bench/workers.py [--users 100] [--repeats 3] [--postgres URL]`` (the server URL
defaults to ``GUTBACK_BENCH_POSTGRES_URL``, then ``GUTBACK_TEST_POSTGRES_URL``, then
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``). Exit status 1 when a sanity check fails.

What runs where:

- PostgreSQL: a fresh database ``gutback_bench_workers_<pid>``, schema by
  ``python -m gutback migrate`` (the release step), dropped at the end.
- Two worker processes, each ``python -m gutback run --webhook --no-migrate`` exactly as deployed,
  with ``GUTBACK_WEBHOOK_REGISTER=false`` (the release step registers), sweeps every hour (the
  one at start-up runs; none during the timed runs), and sending limits raised (printed) so
  pacing does not dominate. Both run all the time; "one worker" sends every update to the first.
- This process plays Telegram: an aiohttp Bot API that answers the workers' calls
  (``_fake_transport.FakeTransport``'s answers, over real HTTP) and the load, which POSTs
  updates with the secret header to the workers, round-robin for two.

The load: per run, a fresh set of people (onboarded in the database, untimed), all at once; each
sends ``/checkin``, taps through the evening check-in (the presses of ``bench/updates.py``) and
sends one diary line, one update at a time, waiting for the bot's answer before the next, like a
person does. An update counts as handled when the bot's answer for it reached the fake Bot API:
``answerCallbackQuery`` for a press (the handler's last call), the first message for a text.
Afterwards every posted update id must be in ``processed_updates`` exactly once.

One and two alternate, so drift on the machine hits both alike; the figures are medians. The
machine's CPU use during each run is printed too, because on a small shared machine the ratio
says as much about spare cores as about the workers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from _fake_transport import FakeTransport
from _population import scratch_postgres
from aiohttp import web
from sqlalchemy import func, select
from updates import ECHO_TEXTS, press_script, press_update, text_update

from bot.app.presses import parse
from bot.chat.buttons import CheckinPress, checkin_data
from bot.people.schedules import DEFAULT_TIMES, set_checkin_times
from bot.store.db import make_engine, make_sessions
from bot.store.models import ProcessedUpdate, User
from handlers.webhook import SECRET_HEADER

TOKEN = "123456:BENCH-token"
SECRET = "bench-secret_0123456789"
ZONE = "Europe/Berlin"
TARGET_RATIO = 1.6
QUIET_OTHERS = 0.25  # cores used by other work beyond which the output warns
GLOBAL_RATE = "100000"  # messages/s overall (production default: 28)
CHAT_RATE = "1000"  # messages/s per chat (production: 1)
UPDATE_TIMEOUT = 60.0
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


# --- the Telegram side: a Bot API over HTTP, and who is waiting for which answer --------------


class FakeTelegram:
    """The Bot API the workers call; resolves the load's waits when the bot answers."""

    def __init__(self) -> None:
        self.transport = FakeTransport(TOKEN)
        self.unknown: Counter[str] = Counter()
        self._by_query: dict[str, asyncio.Future[None]] = {}
        self._by_chat: dict[int, asyncio.Future[None]] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def expect_answer(self, query_id: str) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        self._by_query[query_id] = future
        return future

    def expect_message(self, chat_id: int) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        self._by_chat[chat_id] = future
        return future

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(await request.post())
        if isinstance(params.get("reply_markup"), str):
            params["reply_markup"] = json.loads(params["reply_markup"])
        result = self.transport._answer(method, params)  # the same answers as the in-process bench
        self.transport.calls[method] += 1
        if result is None:
            self.unknown[method] += 1
            body = {"ok": False, "error_code": 404, "description": "Not Found"}
            return web.json_response(body, status=404)
        if method == "answerCallbackQuery":
            _resolve(self._by_query.pop(str(params.get("callback_query_id")), None))
        elif method in ("sendMessage", "editMessageText"):
            _resolve(self._by_chat.pop(int(params["chat_id"]), None))
        return web.json_response({"ok": True, "result": result})


def _resolve(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


# --- workers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"


def start_worker(database_url: str, api_url: str, log_dir: Path, number: int) -> Worker:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "GUTBACK_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api_url,
        DATABASE_URL=database_url,
        GUTBACK_WEBHOOK_SECRET=SECRET,
        GUTBACK_WEBHOOK_REGISTER="false",
        GUTBACK_WEBHOOK_LISTEN="127.0.0.1",
        GUTBACK_WEBHOOK_PORT=str(port),
        GUTBACK_SWEEP_SECONDS="3600",
        GUTBACK_GLOBAL_RATE=GLOBAL_RATE,
        GUTBACK_CHAT_RATE=CHAT_RATE,
        GUTBACK_LOG_LEVEL="WARNING",
    )
    log = log_dir / f"worker-{number}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gutback", "run", "--webhook", "--no-migrate"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Worker(process, port, log)


async def wait_ready(http: aiohttp.ClientSession, worker: Worker, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise SystemExit(f"worker exited at start:\n{worker.log.read_text()[-2000:]}")
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(f"http://127.0.0.1:{worker.port}/readyz") as answer:
                if answer.status == 200:
                    return
        await asyncio.sleep(0.2)
    raise SystemExit(f"worker not ready within {timeout:g}s:\n{worker.log.read_text()[-2000:]}")


def stop_worker(worker: Worker) -> int:
    if worker.process.poll() is None:
        worker.process.send_signal(signal.SIGTERM)
        try:
            worker.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()
    return worker.process.returncode


# --- CPU accounting (Linux /proc) ---------------------------------------------------------------


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process on this machine (0 where /proc hides them)."""
    total = 0.0
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if comm.read_text().strip() == "postgres":
                total += process_cpu(int(comm.parent.name))
    return total


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


# --- the load -----------------------------------------------------------------------------------


async def onboard(database_url: str, first: int, count: int) -> list[int]:
    """People who finished set-up, written straight to the database (not part of the timing)."""
    engine = make_engine(database_url)
    sessions = make_sessions(engine)
    now = datetime.now(UTC)
    uids = list(range(first, first + count))
    try:
        async with sessions() as session, session.begin():
            for uid in uids:
                user = User(
                    platform_id=uid,
                    chat_id=uid,
                    onboarding_step="done",
                    consented_at=now,
                    timezone=ZONE,
                    active=True,
                    paused=False,
                    created_at=now,
                    updated_at=now,
                )
                session.add(user)
                await session.flush()
                await set_checkin_times(session, user, list(DEFAULT_TIMES), now)
    finally:
        await engine.dispose()
    return uids


@dataclass
class Load:
    telegram: FakeTelegram
    http: aiohttp.ClientSession
    targets: list[str]
    update_ids: Iterator[int]
    posted: list[int] = field(default_factory=list)
    refused: Counter[int] = field(default_factory=Counter)
    _round_robin: Iterator[str] = field(init=False)

    def __post_init__(self) -> None:
        self._round_robin = itertools.cycle(self.targets)

    async def send(self, payload: dict[str, Any], answered: asyncio.Future[None]) -> None:
        """POST like Telegram (retrying a non-2xx answer), then wait for the bot's answer."""
        self.posted.append(int(payload["update_id"]))
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
        while True:
            async with self.http.post(next(self._round_robin), data=body, headers=headers) as r:
                if r.status == 200:
                    break
                self.refused[r.status] += 1
            await asyncio.sleep(0.05)
        async with asyncio.timeout(UPDATE_TIMEOUT):
            await answered

    async def text(self, uid: int, text: str) -> None:
        answered = self.telegram.expect_message(uid)
        payload = text_update(next(self.update_ids), uid, text)
        if text.startswith("/"):  # what a client marks as a command
            length = len(text.split()[0])
            payload["message"]["entities"] = [
                {"type": "bot_command", "offset": 0, "length": length}
            ]
        await self.send(payload, answered)

    async def person(self, uid: int, script_number: int) -> None:
        await self.text(uid, "/checkin")
        latest = self.telegram.transport.latest[uid]
        buttons = latest["reply_markup"]["inline_keyboard"]
        pressed = parse(buttons[0][0]["callback_data"])
        if not isinstance(pressed, CheckinPress):
            raise SystemExit(f"/checkin did not show check-in buttons: {pressed!r}")
        for question, value in press_script(script_number, day=1):
            update_id = next(self.update_ids)
            message = self.telegram.transport.latest[uid]
            data = checkin_data(pressed.checkin_id, question, value)
            answered = self.telegram.expect_answer(str(update_id))
            await self.send(press_update(update_id, uid, message, data), answered)
        await self.text(uid, ECHO_TEXTS[script_number % len(ECHO_TEXTS)])


@dataclass
class Run:
    workers: int
    updates: int
    seconds: float
    machine_busy: float
    worker_cpu: float
    bench_cpu: float
    postgres_cpu: float

    @property
    def other_cpu(self) -> float:
        """Cores busy with work outside this bench (other people's), by difference."""
        used = self.machine_busy * (os.cpu_count() or 1)
        return max(0.0, used - self.worker_cpu - self.bench_cpu - self.postgres_cpu)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


async def one_run(
    telegram: FakeTelegram,
    http: aiohttp.ClientSession,
    workers: list[Worker],
    database_url: str,
    uids: list[int],
    update_ids: Iterator[int],
) -> tuple[Run, Load]:
    load = Load(telegram, http, [w.url for w in workers], update_ids)
    busy0, total0 = machine_ticks()
    cpu0 = [process_cpu(w.process.pid) for w in workers]
    own0 = time.process_time()
    pg0 = postgres_cpu()
    started = time.perf_counter()
    await asyncio.gather(*(load.person(uid, uid % 1000) for uid in uids))
    seconds = time.perf_counter() - started
    busy1, total1 = machine_ticks()
    worker_cpu = sum(process_cpu(w.process.pid) - c for w, c in zip(workers, cpu0, strict=True))
    run = Run(
        workers=len(workers),
        updates=len(load.posted),
        seconds=seconds,
        machine_busy=(busy1 - busy0) / max(1, total1 - total0),
        worker_cpu=worker_cpu / seconds,
        bench_cpu=(time.process_time() - own0) / seconds,
        postgres_cpu=(postgres_cpu() - pg0) / seconds,
    )
    return run, load


async def recorded(database_url: str, update_ids: list[int]) -> int:
    """How many of these update ids the workers recorded (after a short settle for stragglers)."""
    engine = make_engine(database_url)
    try:
        async with make_sessions(engine)() as session:
            count = 0
            for _ in range(50):
                count = await session.scalar(
                    select(func.count())
                    .select_from(ProcessedUpdate)
                    .where(ProcessedUpdate.update_id.in_(update_ids))
                )
                if count == len(update_ids):
                    break
                await asyncio.sleep(0.1)
            return int(count or 0)
    finally:
        await engine.dispose()


# --- database of our own ------------------------------------------------------------------------


def migrate(database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "GUTBACK_"))}
    env["DATABASE_URL"] = database_url
    subprocess.run(
        [sys.executable, "-m", "gutback", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


# --- main ---------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> int:
    load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    runs: list[Run] = []
    problems: list[str] = []
    posted_total = recorded_total = 0
    telegram = FakeTelegram()
    await telegram.start()
    async with contextlib.AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(scratch_postgres(args.postgres, "workers"))
        migrate(database_url)
        log_dir = Path(stack.enter_context(_temp_dir()))
        workers = [start_worker(database_url, telegram.base_url, log_dir, n) for n in (1, 2)]
        stack.callback(lambda: [stop_worker(w) for w in workers])
        stack.push_async_callback(telegram.stop)
        http = await stack.enter_async_context(
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        )
        for worker in workers:
            await wait_ready(http, worker)

        update_ids = itertools.count(1)
        first_uid = 500_000
        plan = [1, 2] * args.repeats
        if args.warmup:
            plan = [1, 2, *plan]
        for index, count in enumerate(plan):
            uids = await onboard(database_url, first_uid, args.users)
            first_uid += args.users
            run, load = await one_run(
                telegram, http, workers[:count], database_url, uids, update_ids
            )
            stored = await recorded(database_url, load.posted)
            if args.warmup and index < 2:
                continue
            runs.append(run)
            posted_total += len(load.posted)
            recorded_total += stored
            if stored != len(load.posted):
                problems.append(f"run {index}: {stored} of {len(load.posted)} updates recorded")
            if load.refused:
                print(f"  note: run {index} saw refusals (retried): {dict(load.refused)}")

        exits = [stop_worker(w) for w in workers]
        if any(code != 0 for code in exits):
            problems.append(f"workers exited with {exits} on SIGTERM (expected 0)")
        for worker in workers:
            errors = [line for line in worker.log.read_text().splitlines() if " ERROR " in line]
            if errors:
                problems.append(f"worker log has {len(errors)} errors; first: {errors[0][:200]}")
        if telegram.unknown:
            problems.append(f"calls the fake Bot API does not know: {dict(telegram.unknown)}")

    one = [r for r in runs if r.workers == 1]
    two = [r for r in runs if r.workers == 2]
    rate_one = statistics.median(r.rate for r in one)
    rate_two = statistics.median(r.rate for r in two)
    ratio = rate_two / rate_one
    per_person = len(press_script(0, 1)) + 2
    print("webhook workers on PostgreSQL: updates/s handled, one worker vs two (round-robin)")
    print(
        f"  {os.cpu_count()} CPUs shared with other people's work on this machine; load average "
        f"before {load_before}, after {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(
        "  workers: `python -m gutback run --webhook --no-migrate` processes; fake Telegram "
        "(Bot API and load) in this one process; PostgreSQL on the same machine"
    )
    print(
        f"  load per run: {args.users} fresh people at once, each one update at a time (about "
        f"{per_person}: /checkin, check-in presses, a diary line), waiting for the answer; "
        f"sending limits {GLOBAL_RATE}/s overall, {CHAT_RATE}/s per chat (production 28 and 1)"
    )
    print(f"  {args.repeats} runs each, alternating, medians")
    for label, group, rate in (("one worker ", one, rate_one), ("two workers", two, rate_two)):
        print(
            f"{label}  {rate:7.0f} updates/s   runs: " + ", ".join(f"{r.rate:.0f}" for r in group)
        )
    print(f"  CPU during the runs (medians, in cores of {os.cpu_count()}):")
    median = statistics.median
    for label, group in (("one worker ", one), ("two workers", two)):
        print(
            f"    {label}  machine busy {median(r.machine_busy for r in group):.0%}: "
            f"workers {median(r.worker_cpu for r in group):.2f}, "
            f"PostgreSQL {median(r.postgres_cpu for r in group):.2f}, "
            f"fake Telegram {median(r.bench_cpu for r in group):.2f}, "
            f"other people's work {median(r.other_cpu for r in group):.2f}; "
            f"worker CPU per update {median(r.worker_cpu / r.rate * 1000 for r in group):.1f} ms"
        )
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(f"ratio two/one  {ratio:.2f}   (target >= {TARGET_RATIO}: {verdict})")
    others = median(r.other_cpu for r in runs)
    if others > QUIET_OTHERS:
        print(
            f"  note: other work took a median {others:.2f} cores of {os.cpu_count()} during the "
            "runs; two workers need about twice the CPU of one, so on a busy machine the ratio "
            "measures free cores more than the workers: rerun when the machine is quiet"
        )
    print(
        f"  check: {recorded_total} of {posted_total} posted updates recorded in "
        f"processed_updates; Bot API calls {dict(telegram.transport.calls)}"
    )
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    return 1 if problems else 0


@contextlib.contextmanager
def _temp_dir() -> Iterator[str]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="gutback-workers-") as path:
        yield path


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="people per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, alternating")
    parser.add_argument(
        "--no-warmup", dest="warmup", action="store_false", help="skip the untimed first pair"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("GUTBACK_BENCH_POSTGRES_URL")
        or os.environ.get("GUTBACK_TEST_POSTGRES_URL")
        or DEFAULT_SERVER,
        help="PostgreSQL server to create the bench database on",
    )
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
