"""Sending obeys Telegram's limits: per chat on average, and a 429 is waited out and retried."""

from __future__ import annotations

import asyncio

from telegram.ext import ExtBot as Bot

from handlers.rate_limit import PER_CHAT_BURST, ChatRateLimiter
from tests.fake_bot_api import FakeBotApi


async def sends_to(fake: FakeBotApi, chat_id: int) -> list[float]:
    return [
        c.at
        for c in fake.calls_to("sendMessage")
        if c.params.get("chat_id") == chat_id and c.error_code is None
    ]


async def test_one_chat_gets_a_burst_then_its_average_rate_while_others_are_not_held_up() -> None:
    async with FakeBotApi() as fake:
        for chat in (1, 2):
            fake.user_sends_text(chat, "hi")  # the chats exist
        limiter = ChatRateLimiter(overall_per_second=1000, chat_per_second=20)
        async with Bot(fake.token, base_url=fake.base_url, rate_limiter=limiter) as bot:
            count = PER_CHAT_BURST + 8
            await asyncio.gather(
                *(bot.send_message(1, f"m{i}") for i in range(count)),
                *(bot.send_message(2, f"n{i}") for i in range(PER_CHAT_BURST)),
            )
        first = await sends_to(fake, 1)
        other = await sends_to(fake, 2)
    assert len(first) == count and len(other) == PER_CHAT_BURST
    # After the burst, 8 more at 20/s need at least ~0.35 s; the other chat never waited for them.
    assert first[-1] - first[0] >= 0.3
    assert other[-1] - other[0] < 0.2


async def test_a_429_is_retried_after_the_time_telegram_asks_for() -> None:
    async with FakeBotApi() as fake:
        fake.user_sends_text(5, "hi")
        fake.fail_next("sendMessage", error_code=429, retry_after=1)
        limiter = ChatRateLimiter(overall_per_second=30)
        async with Bot(fake.token, base_url=fake.base_url, rate_limiter=limiter) as bot:
            message = await bot.send_message(5, "still arrives")
        calls = fake.calls_to("sendMessage")
    assert message.text == "still arrives"
    assert [c.error_code for c in calls] == [429, None]
    assert calls[1].at - calls[0].at >= 1.0
