"""Webhook mode: Telegram POSTs each update to this process instead of the bot long-polling.

A small Starlette app served by uvicorn in the same event loop as the PTB ``Application``:

- ``POST <GUTBACK_WEBHOOK_PATH>``: checks ``X-Telegram-Bot-Api-Secret-Token`` in constant time
  (403 when wrong or missing), puts the update on ``application.update_queue`` and answers 200 at
  once; the Application handles it afterwards exactly as it would a polled update. Telegram
  retries every non-2xx answer, so a body that can never succeed (not JSON, not an update) is
  answered 200 and dropped with a log line that says nothing of its content.
- ``GET /healthz``: 200 while the process serves HTTP (liveness).
- ``GET /readyz``: 200 only when the database answers and a sweep finished recently
  (``handlers.health``), 503 with the reasons otherwise (readiness: take the worker out of
  rotation).

Why a server of our own rather than PTB's ``run_webhook``: PTB's tornado server cannot serve the
probes, and here the PTB lifecycle hangs off the ASGI lifespan, so the order on SIGTERM is right
by construction: uvicorn stops accepting connections and finishes the requests in hand, then the
lifespan's shutdown runs ``Application.stop()``, which handles every update still queued, waits
for the one in progress and for running jobs, and only then the engine is disposed.

Redeliveries (Telegram retrying an update whose 200 it did not see, or two workers getting the
same update) are absorbed by the core, which records each ``update_id`` in the action's own
transaction. An update acknowledged with 200 is first written to the inbox (``handlers.inbox``),
so a worker killed with SIGKILL loses none of them: its next start, or another worker after
``GUTBACK_TAKEOVER_SECONDS``, handles them. Only while the database is away are updates kept in
memory alone (SIGTERM still drains them; SIGKILL loses them). The backlog is capped: beyond
``MAX_PENDING`` waiting updates the answer is 503, so Telegram holds on to them (and a balancer
may try another worker).

Slow or hostile clients cannot hold the worker: request headers must arrive within
``HEADER_SECONDS`` and the body within ``BODY_SECONDS`` (then the connection is closed), idle
keep-alive connections close after ``KEEP_ALIVE_SECONDS``, at most ``MAX_CONNECTIONS`` are
served at once (503 beyond), a client that goes away mid-request is one log line, and a body
nested deeper than ``MAX_DEPTH`` (no update is) is dropped like any other non-update.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import h11
import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Bot, Update
from telegram.error import InvalidToken
from telegram.ext import Application
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.base.config import Settings
from bot.store.db import MigrationFailed
from handlers import health
from handlers.app import runtime_of
from handlers.inbox import WebhookInbox, worker_name
from handlers.telegram import ALLOWED_UPDATES

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Telegram's updates are a few kilobytes; anything this large is not one.
MAX_BODY_BYTES = 1 << 20
#: Updates acknowledged but not yet handled, beyond which new ones are refused with 503.
MAX_PENDING = 1000
#: How long uvicorn waits for requests in hand at shutdown (they only enqueue, so this is ample).
HTTP_DRAIN_SECONDS = 10
#: Seconds a client has to send a request's line and headers, then its body (Telegram takes ms).
HEADER_SECONDS = 10.0
BODY_SECONDS = 10.0
#: Seconds an idle keep-alive connection stays open.
KEEP_ALIVE_SECONDS = 5
#: Connections served at once (Telegram opens at most 100, 40 by default); 503 beyond.
MAX_CONNECTIONS = 200
#: JSON nesting allowed in a body; an update is nested less than 20 deep.
MAX_DEPTH = 64


def create_app(
    application: Application,
    settings: Settings,
    *,
    sweep_window: float | None = None,
) -> Starlette:
    """The ASGI app; its lifespan starts and stops ``application``."""
    secret = settings.require_webhook(register=False).encode("ascii")
    if sweep_window is None:
        sweep_window = health.sweep_window(settings.sweep_seconds)
    runtime = runtime_of(application)
    inbox = WebhookInbox(
        application,
        runtime.core.sessions,
        worker_name(settings.webhook_port),
        settings.takeover_seconds,
    )

    async def receive_update(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode("latin-1")
        if not hmac.compare_digest(given, secret):
            client = request.client.host if request.client else None
            log.warning("webhook call refused: wrong or missing secret", extra={"client": client})
            return Response(status_code=403)
        try:
            async with asyncio.timeout(BODY_SECONDS):
                body = await _body_within(request, MAX_BODY_BYTES)
        except TimeoutError:
            log.warning("webhook call cut off: body too slow", extra={"seconds": BODY_SECONDS})
            return Response(status_code=408, headers={"Connection": "close"})
        except ClientDisconnect:
            log.info("webhook client went away before sending the whole body")
            return Response(status_code=400)
        if body is None:
            log.warning("webhook call refused: body over the size limit")
            return Response(status_code=413, headers={"Connection": "close"})
        parsed = _update_from(body, application.bot)
        if parsed is None:
            # Retrying cannot fix it, and a non-2xx answer would make Telegram retry it forever.
            log.warning("webhook body dropped: not a Telegram update", extra={"size": len(body)})
            return Response(status_code=200)
        if not application.running:
            return Response(status_code=503)
        pending = application.update_queue.qsize()
        if pending >= MAX_PENDING:
            log.warning("webhook busy: refused, Telegram retries", extra={"pending": pending})
            return Response(status_code=503)
        update, data = parsed
        await inbox.accept(update, data)
        return Response(status_code=200)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        result = await health.readiness(
            runtime.engine,
            seconds_since_sweep=runtime.seconds_since_sweep(),
            window=sweep_window,
            running=application.running,
        )
        return JSONResponse(result.as_json(), status_code=200 if result.ready else 503)

    routes = [
        Route(settings.webhook_path, receive_update, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=_lifespan(application, inbox))


async def _body_within(request: Request, limit: int) -> bytes | None:
    """The request body, or ``None`` as soon as it is known to be over ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _update_from(body: bytes, bot: Bot) -> tuple[Update, dict[str, Any]] | None:
    """The update and its JSON, or ``None`` for anything that is not one (never raises)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON, or nested deeper than the parser goes
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return None
    if nesting_depth(data) > MAX_DEPTH:
        return None
    try:
        return Update.de_json(data, bot), data
    except Exception:
        return None


def nesting_depth(data: Any) -> int:
    """How deeply lists and objects nest in parsed JSON (without recursion: it may be deep)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class StartupFailed(RuntimeError):
    """Start-up failed; the message is safe to log (no token, no connection details)."""


def _lifespan(application: Application, inbox: WebhookInbox):  # type: ignore[no-untyped-def]
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            await start_application(application)
            await _replay(inbox)
        except InvalidToken:
            # PTB's message quotes the token, and uvicorn would log it with the traceback.
            raise StartupFailed("Telegram refused TELEGRAM_BOT_TOKEN") from None
        except MigrationFailed as error:
            reason = f"could not bring the database schema up to date: {error}"
            raise StartupFailed(reason) from None
        except Exception as error:
            raise StartupFailed(f"could not start: {type(error).__name__}") from None
        try:
            yield
        finally:
            await stop_application(application)

    return lifespan


async def _replay(inbox: WebhookInbox) -> None:
    """Before the first request: queue what a killed run left in the inbox, then tend it."""
    try:
        await inbox.replay()
    except Exception as error:
        # The database is away: the next tending (or another worker) takes them over.
        log.warning("inbox not replayed at start", extra={"error": type(error).__name__})
    inbox.schedule()


async def start_application(application: Application) -> None:
    """What ``run_polling`` does before polling, minus the updater."""
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
    except BaseException:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        raise


async def stop_application(application: Application) -> None:
    """Handle what is queued and in progress, stop the jobs, then release everything."""
    if application.running:
        log.info("webhook worker stopping: finishing updates in hand")
        await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


async def register_webhook(bot: Bot, settings: Settings) -> None:
    """Tell Telegram where to send updates, with the secret it must send back."""
    secret = settings.require_webhook(register=True)
    await bot.set_webhook(
        url=settings.webhook_endpoint,
        secret_token=secret,
        allowed_updates=ALLOWED_UPDATES,
        # Updates Telegram holds while no worker answered are still wanted.
        drop_pending_updates=False,
    )
    log.info("webhook registered with Telegram")


async def set_webhook_once(settings: Settings) -> None:
    """``gutback set-webhook``: the release step that registers the webhook for all workers."""
    bot = Bot(settings.require_token(), base_url=settings.telegram_api_url)
    async with bot:
        await register_webhook(bot, settings)


class SlowClientGuard(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request headers come too slowly.

    uvicorn bounds idle keep-alive connections but not a request that is still arriving: a
    client sending its headers a byte at a time would hold the connection for good.
    """

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _watch_headers(self) -> None:
        """Headers are awaited while h11 waits for a request; the clock starts with its first byte
        (or the connection)."""
        waiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if waiting and self._header_timer is None:
            self._header_timer = self.loop.call_later(HEADER_SECONDS, self._headers_too_slow)
        elif not waiting:
            self._stop_header_timer()

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.warning("webhook call cut off: headers too slow", extra={"seconds": HEADER_SECONDS})
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Between requests the keep-alive timeout applies; the next request's first byte
        # starts the header clock again.
        self._stop_header_timer()


class _Server(uvicorn.Server):
    """uvicorn, minus re-raising the stop signal after a clean shutdown.

    uvicorn re-raises SIGTERM once it has finished, which ends the process as "killed by signal"
    even though every update was handled; here the process exits normally instead. Tests run the
    server inside pytest, where no signal handler may be installed at all.
    """

    def __init__(self, config: uvicorn.Config, *, handle_signals: bool) -> None:
        super().__init__(config)
        self.handle_signals = handle_signals
        self.listening = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.listening.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if not self.handle_signals:
            yield
            return
        import signal

        loop = asyncio.get_running_loop()
        handled = (signal.SIGINT, signal.SIGTERM)
        for sig in handled:
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)


class WebhookWorker:
    """One webhook worker: the HTTP server and the Application it feeds."""

    def __init__(
        self,
        application: Application,
        settings: Settings,
        *,
        handle_signals: bool = True,
        sweep_window: float | None = None,
    ) -> None:
        self.application = application
        self.settings = settings
        self.app = create_app(application, settings, sweep_window=sweep_window)
        config = uvicorn.Config(
            self.app,
            host=settings.webhook_listen,
            port=settings.webhook_port,
            lifespan="on",
            log_config=None,  # keep gutback's logging (no request lines: they carry the path)
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=HTTP_DRAIN_SECONDS,
            http=SlowClientGuard,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            limit_concurrency=MAX_CONNECTIONS,
        )
        self.server = _Server(config, handle_signals=handle_signals)

    @property
    def port(self) -> int:
        """The port actually listened on (``GUTBACK_WEBHOOK_PORT=0`` picks a free one)."""
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    async def run(self, *, register: bool) -> None:
        """Serve until asked to stop (signal or :meth:`stop`); register once listening."""
        serving = asyncio.create_task(self.server.serve())
        listening = asyncio.create_task(self.server.listening.wait())
        await asyncio.wait({serving, listening}, return_when=asyncio.FIRST_COMPLETED)
        listening.cancel()
        if serving.done():
            await serving  # start-up failed: uvicorn has said why
            return
        log.info(
            "webhook worker listening",
            extra={"host": self.settings.webhook_listen, "port": self.port},
        )
        if register:
            # Only now: Telegram starts calling as soon as the webhook is set.
            try:
                await register_webhook(self.application.bot, self.settings)
            except BaseException:
                self.stop()
                await serving
                raise
        await serving

    def stop(self) -> None:
        """Begin a graceful stop, as SIGTERM does."""
        self.server.should_exit = True
