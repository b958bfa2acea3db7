"""What goes wrong around a running bot: a storm of 429s, kill -9 mid-check-in, odd updates.

The database outage has its own file (test_outage.py, PostgreSQL), and so do two workers on one
database (test_workers.py). A blocked user and a single 429 are in test_checkin.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.base.wording import t
from bot.store.models import Answer, Checkin, Delivery, LogEntry
from tests.e2e.conftest import START, Harness
from tests.e2e.test_checkin import answers_of
from tests.support import BERLIN, add_user, add_users, sessions_for

ROOT = Path(__file__).resolve().parents[2]
ALEX = 1001
PROMPT = "How is your back pain"


# --- a storm of 429s ----------------------------------------------------------------------------

STORM_USERS = 5
STORM = 8  # refusals in a row, more than one send's six attempts (ChatRateLimiter max_retries 5)


async def test_a_storm_of_429s_is_waited_out_and_every_prompt_arrives_exactly_once(
    harness: Harness,
) -> None:
    chats = [3000 + i for i in range(STORM_USERS)]
    async with sessions_for(harness.database_url) as sessions:
        await add_users(sessions, START, chats, BERLIN, times=[time(8, 0)])
    # Every refusal pauses all sending for its retry_after (Telegram's flood control is per
    # bot), and sends resume one at a time: a storm costs about a second per refusal. Which
    # send takes the refusals depends on who gets the first turn after each pause; one refused
    # on all six attempts is given back and sent by a later sweep (see test_delivery.py).
    harness.fake.fail_next("sendMessage", error_code=429, retry_after=1, times=STORM)
    await harness.start()
    harness.clock.set(START.replace(hour=7))  # 08:00 in Berlin: everyone is due

    for chat in chats:
        await harness.fake.wait_for_message(chat, PROMPT, timeout=STORM * 2)
    await harness.sweep_now()
    refused = [c for c in harness.fake.calls_to("sendMessage") if c.error_code == 429]
    assert len(refused) == STORM
    for chat in chats:
        prompts = [m for m in harness.fake.messages(chat) if PROMPT in (m.text or "")]
        assert len(prompts) == 1, chat
    # A check-in whose prompt was given back is marked unsent (never shown to anyone); each
    # person has exactly one open check-in, the one they received.
    statuses = await harness.query(select(Checkin.status, Checkin.message_id))
    assert sorted(s for s, _ in statuses if s != "unsent") == ["open"] * STORM_USERS
    assert all(m is not None for s, m in statuses if s == "open")
    assert await harness.count(Delivery, Delivery.status == "sent") == STORM_USERS
    assert await harness.count(Delivery) == STORM_USERS


# --- kill -9 mid-check-in -------------------------------------------------------------------------

STARTUP = 30.0  # seconds for a fresh `python -m bot run` to import, connect and answer


async def start_bot(harness: Harness) -> asyncio.subprocess.Process:
    """A real `python -m bot run` against the fake Bot API and the test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "GUTBACK_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=harness.fake.token,
        TELEGRAM_API_URL=harness.fake.base_url,
        DATABASE_URL=harness.database_url,
        GUTBACK_GLOBAL_RATE="200",
        GUTBACK_CHAT_RATE="100",
        GUTBACK_SWEEP_SECONDS="1",
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--no-migrate",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def kill_9(process: asyncio.subprocess.Process) -> None:
    os.kill(process.pid, signal.SIGKILL)
    assert await process.wait() == -signal.SIGKILL


async def test_after_kill_9_mid_checkin_a_new_process_continues_it(harness: Harness) -> None:
    # The processes run on the real clock: a timezone where it is about noon keeps the whole
    # test on one local day, and a check-in time half a day away keeps the schedule out of it.
    now = datetime.now(UTC)
    offset = 12 - now.hour
    zone = f"Etc/GMT{-offset:+d}"  # POSIX sign: Etc/GMT-5 is UTC+05:00
    local_now = now + timedelta(hours=offset)
    later = (local_now + timedelta(hours=12)).time().replace(second=0, microsecond=0)
    async with sessions_for(harness.database_url) as sessions:
        await add_user(sessions, now, ALEX, zone, times=[later])
    today = local_now.date()

    first = await start_bot(harness)
    try:
        harness.fake.user_sends_text(ALEX, "/checkin")
        pain = await harness.fake.wait_for_message(ALEX, PROMPT, timeout=STARTUP)
        digestion = await harness.tap(ALEX, pain, "6", "digestion")
        bristol = await harness.tap(ALEX, digestion, "None of these", "Bristol")
        await kill_9(first)
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    assert await answers_of(harness, ALEX) == {(today, "pain"): 6, (today, "digestion"): []}

    second = await start_bot(harness)
    try:
        # The next button of the same check-in, pressed in the new process's time.
        harness.fake.user_presses(ALEX, bristol.message_id, bristol.data_for("4"))
        food = await harness.fake.wait_for_message(ALEX, "eat and drink", timeout=STARTUP)
        # This time the process dies with a press in flight: stored or not, never half stored.
        done = food.data_for("Done")
        harness.fake.user_presses(ALEX, food.message_id, done)
        await kill_9(second)
    finally:
        if second.returncode is None:
            second.kill()
            await second.wait()

    third = await start_bot(harness)
    try:
        # An unconfirmed press is fetched again and handled before this message.
        harness.fake.user_sends_text(ALEX, "/help")
        await harness.fake.wait_for_message(ALEX, "what I can do", timeout=STARTUP)
        if food.button_labels:  # the press was lost with the process: the button is still there
            assert await harness.press(ALEX, food.message_id, done) is None
        await harness.say(ALEX, "/checkin", "stressed")  # the check-in goes on where it was
    finally:
        third.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(third.wait(), 15)
        except TimeoutError:
            third.kill()
            await third.wait()
    assert await answers_of(harness, ALEX) == {
        (today, "pain"): 6,
        (today, "digestion"): [],
        (today, "bristol"): 4,
        (today, "food"): [],
    }
    assert await harness.count(Answer) == 4
    assert await harness.count(Checkin) == 1


# --- malformed updates and huge messages ----------------------------------------------------------

LONG_MEAL = "pizza and a cola, then crisps. " * 323  # 10,013 characters


async def test_huge_and_malformed_updates_get_a_clear_reply_or_a_quiet_drop(
    harness: Harness,
) -> None:
    fake = harness.fake
    await harness.start()
    await harness.onboard(ALEX)

    # 10,000 characters (more than Telegram itself allows): read up to the limit, said so, kept.
    assert len(LONG_MEAL) > 10_000
    await harness.say(ALEX, LONG_MEAL, "very long")
    await fake.wait_for_message(ALEX, "Noted")
    rows = await harness.query(select(LogEntry.text))
    assert [len(text) for (text,) in rows] == [4000]
    assert LONG_MEAL.startswith(rows[0][0])

    date_now = int(harness.clock.now().timestamp())
    private = {"id": ALEX, "type": "private", "first_name": "Alex"}
    alex = {"id": ALEX, "is_bot": False, "first_name": "Alex"}
    odd = {
        # A field this bot has never heard of: read as usual.
        "known_with_extras": {
            "message": {
                "message_id": 900,
                "date": date_now,
                "chat": private,
                "from": alex,
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                "brand_new_field": {"nested": [1, 2, 3]},
            }
        },
        # Unparseable: a date that is not a number. Dropped, and polling carries on.
        "unreadable": {
            "message": {"message_id": 901, "date": "yesterday", "chat": private, "text": "x"}
        },
        "message_is_a_list": {"message": [1, 2, 3]},
        # Parseable but with nobody to answer: dropped quietly.
        "no_chat": {"message": {"message_id": 902, "date": date_now, "from": alex, "text": "6"}},
        "edited": {
            "edited_message": {
                "message_id": 903,
                "date": date_now,
                "edit_date": date_now,
                "chat": private,
                "from": alex,
                "text": "actually pizza",
            }
        },
        "channel_post": {
            "channel_post": {
                "message_id": 904,
                "date": date_now,
                "chat": {"id": -100777, "type": "channel", "title": "News"},
                "text": "pizza",
            }
        },
        "unknown_kind": {"something_new": {"id": 1}},
        # A button press from an inline message (no message, no chat) and one with no sender.
        "press_without_message": {
            "callback_query": {
                "id": "q-inline",
                "from": alex,
                "chat_instance": "1",
                "inline_message_id": "AAAA",
                "data": "c:1:pain:3",
            }
        },
        "press_without_sender": {
            "callback_query": {"id": "q-nobody", "chat_instance": "1", "data": "c:1:pain:3"}
        },
    }
    calls_before = len(fake.calls_to("sendMessage"))
    for payload in odd.values():
        fake.send_raw(payload)
    await fake.wait_updates_consumed()
    await harness.say(ALEX, "/settings", "Your settings")  # still answering, in order

    help_replies = [
        c
        for c in fake.calls_to("sendMessage")[calls_before:]
        if "Here's what I can do" in c.params["text"]
    ]
    assert len(help_replies) == 1  # the message with an unknown field, answered like any other
    # That, the edit's note (its new text was screened; the diary keeps the first version), and
    # /settings.
    assert len(fake.calls_to("sendMessage")) == calls_before + 3
    edit_notes = [
        c
        for c in fake.calls_to("sendMessage")[calls_before:]
        if c.params["text"] == t("edit_not_followed")
    ]
    assert len(edit_notes) == 1
    answered = {c.params.get("callback_query_id") for c in fake.calls_to("answerCallbackQuery")}
    assert {"q-inline", "q-nobody"} <= answered  # no spinner left turning
    assert await harness.count(LogEntry) == 1  # the edit and the channel post stored nothing
    assert await answers_of(harness, ALEX) == {}
    assert harness.app is not None and harness.app.updater is not None
    assert harness.app.updater.running
