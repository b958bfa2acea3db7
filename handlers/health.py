"""Is this process fit to take traffic? The checks behind the webhook server's ``/readyz``.

A worker is ready when its database answers a trivial query quickly and its scheduler sweep has
finished recently. The second check matters because a process whose job queue died still answers
HTTP happily while nobody gets their check-ins: a probe that only pings the database would keep
such a worker in rotation forever.

Reasons are short fixed phrases with numbers, never exception text: a driver's error message can
carry a host name, a user name or worse, and the probe answer is served to whoever can reach it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import ping

log = logging.getLogger(__name__)

#: How long the database may take to answer ``SELECT 1`` before the worker counts as not ready.
DATABASE_TIMEOUT = 2.0
#: Sweeps missed before the worker counts as not ready, plus slack for one slow sweep and start-up.
SWEEP_PERIODS = 3
SWEEP_SLACK = 10.0


def sweep_window(sweep_seconds: float) -> float:
    """Seconds without a finished sweep after which a worker is not ready."""
    return SWEEP_PERIODS * sweep_seconds + SWEEP_SLACK


@dataclass(frozen=True)
class Readiness:
    ready: bool
    problems: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        if self.ready:
            return {"status": "ready"}
        return {"status": "not ready", "problems": self.problems}


async def database_problem(engine: AsyncEngine, timeout: float = DATABASE_TIMEOUT) -> str | None:  # noqa: ASYNC109 - the probe's own deadline
    """``None`` when the database answers ``SELECT 1`` within ``timeout``, else why not."""
    try:
        async with asyncio.timeout(timeout):
            await ping(engine)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except Exception as error:
        # The class name only: the message may hold connection details.
        log.warning("readiness: database check failed", extra={"error": type(error).__name__})
        return "unreachable"
    return None


def sweep_problem(seconds_since_sweep: float, window: float) -> str | None:
    if seconds_since_sweep <= window:
        return None
    return f"last finished {seconds_since_sweep:.0f} s ago (limit {window:g} s)"


async def readiness(
    engine: AsyncEngine,
    *,
    seconds_since_sweep: float,
    window: float,
    running: bool = True,
    database_timeout: float = DATABASE_TIMEOUT,
) -> Readiness:
    problems: dict[str, str] = {}
    if not running:
        problems["bot"] = "stopping"
    database = await database_problem(engine, database_timeout)
    if database is not None:
        problems["database"] = database
    sweep = sweep_problem(seconds_since_sweep, window)
    if sweep is not None:
        problems["sweep"] = sweep
    return Readiness(not problems, problems)
