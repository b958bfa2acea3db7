"""The ``Messenger`` over the Telegram Bot API."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    Bot,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.base.wording import t
from bot.chat.messenger import NO_BUTTONS, DeliveryError, Keyboard, RateLimited, RecipientGone

log = logging.getLogger(__name__)


def inline_markup(buttons: Keyboard) -> dict[str, Any] | None:
    """The keyboard as the JSON object the Bot API reads (``InlineKeyboardMarkup``'s shape).

    Built as plain data, not as PTB objects: PTB sends a mapping as it is, and making a
    ``TelegramObject`` per button only to turn it back into a dict cost a check-in press about
    a tenth of its time (a press edits the message with ten or more buttons).
    """
    if not buttons:
        return None
    rows = [[{"text": b.label, "callback_data": b.data} for b in row] for row in buttons]
    return {"inline_keyboard": rows}


class TelegramMessenger:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self,
        chat_id: int,
        text: str,
        buttons: Keyboard = NO_BUTTONS,
        *,
        ask_location: str | None = None,
        clear_reply_keyboard: bool = False,
        silent: bool = False,
    ) -> int:
        markup: object = inline_markup(buttons)
        if markup is None and clear_reply_keyboard:
            markup = ReplyKeyboardRemove()
        message_id = await self._call(
            self.bot.send_message(
                chat_id=chat_id, text=text, reply_markup=markup, disable_notification=silent
            )
        )
        if ask_location:
            # A message carries one keyboard: the location button needs a message of its own.
            keyboard = ReplyKeyboardMarkup(
                [[KeyboardButton(ask_location, request_location=True)]],
                resize_keyboard=True,
                one_time_keyboard=True,
            )
            await self._call(
                self.bot.send_message(
                    chat_id=chat_id,
                    text=t("share_location_hint"),
                    reply_markup=keyboard,
                    disable_notification=True,
                )
            )
        return message_id

    async def edit(self, chat_id: int, message_id: int, text: str, buttons: Keyboard) -> None:
        try:
            await self._call(
                self.bot.edit_message_text(
                    chat_id=chat_id,
                    message_id=message_id,
                    text=text,
                    reply_markup=inline_markup(buttons),  # type: ignore[arg-type]
                )
            )
        except DeliveryError as error:
            # An edit that changes nothing, or of a message the person deleted, is not a failure.
            log.debug("edit skipped", extra={"reason": type(error.__cause__).__name__})

    async def send_photo(
        self, chat_id: int, png: bytes, caption: str, *, silent: bool = False
    ) -> int:
        return await self._call(
            self.bot.send_photo(
                chat_id=chat_id, photo=png, caption=caption, disable_notification=silent
            )
        )

    async def send_file(self, chat_id: int, filename: str, data: bytes, caption: str) -> int:
        return await self._call(
            self.bot.send_document(
                chat_id=chat_id, document=data, filename=filename, caption=caption
            )
        )

    async def _call(self, request: object) -> int:
        try:
            result = await request  # type: ignore[misc]
        except Forbidden as error:
            raise RecipientGone(str(error)) from error
        except RetryAfter as error:
            raise RateLimited(_seconds(error.retry_after)) from error
        except BadRequest as error:
            raise DeliveryError(error.message) from error
        except TelegramError as error:
            raise DeliveryError(type(error).__name__) from error
        return getattr(result, "message_id", 0)


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
