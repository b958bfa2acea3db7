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


async def test_a_fan_out_is_paced_evenly_so_telegram_never_answers_429() -> None:
    # The server allows 22 sends in any second; the bot is set to 20/s. Sends start all at once,
    # as a sweep's do: a bucket as deep as the rate would let 20 go at once and 20 more within
    # the same second.
    async with FakeBotApi(rate_limit_per_second=22) as fake:
        chats = range(100, 135)
        for chat in chats:
            fake.user_sends_text(chat, "hi")
        limiter = ChatRateLimiter(overall_per_second=20, max_retries=0)
        async with Bot(fake.token, base_url=fake.base_url, rate_limiter=limiter) as bot:
            await asyncio.gather(*(bot.send_message(chat, "due now") for chat in chats))
        accepted = sorted(c.at for c in fake.calls_to("sendMessage") if c.error_code is None)
    assert fake.rejected_429 == 0
    assert len(accepted) == len(chats)
    # Evenly paced: 35 sends at 20/s take about 1.7 s, not a burst and then the rest.
    assert accepted[-1] - accepted[0] >= 1.5


async def test_after_a_429_sending_resumes_at_the_pace_not_in_a_burst() -> None:
    # One 429 (Telegram's flood control) arrives in the middle of a fan-out. While the bot waits
    # the second Telegram asked for, the sends queued behind it must not pile up and all go at
    # once when the wait is over: that burst would earn more 429s, one after another.
    async with FakeBotApi(rate_limit_per_second=22) as fake:
        chats = range(200, 250)
        for chat in chats:
            fake.user_sends_text(chat, "hi")
        limiter = ChatRateLimiter(overall_per_second=20, max_retries=3)

        def accepted() -> list[float]:
            return sorted(c.at for c in fake.calls_to("sendMessage") if c.error_code is None)

        async def flood_control_midway() -> None:
            await fake.wait_for(lambda: len(accepted()) >= 10)
            fake.fail_next("sendMessage", error_code=429, retry_after=1)

        async with Bot(fake.token, base_url=fake.base_url, rate_limiter=limiter) as bot:
            await asyncio.gather(
                flood_control_midway(),
                *(bot.send_message(chat, "due now") for chat in chats),
            )
        refused = [c for c in fake.calls_to("sendMessage") if c.error_code == 429]
        sent = accepted()
    assert len(sent) == len(chats)
    assert len(refused) == 1  # the injected one; none earned by a burst after it
    # Nothing goes out during the second Telegram asked for, to any chat.
    assert not [t for t in sent if refused[0].at < t < refused[0].at + 1.0]
    # Paced after the pause too: no second ever held more than the bot's 20 (+1).
    assert max(sum(1 for t in sent if start <= t < start + 1) for start in sent) <= 21
