"""An in-process Bot API for benchmarks: a PTB ``BaseRequest`` that answers without a network.

Why a ``BaseRequest`` and not the aiohttp fake server of the tests: a bench should measure the
bot's own work (PTB's request encoding and response decoding, the handlers, the core, SQL), not
loopback sockets and a second HTTP stack in the same process. Everything above the socket still
runs unchanged: PTB builds the ``RequestData``, this class form-encodes it as ``HTTPXRequest``
would, and answers with the JSON bytes Telegram would send back, which PTB then parses and turns
into ``Message`` objects.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from telegram.request import BaseRequest, RequestData

__all__ = ["FakeTransport", "bot_user"]


def bot_user(token: str) -> dict[str, Any]:
    """The ``getMe`` answer for a token (the bot id is the part before the colon)."""
    return {
        "id": int(token.split(":", 1)[0]),
        "is_bot": True,
        "first_name": "Gutback Bench",
        "username": "gutback_bench_bot",
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


class FakeTransport(BaseRequest):
    """Answers the Bot API methods a bot uses for text conversations, and counts them.

    Keeps, per chat, the bot's latest message (as Telegram would return it, edits applied), so a
    benchmark can build a realistic ``callback_query`` carrying the message with its keyboard.
    An unknown method gets Telegram's 404 envelope, so a bench never passes by accident.
    """

    def __init__(self, token: str) -> None:
        self._me = bot_user(token)
        self._next_id: dict[int, int] = {}
        self.calls: Counter[str] = Counter()
        #: Per chat, the bot's latest message as the person sees it now (edits applied).
        self.latest: dict[int, dict[str, Any]] = {}
        #: Every message sent, as (chat id, whether it was sent with ``disable_notification``).
        self.sends: list[tuple[int, bool]] = []

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        self.calls[endpoint] += 1
        params: dict[str, Any] = {}
        if request_data is not None:
            # The body HTTPXRequest would put on the wire (form-encoded JSON values).
            request_data.url_encoded_parameters()
            params = request_data.parameters
        try:
            result = self._answer(endpoint, params)
        except KeyError:
            return 400, _envelope_error(400, "Bad Request: a required parameter is missing")
        if result is None:
            return 404, _envelope_error(404, "Not Found")
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _answer(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return self._me
        if endpoint in ("setMyCommands", "deleteWebhook", "answerCallbackQuery"):
            return True
        if endpoint == "getUpdates":
            return []
        if endpoint == "sendMessage":
            chat_id = int(params["chat_id"])
            silent = params.get("disable_notification") in (True, "true", "True")
            self.sends.append((chat_id, silent))
            message_id = self._next_id.get(chat_id, 0) + 1
            self._next_id[chat_id] = message_id
            message = self._message(chat_id, message_id, params)
            self.latest[chat_id] = message
            return message
        if endpoint == "editMessageText":
            chat_id = int(params["chat_id"])
            message_id = int(params["message_id"])
            message = self._message(chat_id, message_id, params)
            message["edit_date"] = int(time.time())
            if self.latest.get(chat_id, {}).get("message_id") == message_id:
                self.latest[chat_id] = message
            return message
        return None

    def _message(self, chat_id: int, message_id: int, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self._me,
            "chat": {"id": chat_id, "first_name": "Bench", "type": "private"},
            "date": int(time.time()),
            "text": params["text"],
        }
        markup = params.get("reply_markup")
        # Telegram echoes an inline keyboard back; reply keyboards are not part of the message.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message


def _envelope_error(code: int, description: str) -> bytes:
    return json.dumps({"ok": False, "error_code": code, "description": description}).encode()
