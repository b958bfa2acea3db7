"""The fake Bot API server works with the real python-telegram-bot, unmodified.

Why: every end-to-end test of the bot trusts this fake; if it drifted from Telegram's wire format
or rules, those tests would pass against a Telegram that does not exist.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import re
import time
import warnings
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fake_bot_api import FakeBotApi

USER = 4242


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    """A bare Bot with no updater, for calling the API directly."""
    async with Bot(fake.token, base_url=fake.base_url) as b:
        yield b


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


async def _menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Yes", callback_data="ans:yes")],
            [InlineKeyboardButton("No", callback_data="ans:no")],
        ]
    )
    await update.effective_message.reply_text("Feeling better today?", reply_markup=keyboard)


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer("Saved")
    await query.edit_message_text(f"You chose {query.data.split(':')[1]}")


def _build(fake: FakeBotApi) -> Application:
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .get_updates_read_timeout(3)
        .build()
    )
    app.add_handler(CommandHandler("menu", _menu))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    app.add_handler(CallbackQueryHandler(_answer))
    return app


@pytest.fixture
async def app(fake: FakeBotApi) -> AsyncIterator[Application]:
    application = _build(fake)
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def test_echo_reply_reaches_the_user(fake: FakeBotApi, app: Application) -> None:
    fake.user_sends_text(USER, "my back hurts")

    reply = await fake.wait_for_message(USER, "echo: my back hurts")

    assert reply.kind == "text"
    assert reply.chat_id == USER
    assert fake.calls_to("getMe"), "PTB asks who it is on initialize"
    await fake.wait_updates_consumed()


async def test_button_press_edits_the_message_and_answers_the_query(
    fake: FakeBotApi, app: Application
) -> None:
    fake.user_sends_text(USER, "/menu")
    menu = await fake.wait_for_message(USER, "Feeling better")
    assert menu.buttons == [[("Yes", "ans:yes")], [("No", "ans:no")]]

    fake.user_presses(USER, menu.message_id, menu.data_for("Yes"))
    edited = await fake.wait_for_message(USER, "You chose yes")

    assert edited.message_id == menu.message_id
    assert edited.edits == 1
    assert edited.buttons == [], "an edit without reply_markup removes the keyboard"
    assert len(fake.messages(USER)) == 1, "the user's /menu is not a bot message"
    await fake.wait_for(lambda: fake.callback_answers)
    assert fake.callback_answers[0]["text"] == "Saved"


async def test_redelivered_update_reaches_the_handler_again(
    fake: FakeBotApi, app: Application
) -> None:
    update = fake.user_sends_text(USER, "once")
    await fake.wait_for_message(USER, "echo: once")
    await fake.wait_updates_consumed()

    fake.push_update(update)

    await fake.wait_for_message(USER, "echo: once")
    assert sum(m.text == "echo: once" for m in fake.messages(USER)) == 2
    await fake.wait_updates_consumed()


# PTB 22 warns that RetryAfter.retry_after will become a timedelta; that is PTB's own notice.
_RETRY_AFTER_INT_DEPRECATION = (
    "ignore:.*attribute `retry_after`:telegram.warnings.PTBDeprecationWarning"
)


@pytest.mark.filterwarnings(_RETRY_AFTER_INT_DEPRECATION)
async def test_injected_429_reaches_the_caller_as_retry_after(fake: FakeBotApi, bot: Bot) -> None:
    fake.fail_next("sendMessage", retry_after=3)

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "reminder")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        retry_after = caught.value.retry_after
    seconds = retry_after.total_seconds() if isinstance(retry_after, dtm.timedelta) else retry_after
    assert seconds == 3
    assert fake.messages(USER) == []

    await bot.send_message(USER, "reminder")  # only the next call was failed
    assert [m.text for m in fake.messages(USER)] == ["reminder"]
    assert [c.error_code for c in fake.calls_to("sendMessage")] == [429, None]


@pytest.mark.filterwarnings(_RETRY_AFTER_INT_DEPRECATION)
async def test_a_retrying_rate_limiter_gets_the_message_through(fake: FakeBotApi) -> None:
    fake.fail_next("sendMessage", retry_after=1)
    application = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .rate_limiter(AIORateLimiter(max_retries=1))
        .build()
    )
    async with application:
        await application.bot.send_message(USER, "your check-in")

    assert [m.text for m in fake.messages(USER)] == ["your check-in"]
    failed, retried = fake.calls_to("sendMessage")
    assert failed.error_code == 429 and retried.error_code is None
    assert retried.at - failed.at >= 1, "the retry waited for retry_after"


async def test_unserved_methods_and_parameters_are_refused_not_ignored(
    fake: FakeBotApi, bot: Bot
) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": USER})
    assert (fake.calls[-1].method, fake.calls[-1].error_code) == ("sendTelepathy", 404)

    # Stored as plain text, "<b>Pain</b>" would pass a test that real Telegram renders otherwise.
    with pytest.raises(BadRequest, match=r"(?i)does not model parameter 'parse_mode'"):
        await bot.send_message(USER, "<b>Pain</b> 3", parse_mode="HTML")
    assert fake.messages(USER) == []


async def test_a_missing_or_unreadable_parameter_is_refused(fake: FakeBotApi, bot: Bot) -> None:
    async with httpx.AsyncClient() as client:  # PTB itself never leaves chat_id out
        answer = await client.post(f"{fake.base_url}{fake.token}/sendMessage", data={"text": "hi"})
    assert answer.status_code == 400
    assert answer.json()["description"] == 'Bad Request: parameter "chat_id" is required'

    with pytest.raises(BadRequest, match=r"(?i)can't parse disable_notification"):
        await bot.send_message(USER, "hi", api_kwargs={"disable_notification": "maybe"})
    assert fake.messages(USER) == []


async def test_a_wrong_token_is_unauthorized(fake: FakeBotApi) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong-token", base_url=fake.base_url):
            pass  # PTB asks who it is first, and is refused
    assert [c.error_code for c in fake.calls_to("getMe")] == [401]


async def test_any_error_can_be_injected(fake: FakeBotApi, bot: Bot) -> None:
    fake.fail_next("sendMessage", error_code=400, description="Bad Request: chat not found")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(USER, "reminder")
    await bot.send_message(USER, "reminder")
    assert [c.error_code for c in fake.calls_to("sendMessage")] == [400, None]


async def test_blocked_chat_answers_forbidden_until_unblocked(fake: FakeBotApi, bot: Bot) -> None:
    fake.block_chat(USER)
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(USER, "hello?")

    fake.unblock_chat(USER)
    await bot.send_message(USER, "hello again")
    assert [m.text for m in fake.messages(USER)] == ["hello again"]


@pytest.mark.filterwarnings(_RETRY_AFTER_INT_DEPRECATION)
async def test_rate_limit_rejects_sends_beyond_the_budget() -> None:
    async with (
        FakeBotApi(rate_limit_per_second=2) as fake,
        Bot(fake.token, base_url=fake.base_url) as bot,
    ):
        await bot.send_message(1, "a")
        await bot.send_message(2, "b")
        with pytest.raises(RetryAfter):
            await bot.send_message(3, "c")
        assert fake.rejected_429 == 1


async def test_long_poll_returns_as_soon_as_an_update_arrives(fake: FakeBotApi, bot: Bot) -> None:
    async def push_later() -> None:
        await asyncio.sleep(0.2)
        fake.user_sends_text(USER, "ping")

    pusher = asyncio.create_task(push_later())
    started = time.monotonic()
    updates = await bot.get_updates(timeout=10)
    elapsed = time.monotonic() - started
    await pusher

    assert [u.message.text for u in updates if u.message] == ["ping"]
    assert elapsed < 2
    assert fake.pending_updates == 1, "fetched but not yet confirmed"

    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    await fake.wait_updates_consumed(timeout=0.5)


async def test_stop_ends_a_pending_long_poll_at_once(fake: FakeBotApi, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for(lambda: fake.calls_to("getUpdates"))
    started = time.monotonic()

    await fake.stop()
    result = await poll

    assert result == ()
    assert time.monotonic() - started < 2


async def test_an_offset_confirms_the_updates_before_it(fake: FakeBotApi, bot: Bot) -> None:
    first = fake.user_sends_text(USER, "one")
    fake.user_sends_text(USER, "two")

    batch = await bot.get_updates()
    assert [u.message.text for u in batch if u.message] == ["one", "two"]
    assert fake.pending_updates == 2, "fetched but not yet confirmed"

    again = await bot.get_updates(offset=first["update_id"] + 1)
    assert [u.message.text for u in again if u.message] == ["two"]
    assert fake.pending_updates == 1


async def test_updates_outside_allowed_updates_are_never_sent(fake: FakeBotApi, bot: Bot) -> None:
    edited = {"message_id": 1, "date": 0, "chat": {"id": USER, "type": "private"}, "text": "x"}
    fake.send_raw({"edited_message": edited})
    fake.user_sends_text(USER, "kept")

    updates = await bot.get_updates(allowed_updates=["message", "callback_query"])

    assert [u.message.text for u in updates if u.message] == ["kept"]
    assert not [u for u in updates if u.edited_message]
    assert fake.pending_updates == 1


async def test_a_webhook_is_recorded_and_can_drop_what_is_pending(
    fake: FakeBotApi, bot: Bot
) -> None:
    fake.user_sends_text(USER, "kept")
    await bot.set_webhook("https://bot.example.org/telegram", secret_token="s3cret")
    assert (fake.webhook_url, fake.webhook_secret) == ("https://bot.example.org/telegram", "s3cret")
    assert fake.pending_updates == 1

    await bot.delete_webhook(drop_pending_updates=True)
    assert (fake.webhook_url, fake.webhook_secret, fake.pending_updates) == ("", None, 0)


async def test_command_text_carries_a_bot_command_entity(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends_text(USER, "/swap white bread")
    (update,) = await bot.get_updates()
    assert update.message is not None
    assert update.message.parse_entities(["bot_command"]) == {update.message.entities[0]: "/swap"}


async def test_telegram_validation_errors(fake: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "   ")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "x" * 4097)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "pick", reply_markup=too_long)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message("@nobody", "hello")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(USER, b"\x89PNG fake", caption="x" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
        await bot.send_document(USER, b"", filename="empty.csv")

    sent = await bot.send_message(USER, "Pain 3 of 10")
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("new", USER, sent.message_id + 100)
    photo = await bot.send_photo(USER, b"\x89PNG fake", caption="Your week")
    with pytest.raises(BadRequest, match=r"(?i)there is no text in the message to edit"):
        await bot.edit_message_text("new", USER, photo.message_id)
    assert [m.text for m in fake.messages(USER)] == ["Pain 3 of 10", "Your week"]


_LOG_IT = {"inline_keyboard": [[{"text": "Log it", "callback_data": "log:1"}]]}


@pytest.mark.parametrize(
    ("markup", "refusal"),
    [
        ("not json", "can't parse reply keyboard markup"),
        ({"force_reply": True}, "can't parse reply keyboard markup"),
        ({"inline_keyboard": {"text": "Go"}}, "array expected"),
        ({"inline_keyboard": [[{"text": "", "callback_data": "x"}]]}, "text empty"),
        ({"inline_keyboard": [[{"text": "Go", "url": "https://e.org"}]]}, "callback_data buttons"),
        ({"keyboard": [[{"request_location": True}]]}, "keyboard button text is empty"),
        ({"keyboard": "Share"}, "can't parse reply keyboard markup"),
    ],
)
async def test_a_badly_shaped_keyboard_is_refused(
    fake: FakeBotApi, bot: Bot, markup: object, refusal: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){re.escape(refusal)}"):
        await bot.send_message(USER, "pick", api_kwargs={"reply_markup": markup})
    assert fake.messages(USER) == []


async def test_an_edit_in_place_replaces_the_keyboard(fake: FakeBotApi, bot: Bot) -> None:
    """The shape of a check-in edited in place: same message, new text and buttons each step."""
    pain = InlineKeyboardMarkup([[InlineKeyboardButton("6", callback_data="c:pain:6")]])
    stool = InlineKeyboardMarkup([[InlineKeyboardButton("Type 4", callback_data="c:bristol:4")]])
    sent = await bot.send_message(USER, "Pain?", reply_markup=pain)
    assert (await fake.wait_for_message(USER, "Pain?")).buttons == [[("6", "c:pain:6")]]

    await bot.edit_message_text("Pain?", USER, sent.message_id, reply_markup=stool)
    edited = await fake.wait_for_message(USER, "Pain?")
    assert (edited.message_id, edited.edits) == (sent.message_id, 1)
    assert edited.buttons == [[("Type 4", "c:bristol:4")]], "new buttons alone are a change"

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Pain?", USER, sent.message_id, reply_markup=stool)
    with pytest.raises(BadRequest, match=r"(?i)inline keyboard expected"):
        await bot.edit_message_text(
            "Stool?", USER, sent.message_id, api_kwargs={"reply_markup": {"remove_keyboard": True}}
        )
    await bot.edit_message_text("Thanks", USER, sent.message_id)
    (done,) = fake.messages(USER)
    assert (done.text, done.buttons, done.edits) == ("Thanks", [], 2)


async def test_a_button_press_is_answered_once(fake: FakeBotApi, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="ans:yes")]])
    sent = await bot.send_message(USER, "Better today?", reply_markup=keyboard)
    query_id = fake.user_presses(USER, sent.message_id, "ans:yes")["callback_query"]["id"]

    with pytest.raises(BadRequest, match=r"(?i)MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, "x" * 201)
    assert await bot.answer_callback_query(query_id, "Saved")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id, "Saved again")  # e.g. a redelivered press
    assert [a["text"] for a in fake.callback_answers] == ["Saved"]


async def test_disable_notification_is_recorded_on_every_sent_message(
    fake: FakeBotApi, bot: Bot
) -> None:
    await bot.send_message(USER, "Good morning")
    await bot.send_message(USER, "Also, a tip", disable_notification=True)
    await bot.send_photo(USER, b"\x89PNG fake", caption="Week", disable_notification=True)
    await bot.send_document(USER, b"a,b\n", filename="d.csv", disable_notification=False)

    silent = [m.disable_notification for m in fake.messages(USER)]
    assert silent == [False, True, True, False]


async def test_uploads_and_reply_keyboards_are_recorded(fake: FakeBotApi, bot: Bot) -> None:
    await bot.send_document(USER, b"date,pain\n2024-05-01,3\n", filename="diary.csv")
    await bot.send_photo(USER, b"\x89PNG fake", caption="Your week")
    share = ReplyKeyboardMarkup([[KeyboardButton("Share location", request_location=True)]])
    await bot.send_message(USER, "Where are you?", reply_markup=share)

    document, photo, question = fake.messages(USER)
    assert (document.kind, document.filename) == ("document", "diary.csv")
    assert document.file_bytes == b"date,pain\n2024-05-01,3\n"
    assert (photo.kind, photo.text, photo.file_bytes) == ("photo", "Your week", b"\x89PNG fake")
    assert question.buttons == [], "a reply keyboard is not on the message"
    shown = fake.reply_keyboard_of(USER)
    assert shown is not None and shown["keyboard"][0][0]["request_location"] is True

    await bot.send_message(USER, "Thanks", reply_markup=ReplyKeyboardRemove())
    assert fake.reply_keyboard_of(USER) is None


async def test_commands_are_recorded_and_checked(fake: FakeBotApi, bot: Bot) -> None:
    await bot.set_my_commands([("checkin", "Check in now"), ("tip", "A tip for me now")])
    assert [c["command"] for c in fake.commands] == ["checkin", "tip"]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("CheckIn", "bad name")])
    with pytest.raises(BadRequest, match=r"(?i)command description is empty"):
        await bot.set_my_commands([("tip", " ")])
    with pytest.raises(BadRequest, match=r"(?i)too many commands"):
        await bot.set_my_commands([(f"c{i}", "x") for i in range(101)])
    assert [c["command"] for c in fake.commands] == ["checkin", "tip"]


async def test_wait_for_message_explains_what_it_saw(fake: FakeBotApi, bot: Bot) -> None:
    await bot.send_message(USER, "hello")
    with pytest.raises(AssertionError, match=r"(?s)'hello'.*sendMessage"):
        await fake.wait_for_message(USER, "goodbye", timeout=0.2)


async def test_full_lifecycle_leaves_no_tasks_behind() -> None:
    async with FakeBotApi() as fake:
        application = _build(fake)
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0, timeout=1)
            fake.user_sends_text(USER, "bye")
            await fake.wait_for_message(USER, "echo: bye")
            await application.updater.stop()
            await application.stop()
        # The updater's last getUpdates confirmed what it had fetched.
        await fake.wait_updates_consumed(timeout=0.5)
    await asyncio.sleep(0)
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert leftovers == []
