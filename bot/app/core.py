"""The core's front door: one method per kind of thing a person can do.

Every method opens one session and one transaction, decides what to say, commits, and only then
speaks, through the postman. Platform adapters (Telegram, the terminal) call these methods and
nothing else. Which feature answers a command or a button is not decided here but in the two
tables, :mod:`bot.app.commands` and :mod:`bot.app.presses`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.commands import command_named, not_yet, unsaved, unsaved_text
from bot.app.presses import BUTTONS, expired, parse
from bot.app.request import Request, unmet
from bot.app.warning_first import WarningFirst
from bot.base.clean import clean_text, fits_id
from bot.base.clock import Clock
from bot.base.wording import t
from bot.chat.buttons import CheckinPress
from bot.chat.messenger import DeliveryError, Messenger, Sender
from bot.chat.outbox import Edit, Outbox, Send
from bot.delivery.postman import Postman
from bot.diary import checkins, inbox
from bot.knowledge.breathing import breathing_steps
from bot.people import onboarding
from bot.people.users import get_or_create_user
from bot.safety.conversation import FirstLook
from bot.store.db import Sessions, dialect_insert, dialect_of, is_unavailable
from bot.store.models import ProcessedUpdate, User

log = logging.getLogger(__name__)

MAX_TEXT = 4000  # what we read of one message; Telegram allows 4096
UPDATE_MEMORY = timedelta(days=3)

Action = Callable[[AsyncSession, User], Awaitable[Outbox]]
#: How ``_run`` finds the person (a press also reads its check-in in the same query).
LoadUser = Callable[[AsyncSession, Sender, datetime], Awaitable[User]]
#: What to say instead when the database cannot be reached (built only when it happens).
Fallback = Callable[[], Outbox]


class ScreenedText(Protocol):
    """How the diary answers text it screens but never stores: ``inbox.on_caption``, ``on_edit``."""

    def __call__(
        self,
        session: AsyncSession,
        user: User,
        text: str,
        now: datetime,
        *,
        first: FirstLook | None = None,
    ) -> Awaitable[Outbox]: ...


class GutBack:
    """The bot, independent of any chat platform."""

    def __init__(
        self, sessions: Sessions, messenger: Messenger, clock: Clock, *, breath_pace: float = 1.0
    ) -> None:
        self.sessions = sessions
        self.messenger = messenger
        self.clock = clock
        #: Every reply leaves through the postman (it also marks a person who blocked the bot).
        self.postman = Postman(sessions, messenger, clock)
        #: Screens typed text before the transaction and answers a definite sign at once.
        self.warning_first = WarningFirst(sessions, self.postman)
        #: Multiplies the pauses of the breathing break (tests set 0 to run it instantly).
        self.breath_pace = breath_pace
        self._breathing: dict[int, asyncio.Task[None]] = {}

    # --- the guided breathing break ------------------------------------------------------------

    def _start_breathing(self, sender: Sender) -> Outbox:
        """Run the break in the background: its pauses must not hold up other updates."""
        running = self._breathing.get(sender.chat_id)
        if running is not None and not running.done():
            return Outbox(toast=t("breathing_busy"), messages=[Send(t("breathing_busy"))])
        task = asyncio.create_task(self._breathe(sender))
        self._breathing[sender.chat_id] = task
        task.add_done_callback(lambda _: self._breathing.pop(sender.chat_id, None))
        return Outbox()

    async def _breathe(self, sender: Sender) -> None:
        """One message, edited step by step: the break is followed, not a stream of messages."""
        message_id: int | None = None
        try:
            for step in breathing_steps():
                if message_id is None:
                    message_id = await self.postman.call(
                        sender.chat_id, Send(step.text, silent=True)
                    )
                else:
                    await self.postman.call(sender.chat_id, Edit(message_id, step.text))
                await asyncio.sleep(step.pause_seconds * self.breath_pace)
        except DeliveryError:
            log.info("breathing break interrupted by a failed send")
            return
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(User)
                .where(User.platform_id == sender.platform_id)
                .values(breathing_followup=True)
            )

    async def wait_for_breathing(self) -> None:
        """Let running breathing breaks finish (used at shutdown and by tests)."""
        if self._breathing:
            await asyncio.gather(*self._breathing.values(), return_exceptions=True)

    # --- at-least-once delivery from the platform ----------------------------------------------

    async def _first_time_seen(self, session: AsyncSession, update_id: int) -> bool:
        """Remember an update id in the action's own transaction; ``False`` for a redelivery.

        Being part of that transaction matters: if handling fails, the id is rolled back with
        everything else, so Telegram's redelivery is handled instead of dropped. Two processes
        handed the same update serialise on the primary key and only one acts.
        """
        statement = _remember_update(dialect_of(session))
        parameters = {"update_id": update_id, "received_at": self.clock.now()}
        return (await session.scalar(statement, parameters)) is not None

    async def forget_old_updates(self) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                delete(ProcessedUpdate).where(
                    ProcessedUpdate.received_at < self.clock.now() - UPDATE_MEMORY
                )
            )

    # --- what people do ------------------------------------------------------------------------

    async def on_command(
        self, sender: Sender, command: str, args: str = "", *, update_id: int | None = None
    ) -> None:
        if not sender.private:
            await self._say_in_group(sender, update_id)
            return
        args = clean_text(args)[:MAX_TEXT]
        now = self.clock.now()
        wanted = command_named(clean_text(command))  # its row in bot/app/commands.py
        first = None
        if wanted.name == "log" and args.strip():
            first = await self._answer_first(sender, args, now, update_id=update_id)

        async def act(session: AsyncSession, user: User) -> Outbox:
            request = Request(
                session,
                user,
                sender,
                now,
                args,
                start_breathing=self._start_breathing,
                first=first,
            )
            unmet_need = unmet(wanted.needs, user)
            if unmet_need is not None:
                return not_yet(unmet_need, request)
            return await wanted.run(request)

        fallback = (
            _after(first) if first and first.answered else functools.partial(wanted.fallback, args)
        )
        await self._run(sender, act, update_id=update_id, fallback=fallback)

    async def on_text(self, sender: Sender, text: str, *, update_id: int | None = None) -> None:
        if not sender.private:
            await self._say_in_group(sender, update_id)
            return
        text = clean_text(text)
        truncated = len(text) > MAX_TEXT
        text = text[:MAX_TEXT]
        now = self.clock.now()
        # A definite warning sign is answered now, before any database work (warning_first).
        first = await self._answer_first(sender, text, now, update_id=update_id)

        async def act(session: AsyncSession, user: User) -> Outbox:
            # Warning signs come first, in every state: before consent, paused, mid-check-in
            # (bot/diary/inbox.py decides who speaks, bot/safety/conversation.py what is said).
            return await inbox.on_text(session, user, text, now, first=first)

        outbox_prefix = [Send(t("too_long", limit=MAX_TEXT))] if truncated else []
        await self._run(
            sender,
            act,
            prefix=outbox_prefix,
            update_id=update_id,
            fallback=_after(first) if first and first.answered else lambda: unsaved_text(text),
        )

    async def on_caption(
        self, sender: Sender, caption: str, *, update_id: int | None = None
    ) -> None:
        """A photo or a document with a caption: the caption is screened like a message."""
        if not sender.private:
            await self._say_in_group(sender, update_id)
            return
        await self._screen_unstored(sender, caption, inbox.on_caption, update_id)

    async def on_edit(self, sender: Sender, text: str, *, update_id: int | None = None) -> None:
        """A message was edited: the new text is screened; the diary keeps the first version."""
        if not sender.private:
            return  # an edit in a group was answered when it was first sent
        await self._screen_unstored(sender, text, inbox.on_edit, update_id)

    async def _screen_unstored(
        self, sender: Sender, text: str, answer: ScreenedText, update_id: int | None
    ) -> None:
        """Text the diary does not store (a caption, an edit): screened, then ``answer`` speaks.

        As for a typed message, a definite warning sign is answered before any database work.
        """
        text = clean_text(text)[:MAX_TEXT]
        now = self.clock.now()
        first = await self._answer_first(sender, text, now, update_id=update_id)

        async def act(session: AsyncSession, user: User) -> Outbox:
            return await answer(session, user, text, now, first=first)

        await self._run(
            sender,
            act,
            update_id=update_id,
            fallback=_after(first) if first and first.answered else lambda: unsaved_text(text),
        )

    async def on_location(
        self,
        sender: Sender,
        latitude: float,
        longitude: float,
        *,
        update_id: int | None = None,
    ) -> None:
        if not sender.private:
            await self._say_in_group(sender, update_id)
            return
        now = self.clock.now()

        async def act(session: AsyncSession, user: User) -> Outbox:
            if not onboarding.has_consented(user):
                return Outbox.saying(t("consent_needed"))
            return await onboarding.set_timezone_location(session, user, latitude, longitude, now)

        await self._run(sender, act, update_id=update_id)

    async def on_unsupported(self, sender: Sender, *, update_id: int | None = None) -> None:
        """Stickers, voice notes, photos: a friendly word instead of silence (once per update)."""
        if not sender.private:
            await self._say_in_group(sender, update_id)
            return
        await self._say_once(sender, Outbox.saying(t("unsupported_media")), update_id)

    async def on_button(
        self,
        sender: Sender,
        message_id: int | None,
        data: str | None,
        *,
        update_id: int | None = None,
    ) -> str | None:
        """A button was pressed; returns the short notice to show on the button (or ``None``)."""
        if not sender.private:
            return t("group_chat")
        if message_id is not None and not fits_id(message_id):
            message_id = None
        pressed = parse(data)
        now = self.clock.now()
        loaded: list[checkins.PressLoad] = []

        async def load_user(session: AsyncSession, sender: Sender, now: datetime) -> User:
            """A check-in press reads the person, the check-in and its answers in one query."""
            if not isinstance(pressed, CheckinPress):
                return await get_or_create_user(session, sender, now)
            found = await checkins.load_for_press(session, sender.platform_id, pressed.checkin_id)
            if found is None or not found.user.active:
                return await get_or_create_user(session, sender, now)
            loaded.append(found)
            return found.user

        async def act(session: AsyncSession, user: User) -> Outbox:
            if pressed is None:
                return Outbox(toast=t("button_expired"))
            if isinstance(pressed, CheckinPress):
                if not onboarding.has_consented(user):
                    return Outbox(toast=t("button_not_yours"))
                return await checkins.press(
                    session, user, pressed, message_id, now, loaded[0] if loaded else None
                )
            button = BUTTONS[pressed.action]
            if unmet(button.needs, user) is not None:
                return expired()
            request = Request(
                session,
                user,
                sender,
                now,
                pressed.arg,
                message_id,
                start_breathing=self._start_breathing,
            )
            return await button.run(request)

        # The buttons stay as they are, so the same press works once the database is back.
        outbox = await self._run(
            sender,
            act,
            update_id=update_id,
            fallback=lambda: Outbox(toast=t("db_unavailable_toast")),
            load_user=load_user,
        )
        return outbox.toast

    # --- plumbing ------------------------------------------------------------------------------

    async def _run(
        self,
        sender: Sender,
        act: Action,
        prefix: list[Send] | None = None,
        *,
        update_id: int | None = None,
        fallback: Fallback | None = None,
        load_user: LoadUser | None = None,
    ) -> Outbox:
        """One update in one transaction; ``load_user`` may read more with the person."""
        if not _fits(sender, update_id):
            log.warning("update dropped: an id out of range", extra={"update_id": None})
            return Outbox()
        try:
            async with self.sessions() as session, session.begin():
                if update_id is not None and not await self._first_time_seen(session, update_id):
                    log.info("duplicate update dropped", extra={"update_id": update_id})
                    return Outbox()
                user = await (load_user or get_or_create_user)(session, sender, self.clock.now())
                self.warning_first.remember(sender.platform_id, user.timezone)
                outbox = await act(session, user)
                user_id = user.id
        except Exception as error:
            if not is_unavailable(error):
                raise
            # The transaction was rolled back whole (update id included), so nothing is half
            # stored and the same message or press works again once the database is back.
            log.warning(
                "database unavailable; the person was asked to try again",
                extra={"update_id": update_id, "error": type(error).__name__},
            )
            outbox = (fallback or unsaved)()
            await self._deliver(sender.chat_id, outbox)
            return outbox
        if prefix:
            outbox.messages[:0] = prefix
        await self._deliver(sender.chat_id, outbox, user_id=user_id)
        return outbox

    async def _deliver(self, chat_id: int, outbox: Outbox, *, user_id: int | None = None) -> None:
        await self.postman.deliver(chat_id, outbox, user_id=user_id)

    async def _answer_first(
        self, sender: Sender, text: str, now: datetime, *, update_id: int | None
    ) -> FirstLook | None:
        """The message screened, and a definite sign answered, before the transaction."""
        if not _fits(sender, update_id):
            return None  # dropped by _run, before anything is said or stored
        return await self.warning_first.answer(sender, text, now, update_id=update_id)

    async def _say_once(self, sender: Sender, outbox: Outbox, update_id: int | None) -> None:
        """Say a fixed reply once per update: no person is loaded and nothing else is stored.

        A redelivered copy is dropped by its id, like any other update; with the database away
        the reply is said anyway (it stores nothing, so there is nothing to try again).
        """
        if not _fits(sender, update_id):
            log.warning("update dropped: an id out of range", extra={"update_id": None})
            return
        if update_id is not None:
            try:
                async with self.sessions() as session, session.begin():
                    if not await self._first_time_seen(session, update_id):
                        log.info("duplicate update dropped", extra={"update_id": update_id})
                        return
            except Exception as error:
                if not is_unavailable(error):
                    raise
                log.warning(
                    "database unavailable; replied without the redelivery check",
                    extra={"update_id": update_id, "error": type(error).__name__},
                )
        await self._deliver(sender.chat_id, outbox)

    async def _say_in_group(self, sender: Sender, update_id: int | None = None) -> None:
        await self._say_once(sender, Outbox.saying(t("group_chat")), update_id)


@functools.cache
def _remember_update(dialect: str) -> Any:
    """``INSERT`` of an update id that returns it only when it was new (built once, see db).

    On the table, not the mapped class: an ORM-enabled ``INSERT`` takes the session's bulk path,
    which costs more than the statement itself, and nothing here needs the ORM.
    """
    table = ProcessedUpdate.__table__
    return (
        dialect_insert(dialect, table)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(table.c.update_id)
    )


def _fits(sender: Sender, update_id: int | None) -> bool:
    """The platform ids fit the 64-bit columns they are stored in (a forged update's may not)."""
    return (
        fits_id(sender.platform_id)
        and fits_id(abs(sender.chat_id))
        and (update_id is None or fits_id(update_id))
    )


def _after(first: FirstLook) -> Fallback:
    """What to say when storing fails after a sign was answered early (never the answer again).

    After an urgent answer or a language notice nothing more; otherwise that the diary line
    could not be saved.
    """
    return Outbox if first.final else unsaved
