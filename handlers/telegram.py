"""Telegram updates in, core calls out. No SQL and no business rules here."""

from __future__ import annotations

import logging

from telegram import BotCommand, CallbackQuery, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app.commands import COMMANDS
from bot.app.core import GutBack
from bot.base.wording import t
from bot.chat.messenger import Sender

log = logging.getLogger(__name__)

#: Commands in the menu, in the order of the core's table (each has a ``command_<name>`` text).
MENU = tuple(command.name for command in COMMANDS)


#: The update kinds the handlers below use; Telegram is asked for these only (polling and webhook).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def menu_commands() -> list[BotCommand]:
    return [BotCommand(name, t(f"command_{name}")) for name in MENU]


def sender_of(update: Update) -> Sender | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    return Sender(
        platform_id=user.id,
        chat_id=chat.id,
        first_name=user.first_name,
        language_code=user.language_code,
        private=chat.type == "private",
    )


async def answer_button(query: CallbackQuery, notice: str | None) -> None:
    """Stop the button's spinner, with a short notice if there is one.

    Telegram refuses a second answer, and any answer after about 15 s. Neither is a failure of
    the press: another worker answered a redelivered press already, or a slow moment passed.
    """
    try:
        await query.answer(notice)
    except BadRequest as error:
        log.debug("button press not answered", extra={"reason": error.message})


def register(application: Application, core: GutBack) -> None:
    async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sender, message = sender_of(update), update.effective_message
        if sender is None or message is None or not message.text:
            return
        name = (message.text.split() or [""])[0].lstrip("/").split("@")[0]
        args = message.text.partition(" ")[2] if " " in message.text else ""
        await core.on_command(sender, name, args, update_id=update.update_id)

    async def text(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        sender, message = sender_of(update), update.effective_message
        if sender is not None and message is not None and message.text is not None:
            await core.on_text(sender, message.text, update_id=update.update_id)

    async def location(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        sender, message = sender_of(update), update.effective_message
        if sender is not None and message is not None and message.location is not None:
            await core.on_location(
                sender,
                message.location.latitude,
                message.location.longitude,
                update_id=update.update_id,
            )

    async def button(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        query, sender = update.callback_query, sender_of(update)
        if query is None:
            return
        if sender is None:
            # A press from no chat the bot wrote in (an inline message, a forged update).
            await answer_button(query, t("button_expired"))
            return
        message_id = query.message.message_id if query.message is not None else None
        # Untrusted: a string of up to 64 bytes from an honest client, anything from a forged one
        # (bot.app.presses.parse reads it strictly and never raises).
        data = query.data if isinstance(query.data, str) else None
        notice = await core.on_button(sender, message_id, data, update_id=update.update_id)
        await answer_button(query, notice)

    async def captioned(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        sender, message = sender_of(update), update.effective_message
        if sender is not None and message is not None and message.caption:
            await core.on_caption(sender, message.caption, update_id=update.update_id)

    async def edited(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        sender, message = sender_of(update), update.effective_message
        if sender is None or message is None:
            return
        new_text = message.text or message.caption
        if new_text:
            await core.on_edit(sender, new_text, update_id=update.update_id)

    async def anything_else(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        sender = sender_of(update)
        if sender is not None and update.effective_message is not None:
            await core.on_unsupported(sender, update_id=update.update_id)

    new = filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(new & filters.COMMAND, command))
    application.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, text))
    application.add_handler(MessageHandler(new & filters.LOCATION, location))
    # A photo or a file is not read, but what the person wrote under it is screened.
    application.add_handler(MessageHandler(new & filters.CAPTION, captioned))
    # An edit's new text is screened; the diary keeps the first version (and says so).
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(MessageHandler(new, anything_else))
    application.add_error_handler(_error_handler(core))


def _error_handler(core: GutBack):  # type: ignore[no-untyped-def]
    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Never log the update itself: it holds what the person wrote.
        log.error(
            "error while handling an update",
            exc_info=context.error,
            extra={"update_id": getattr(update, "update_id", None)},
        )
        if isinstance(update, Update):
            sender = sender_of(update)
            if update.callback_query is not None:
                try:
                    await update.callback_query.answer(t("error_try_again"), show_alert=True)
                except Exception:
                    log.debug("could not answer the failed button press")
            elif sender is not None:
                try:
                    await core.messenger.send(sender.chat_id, t("error_try_again"))
                except Exception:
                    log.debug("could not tell the person about the failure")

    return on_error
