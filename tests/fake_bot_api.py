"""A small fake of the Telegram Bot API served over real HTTP for end-to-end tests.

Why a fake server instead of mocking PTB: the bot talks to Telegram only through HTTP, so a fake
that speaks the same wire format lets the real ``telegram.ext.Application`` (request encoding,
de_json, error mapping, the updater's offset handling) run unmodified. The fake keeps Telegram's
rules that catch real bugs: text and callback_data limits, "message is not modified", HTML and
MarkdownV2 parse errors, blocked users (403), flood control (429 with ``retry_after``), and
at-least-once update delivery confirmed by the ``offset`` of a later ``getUpdates``.

Everything runs in the test's event loop; state changes happen between awaits, so no locks.

Usage::

    async with FakeBotApi() as fake:
        app = (
            ApplicationBuilder()
            .token(fake.token)
            .base_url(fake.base_url)
            .base_file_url(fake.base_file_url)
            .build()
        )
        ...
        fake.user_sends_text(42, "/start")
        reply = await fake.wait_for_message(42, "Welcome")

Webhook mode: once the bot has called ``setWebhook`` and the test has said where the bot listens
(``deliver_webhook_to``, standing in for the TLS proxy that maps the public URL to the worker),
the fake POSTs each queued update there with the registered secret, in order, and like Telegram
retries any update that did not get a 2xx answer.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import html
import inspect
import itertools
import json
import re
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

__all__ = ["BotMessage", "Call", "FakeBotApi", "UploadedFile"]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

# Parameters Telegram reads as integers, JSON objects or booleans. Form-encoded requests (what PTB
# sends) carry every value as a string; JSON requests carry them typed.
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "cache_time",
        "message_thread_id",
        "reply_to_message_id",
        "max_connections",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "commands",
        "scope",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
    }
)
# Methods that put a new message in a chat: these obey flood control and blocking.
_SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})
# Methods that act on a chat the user may have blocked.
_CHAT_METHODS = _SEND_METHODS | frozenset(
    {
        "sendchataction",
        "editmessagetext",
        "editmessagereplymarkup",
        "editmessagecaption",
        "deletemessage",
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """A Bot API error answer: raised inside method handlers, turned into the error envelope."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (what ``InputFile`` became on the wire)."""

    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes)"


@dataclass
class Call:
    """One Bot API request as the fake received it. ``error_code`` is None when it succeeded."""

    method: str
    params: dict[str, Any]
    at: float
    error_code: int | None = None


@dataclass
class BotMessage:
    """The bot's message in a chat as the user currently sees it (edits applied)."""

    message_id: int
    chat_id: int
    text: str | None
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    kind: str = "text"
    file_bytes: bytes | None = None
    filename: str | None = None
    reply_keyboard: dict[str, Any] | None = None
    edits: int = 0
    date: int = 0
    raw_text: str | None = None
    parse_mode: str | None = None
    inline_markup: dict[str, Any] | None = None
    file_id: str | None = None
    mime_type: str | None = None
    deleted: bool = False

    @property
    def button_data(self) -> list[str]:
        """Every callback_data on the inline keyboard, row by row."""
        return [data for row in self.buttons for _, data in row]

    @property
    def button_labels(self) -> list[str]:
        return [label for row in self.buttons for label, _ in row]

    def data_for(self, label_contains: str) -> str:
        """The callback_data of the first button whose label contains the string."""
        for label, data in (b for row in self.buttons for b in row):
            if label_contains in label:
                return data
        raise AssertionError(f"no button containing {label_contains!r} in {self.buttons!r}")

    @property
    def requests_location(self) -> bool:
        """True when this message showed a reply keyboard with a share-location button."""
        rows = (self.reply_keyboard or {}).get("keyboard", [])
        return any(isinstance(b, dict) and b.get("request_location") for r in rows for b in r)


@dataclass
class _Queued:
    update: dict[str, Any]
    redelivery: bool = False
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass
class _Fault:
    error_code: int
    description: str
    retry_after: int | None


@dataclass
class _Event:
    """One change to a chat's bot messages (a send or an edit), with the text at that moment."""

    chat_id: int
    message: BotMessage
    text: str | None


class FakeBotApi:
    """A fake Telegram Bot API server on 127.0.0.1 with a random free port."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-token",
        rate_limit_per_second: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.rate_limit_per_second = rate_limit_per_second
        self._clock = clock
        bot_id = int(token.split(":", 1)[0])
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Gutback Test",
            "username": "gutback_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.rejected_429 = 0
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_allowed_updates: list[str] | None = None
        #: Every webhook POST as (update_id, HTTP status, or None when the connection failed).
        self.webhook_posts: list[tuple[int, int | None]] = []
        self.webhook_retry_seconds = 0.05

        self._webhook_target: str | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._stopping = False
        self._queue: list[_Queued] = []
        self._next_update_id = 1
        self._poll_generation = 0
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._faults: dict[str, collections.deque[_Fault]] = collections.defaultdict(
            collections.deque
        )
        self._blocked: set[int] = set()
        self._send_times: collections.deque[float] = collections.deque()
        self._chat_msg_ids: dict[int, itertools.count[int]] = {}
        self._existing_ids: dict[int, set[int]] = collections.defaultdict(set)
        self._bot_messages: dict[int, dict[int, BotMessage]] = collections.defaultdict(dict)
        self._reply_keyboards: dict[int, dict[str, Any] | None] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._open_queries: dict[str, dict[str, Any]] = {}
        self._answered_queries: set[str] = set()
        self._events: list[_Event] = []
        self._read_pos: dict[int, int] = collections.defaultdict(int)
        self._files: dict[str, UploadedFile] = {}
        self._command_sets: dict[tuple[str, str], list[dict[str, Any]]] = {}

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._require_port()}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self._require_port()}/file/bot"

    def _require_port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a long poll whose client went away must not keep "delivering".
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        self._stopping = False
        await site.start()

    async def stop(self) -> None:
        """Stop serving; pending long polls return an empty result at once."""
        self._stopping = True
        self._pulse_wake()
        if self._pusher is not None:
            pusher, self._pusher = self._pusher, None
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pusher
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ users acting

    def user_sends_text(
        self, user_id: int, text: str, *, first_name: str = "Alex", language_code: str = "en"
    ) -> dict[str, Any]:
        """The user types a message in their private chat with the bot."""
        self._remember_user(user_id, first_name, language_code)
        message = self._user_message(user_id, user_id, text=text)
        return self._queue_update({"message": message})

    def user_presses(self, user_id: int, message_id: int, callback_data: str) -> dict[str, Any]:
        """The user presses an inline button on the bot's message (any data: clients can forge)."""
        chat_id = user_id
        bot_message = self._bot_messages.get(chat_id, {}).get(message_id)
        if bot_message is None or bot_message.deleted:
            raise AssertionError(f"chat {chat_id} has no bot message {message_id} to press on")
        query_id = str(uuid.uuid4().int >> 64)
        self._open_queries[query_id] = {"chat_id": chat_id, "message_id": message_id}
        query = {
            "id": query_id,
            "from": self._user_dict(user_id),
            "message": self._message_dict(bot_message),
            "chat_instance": str(abs(hash(("chat_instance", chat_id)))),
            "data": callback_data,
        }
        return self._queue_update({"callback_query": query})

    def user_sends_location(
        self, user_id: int, latitude: float, longitude: float
    ) -> dict[str, Any]:
        """The user shares a location (e.g. from a request_location keyboard button)."""
        message = self._user_message(
            user_id, user_id, location={"latitude": latitude, "longitude": longitude}
        )
        return self._queue_update({"message": message})

    def user_sends_sticker(self, user_id: int) -> dict[str, Any]:
        sticker = {
            "file_id": f"sticker-{uuid.uuid4().hex[:12]}",
            "file_unique_id": uuid.uuid4().hex[:8],
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "\N{THUMBS UP SIGN}",
        }
        return self._queue_update(
            {"message": self._user_message(user_id, user_id, sticker=sticker)}
        )

    def user_sends_voice(self, user_id: int) -> dict[str, Any]:
        voice = {
            "file_id": f"voice-{uuid.uuid4().hex[:12]}",
            "file_unique_id": uuid.uuid4().hex[:8],
            "duration": 3,
            "mime_type": "audio/ogg",
            "file_size": 4096,
        }
        return self._queue_update({"message": self._user_message(user_id, user_id, voice=voice)})

    def user_sends_in_group(self, user_id: int, group_chat_id: int, text: str) -> dict[str, Any]:
        """The user writes in a group the bot is in (group ids are negative)."""
        if group_chat_id >= 0:
            raise ValueError("group chat ids are negative")
        message = self._user_message(user_id, group_chat_id, text=text)
        return self._queue_update({"message": message})

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update again, as Telegram redelivers one it thinks was not confirmed.

        It is delivered once even if its update_id is below the bot's current offset. Push it
        when the queue is drained, or the bot's offset may move backwards and refetch others.
        """
        self._queue.append(_Queued(json.loads(json.dumps(update)), redelivery=True))
        self._pulse_wake()
        self._pulse_changed()
        return update

    # ------------------------------------------------------------------ webhook delivery

    def deliver_webhook_to(self, address: str) -> None:
        """POST updates to ``address`` (e.g. ``http://127.0.0.1:8443/telegram``) while a webhook
        is set, as Telegram POSTs to the registered URL."""
        self._webhook_target = address
        if self._pusher is None:
            self._pusher = asyncio.create_task(self._push_updates())
        self._pulse_wake()

    async def _push_updates(self) -> None:
        # One update at a time, oldest first: ordered and easy to reason about in tests.
        async with aiohttp.ClientSession() as http:
            while not self._stopping:
                queued = self._next_to_push()
                if queued is None:
                    wake = self._wake
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(0.5):
                            await wake.wait()
                    continue
                status: int | None = None
                headers = {"Content-Type": "application/json"}
                if self.webhook_secret:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
                try:
                    async with http.post(
                        str(self._webhook_target), data=json.dumps(queued.update), headers=headers
                    ) as answer:
                        status = answer.status
                except aiohttp.ClientError:
                    status = None
                self.webhook_posts.append((queued.update_id, status))
                if status is not None and 200 <= status < 300:
                    if queued in self._queue:
                        self._queue.remove(queued)
                else:
                    await asyncio.sleep(self.webhook_retry_seconds)
                self._pulse_changed()

    def _next_to_push(self) -> _Queued | None:
        if not (self.webhook_url and self._webhook_target):
            return None
        allowed = self.webhook_allowed_updates
        for queued in list(self._queue):
            if allowed and _update_kind(queued.update) not in allowed:
                self._queue.remove(queued)
                continue
            return queued
        return None

    def send_raw(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update of any shape (malformed ones too) under the next update_id."""
        return self._queue_update(json.loads(json.dumps(payload)))

    def withdraw(self, update: dict[str, Any]) -> dict[str, Any]:
        """Take a queued update back before any poll fetched it, and return it.

        For handing an update to another worker directly, the way a load balancer in front of
        several webhook workers would. Call it right after queueing, before the next await.
        """
        for queued in self._queue:
            if queued.update_id == update["update_id"] and not queued.delivered:
                self._queue.remove(queued)
                return update
        raise AssertionError(f"update {update['update_id']} was already fetched")

    # ------------------------------------------------------------------ recording views

    def messages(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in a chat, oldest first, edits applied, deleted ones left out."""
        return [m for m in self._bot_messages.get(chat_id, {}).values() if not m.deleted]

    def last_message(self, chat_id: int) -> BotMessage | None:
        found = self.messages(chat_id)
        return found[-1] if found else None

    def reply_keyboard_of(self, chat_id: int) -> dict[str, Any] | None:
        """The reply keyboard the user sees now (None when none was sent or it was removed)."""
        return self._reply_keyboards.get(chat_id)

    def calls_to(self, method: str) -> list[Call]:
        wanted = method.lower()
        return [c for c in self.calls if c.method.lower() == wanted]

    @property
    def pending_updates(self) -> int:
        return len(self._queue)

    # ------------------------------------------------------------------ waiting

    async def wait_for(
        self,
        predicate: Callable[[], Any | Awaitable[Any]],
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the whole wait, not one call
    ) -> Any:
        """Wait until ``predicate()`` is truthy (it may be async) and return its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"condition not met within {timeout}s\n{self.describe_recent_calls()}"
                )
            # Wake on any API activity, and poll too: the predicate may read the database.
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, 0.05)):
                    await changed.wait()

    async def wait_for_message(
        self,
        chat_id: int,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> BotMessage:
        """The next new or edited bot message in the chat whose text contains ``contains``.

        Reads the chat's sends and edits as a stream: each call starts after the change the
        previous call returned, so the same change is never returned twice, and changes made
        before this call (but after the last match) still count.
        """

        def find() -> BotMessage | None:
            for index in range(self._read_pos[chat_id], len(self._events)):
                event = self._events[index]
                if event.chat_id != chat_id:
                    continue
                if contains is None or (event.text is not None and contains in event.text):
                    self._read_pos[chat_id] = index + 1
                    return event.message
            return None

        try:
            return await self.wait_for(find, timeout=timeout)
        except AssertionError:
            seen = [(m.message_id, m.text) for m in self.messages(chat_id)]
            raise AssertionError(
                f"no bot message containing {contains!r} in chat {chat_id} within {timeout}s; "
                f"messages there now: {seen!r}\n{self.describe_recent_calls()}"
            ) from None

    async def wait_updates_consumed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every queued update was fetched and confirmed by a later offset."""
        try:
            await self.wait_for(lambda: not self._queue, timeout=timeout)
        except AssertionError:
            ids = [q.update_id for q in self._queue]
            raise AssertionError(
                f"updates {ids} not confirmed within {timeout}s\n{self.describe_recent_calls()}"
            ) from None

    def describe_recent_calls(self, count: int = 20) -> str:
        lines = [f"last {min(count, len(self.calls))} of {len(self.calls)} API calls:"]
        for call in self.calls[-count:]:
            status = "ok" if call.error_code is None else f"error {call.error_code}"
            lines.append(f"  {call.method} [{status}] {_short(call.params)}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        retry_after: int = 1,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` answer this error (429 carries retry_after)."""
        if description is None:
            if error_code == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}")
        fault = _Fault(error_code, description, retry_after if error_code == 429 else None)
        self._faults[method.lower()].extend([fault] * times)

    def block_chat(self, chat_id: int) -> None:
        self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    # ------------------------------------------------------------------ HTTP layer

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = Call(method, {}, time.monotonic())
        self.calls.append(call)
        try:
            call.params = await _read_params(request)
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            result = await self._dispatch(method, call.params)
        except ApiError as err:
            call.error_code = err.code
            body: dict[str, Any] = {
                "ok": False,
                "error_code": err.code,
                "description": err.description,
            }
            if err.retry_after is not None:
                body["parameters"] = {"retry_after": err.retry_after}
            self._pulse_changed()
            return web.json_response(body, status=err.code)
        self._pulse_changed()
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            raise web.HTTPUnauthorized()
        stored = self._files.get(request.match_info["path"])
        if stored is None:
            raise web.HTTPNotFound()
        return web.Response(body=stored.data, content_type=stored.content_type)

    async def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        name = method.lower()
        handler = self._handlers().get(name)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        faults = self._faults.get(name)
        if faults:
            fault = faults.popleft()
            raise ApiError(fault.error_code, fault.description, fault.retry_after)
        if name in _SEND_METHODS:
            self._check_rate_limit()
        if name in _CHAT_METHODS:
            self._check_chat(params)
        return await handler(params)

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "editmessagecaption": self._edit_message_caption,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "sendchataction": self._send_chat_action,
            "getfile": self._get_file,
            "close": self._true,
            "logout": self._true,
        }

    def _check_rate_limit(self) -> None:
        if self.rate_limit_per_second is None:
            return
        now = time.monotonic()
        while self._send_times and now - self._send_times[0] >= 1.0:
            self._send_times.popleft()
        if len(self._send_times) >= self.rate_limit_per_second:
            self.rejected_429 += 1
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._send_times.append(now)

    def _check_chat(self, params: dict[str, Any]) -> None:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self._blocked:
            if chat_id < 0:
                raise ApiError(403, "Forbidden: bot was kicked from the group chat")
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    # ------------------------------------------------------------------ methods

    async def _true(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot_user)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0, int(params.get("timeout") or 0))
        allowed = params.get("allowed_updates") or None
        # Telegram answers an older long poll with 409 when a newer one arrives.
        self._poll_generation += 1
        generation = self._poll_generation
        self._pulse_wake()
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ready = [q for q in self._queue if not (q.redelivery and q.delivered)]
            if allowed:
                for queued in [q for q in ready if _update_kind(q.update) not in allowed]:
                    self._queue.remove(queued)
                ready = [q for q in ready if _update_kind(q.update) in allowed]
            if ready:
                batch = ready[:limit]
                for queued in batch:
                    queued.delivered = True
                return [q.update for q in batch]
            if generation != self._poll_generation:
                raise ApiError(409, _DEFAULT_DESCRIPTIONS[409])
            remaining = deadline - loop.time()
            if self._stopping or remaining <= 0:
                return []
            wake = self._wake
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await wake.wait()

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            # A negative offset keeps only the last -offset updates.
            keep = self._queue[offset:]
            self._queue = keep
            return
        if offset == 0:
            return
        self._queue = [
            q
            for q in self._queue
            if not (q.update_id < offset and (q.delivered or not q.redelivery))
        ]

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        self.webhook_secret = None
        if params.get("drop_pending_updates"):
            self._queue.clear()
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        self.webhook_url = url
        self.webhook_secret = str(params.get("secret_token") or "") or None
        self.webhook_allowed_updates = params.get("allowed_updates") or None
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self._pulse_wake()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, 'Bad Request: parameter "commands" is required')
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands specified")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command"))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "").strip()) <= 256:
                raise ApiError(400, "Bad Request: command description is empty")
        self._command_sets[_commands_key(params)] = commands
        self.commands = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self._command_sets.get(_commands_key(params), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._command_sets.pop(_commands_key(params), None)
        return True

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params["chat_id"]
        text = _render_text(params.get("text"), params.get("parse_mode"), limit=TEXT_LIMIT)
        message = BotMessage(
            message_id=0,
            chat_id=chat_id,
            text=text,
            raw_text=str(params.get("text")),
            parse_mode=params.get("parse_mode"),
        )
        self._apply_markup(message, params.get("reply_markup"), on_send=True)
        self._check_reply_target(chat_id, params)
        return self._store_new(message)

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(params, "photo")

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(params, "document")

    def _send_media(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        chat_id = params["chat_id"]
        source = params.get(kind)
        if isinstance(source, str) and source.startswith("attach://"):
            source = params.get(source.removeprefix("attach://"))
        if source is None or source == "":
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        caption = None
        if params.get("caption"):
            caption = _render_text(
                params["caption"], params.get("parse_mode"), limit=CAPTION_LIMIT, caption=True
            )
        message = BotMessage(
            message_id=0,
            chat_id=chat_id,
            text=caption,
            kind=kind,
            raw_text=params.get("caption"),
            parse_mode=params.get("parse_mode"),
        )
        if isinstance(source, UploadedFile):
            if not source.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            message.file_bytes = source.data
            message.filename = source.filename
            message.mime_type = source.content_type
            message.file_id = f"{kind}-{uuid.uuid4().hex}"
            self._files[f"{kind}s/{message.file_id}"] = source
        else:
            message.file_id = str(source)
        self._apply_markup(message, params.get("reply_markup"), on_send=True)
        self._check_reply_target(chat_id, params)
        return self._store_new(message)

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        if not params.get("action"):
            raise ApiError(400, "Bad Request: action is empty")
        return True

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_to_edit(params)
        if message.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = _render_text(params.get("text"), params.get("parse_mode"), limit=TEXT_LIMIT)
        return self._apply_edit(message, text, params, raw_text=str(params.get("text")))

    async def _edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_to_edit(params)
        if message.kind == "text":
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption = None
        if params.get("caption"):
            caption = _render_text(
                params["caption"], params.get("parse_mode"), limit=CAPTION_LIMIT, caption=True
            )
        return self._apply_edit(message, caption, params, raw_text=params.get("caption"))

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_to_edit(params)
        return self._apply_edit(message, message.text, params, raw_text=message.raw_text)

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        message = self._bot_messages.get(params["chat_id"], {}).get(params.get("message_id", -1))
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        message.deleted = True
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_queries or query_id in self._answered_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(str(params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._answered_queries.add(query_id)
        self.callback_answers.append(params)
        return True

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        for path, stored in self._files.items():
            if path.endswith("/" + file_id):
                return {
                    "file_id": file_id,
                    "file_unique_id": file_id[-8:],
                    "file_size": len(stored.data),
                    "file_path": path,
                }
        raise ApiError(400, "Bad Request: invalid file_id")

    # ------------------------------------------------------------------ message helpers

    def _message_to_edit(self, params: dict[str, Any]) -> BotMessage:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self._bot_messages.get(params["chat_id"], {}).get(message_id)
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _apply_edit(
        self, message: BotMessage, text: str | None, params: dict[str, Any], raw_text: str | None
    ) -> dict[str, Any]:
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        markup = params.get("reply_markup") or None
        if markup is not None and "inline_keyboard" not in markup:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        if markup is not None:
            _validate_inline(markup)
        if text == message.text and _same_markup(markup, message.inline_markup):
            raise ApiError(400, _NOT_MODIFIED)
        message.text = text
        message.raw_text = raw_text
        message.parse_mode = params.get("parse_mode", message.parse_mode)
        message.inline_markup = markup
        message.buttons = _buttons(markup)
        message.edits += 1
        self._record_event(message)
        return self._message_dict(message)

    def _apply_markup(self, message: BotMessage, markup: Any, *, on_send: bool) -> None:
        if markup is None or markup == "":
            return
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _validate_inline(markup)
            message.inline_markup = markup
            message.buttons = _buttons(markup)
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
            for row in rows:
                for button in row:
                    label = button.get("text") if isinstance(button, dict) else button
                    if not label:
                        raise ApiError(400, "Bad Request: keyboard button text is empty")
            message.reply_keyboard = markup
            self._reply_keyboards[message.chat_id] = markup
        elif markup.get("remove_keyboard"):
            message.reply_keyboard = markup
            self._reply_keyboards[message.chat_id] = None
        elif not markup.get("force_reply"):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")

    def _check_reply_target(self, chat_id: int, params: dict[str, Any]) -> None:
        reply = params.get("reply_parameters") or {}
        target = reply.get("message_id") or params.get("reply_to_message_id")
        allow = reply.get("allow_sending_without_reply") or params.get(
            "allow_sending_without_reply"
        )
        if target and target not in self._existing_ids[chat_id] and not allow:
            raise ApiError(400, "Bad Request: message to be replied not found")

    def _store_new(self, message: BotMessage) -> dict[str, Any]:
        message.message_id = self._next_message_id(message.chat_id)
        message.date = int(self._clock())
        self._bot_messages[message.chat_id][message.message_id] = message
        self._record_event(message)
        return self._message_dict(message)

    def _record_event(self, message: BotMessage) -> None:
        self._events.append(_Event(message.chat_id, message, message.text))

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._chat_msg_ids.setdefault(chat_id, itertools.count(1))
        message_id = next(counter)
        self._existing_ids[chat_id].add(message_id)
        return message_id

    def _chat_dict(self, chat_id: int) -> dict[str, Any]:
        if chat_id < 0:
            return {"id": chat_id, "type": "group", "title": f"Test group {-chat_id}"}
        user = self._users.get(chat_id, {"first_name": "Alex"})
        return {"id": chat_id, "type": "private", "first_name": user["first_name"]}

    def _message_dict(self, message: BotMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self._chat_dict(message.chat_id),
            "from": dict(self.bot_user),
        }
        if message.edits:
            data["edit_date"] = int(self._clock())
        if message.kind == "text":
            data["text"] = message.text
        elif message.text is not None:
            data["caption"] = message.text
        unique = (message.file_id or "")[-8:] or "unique00"
        if message.kind == "photo":
            data["photo"] = [
                {
                    "file_id": message.file_id,
                    "file_unique_id": unique,
                    "width": 640,
                    "height": 480,
                    "file_size": len(message.file_bytes or b""),
                }
            ]
        elif message.kind == "document":
            data["document"] = {
                "file_id": message.file_id,
                "file_unique_id": unique,
                "file_name": message.filename,
                "mime_type": message.mime_type,
                "file_size": len(message.file_bytes or b""),
            }
        if message.inline_markup is not None:
            data["reply_markup"] = message.inline_markup
        return data

    def _remember_user(self, user_id: int, first_name: str, language_code: str) -> None:
        self._users[user_id] = {"first_name": first_name, "language_code": language_code}

    def _user_dict(self, user_id: int) -> dict[str, Any]:
        user = self._users.setdefault(user_id, {"first_name": "Alex", "language_code": "en"})
        return {"id": user_id, "is_bot": False, **user}

    def _user_message(self, user_id: int, chat_id: int, **content: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(self._clock()),
            "chat": self._chat_dict(chat_id),
            "from": self._user_dict(user_id),
            **content,
        }
        text = content.get("text")
        if isinstance(text, str) and text.startswith("/"):
            word = text.split(maxsplit=1)[0] if text.strip() else "/"
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(word)}]
        return message

    def _queue_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        self._queue.append(_Queued(update))
        self._pulse_wake()
        self._pulse_changed()
        return update

    def _pulse_wake(self) -> None:
        self._wake.set()
        self._wake = asyncio.Event()

    def _pulse_changed(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


# ---------------------------------------------------------------------- request parsing


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Parameters from the query string, a JSON body, a form or a multipart body."""
    raw: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON object expected")
            raw.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    raw[key] = UploadedFile(
                        filename=value.filename,
                        content_type=value.content_type,
                        data=value.file.read(),
                    )
                else:
                    raw[key] = value
    return {key: _coerce(key, value) for key, value in raw.items()}


def _coerce(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            return value  # e.g. "@channelusername"; the method decides
    if name in _JSON_PARAMS:
        if value == "":
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            if name == "reply_markup":
                raise ApiError(
                    400, "Bad Request: can't parse reply keyboard markup JSON object"
                ) from None
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
    if name in _BOOL_PARAMS:
        return value.lower() in {"true", "1"}
    return value


def _update_kind(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _short(params: dict[str, Any]) -> str:
    parts = []
    for key, value in params.items():
        shown = repr(value)
        parts.append(f"{key}={shown[:80]}{'...' if len(shown) > 80 else ''}")
    return ", ".join(parts)


# ---------------------------------------------------------------------- validation


def _validate_inline(markup: dict[str, Any]) -> None:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: array expected")
    actions = ("callback_data", "url", "switch_inline_query", "web_app", "login_url", "pay")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: text empty")
            if not any(key in button for key in actions):
                raise ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard",
                )
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if not 1 <= size <= CALLBACK_DATA_LIMIT:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def _buttons(markup: dict[str, Any] | None) -> list[list[tuple[str, str]]]:
    if not markup:
        return []
    return [
        [(str(b["text"]), str(b.get("callback_data", b.get("url", "")))) for b in row]
        for row in markup.get("inline_keyboard", [])
    ]


def _same_markup(new: dict[str, Any] | None, old: dict[str, Any] | None) -> bool:
    def rows(markup: dict[str, Any] | None) -> list[Any]:
        return (markup or {}).get("inline_keyboard") or []

    return rows(new) == rows(old)


def _render_text(raw: Any, parse_mode: Any, *, limit: int, caption: bool = False) -> str:
    """What the user sees: markup parsed away, trimmed, length-checked like Telegram."""
    what = "message caption" if caption else "message text"
    if raw is None or not isinstance(raw, str):
        raise ApiError(400, f"Bad Request: {what} is empty")
    mode = str(parse_mode or "").lower()
    if mode == "html":
        text = _parse_html(raw)
    elif mode == "markdownv2":
        text = _parse_markdown_v2(raw)
    elif mode == "markdown":
        text = _parse_markdown_legacy(raw)
    elif mode:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
    else:
        text = raw
    text = text.strip()
    if not text:
        raise ApiError(400, f"Bad Request: {what} is empty")
    if len(text) > limit:
        raise ApiError(400, f"Bad Request: {what.removesuffix(' text')} is too long")
    return text


_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*>")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _parse_html(raw: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "<":
            match = _TAG_RE.match(raw, index)
            offset = _byte_offset(raw, index)
            if match is None:
                name = re.match(r"</?([^>\s]*)", raw[index:])
                found = name.group(1) if name else ""
                raise ApiError(
                    400,
                    f'Bad Request: can\'t parse entities: Unsupported start tag "{found}" '
                    f"at byte offset {offset}",
                )
            closing, name, _attrs = match.group(1), match.group(2).lower(), match.group(3)
            if name not in _HTML_TAGS:
                kind = "end" if closing else "start"
                raise ApiError(
                    400,
                    f'Bad Request: can\'t parse entities: Unsupported {kind} tag "{name}" '
                    f"at byte offset {offset}",
                )
            if closing:
                if not stack or stack[-1] != name:
                    expected = f'"</{stack[-1]}>"' if stack else "none"
                    raise ApiError(
                        400,
                        f"Bad Request: can't parse entities: Unmatched end tag at byte offset "
                        f'{offset}, expected {expected}, found "</{name}>"',
                    )
                stack.pop()
            else:
                stack.append(name)
            index = match.end()
            continue
        if char == "&":
            match = _ENTITY_RE.match(raw, index)
            if match is not None:
                out.append(html.unescape(match.group(0)))
                index = match.end()
                continue
        out.append(char)
        index += 1
    if stack:
        raise ApiError(
            400,
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1]}"',
        )
    return "".join(out)


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")


def _parse_markdown_v2(raw: str) -> str:
    """A close approximation of Telegram's MarkdownV2 rules: reserved characters need '\\'."""
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    index = 0
    length = len(raw)

    def fail(message: str) -> ApiError:
        return ApiError(400, f"Bad Request: can't parse entities: {message}")

    while index < length:
        char = raw[index]
        in_code = bool(stack) and stack[-1][0] in ("`", "```")
        if char == "\\":
            if index + 1 < length and 0 < ord(raw[index + 1]) <= 126:
                out.append(raw[index + 1])
                index += 2
                continue
            raise fail(f"Character '\\' is reserved at byte offset {_byte_offset(raw, index)}")
        if in_code:
            marker = stack[-1][0]
            if raw.startswith(marker, index):
                stack.pop()
                index += len(marker)
            else:
                out.append(char)
                index += 1
            continue
        for marker in ("```", "||", "__", "`", "*", "_", "~"):
            if raw.startswith(marker, index):
                if stack and stack[-1][0] == marker:
                    stack.pop()
                else:
                    stack.append((marker, index))
                index += len(marker)
                if marker == "```":
                    # Optional language name right after the opening fence.
                    lang = re.match(r"[A-Za-z0-9_+-]*\n", raw[index:])
                    if lang:
                        index += lang.end()
                break
        else:
            if char == "[":
                stack.append(("[", index))
                index += 1
                continue
            if char == "]" and stack and stack[-1][0] == "[":
                stack.pop()
                url = re.match(r"\(((?:\\.|[^)\\])*)\)", raw[index + 1 :])
                if url is None:
                    raise fail(f"Can't find end of a url at byte offset {_byte_offset(raw, index)}")
                index += 1 + url.end()
                continue
            if char == ">" and (index == 0 or raw[index - 1] == "\n"):
                index += 1
                continue
            if char in _MDV2_RESERVED:
                raise fail(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            out.append(char)
            index += 1
    if stack:
        marker, start = stack[-1]
        raise fail(
            f"Can't find end of the entity starting at byte offset {_byte_offset(raw, start)}"
        )
    return "".join(out)


def _parse_markdown_legacy(raw: str) -> str:
    out: list[str] = []
    open_marker: tuple[str, int] | None = None
    index = 0
    while index < len(raw):
        if raw[index] == "\\" and index + 1 < len(raw) and raw[index + 1] in "*_`[":
            out.append(raw[index + 1])
            index += 2
            continue
        for marker in ("```", "*", "_", "`"):
            if raw.startswith(marker, index):
                if open_marker is None:
                    open_marker = (marker, index)
                elif open_marker[0] == marker:
                    open_marker = None
                else:
                    out.append(marker)
                index += len(marker)
                break
        else:
            out.append(raw[index])
            index += 1
    if open_marker is not None:
        raise ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end of the entity starting at byte "
            f"offset {_byte_offset(raw, open_marker[1])}",
        )
    return "".join(out)
