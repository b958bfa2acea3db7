"""Telegram's flood limits, including the one PTB's limiter leaves out.

``AIORateLimiter`` paces the global (~30/s) and group (20/min) limits and retries ``RetryAfter``.
Telegram also asks for about one message per second per private chat; a reply can be two or three
messages back to back, so a small burst is allowed and the average is held.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

PER_CHAT_BURST = 4  # a burst of 4 new messages, then the per-chat rate on average
_MAX_CHAT_LIMITERS = 4096


class ChatRateLimiter(AIORateLimiter):
    def __init__(
        self, *, overall_per_second: float, chat_per_second: float = 1.0, max_retries: int = 5
    ) -> None:
        super().__init__(overall_max_rate=overall_per_second, max_retries=max_retries)
        self._chat_period = PER_CHAT_BURST / chat_per_second
        self._chat_limiters: dict[int, AsyncLimiter] = {}

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chat_limiters.get(chat_id)
        if limiter is None:
            if len(self._chat_limiters) >= _MAX_CHAT_LIMITERS:
                idle = [
                    key
                    for key, value in self._chat_limiters.items()
                    if value.has_capacity(value.max_rate)
                ]
                for key in idle:
                    del self._chat_limiters[key]
            limiter = AsyncLimiter(PER_CHAT_BURST, self._chat_period)
            self._chat_limiters[chat_id] = limiter
        return limiter

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        chat_id: Any = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)
        # Only new messages count: edits and button answers do not add to the chat's flood.
        new_message = endpoint.lower().startswith("send")
        context = (
            self._chat_limiter(chat_id)
            if new_message and isinstance(chat_id, int) and chat_id > 0
            else contextlib.nullcontext()
        )
        async with context:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
