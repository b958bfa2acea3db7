"""A small fake of the Telegram Bot API served over real HTTP for end-to-end tests.

Why a fake server instead of mocking PTB: the bot talks to Telegram only through HTTP, so a fake
that speaks the same wire format lets the real ``telegram.ext.Application`` (request encoding,
de_json, error mapping, the updater's offset handling) run unmodified.

Why it is small: it serves only the methods and parameters gutback sends (the ``@_serves`` lines
below are the whole surface) and keeps only the refusals of Telegram's that catch real bugs in
them: text, caption, callback_data and button-notice limits, keyboard shapes, "message is not
modified", a second answer to one button press, bad command names, blocked users (403), flood
control (429 with ``retry_after``), and at-least-once update delivery confirmed by the ``offset``
of a later ``getUpdates``. A method or a parameter it does not serve is refused (404, 400), never
ignored: a fake that silently dropped ``parse_mode`` would let tests pass against a Telegram
that does not exist. To serve one more, add it to an ``@_serves`` line (or write one).

Everything runs in the test's event loop; state changes happen between awaits, so no locks.

Usage::

    async with FakeBotApi() as fake:
        app = ApplicationBuilder().token(fake.token).base_url(fake.base_url).build()
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
import inspect
import json
import re
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

__all__ = ["BotMessage", "Call", "FakeBotApi", "UploadedFile"]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes
CALLBACK_NOTICE_LIMIT = 200  # characters of an answerCallbackQuery text
WEBHOOK_RETRY_SECONDS = 0.05
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_BAD_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"


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
    """The bot's message in a chat as the user currently sees it (edits applied).

    ``text`` is the message text, or the caption of a photo or document (``kind``).
    ``disable_notification`` is recorded as sent, so tests can count the messages that buzzed.
    """

    message_id: int
    chat_id: int
    text: str | None
    kind: str = "text"
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    disable_notification: bool = False
    edits: int = 0
    file_bytes: bytes | None = None
    filename: str | None = None
    date: int = 0

    @property
    def button_labels(self) -> list[str]:
        return [label for row in self.buttons for label, _ in row]

    def data_for(self, label_contains: str) -> str:
        """The callback_data of the first button whose label contains the string."""
        for label, data in (b for row in self.buttons for b in row):
            if label_contains in label:
                return data
        raise AssertionError(f"no button containing {label_contains!r} in {self.buttons!r}")


@dataclass
class _Queued:
    update: dict[str, Any]
    redelivery: bool = False
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass
class _Event:
    """One change to a chat's bot messages (a send or an edit), with the text at that moment."""

    chat_id: int
    message: BotMessage
    text: str | None


# ---------------------------------------------------------------------- the served surface

Handler = Callable[["FakeBotApi", dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class _Method:
    name: str
    handler: Handler
    params: Mapping[str, type]
    required: tuple[str, ...]
    sends: bool


_METHODS: dict[str, _Method] = {}


def _serves(
    name: str, *, required: tuple[str, ...] = (), sends: bool = False, **params: type
) -> Callable[[Handler], Handler]:
    """Serve Bot API method ``name`` with these parameters and their types.

    ``required``: the parameters Telegram refuses the call without. ``sends``: it puts a new
    message in a chat, so flood control counts it. A method with a ``chat_id`` is refused for a
    blocked chat.
    """

    def register(handler: Handler) -> Handler:
        _METHODS[name.lower()] = _Method(name, handler, params, required, sends)
        return handler

    return register


class FakeBotApi:
    """A fake Telegram Bot API server on 127.0.0.1 with a random free port."""

    def __init__(
        self, *, token: str = "123456:TEST-token", rate_limit_per_second: float | None = None
    ) -> None:
        self.token = token
        #: New messages allowed in any second, all chats together; None for no limit.
        self.rate_limit_per_second = rate_limit_per_second
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Gutback Test",
            "username": "gutback_test_bot",
        }
        self.calls: list[Call] = []
        #: The parameters of every accepted answerCallbackQuery.
        self.callback_answers: list[dict[str, Any]] = []
        #: The menu from the last setMyCommands.
        self.commands: list[dict[str, Any]] = []
        self.rejected_429 = 0
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        #: Every webhook POST as (update_id, HTTP status, or None when the connection failed).
        self.webhook_posts: list[tuple[int, int | None]] = []

        self._webhook_allowed: list[str] | None = None
        self._webhook_target: str | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._stopping = False
        self._queue: list[_Queued] = []
        self._next_update_id = 1
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._faults: dict[str, collections.deque[ApiError]] = collections.defaultdict(
            collections.deque
        )
        self._blocked: set[int] = set()
        self._send_times: collections.deque[float] = collections.deque()
        self._last_message_id: dict[int, int] = collections.defaultdict(int)
        self._bot_messages: dict[int, dict[int, BotMessage]] = collections.defaultdict(dict)
        self._reply_keyboards: dict[int, dict[str, Any] | None] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._unanswered: set[str] = set()
        self._events: list[_Event] = []
        self._read_pos: dict[int, int] = collections.defaultdict(int)

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return f"http://127.0.0.1:{self._port}/bot"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        # handler_cancellation: a long poll whose client went away must not keep "delivering".
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        self._stopping = False
        await web.SockSite(self._runner, sock).start()

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
        self._users[user_id] = {"first_name": first_name, "language_code": language_code}
        return self._queue_update({"message": self._user_message(user_id, user_id, text=text)})

    def user_presses(self, user_id: int, message_id: int, callback_data: str) -> dict[str, Any]:
        """The user presses an inline button on the bot's message (any data: clients can forge)."""
        bot_message = self._bot_messages[user_id].get(message_id)
        if bot_message is None:
            raise AssertionError(f"chat {user_id} has no bot message {message_id} to press on")
        query_id = str(uuid.uuid4().int >> 64)
        self._unanswered.add(query_id)
        query = {
            "id": query_id,
            "from": self._user_dict(user_id),
            "message": self._message_dict(bot_message),
            "chat_instance": str(user_id),
            "data": callback_data,
        }
        return self._queue_update({"callback_query": query})

    def user_sends_location(
        self, user_id: int, latitude: float, longitude: float
    ) -> dict[str, Any]:
        """The user shares a location (e.g. from a request_location keyboard button)."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._queue_update(
            {"message": self._user_message(user_id, user_id, location=location)}
        )

    def user_sends_sticker(self, user_id: int) -> dict[str, Any]:
        sticker = {
            "file_id": f"sticker-{uuid.uuid4().hex[:12]}",
            "file_unique_id": uuid.uuid4().hex[:8],
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._queue_update(
            {"message": self._user_message(user_id, user_id, sticker=sticker)}
        )

    def user_sends_photo(self, user_id: int, caption: str | None = None) -> dict[str, Any]:
        """The user sends a photo, with a caption under it if given."""
        sizes = [{"file_id": f"photo-{uuid.uuid4().hex[:12]}", "file_unique_id": "p1",
                  "width": 640, "height": 480}]  # fmt: skip
        content: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self._queue_update({"message": self._user_message(user_id, user_id, **content)})

    def user_edits(self, user_id: int, sent: dict[str, Any], new_text: str) -> dict[str, Any]:
        """The user edits a message they sent (``sent`` is the update that carried it)."""
        message = {**sent["message"], "text": new_text, "edit_date": int(time.time())}
        return self._queue_update({"edited_message": message})

    def user_sends_voice(self, user_id: int) -> dict[str, Any]:
        voice = {"file_id": f"voice-{uuid.uuid4().hex[:12]}", "file_unique_id": "v1", "duration": 3}
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
                    await asyncio.sleep(WEBHOOK_RETRY_SECONDS)
                self._pulse_changed()

    def _next_to_push(self) -> _Queued | None:
        if not (self.webhook_url and self._webhook_target):
            return None
        self._drop_unwanted(self._webhook_allowed)
        return self._queue[0] if self._queue else None

    # ------------------------------------------------------------------ recording views

    def messages(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in a chat, oldest first, edits applied."""
        return list(self._bot_messages[chat_id].values())

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
        if error_code == 429:
            description = description or f"Too Many Requests: retry after {retry_after}"
            fault = ApiError(429, description, retry_after)
        else:
            fault = ApiError(error_code, description or f"Injected error {error_code}")
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
            call.params = await _read_form(request)
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            spec = _METHODS.get(method.lower())
            if spec is None:
                raise ApiError(404, "Not Found: the fake serves only what gutback calls")
            call.params = _decode(spec, call.params)
            result = await self._dispatch(spec, call.params)
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

    async def _dispatch(self, spec: _Method, params: dict[str, Any]) -> Any:
        faults = self._faults.get(spec.name.lower())
        if faults:
            raise faults.popleft()
        if spec.sends:
            self._check_rate_limit()
        if "chat_id" in spec.params:
            self._check_chat(params)
        return await spec.handler(self, params)

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
        if params["chat_id"] in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    # ------------------------------------------------------------------ methods

    @_serves("getMe")
    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot_user)

    @_serves("getUpdates", offset=int, timeout=int, allowed_updates=list)
    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset", 0)
        allowed = params.get("allowed_updates") or None
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0, params.get("timeout", 0))
        while True:
            self._drop_unwanted(allowed)
            ready = [q for q in self._queue if not (q.redelivery and q.delivered)][:100]
            if ready:
                for queued in ready:
                    queued.delivered = True
                return [q.update for q in ready]
            remaining = deadline - loop.time()
            if self._stopping or remaining <= 0:
                return []
            wake = self._wake
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await wake.wait()

    def _confirm(self, offset: int) -> None:
        """Forget the updates an ``offset`` confirms; a redelivered one only once delivered."""
        if offset > 0:
            self._queue = [
                q
                for q in self._queue
                if not (q.update_id < offset and (q.delivered or not q.redelivery))
            ]

    def _drop_unwanted(self, allowed: list[str] | None) -> None:
        """Drop queued updates of kinds outside ``allowed_updates``: Telegram never sends those."""
        if allowed:
            self._queue = [q for q in self._queue if _update_kind(q.update) in allowed]

    @_serves("deleteWebhook", drop_pending_updates=bool)
    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        self.webhook_secret = None
        if params.get("drop_pending_updates"):
            self._queue.clear()
        return True

    @_serves(
        "setWebhook",
        required=("url",),
        url=str,
        secret_token=str,
        allowed_updates=list,
        drop_pending_updates=bool,
    )
    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = params["url"]
        self.webhook_secret = params.get("secret_token") or None
        self._webhook_allowed = params.get("allowed_updates") or None
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self._pulse_wake()
        return True

    @_serves("setMyCommands", required=("commands",), commands=list)
    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params["commands"]
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands specified")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command"))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "").strip()) <= 256:
                raise ApiError(400, "Bad Request: command description is empty")
        self.commands = commands
        return True

    @_serves(
        "sendMessage",
        required=("chat_id", "text"),
        sends=True,
        chat_id=int,
        text=str,
        reply_markup=dict,
        disable_notification=bool,
    )
    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text = _checked_text(params["text"], "message text", TEXT_LIMIT)
        return self._store_new("text", text, params)

    @_serves(
        "sendPhoto",
        required=("chat_id", "photo"),
        sends=True,
        chat_id=int,
        photo=UploadedFile,
        caption=str,
        disable_notification=bool,
    )
    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_file("photo", params)

    @_serves(
        "sendDocument",
        required=("chat_id", "document"),
        sends=True,
        chat_id=int,
        document=UploadedFile,
        caption=str,
        disable_notification=bool,
    )
    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_file("document", params)

    @_serves(
        "editMessageText",
        required=("chat_id", "message_id", "text"),
        chat_id=int,
        message_id=int,
        text=str,
        reply_markup=dict,
    )
    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._bot_messages[params["chat_id"]].get(params["message_id"])
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = _checked_text(params["text"], "message text", TEXT_LIMIT)
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        markup = params.get("reply_markup")
        if markup is not None and "inline_keyboard" not in markup:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        buttons = _inline_buttons(markup) if markup is not None else []
        if text == message.text and buttons == message.buttons:
            raise ApiError(400, _NOT_MODIFIED)
        message.text, message.buttons = text, buttons
        message.edits += 1
        self._events.append(_Event(message.chat_id, message, message.text))
        return self._message_dict(message)

    @_serves(
        "answerCallbackQuery",
        required=("callback_query_id",),
        callback_query_id=str,
        text=str,
        show_alert=bool,
    )
    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        # A query is answered once: a second answer (e.g. to a redelivered press) is refused.
        query_id = params["callback_query_id"]
        if query_id not in self._unanswered:
            raise ApiError(400, _QUERY_INVALID)
        if len(params.get("text", "")) > CALLBACK_NOTICE_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._unanswered.discard(query_id)
        self.callback_answers.append(params)
        return True

    # ------------------------------------------------------------------ message helpers

    def _send_file(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        upload = params[kind]
        if not upload.data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        caption = None
        if params.get("caption"):
            caption = _checked_text(params["caption"], "message caption", CAPTION_LIMIT)
        return self._store_new(kind, caption, params, upload)

    def _store_new(
        self,
        kind: str,
        text: str | None,
        params: dict[str, Any],
        upload: UploadedFile | None = None,
    ) -> dict[str, Any]:
        chat_id = params["chat_id"]
        message = BotMessage(
            message_id=0,
            chat_id=chat_id,
            text=text,
            kind=kind,
            disable_notification=params.get("disable_notification", False),
            date=int(time.time()),
        )
        if upload is not None:
            message.file_bytes, message.filename = upload.data, upload.filename
        markup = params.get("reply_markup")
        if markup is not None:
            # Checked before the message exists: a refused send leaves nothing behind.
            self._apply_send_markup(message, markup)
        message.message_id = self._next_message_id(chat_id)
        self._bot_messages[chat_id][message.message_id] = message
        self._events.append(_Event(chat_id, message, message.text))
        return self._message_dict(message)

    def _apply_send_markup(self, message: BotMessage, markup: dict[str, Any]) -> None:
        if "inline_keyboard" in markup:
            message.buttons = _inline_buttons(markup)
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError(400, _BAD_MARKUP)
            for button in (b for row in rows for b in row):
                if not (isinstance(button, dict) and button.get("text")):
                    raise ApiError(400, "Bad Request: keyboard button text is empty")
            self._reply_keyboards[message.chat_id] = markup
        elif markup.get("remove_keyboard"):
            self._reply_keyboards[message.chat_id] = None
        else:
            # force_reply is valid Telegram but gutback never sends it: not modelled here.
            raise ApiError(400, _BAD_MARKUP)

    def _next_message_id(self, chat_id: int) -> int:
        """Message ids count up per chat, shared by the user's messages and the bot's."""
        self._last_message_id[chat_id] += 1
        return self._last_message_id[chat_id]

    def _chat_dict(self, chat_id: int) -> dict[str, Any]:
        if chat_id < 0:
            return {"id": chat_id, "type": "group", "title": f"Test group {-chat_id}"}
        user = self._users.get(chat_id, {"first_name": "Alex"})
        return {"id": chat_id, "type": "private", "first_name": user["first_name"]}

    def _message_dict(self, message: BotMessage) -> dict[str, Any]:
        """The message as the Bot API returns it (and as it comes back in a button press)."""
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self._chat_dict(message.chat_id),
            "from": dict(self.bot_user),
        }
        if message.edits:
            data["edit_date"] = int(time.time())
        if message.kind == "text":
            data["text"] = message.text
        elif message.text is not None:
            data["caption"] = message.text
        file = {
            "file_id": f"{message.kind}-{message.chat_id}-{message.message_id}",
            "file_unique_id": f"u{message.chat_id}-{message.message_id}",
            "file_size": len(message.file_bytes or b""),
        }
        if message.kind == "photo":
            data["photo"] = [{**file, "width": 640, "height": 480}]
        elif message.kind == "document":
            data["document"] = {**file, "file_name": message.filename}
        if message.buttons:
            data["reply_markup"] = {
                "inline_keyboard": [
                    [{"text": label, "callback_data": press} for label, press in row]
                    for row in message.buttons
                ]
            }
        return data

    def _user_dict(self, user_id: int) -> dict[str, Any]:
        user = self._users.setdefault(user_id, {"first_name": "Alex", "language_code": "en"})
        return {"id": user_id, "is_bot": False, **user}

    def _user_message(self, user_id: int, chat_id: int, **content: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat_dict(chat_id),
            "from": self._user_dict(user_id),
            **content,
        }
        text = content.get("text")
        if isinstance(text, str) and text.startswith("/"):
            # What makes PTB see a command: Telegram marks it with an entity.
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


async def _read_form(request: web.Request) -> dict[str, Any]:
    """The raw parameters of a form or multipart body (what PTB sends; no body for none)."""
    raw: dict[str, Any] = {}
    for key, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            raw[key] = UploadedFile(value.filename, value.content_type, value.file.read())
        else:
            raw[key] = value
    return raw


def _decode(spec: _Method, raw: dict[str, Any]) -> dict[str, Any]:
    """Typed parameters: PTB sends strings as they are and everything else JSON-encoded."""
    params: dict[str, Any] = {}
    for name, value in raw.items():
        want = spec.params.get(name)
        if want is None:
            raise ApiError(
                400,
                f"Bad Request: the fake does not model parameter {name!r} of {spec.name}; "
                "add it to the method's @_serves line in tests/fake_bot_api.py",
            )
        if want is UploadedFile or want is str or isinstance(value, UploadedFile):
            decoded = value
        else:
            try:
                decoded = json.loads(value)
            except json.JSONDecodeError:
                decoded = value
        if type(decoded) is not want:
            if name == "chat_id":
                raise ApiError(400, "Bad Request: chat not found")
            if name == "reply_markup":
                raise ApiError(400, _BAD_MARKUP)
            raise ApiError(400, f"Bad Request: can't parse {name}")
        params[name] = decoded
    for name in spec.required:
        if name not in params:
            raise ApiError(400, f'Bad Request: parameter "{name}" is required')
    return params


def _checked_text(raw: str, what: str, limit: int) -> str:
    """The text as the user sees it (trimmed), refused when empty or too long like Telegram."""
    text = raw.strip()
    if not text:
        raise ApiError(400, f"Bad Request: {what} is empty")
    if len(text) > limit:
        raise ApiError(400, f"Bad Request: {what.removesuffix(' text')} is too long")
    return text


def _inline_buttons(markup: dict[str, Any]) -> list[list[tuple[str, str]]]:
    """(label, callback_data) rows of an inline keyboard, refused as Telegram would."""
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: array expected")
    buttons = []
    for row in rows:
        parsed = []
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: text empty")
            if "callback_data" not in button:
                # url, web_app and the other kinds are valid but gutback sends none of them.
                raise ApiError(400, "Bad Request: the fake models callback_data buttons only")
            data = str(button["callback_data"])
            if not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            parsed.append((str(button["text"]), data))
        buttons.append(parsed)
    return buttons


def _update_kind(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _short(params: dict[str, Any]) -> str:
    parts = []
    for key, value in params.items():
        shown = repr(value)
        parts.append(f"{key}={shown[:80]}{'...' if len(shown) > 80 else ''}")
    return ", ".join(parts)
