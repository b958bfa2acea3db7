"""Telegram's flood limits, including the one PTB's limiter leaves out.

``AIORateLimiter`` paces the global (~30/s) and group (20/min) limits and retries ``RetryAfter``.
Telegram also asks for about one message per second per private chat; a reply can be two or three
messages back to back, so a small burst is allowed and the average is held.

Two things here differ from PTB's own limiter, both found by ``bench/fanout.py`` (10k prompts due
at once against a server that refuses the 31st send in any second):

- The overall limit is paced evenly. aiolimiter is a leaky bucket as deep as its ``max_rate``:
  given (25 per 1 s) it lets 25 sends go at once and then 25/s, so nearly 50 reach Telegram in the
  first second of a fan-out and earn 429s. Here the bucket is one send deep, so no second ever
  holds more than ``rate + 1`` sends. (A deeper bucket, 1.2, makes up for turns the busy event
  loop takes a few milliseconds late and sent ~1.5 % more per second, but put 30 sends in a
  second twice in 10k: two 429s.)
- After a 429 the pace resumes where it stopped. PTB holds every request that already has its
  turn until ``retry_after`` is over and then lets them all go at once: a burst of a second's
  worth of sends, which earns the next 429, and so on (the bench counted 72 in one run). Here
  every request takes its turn in the pace right before it goes out, after PTB's hold, and a
  turn that falls in the pause is void and taken again after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

PER_CHAT_BURST = 4  # a burst of 4 new messages, then the per-chat rate on average
OVERALL_BURST = 1  # how deep the overall bucket is, in sends (see above)
_MAX_CHAT_LIMITERS = 4096


class ChatRateLimiter(AIORateLimiter):
    def __init__(
        self, *, overall_per_second: float, chat_per_second: float = 1.0, max_retries: int = 5
    ) -> None:
        # PTB keeps the group limit and the retries; the overall pace is kept here.
        super().__init__(overall_max_rate=0, max_retries=max_retries)
        self._overall = AsyncLimiter(OVERALL_BURST, OVERALL_BURST / overall_per_second)
        #: Event-loop time before which nothing is sent: Telegram asked us to wait until then.
        self._resume_at = 0.0
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
        counted = chat_id is not None  # as in PTB: requests to a chat count towards the limit

        async def paced(*call_args: Any, **call_kwargs: Any) -> Any:
            # Called by PTB for each attempt, after it has held requests through a 429's pause.
            if counted:
                await self._overall_turn()
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as error:
                self._pause(error)
                raise

        async with context:
            return await super().process_request(
                paced, args, kwargs, endpoint, data, rate_limit_args
            )

    async def _overall_turn(self) -> None:
        """Wait for this request's turn in the overall pace, never during a pause."""
        loop = asyncio.get_running_loop()
        while True:
            if (wait := self._resume_at - loop.time()) > 0:
                await asyncio.sleep(wait)
            await self._overall.acquire()
            if loop.time() >= self._resume_at:
                return
            # Telegram asked for a pause while this request queued: queue again after it.

    def _pause(self, error: RetryAfter) -> None:
        # The public attribute warns in PTB 22 (int or timedelta by a setting); PTB reads this one.
        seconds = error._retry_after.total_seconds()
        resume_at = asyncio.get_running_loop().time() + seconds + 0.1
        if resume_at > self._resume_at:
            self._resume_at = resume_at
            log.info("flood control: sending paused", extra={"seconds": seconds})
