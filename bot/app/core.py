"""The core's front door: one method per kind of thing a person can do.

Every method opens one session and one transaction, decides what to say, commits, and only then
speaks through the ``Messenger``. Platform adapters (Telegram, the terminal) call these methods and
nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.clock import Clock
from bot.base.times import local_date
from bot.base.timezones import parse_timezone
from bot.base.wording import t
from bot.chat.buttons import CheckinPress, SimplePress, parse
from bot.chat.messenger import DeliveryError, Messenger, Sender
from bot.chat.outbox import Outbox, Send, SendPhoto
from bot.delivery.postman import Postman
from bot.diary import checkins, freetext
from bot.diary.advice import tip_for
from bot.experiments import conversation as experiment_flow
from bot.insights import recap, report
from bot.knowledge.breathing import breathing_steps
from bot.knowledge.swaps import answer_swap
from bot.people import onboarding
from bot.people import recap_day as weekly
from bot.people import settings as control
from bot.people.users import get_or_create_user
from bot.privacy import export_and_delete as privacy
from bot.safety import events as safety_flow
from bot.safety.screen import about_text, answer_for, redflags_text, screen
from bot.store.db import Sessions, insert_for, is_unavailable
from bot.store.models import ProcessedUpdate, User
from bot.store.states import OnboardingStep

log = logging.getLogger(__name__)

MAX_TEXT = 4000  # what we read of one message; Telegram allows 4096
UPDATE_MEMORY = timedelta(days=3)

Action = Callable[[AsyncSession, User], Awaitable[Outbox]]
#: What to say instead when the database cannot be reached (built only when it happens).
Fallback = Callable[[], Outbox]


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
        try:
            for step in breathing_steps():
                await self.postman.call(sender.chat_id, Send(step.text))
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
        statement = (
            insert_for(session, ProcessedUpdate)
            .values(update_id=update_id, received_at=self.clock.now())
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(ProcessedUpdate.update_id)
        )
        return (await session.scalar(statement)) is not None

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
            await self._say_in_group(sender)
            return
        command = command.lower()
        args = args[:MAX_TEXT]
        now = self.clock.now()

        async def act(session: AsyncSession, user: User) -> Outbox:
            if command == "start":
                return await onboarding.start(session, user, sender, now)
            if command == "help":
                return Outbox.saying(t("help"))
            if command == "about":
                return Outbox.saying(f"{about_text(user.timezone)}\n\n{report.about_stored()}")
            if command == "redflags":
                return Outbox.saying(redflags_text(user.timezone))
            if command == "export":
                return await privacy.export(session, user)
            if command == "delete":
                return privacy.ask_delete(user)
            if command == "report":
                return await report.report(session, user, args, now)
            if not onboarding.has_consented(user):
                return Outbox.saying(t("consent_needed"))
            if command == "timezone":
                if args.strip():
                    return await onboarding.set_timezone_text(session, user, args, now)
                user.onboarding_step = _waiting(user, OnboardingStep.EDIT_TIMEZONE)
                return onboarding.step_prompt(user, sender)
            if user.timezone is None:
                return onboarding.step_prompt(user, sender)
            if command == "reminders":
                if args.strip():
                    return await onboarding.set_times_text(session, user, args, now)
                user.onboarding_step = _waiting(user, OnboardingStep.EDIT_TIMES)
                return onboarding.step_prompt(user, sender)
            if not onboarding.is_set_up(user):
                return _finish_setup_first(user, sender)
            if command == "checkin":
                return await checkins.start_now(session, user, now)
            if command == "log":
                return await self._log_command(session, user, args, now)
            if command == "swap":
                if not args.strip():
                    return Outbox.saying(t("swap_empty"))
                return freetext.swap_reply(answer_swap(args), user)
            if command == "recap":
                text, png = await recap.recap_message(session, user, now)
                outbox = Outbox.saying(text)
                if png is not None:
                    outbox.messages.append(SendPhoto(png, recap.chart_caption()))
                return outbox
            if command == "experiment":
                return await experiment_flow.command(session, user, now)
            if command == "recapday":
                return await weekly.recap_day(session, user, args, now)
            if command == "tip":
                tip = await tip_for(session, user, local_date(now, user.timezone))
                return Outbox.saying(tip or t("tip_none_left"))
            if command == "breathe":
                return self._start_breathing(sender)
            if command == "pause":
                return await control.pause(session, user, args, now)
            if command == "resume":
                return await control.resume(session, user, now)
            if command == "settings":
                return await control.show_settings(session, user, now)
            return Outbox.saying(t("unknown_command"))

        fallback = (lambda: _unsaved_text(args)) if command == "log" else _unsaved
        await self._run(sender, act, update_id=update_id, fallback=fallback)

    async def on_text(self, sender: Sender, text: str, *, update_id: int | None = None) -> None:
        if not sender.private:
            await self._say_in_group(sender)
            return
        truncated = len(text) > MAX_TEXT
        text = text[:MAX_TEXT]
        now = self.clock.now()

        async def act(session: AsyncSession, user: User) -> Outbox:
            # Warning signs come first, in every state: before consent, paused, mid-check-in.
            screened = await safety_flow.screen_message(session, user, text, now)
            if screened is not None:
                answer, stand_alone = screened
                if stand_alone or not onboarding.has_consented(user):
                    return answer
                answer.messages.extend((await self._diary_text(session, user, text, now)).messages)
                return answer
            return await self._diary_text(session, user, text, now)

        outbox_prefix = [Send(t("too_long", limit=MAX_TEXT))] if truncated else []
        await self._run(
            sender,
            act,
            prefix=outbox_prefix,
            update_id=update_id,
            fallback=lambda: _unsaved_text(text),
        )

    async def _diary_text(
        self, session: AsyncSession, user: User, text: str, now: datetime
    ) -> Outbox:
        """Free text once the safety screen has had its say."""
        if not onboarding.has_consented(user):
            return Outbox.saying(t("consent_needed"))
        if user.onboarding_step in (OnboardingStep.TIMEZONE, OnboardingStep.EDIT_TIMEZONE):
            return await onboarding.set_timezone_text(session, user, text, now)
        if user.onboarding_step in (OnboardingStep.TIMES, OnboardingStep.EDIT_TIMES):
            return await onboarding.set_times_text(session, user, text, now)
        answer = await checkins.typed(session, user, text, now)
        if answer is not None:
            return answer
        if user.timezone is None:
            return onboarding.step_prompt(user, Sender(user.platform_id, user.chat_id))
        return await freetext.handle(session, user, text, now)

    async def _log_command(
        self, session: AsyncSession, user: User, text: str, now: datetime
    ) -> Outbox:
        """``/log``: screened like any message, then stored whatever intent it seems to have."""
        screened = await safety_flow.screen_message(session, user, text, now)
        if screened is not None and screened[1]:
            return screened[0]
        logged = await freetext.log(session, user, text, now)
        if screened is not None:
            screened[0].messages.extend(logged.messages)
            return screened[0]
        return logged

    async def on_location(
        self,
        sender: Sender,
        latitude: float,
        longitude: float,
        *,
        update_id: int | None = None,
    ) -> None:
        if not sender.private:
            await self._say_in_group(sender)
            return
        now = self.clock.now()

        async def act(session: AsyncSession, user: User) -> Outbox:
            if not onboarding.has_consented(user):
                return Outbox.saying(t("consent_needed"))
            return await onboarding.set_timezone_location(session, user, latitude, longitude, now)

        await self._run(sender, act, update_id=update_id)

    async def on_unsupported(self, sender: Sender) -> None:
        """Stickers, voice notes, photos: a friendly word instead of silence."""
        if not sender.private:
            await self._say_in_group(sender)
            return
        await self._deliver(sender.chat_id, Outbox.saying(t("unsupported_media")))

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
        pressed = parse(data)
        now = self.clock.now()

        async def act(session: AsyncSession, user: User) -> Outbox:
            if pressed is None:
                return Outbox(toast=t("button_expired"))
            if isinstance(pressed, CheckinPress):
                if not onboarding.has_consented(user):
                    return Outbox(toast=t("button_not_yours"))
                return await checkins.press(session, user, pressed, message_id, now)
            return await _simple_press(self, session, user, sender, pressed, message_id, now)

        # The buttons stay as they are, so the same press works once the database is back.
        outbox = await self._run(
            sender,
            act,
            update_id=update_id,
            fallback=lambda: Outbox(toast=t("db_unavailable_toast")),
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
    ) -> Outbox:
        try:
            async with self.sessions() as session, session.begin():
                if update_id is not None and not await self._first_time_seen(session, update_id):
                    log.info("duplicate update dropped", extra={"update_id": update_id})
                    return Outbox()
                user = await get_or_create_user(session, sender, self.clock.now())
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
            outbox = (fallback or _unsaved)()
            await self._deliver(sender.chat_id, outbox)
            return outbox
        if prefix:
            outbox.messages[:0] = prefix
        await self._deliver(sender.chat_id, outbox, user_id=user_id)
        return outbox

    async def _deliver(self, chat_id: int, outbox: Outbox, *, user_id: int | None = None) -> None:
        await self.postman.deliver(chat_id, outbox, user_id=user_id)

    async def _say_in_group(self, sender: Sender) -> None:
        await self._deliver(sender.chat_id, Outbox.saying(t("group_chat")))


async def _simple_press(
    core: GutBack,
    session: AsyncSession,
    user: User,
    sender: Sender,
    pressed: SimplePress,
    message_id: int | None,
    now: datetime,
) -> Outbox:
    if pressed.action == "consent":
        return await onboarding.consent(session, user, sender, pressed.arg, message_id, now)
    if pressed.action == "privacy":
        return await privacy.press(session, user, pressed.arg, message_id, now)
    if not onboarding.has_consented(user):
        return Outbox(toast=t("button_expired"))
    if pressed.action == "tz" and parse_timezone(pressed.arg) == pressed.arg:
        return await onboarding.set_timezone(session, user, pressed.arg, now)
    if pressed.action == "times" and pressed.arg in onboarding.TIME_PRESETS and user.timezone:
        return await onboarding.set_times(session, user, onboarding.TIME_PRESETS[pressed.arg], now)
    if pressed.action == "undo":
        return await freetext.undo(session, user, pressed.arg, message_id)
    if pressed.action == "exp":
        return await experiment_flow.press(session, user, pressed.arg, message_id, now)
    if pressed.action == "breathe" and user.timezone:
        return core._start_breathing(sender)
    if pressed.action == "settings" and pressed.arg == "recap" and onboarding.is_set_up(user):
        return await weekly.choose(session, user)
    if pressed.action == "recapday" and onboarding.is_set_up(user):
        return await weekly.press(session, user, pressed.arg, message_id, now)
    if pressed.action == "settings" and pressed.arg in ("tz", "times"):
        step = OnboardingStep.EDIT_TIMEZONE if pressed.arg == "tz" else OnboardingStep.EDIT_TIMES
        user.onboarding_step = _waiting(user, step)
        return onboarding.step_prompt(user, sender)
    return Outbox(toast=t("button_expired"))


def _unsaved() -> Outbox:
    """The reply when the database could not be reached: nothing was stored, try again soon."""
    return Outbox.saying(t("db_unavailable"))


def _unsaved_text(text: str) -> Outbox:
    """As ``_unsaved``, but a message is still screened for warning signs first.

    The screen needs no database; with no timezone to hand, the answer gives general numbers,
    and nothing is recorded (no follow-up), since nothing can be.
    """
    outbox = Outbox()
    answer = answer_for(screen(text), None)
    if answer.text:
        outbox.send(answer.text)
    outbox.messages.extend(_unsaved().messages)
    return outbox


def _waiting(user: User, edit_step: str) -> str:
    """During first set-up keep the set-up step; afterwards wait for the edited value."""
    if user.onboarding_step in (
        OnboardingStep.CONSENT,
        OnboardingStep.TIMEZONE,
        OnboardingStep.TIMES,
    ):
        return user.onboarding_step
    return edit_step


def _finish_setup_first(user: User, sender: Sender) -> Outbox:
    outbox = onboarding.step_prompt(user, sender)
    first = outbox.messages[0]
    assert isinstance(first, Send)
    outbox.messages[0] = Send(
        t("finish_setup_first", step_prompt=first.text),
        first.buttons,
        ask_location=first.ask_location,
    )
    return outbox
