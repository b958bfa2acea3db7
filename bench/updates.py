"""Updates per second through the full PTB Application: check-in buttons vs a bare echo bot.

Run: ``/work/venv/bin/python bench/updates.py [--updates 2000] [--users 220] [--repeats 5]
[--profile]``. ``--profile`` adds two runs outside the medians: a wall-clock breakdown of a press
(with SQL statement, transaction and aiosqlite round-trip counts) and cProfile of both bots.
Exit status 1 when a sanity check fails (answers not stored as pressed, or errors logged).

Both applications talk to an in-process fake Bot API (``_fake_transport.FakeTransport``), so the
figures are the bot's own work: PTB decoding the update and encoding/decoding each Bot API call,
the handlers, the core and SQLite. Each timed update is ``Update.de_json`` (what the updater does
with a polled update) followed by ``await app.process_update(update)``, one at a time, like PTB's
default non-concurrent processing. The same is done for both applications.

How the gutback Application is built: through the real composition root
(``handlers.app.build_application``), with ``handlers.app.ApplicationBuilder`` swapped for a
subclass that adds ``.request()`` / ``.get_updates_request()`` with the fake transport just
before ``build()``. Everything else (handlers, error handler, ``ChatRateLimiter``, Runtime, engine
with its SQLite pragmas) is exactly what production builds; rebuilding the application by hand
would have to copy the composition root and could drift from it. The only setting changed is the
rate limits (very high, printed in the output), so pacing never dominates the measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import logging
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import aiosqlite.core
import sqlalchemy
from _fake_transport import FakeTransport
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

import bot.app.core
import bot.diary.checkins
import handlers.app
from bot.base.clock import FrozenClock
from bot.base.config import Settings
from bot.base.vocabulary import FOOD_GROUPS, SYMPTOMS
from bot.chat.buttons import checkin_data
from bot.chat.messenger import Sender
from bot.diary.questions import (
    BRISTOL,
    DIGESTION,
    DONE,
    FOOD,
    NONE,
    PAIN,
    QUESTIONS,
    SKIP,
    SLEEP,
    STRESS,
)
from bot.people.schedules import DEFAULT_TIMES, set_checkin_times
from bot.store.db import make_engine, make_sessions, migrate
from bot.store.models import Answer, Checkin, ProcessedUpdate, User
from handlers.app import build_application, runtime_of

TOKEN = "123456:BENCH-token"
ZONE = "Europe/Berlin"
# 18:00 UTC is 19:00 in Berlin: an evening check-in. Each repetition is the next day.
START = datetime(2026, 1, 12, 18, 0, tzinfo=UTC)
FIRST_USER = 100_000
TARGET_RATIO = 0.4  # gutback / the storing echo (same Bot API calls per update)
MAX_STATEMENTS = 4  # SQL statements per press
PRESS_GAP = timedelta(milliseconds=500)  # between two presses (2000 presses: about 17 min)
GLOBAL_RATE = 100_000.0  # messages/s overall (production default: 28)
CHAT_RATE = 1_000.0  # messages/s per chat (production: 1)
ECHO_TEXTS = (
    "porridge with berries for breakfast",
    "back is stiff this morning, maybe a 4",
    "had a pizza and a cola for lunch",
    "slept badly, woke up twice",
)

Press = tuple[str, str]  # (question, button value)


# --- logging: errors inside handlers must not pass silently ----------------------------------


class _ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = f"{record.name}: {record.getMessage()}"


# --- update payloads, shaped like what Telegram sends ------------------------------------------


def _user(uid: int) -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": f"P{uid}", "language_code": "en"}


def _sender(uid: int) -> Sender:
    return Sender(
        platform_id=uid, chat_id=uid, first_name=f"P{uid}", language_code="en", private=True
    )


class UpdateIds:
    def __init__(self) -> None:
        self._next = 0

    def __call__(self) -> int:
        self._next += 1
        return self._next


def text_update(update_id: int, uid: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": _user(uid),
            "chat": {"id": uid, "first_name": f"P{uid}", "type": "private"},
            "date": int(time.time()),
            "text": text,
        },
    }


def press_update(update_id: int, uid: int, message: dict[str, Any], data: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": _user(uid),
            "chat_instance": str(uid),
            "message": message,
            "data": data,
        },
    }


# --- the check-in presses: a realistic mix, and what each should leave in the database ---------


def press_script(u: int, day: int) -> list[Press]:
    """One person's taps through an evening check-in (all six questions), varied per person."""
    s1, s2 = SYMPTOMS[u % len(SYMPTOMS)], SYMPTOMS[(u + 3) % len(SYMPTOMS)]
    f1, f2, f3 = (FOOD_GROUPS[(u + k) % len(FOOD_GROUPS)] for k in (0, 2, 5))
    presses: list[Press] = [(PAIN, str((u + day) % 11))]
    if u % 5 == 0:
        presses.append((DIGESTION, NONE))
    elif u % 5 in (1, 2):
        presses += [(DIGESTION, f"+{s1}"), (DIGESTION, DONE)]
    else:
        presses += [(DIGESTION, f"+{s1}"), (DIGESTION, f"+{s2}"), (DIGESTION, DONE)]
    presses.append((BRISTOL, "0" if u % 9 == 0 else str(1 + (u + day) % 7)))
    if u % 3 == 0:
        presses += [(FOOD, f"+{f1}"), (FOOD, f"+{f2}"), (FOOD, f"+{f3}"), (FOOD, f"-{f2}")]
    else:
        presses += [(FOOD, f"+{f1}"), (FOOD, f"+{f2}")]
    presses.append((FOOD, DONE))
    presses.append((STRESS, str(1 + (u + day) % 5)))
    presses.append((SLEEP, SKIP if u % 11 == 0 else str(1 + (3 * u + day) % 5)))
    return presses


def expected_answers(presses: list[Press]) -> dict[str, Any]:
    """The stored answer per question after these taps (every tap here records: upsert)."""
    answers: dict[str, Any] = {}
    for question_id, value in presses:
        question = QUESTIONS[question_id]
        if value == SKIP:
            answers[question_id] = None
        elif not question.multi:
            answers[question_id] = int(value)
        elif value == NONE:
            answers[question_id] = []
        elif value == DONE:
            answers[question_id] = list(answers.get(question_id) or [])
        else:
            chosen = set(answers.get(question_id) or [])
            (chosen.add if value[0] == "+" else chosen.discard)(value[1:])
            answers[question_id] = [c for c in question.choices if c in chosen]
    return answers


def interleave(scripts: dict[int, list[Press]], limit: int) -> list[tuple[int, Press]]:
    """Round-robin over people (many chats at once, each in order), up to ``limit`` taps."""
    out: list[tuple[int, Press]] = []
    longest = max(len(s) for s in scripts.values())
    for step in range(longest):
        for uid, script in scripts.items():
            if step < len(script):
                out.append((uid, script[step]))
                if len(out) == limit:
                    return out
    return out


# --- the two applications ------------------------------------------------------------------------


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None and update.effective_message is not None
    await context.bot.send_message(
        chat_id=update.effective_chat.id, text=update.effective_message.text or ""
    )


def build_echo(handler: Any = echo) -> tuple[Application, FakeTransport]:
    transport = FakeTransport(TOKEN)
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(transport)
        .get_updates_request(FakeTransport(TOKEN))
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handler))
    return app, transport


def build_storing_echo(database_url: str) -> tuple[Application, FakeTransport]:
    """A button-press echo plus the least any diary must do: store each press in a transaction.

    It makes the Bot API calls a gutback press makes (edit the pressed message, answer the
    button: two), and stores one row (the update id, as gutback's redelivery guard writes it)
    through the same engine set-up production uses (SQLAlchemy async, aiosqlite, WAL,
    synchronous=NORMAL). It bounds what any bot that keeps every tap can reach in this stack,
    whatever its own logic costs.
    """
    sessions = make_sessions(make_engine(database_url))

    async def store_then_echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        async with sessions() as session, session.begin():
            session.add(ProcessedUpdate(update_id=update.update_id, received_at=datetime.now(UTC)))
        await context.bot.edit_message_text(
            chat_id=query.message.chat.id, message_id=query.message.message_id, text=query.data
        )
        await query.answer()

    transport = FakeTransport(TOKEN)
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(transport)
        .get_updates_request(FakeTransport(TOKEN))
        .build()
    )
    app.add_handler(CallbackQueryHandler(store_then_echo))
    return app, transport


def build_gutback(database_url: str, clock: FrozenClock) -> tuple[Application, FakeTransport]:
    transport = FakeTransport(TOKEN)
    updates_transport = FakeTransport(TOKEN)

    class BenchBuilder(ApplicationBuilder):  # type: ignore[type-arg]
        def build(self):  # type: ignore[no-untyped-def]
            super().request(transport)
            super().get_updates_request(updates_transport)
            return super().build()

    settings = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url=database_url,
        # One sweep runs just after start; none during the timed runs.
        sweep_seconds=1e6,
        global_rate_per_second=GLOBAL_RATE,
        chat_rate_per_second=CHAT_RATE,
    )
    with mock.patch.object(handlers.app, "ApplicationBuilder", BenchBuilder):
        app = build_application(settings, clock=clock, migrate_on_start=False)
    return app, transport


@contextlib.asynccontextmanager
async def running(app: Application) -> AsyncIterator[Application]:
    """Start the way the end-to-end tests do, minus the updater (updates are fed directly)."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


async def feed(
    app: Application, payloads: Iterator[dict[str, Any]], after_each: Any = None
) -> tuple[int, float]:
    """Process updates one after another; returns (count, seconds)."""
    bot = app.bot
    count = 0
    started = time.perf_counter()
    for payload in payloads:
        await app.process_update(Update.de_json(payload, bot))
        count += 1
        if after_each is not None:
            after_each()
    return count, time.perf_counter() - started


# --- one repetition of each --------------------------------------------------------------------


@dataclass
class GutbackRun:
    rate: float
    presses: int
    answers_expected: int
    answers_found: int
    mismatched: list[str] = field(default_factory=list)
    processed_updates: int = 0
    button_answers: int = 0
    api_calls: int = 0


async def echo_run(
    app: Application,
    transport: FakeTransport,
    n: int,
    ids: UpdateIds,
    around: contextlib.AbstractContextManager[object] | None = None,
) -> float:
    before = transport.calls["sendMessage"]

    def payloads() -> Iterator[dict[str, Any]]:
        for i in range(n):
            uid = FIRST_USER + i % 200
            yield text_update(ids(), uid, ECHO_TEXTS[i % len(ECHO_TEXTS)])

    with around or contextlib.nullcontext():
        count, seconds = await feed(app, payloads())
    replies = transport.calls["sendMessage"] - before
    if replies != n:
        raise SystemExit(f"echo bot replied {replies} times to {n} messages")
    return count / seconds


async def storing_run(app: Application, transport: FakeTransport, n: int, ids: UpdateIds) -> float:
    """Presses on a message with a keyboard, as gutback gets them; two Bot API calls each."""
    before = transport.calls["editMessageText"], transport.calls["answerCallbackQuery"]

    def payloads() -> Iterator[dict[str, Any]]:
        for i in range(n):
            uid = FIRST_USER + i % 200
            message = {
                "message_id": 1,
                "chat": {"id": uid, "first_name": f"P{uid}", "type": "private"},
                "date": int(time.time()),
                "text": "How is your back pain right now?",
            }
            yield press_update(ids(), uid, message, f"c:1:pain:{i % 11}")

    count, seconds = await feed(app, payloads())
    after = transport.calls["editMessageText"], transport.calls["answerCallbackQuery"]
    if (after[0] - before[0], after[1] - before[1]) != (n, n):
        raise SystemExit(f"storing echo did not edit and answer each of {n} presses")
    return count / seconds


class StatementCounter:
    """SQL statements and transactions per update, from SQLAlchemy's engine events."""

    def __init__(self, app: Application) -> None:
        self.engine = runtime_of(app).engine.sync_engine
        self.statements = 0
        self.commits = 0
        self.per_update: list[int] = []
        self.commits_per_update: list[int] = []

    def _statement(self, *_: Any) -> None:
        self.statements += 1

    def _commit(self, *_: Any) -> None:
        self.commits += 1

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        sqlalchemy.event.listen(self.engine, "before_cursor_execute", self._statement)
        sqlalchemy.event.listen(self.engine, "commit", self._commit)
        try:
            yield
        finally:
            sqlalchemy.event.remove(self.engine, "before_cursor_execute", self._statement)
            sqlalchemy.event.remove(self.engine, "commit", self._commit)

    def mark(self) -> None:
        """Called after each update: what it cost since the previous mark."""
        done = sum(self.per_update)
        self.per_update.append(self.statements - done)
        self.commits_per_update.append(self.commits - sum(self.commits_per_update))


async def onboard(app: Application, users: int, clock: FrozenClock) -> list[int]:
    """People who finished set-up, written straight to the database (not part of the bench)."""
    sessions = runtime_of(app).core.sessions
    now = clock.now()
    uids = [FIRST_USER + i for i in range(users)]
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
    return uids


async def gutback_run(
    app: Application,
    transport: FakeTransport,
    clock: FrozenClock,
    uids: list[int],
    day: int,
    n: int,
    ids: UpdateIds,
    around: contextlib.AbstractContextManager[object] | None = None,
    after_each: Any = None,
) -> GutbackRun:
    runtime = runtime_of(app)
    # Each run is the next evening, at the same hour (the presses below move the clock on).
    clock.set(START + timedelta(days=day))
    # Untimed: everyone opens today's check-in with /checkin (through the core and the transport).
    for uid in uids:
        await runtime.core.on_command(_sender(uid), "checkin")
    async with runtime.core.sessions() as session:
        rows = await session.execute(
            select(User.platform_id, Checkin.id)
            .join(Checkin, Checkin.user_id == User.id)
            .where(Checkin.status == "open", Checkin.created_at == clock.now())
        )
        checkin_of = dict(rows.all())
    if len(checkin_of) != len(uids):
        raise SystemExit(f"expected {len(uids)} open check-ins, found {len(checkin_of)}")

    scripts = {uid: press_script(uid - FIRST_USER, day) for uid in uids}
    planned = interleave(scripts, n)
    if len(planned) < n:
        raise SystemExit(f"{len(uids)} people give only {len(planned)} taps: raise --users")
    done_by: dict[int, list[Press]] = {uid: [] for uid in uids}
    for uid, press in planned:
        done_by[uid].append(press)

    def payloads() -> Iterator[dict[str, Any]]:
        for uid, (question, value) in planned:
            # Presses come a moment apart, as real ones do: a write that only restamps a time
            # (the same instant on a frozen clock) would otherwise go uncounted.
            clock.advance(PRESS_GAP)
            data = checkin_data(checkin_of[uid], question, value)
            # The message the button is on, as the person's client holds it right now.
            yield press_update(ids(), uid, transport.latest[uid], data)

    answered_before = transport.calls["answerCallbackQuery"]
    async with runtime.core.sessions() as session:
        updates_before = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    calls_before = sum(n for m, n in transport.calls.items() if m != "getUpdates")
    with around or contextlib.nullcontext():
        count, seconds = await feed(app, payloads(), after_each)
    api_calls = sum(n for m, n in transport.calls.items() if m != "getUpdates") - calls_before

    expected = {
        (checkin_of[uid], question): value
        for uid, presses in done_by.items()
        for question, value in expected_answers(presses).items()
    }
    async with runtime.core.sessions() as session:
        stored = {
            (checkin_id, question): value
            for checkin_id, question, value in (
                await session.execute(
                    select(Answer.checkin_id, Answer.question, Answer.value).where(
                        Answer.checkin_id.in_(list(checkin_of.values()))
                    )
                )
            ).all()
        }
        updates_after = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    mismatched = [
        f"check-in {key[0]} {key[1]}: stored {stored.get(key, '<none>')!r}, expected {value!r}"
        for key, value in expected.items()
        if stored.get(key, "<none>") != value
    ]
    return GutbackRun(
        rate=count / seconds,
        presses=count,
        answers_expected=len(expected),
        answers_found=len(stored),
        mismatched=mismatched,
        processed_updates=int(updates_after or 0) - int(updates_before or 0),
        button_answers=transport.calls["answerCallbackQuery"] - answered_before,
        api_calls=api_calls,
    )


# --- diagnostics (--profile): where one press spends its time ----------------------------------


@contextlib.contextmanager
def profiled(profiler: cProfile.Profile) -> Iterator[None]:
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()


class Breakdown:
    """Wall-clock time per stage of a press, and SQL work per press, for one extra run.

    Wall clock, not cProfile, because most of a press is spent waiting for aiosqlite's worker
    thread, which cProfile (main thread, CPU time per coroutine step) does not show.
    """

    def __init__(self, app: Application) -> None:
        self.app = app
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.sql: Counter[str] = Counter()
        self.total = 0.0
        self.main_thread_cpu = 0.0

    def _timed(self, name: str, function: Any) -> Any:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.calls[name] += 1

        return timed

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        runtime = runtime_of(self.app)
        core, messenger = runtime.core, runtime.core.messenger
        engine = runtime.engine.sync_engine
        listeners = {
            "before_cursor_execute": lambda *_: self.sql.update(["statements"]),
            "commit": lambda *_: self.sql.update(["commits"]),
            "rollback": lambda *_: self.sql.update(["rollbacks"]),
        }
        with contextlib.ExitStack() as stack:
            for name in ("_first_time_seen", "_run", "_deliver"):
                stack.enter_context(
                    mock.patch.object(core, name, self._timed(name, getattr(core, name)))
                )
            remember = core.postman.remember_question_messages
            stack.enter_context(
                mock.patch.object(
                    core.postman,
                    "remember_question_messages",
                    self._timed("remember_question_messages", remember),
                )
            )
            for name in ("send", "edit"):
                stack.enter_context(
                    mock.patch.object(
                        messenger, name, self._timed(f"messenger.{name}", getattr(messenger, name))
                    )
                )
            stack.enter_context(
                mock.patch.object(
                    bot.app.core,
                    "get_or_create_user",
                    self._timed("get_or_create_user", bot.app.core.get_or_create_user),
                )
            )
            for name in ("press", "load_for_press"):
                stack.enter_context(
                    mock.patch.object(
                        bot.diary.checkins,
                        name,
                        self._timed(f"checkins.{name}", getattr(bot.diary.checkins, name)),
                    )
                )
            for event_name, listener in listeners.items():
                sqlalchemy.event.listen(engine, event_name, listener)
                stack.callback(sqlalchemy.event.remove, engine, event_name, listener)
            pool_checkout = lambda *_: self.sql.update(["connection checkouts"])  # noqa: E731
            sqlalchemy.event.listen(runtime.engine.sync_engine.pool, "checkout", pool_checkout)
            stack.callback(
                sqlalchemy.event.remove, runtime.engine.sync_engine.pool, "checkout", pool_checkout
            )
            # Each aiosqlite call is one round trip to its worker thread and back.
            hop = aiosqlite.core.Connection._execute

            async def counted_hop(connection: Any, *args: Any, **kwargs: Any) -> Any:
                self.sql["aiosqlite thread round trips"] += 1
                return await hop(connection, *args, **kwargs)

            stack.enter_context(
                mock.patch.object(aiosqlite.core.Connection, "_execute", counted_hop)
            )
            started, cpu = time.perf_counter(), time.thread_time()
            yield
            self.total = time.perf_counter() - started
            self.main_thread_cpu = time.thread_time() - cpu

    def report(self, presses: int) -> None:
        def ms(seconds: float) -> str:
            return f"{seconds / presses * 1000:6.3f} ms"

        s = self.seconds
        run_own = s["_run"] - s["_first_time_seen"] - s["get_or_create_user"]
        run_own -= s["checkins.load_for_press"] + s["checkins.press"] + s["_deliver"]
        deliver_own = s["_deliver"] - s["messenger.send"] - s["messenger.edit"]
        deliver_own -= s["remember_question_messages"]
        rows = [
            ("whole press (de_json + process_update)", self.total),
            ("  core._run: _first_time_seen (INSERT update id)", s["_first_time_seen"]),
            (
                "  core._run: get_or_create_user (not on a check-in press)",
                s["get_or_create_user"],
            ),
            (
                "  core._run: load_for_press (person, check-in, answers: one SELECT)",
                s["checkins.load_for_press"],
            ),
            ("  core._run: checkins.press (upsert, render)", s["checkins.press"]),
            ("  core._run: session begin, flush (UPDATE check-in), COMMIT, close", run_own),
            ("  core._deliver: messenger.edit (PTB editMessageText)", s["messenger.edit"]),
            ("  core._deliver: messenger.send (PTB sendMessage)", s["messenger.send"]),
            (
                "  core._deliver: remember_question_messages (own txn)",
                s["remember_question_messages"],
            ),
            ("  core._deliver: rest", deliver_own),
            (
                "  PTB outside the core: de_json, dispatch, answerCallbackQuery",
                self.total - s["_run"],
            ),
        ]
        print(f"\n--- wall-clock breakdown of one gutback run, per press ({presses} presses) ---")
        for label, seconds in rows:
            print(f"{label:<66} {ms(seconds)}")
        print(
            f"{'event-loop thread busy (CPU), the rest is waiting on aiosqlite':<66} "
            f"{ms(self.main_thread_cpu)}"
        )
        counts = ", ".join(f"{name} {n / presses:.1f}" for name, n in sorted(self.sql.items()))
        print(f"per press: {counts}")


PROJECT = Path(bot.app.core.__file__).resolve().parents[2]
PACKAGES = ("sqlalchemy", "telegram", "aiosqlite", "aiolimiter", "apscheduler", "greenlet")


def _package(filename: str, name: str) -> str:
    """Which library (or project package) a profiled function belongs to."""
    if filename == "~":
        return "event loop idle (epoll)" if "poll" in name else "C built-ins"
    if filename.startswith(str(PROJECT / "bot")):
        return "gutback bot/"
    if filename.startswith(str(PROJECT / "handlers")):
        return "gutback handlers/"
    for name in PACKAGES:
        if f"/{name}/" in filename or f"site-packages/{name}" in filename:
            return name
    if "/asyncio/" in filename or "selectors" in filename:
        return "asyncio"
    return "other Python"


def print_profile(
    profiler: cProfile.Profile, updates: int, top: int, title: str, detail: bool
) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    by_package: Counter[str] = Counter()
    calls = 0
    for (filename, _, name), (_, ncalls, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_package[_package(filename, name)] += tottime
        calls += ncalls
    if detail:
        stats.sort_stats("cumulative").print_stats(r"/(bot|handlers)/", top)
        stats.sort_stats("tottime").print_stats(top)
    print(f"\n--- cProfile of one {title} run ({updates} updates), main thread only ---")
    print(f"function calls per update: {calls / updates:.0f}; own time by package (cProfile):")
    total = sum(by_package.values())
    for package, seconds in by_package.most_common():
        print(f"  {package:<44} {seconds / total:6.1%}")
    print(out.getvalue())


# --- main ----------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> int:
    errors = _ErrorCounter()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().addHandler(errors)

    profiler = cProfile.Profile() if args.profile else None
    echo_profiler = cProfile.Profile()
    breakdown: Breakdown | None = None
    with tempfile.TemporaryDirectory(prefix="gutback-bench-") as tmp:
        database_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await migrate(database_url)
        clock = FrozenClock(START)
        ids = UpdateIds()
        echo_app, echo_transport = build_echo()
        storing_url = f"sqlite+aiosqlite:///{Path(tmp) / 'storing-echo.db'}"
        await migrate(storing_url)
        storing_app, storing_transport = build_storing_echo(storing_url)
        storing_rates: list[float] = []
        gut_app, gut_transport = build_gutback(database_url, clock)
        echo_rates: list[float] = []
        gut_runs: list[GutbackRun] = []
        async with running(echo_app), running(storing_app), running(gut_app):
            sweeper = runtime_of(gut_app).sweeper
            for _ in range(100):  # let the one start-up sweep finish before measuring
                if sweeper.last_finished_count:
                    break
                await asyncio.sleep(0.05)
            uids = await onboard(gut_app, args.users, clock)
            day = 0

            async def one_gutback_run(around: Any = None, after_each: Any = None) -> GutbackRun:
                nonlocal day
                day += 1
                return await gutback_run(
                    gut_app, gut_transport, clock, uids, day, args.updates, ids, around, after_each
                )

            # Alternate the two, so drift on the machine hits both alike.
            for _ in range(args.repeats):
                echo_rates.append(await echo_run(echo_app, echo_transport, args.updates, ids))
                storing_rates.append(
                    await storing_run(storing_app, storing_transport, args.updates, ids)
                )
                gut_runs.append(await one_gutback_run())
            # Not in the medians: SQL statements per press, counted by engine events.
            counter = StatementCounter(gut_app)
            gut_runs.append(await one_gutback_run(counter(), counter.mark))
            if profiler is not None:
                await echo_run(echo_app, echo_transport, args.updates, ids, profiled(echo_profiler))
                gut_runs.append(await one_gutback_run(profiled(profiler)))
                breakdown = Breakdown(gut_app)
                gut_runs.append(await one_gutback_run(breakdown()))

    timed_runs = gut_runs[: args.repeats]
    echo = statistics.median(echo_rates)
    gut = statistics.median(run.rate for run in timed_runs)
    ratio = gut / echo
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print("updates/s through the full PTB Application (in-process fake Bot API, SQLite file)")
    print(f"  {os.cpu_count()} CPUs, load average before the report {load} (other work skews it)")
    print(
        f"  {args.updates} updates per run, {args.repeats} runs each (alternating), medians; "
        "timed per update: Update.de_json + process_update, sequential"
    )
    print(
        f"  gutback: {args.users} people, check-in button presses; ChatRateLimiter with "
        f"{GLOBAL_RATE:g}/s overall and {CHAT_RATE:g}/s per chat (production 28 and 1) so pacing "
        "does not dominate; echo: bare ApplicationBuilder, one MessageHandler, no limiter"
    )
    print(f"echo bot    {echo:8.0f} updates/s   runs: {', '.join(f'{r:.0f}' for r in echo_rates)}")
    storing = statistics.median(storing_rates)
    print(
        f"storing echo{storing:8.0f} updates/s   runs: "
        + ", ".join(f"{r:.0f}" for r in storing_rates)
        + "   (echo + one row stored per update, its own transaction)"
    )
    print(
        f"gutback     {gut:8.0f} updates/s   runs: "
        + ", ".join(f"{run.rate:.0f}" for run in timed_runs)
    )
    versus_storing = gut / storing
    verdict = "met" if versus_storing >= TARGET_RATIO else "NOT met"
    print(
        f"ratio gutback/storing echo  {versus_storing:.2f}   (target >= {TARGET_RATIO}: {verdict}; "
        "the storing echo edits the pressed message and answers the button, as a press does)"
    )
    print(
        f"ratio gutback/echo  {ratio:.2f}; storing echo/echo  {storing / echo:.2f} (a press's two "
        "calls and one stored row against one sendMessage to a text)"
    )
    per_press = counter.per_update
    commits = counter.commits_per_update
    print(
        f"SQL statements per press: mean {statistics.fmean(per_press):.2f}, median "
        f"{statistics.median(per_press):.0f}, max {max(per_press)}; "
        f"{sum(1 for n in per_press if n <= MAX_STATEMENTS) / len(per_press):.1%} of presses at "
        f"<= {MAX_STATEMENTS} (target), commits per press max {max(commits)}; by count: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(Counter(per_press).items()))
    )
    print(
        "Bot API calls per press (gutback, timed runs): "
        + ", ".join(f"{run.api_calls / run.presses:.2f}" for run in timed_runs)
    )
    ok_statements = statistics.median(per_press) <= MAX_STATEMENTS

    ok = errors.count == 0 and ok_statements
    for rep, run in enumerate(gut_runs, 1):
        good = (
            not run.mismatched
            and run.answers_found == run.answers_expected
            and run.processed_updates == run.presses
            and run.button_answers == run.presses
        )
        ok = ok and good
        values = "match" if not run.mismatched else "DIFFER"
        extra = "" if rep <= args.repeats else " (diagnostic run)"
        print(
            f"  check run {rep}{extra}: {run.presses} presses -> answers rows {run.answers_found} "
            f"(one per check-in question, toggles update theirs; expected "
            f"{run.answers_expected}, values {values}), "
            f"update ids stored {run.processed_updates}, buttons answered {run.button_answers}"
        )
        for line in run.mismatched[:5]:
            print(f"    {line}")
    if errors.count:
        print(f"  {errors.count} errors were logged; first: {errors.first}")
    if profiler is not None and breakdown is not None:
        breakdown.report(args.updates)
        print_profile(echo_profiler, args.updates, args.top, "echo", detail=False)
        print_profile(profiler, args.updates, args.top, "gutback", detail=True)
    return 0 if ok else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000, help="updates per run")
    parser.add_argument("--users", type=int, default=220, help="people answering check-ins")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="two extra gutback runs (not in the medians): cProfile, and a wall-clock breakdown",
    )
    parser.add_argument("--top", type=int, default=25, help="rows per profile table")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
