"""The one way out: every message the core sends goes through the postman.

A feature fills an :class:`~bot.chat.outbox.Outbox`; the postman turns it into ``Messenger`` calls
(after the feature's transaction committed), tells what became of each message, and acts on the
one outcome that concerns everyone alike: a person who blocked the bot is marked gone
(:func:`bot.people.users.mark_gone`), whether the message was a reply, a scheduled check-in, a
weekly recap, an experiment result or a safety follow-up.

Two ways to post, because the callers need different things:

- :meth:`Postman.deliver` for replies: the outbox's messages in order, errors other than a
  blocked chat left to the adapter (it tells the person to try again), no time limit.
- :meth:`Postman.post` for what the sweep sends on its own: one message within a time limit, the
  outcome returned as a :class:`Posted` (never an exception), so the sweep can record it on the
  claimed delivery row. A refusal (429) is certainly not delivered and may be offered again; any
  other failure's outcome is unknown, and at-most-once means it is not.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.clock import Clock
from bot.chat.messenger import DeliveryError, Messenger, RateLimited, RecipientGone
from bot.chat.outbox import Edit, Outbox, Send, SendFile, SendPhoto
from bot.people.users import mark_gone
from bot.store.db import Sessions, is_unavailable
from bot.store.models import Checkin, Delivery
from bot.store.states import DeliveryStatus

log = logging.getLogger(__name__)

#: Seconds; a hung send must not hold the sweep (one instance at a time) forever.
SEND_TIMEOUT = 60.0

Message = Send | Edit | SendFile | SendPhoto


@dataclass(frozen=True, slots=True)
class Posted:
    """What became of one posted message."""

    status: DeliveryStatus  # SENT, GONE, REFUSED or FAILED
    message_id: int | None = None

    @property
    def sent(self) -> bool:
        return self.status is DeliveryStatus.SENT


class Postman:
    def __init__(
        self,
        sessions: Sessions,
        messenger: Messenger,
        clock: Clock,
        *,
        send_timeout: float = SEND_TIMEOUT,
    ) -> None:
        self.sessions = sessions
        self.messenger = messenger
        self.clock = clock
        self.send_timeout = send_timeout

    async def call(self, chat_id: int, message: Message) -> int | None:
        """One outbox message as one ``Messenger`` call; the new message's id, if it has one."""
        if isinstance(message, Edit):
            await self.messenger.edit(chat_id, message.message_id, message.text, message.buttons)
            return None
        if isinstance(message, SendPhoto):
            return await self.messenger.send_photo(
                chat_id, message.png, message.caption, silent=message.silent
            )
        if isinstance(message, SendFile):
            return await self.messenger.send_file(
                chat_id, message.filename, message.data, message.caption
            )
        return await self.messenger.send(
            chat_id,
            message.text,
            message.buttons,
            ask_location=message.ask_location,
            clear_reply_keyboard=message.clear_reply_keyboard,
            silent=message.silent,
        )

    async def post(self, chat_id: int, message: Message, *, user_id: int | None) -> Posted:
        """Send one message within the time limit and say what became of it (never raises)."""
        try:
            message_id = await asyncio.wait_for(self.call(chat_id, message), self.send_timeout)
        except RecipientGone:
            return Posted(DeliveryStatus.GONE)
        except RateLimited:
            return Posted(DeliveryStatus.REFUSED)
        except (DeliveryError, TimeoutError):
            log.warning(
                "message not delivered",
                extra={"user_id": user_id, "message_kind": type(message).__name__},
            )
            return Posted(DeliveryStatus.FAILED)
        return Posted(DeliveryStatus.SENT, message_id)

    async def deliver(self, chat_id: int, outbox: Outbox, *, user_id: int | None = None) -> None:
        """A reply: every message in order, after the action's commit.

        A blocked chat stops the reply and marks the person gone; any other delivery error is
        left to the caller's adapter. Check-in questions that went out have their message id
        remembered, so that a typed answer can tidy the question's buttons.
        """
        sent_questions: dict[int, int] = {}
        try:
            for message in outbox.messages:
                message_id = await self.call(chat_id, message)
                if isinstance(message, Send) and message.checkin_id is not None and message_id:
                    sent_questions[message.checkin_id] = message_id
        except RecipientGone:
            if user_id is not None:
                await self.mark_gone(user_id)
            return
        if sent_questions:
            await self.remember_question_messages(sent_questions)

    async def remember_question_messages(self, sent: dict[int, int]) -> None:
        """Keep each check-in's latest question message (a convenience: skipped if the DB is away).

        The message id lets a typed answer tidy the buttons of the question it answers.
        """
        try:
            async with self.sessions() as session, session.begin():
                for checkin_id, message_id in sent.items():
                    await session.execute(
                        update(Checkin)
                        .where(Checkin.id == checkin_id)
                        .values(message_id=message_id)
                    )
        except Exception as error:
            if not is_unavailable(error):
                raise
            log.warning("question message not remembered: database unavailable")

    async def mark_gone(self, user_id: int) -> None:
        """The person blocked the bot, seen outside any transaction: mark them in one of their own.

        If the database is away, the next refused scheduled send marks them instead.
        """
        try:
            async with self.sessions() as session, session.begin():
                await mark_gone(session, user_id, self.clock.now())
        except Exception as error:
            if not is_unavailable(error):
                raise
            log.warning(
                "user not marked inactive: database unavailable", extra={"user_id": user_id}
            )
            return
        log.info("user inactive after delivery refused", extra={"user_id": user_id})

    @staticmethod
    async def record(
        session: AsyncSession, posts: list[tuple[int | None, int, Posted]], now: datetime
    ) -> None:
        """Write what became of posted messages, in the caller's recording transaction.

        ``posts`` holds (claimed delivery id or ``None``, user id, outcome). Each claimed
        delivery row gets its status and message id, and everyone found gone is marked.
        What a refusal means for the thing that was claimed (offer the prompt again, hand the
        result back) is the caller's business.
        """
        rows = [
            {
                "id": delivery_id,
                "status": posted.status,
                "sent_at": now if posted.message_id else None,
                "message_id": posted.message_id,
            }
            for delivery_id, _, posted in posts
            if delivery_id is not None
        ]
        if rows:
            await session.execute(update(Delivery), rows)
        for user_id in sorted(
            {u for _, u, posted in posts if posted.status is DeliveryStatus.GONE}
        ):
            await mark_gone(session, user_id, now)
