"""The composition root: one place that builds the running bot from ``Settings``."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.app.core import GutBack
from bot.base.clock import Clock, SystemClock
from bot.base.config import Settings
from bot.base.logs import install_log_redaction
from bot.delivery.sweep import Sweeper
from bot.privacy.retention import remove_expired
from bot.safety.screen import screen
from bot.store.db import is_unavailable, make_engine, make_sessions, migrate_in_child
from handlers.messenger import TelegramMessenger
from handlers.processor import PerChatProcessor
from handlers.rate_limit import ChatRateLimiter
from handlers.telegram import menu_commands, register
from handlers.updates import TolerantUpdatesRequest

log = logging.getLogger(__name__)

SWEEP_JOB = "gutback-sweep"
HOUSEKEEPING_EVERY = 100  # sweeps between clean-ups of remembered update ids


@dataclass
class Runtime:
    """What the handlers and the jobs share, kept in ``application.bot_data``."""

    settings: Settings
    engine: AsyncEngine
    core: GutBack
    sweeper: Sweeper
    sweeps: int = 0
    # Real (monotonic) time, not the injected clock: readiness is about this process being alive,
    # and tests freeze the clock.
    started_at: float = field(default_factory=time.monotonic)
    last_sweep_at: float | None = None

    def seconds_since_sweep(self) -> float:
        """Since the sweep last finished or moved on a batch, or since start while none has yet.

        A sweep still working through a large fan-out is alive; one stuck in a batch is not.
        """
        marks = [m for m in (self.last_sweep_at, self.sweeper.progressed_at) if m is not None]
        return time.monotonic() - max(marks, default=self.started_at)


def migrates_at_start(settings: Settings, migrate_on_start: bool | None = None) -> bool:
    """Whether ``gutback run`` upgrades the schema itself: SQLite by default, PostgreSQL never.

    Several PostgreSQL workers must never race a migration: there ``gutback migrate`` is a
    release step, and a start that does not migrate checks the schema instead (gutback.cli).
    """
    if migrate_on_start is not None:
        return migrate_on_start
    return settings.auto_migrate and settings.is_sqlite


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate_on_start: bool | None = None,
    per_chat: bool = True,
) -> Application:
    """The running bot. ``per_chat=False`` handles updates one at a time, as PTB does by
    default (only ``bench/latency.py`` asks for it, to print the baseline beside the figures)."""
    token = settings.require_token()
    clock = clock or SystemClock()
    # No log record may carry a database error's message (it can quote stored values).
    install_log_redaction()
    application = (
        ApplicationBuilder()
        .token(token)
        # Chats side by side, each chat's updates in order (handlers/processor.py).
        .concurrent_updates(PerChatProcessor() if per_chat else False)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_api_url.replace("/bot", "/file/bot"))
        # One update PTB cannot parse must not stop polling for everyone (see handlers/updates.py).
        .get_updates_request(TolerantUpdatesRequest(connection_pool_size=1))
        .rate_limiter(
            ChatRateLimiter(
                overall_per_second=settings.global_rate_per_worker,
                chat_per_second=settings.chat_rate_per_second,
            )
        )
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    engine = make_engine(settings.database_url, timeout=settings.db_timeout_seconds)
    sessions = make_sessions(engine)
    messenger = TelegramMessenger(application.bot)
    core = GutBack(sessions, messenger, clock)
    sweeper = Sweeper(
        sessions,
        messenger,
        clock,
        grace=timedelta(hours=settings.grace_hours),
        batch=settings.sweep_batch,
        takeover=timedelta(seconds=settings.takeover_seconds),
    )
    application.bot_data["runtime"] = Runtime(settings, engine, core, sweeper)
    application.bot_data["migrate"] = migrates_at_start(settings, migrate_on_start)
    register(application, core)
    return application


def runtime_of(application: Application) -> Runtime:
    return application.bot_data["runtime"]


async def _post_init(application: Application) -> None:
    runtime = runtime_of(application)
    if application.bot_data.get("migrate"):
        await migrate_in_child(runtime.settings.database_url)
    # Compile the safety screen's patterns now, not inside the first person's message.
    await asyncio.to_thread(screen, "")
    await application.bot.set_my_commands(menu_commands())
    assert application.job_queue is not None
    application.job_queue.run_repeating(
        _sweep,
        interval=runtime.settings.sweep_seconds,
        first=0.1,
        name=SWEEP_JOB,
        # APScheduler 3 silently drops a run that starts over 1 s late by default; a reminder
        # sweep must never be dropped, and must never overlap itself.
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )


async def _post_shutdown(application: Application) -> None:
    await runtime_of(application).engine.dispose()


async def _sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
    runtime = runtime_of(context.application)
    try:
        await runtime.sweeper.run_once()
        runtime.last_sweep_at = time.monotonic()
        runtime.sweeps += 1
        if runtime.sweeps % HOUSEKEEPING_EVERY == 1:
            await runtime.core.forget_old_updates()
            await remove_expired(
                runtime.core.sessions, runtime.core.clock.now(), runtime.settings.retention_days
            )
    except Exception as error:
        # A failed sweep (database away, say) is retried at the next tick; nothing is lost
        # because nothing was claimed.
        if is_unavailable(error):
            log.warning(
                "sweep skipped: database unavailable; retrying at the next tick",
                extra={"error": type(error).__name__},
            )
        else:
            log.exception("sweep failed; retrying at the next tick")
