"""What a typed message gets: safety first, then the diary.

The front door hands every plain message (and ``/log``) here. :mod:`bot.safety.conversation`
speaks first, in every state: a warning sign's answer, a question the bot asks, the answer to
the bot's own question, a note that the bot reads English only. Then the diary, unless safety
said that nothing may follow:

* after a T0 or T1 answer, a question at T0 or T1, or a language notice: nothing at all;
* after a T2 or T3 answer: a diary line the parser understands is noted, and nothing else is
  said (no swap, no small talk, no "I'm not sure what to do with that");
* after "no" to the bot's question: back to what the person was doing (a diary line noted, or
  the open check-in's question again);
* otherwise the message is the diary's: set-up steps, a typed check-in answer, a diary line, a
  swap question.

A question the bot asks at T2 or T3 comes last, after the diary's confirmation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.wording import t
from bot.chat.messenger import Sender
from bot.chat.outbox import Outbox
from bot.diary import checkins, freetext
from bot.people import onboarding
from bot.safety import conversation
from bot.safety.conversation import FirstLook
from bot.safety.screen import screen
from bot.store.models import User
from bot.store.states import OnboardingStep


async def on_text(
    session: AsyncSession, user: User, text: str, now: datetime, *, first: FirstLook | None = None
) -> Outbox:
    """A plain message: see the module docstring for who speaks and in which order.

    ``first``: the message as the front door screened it (and maybe answered) already.
    """
    if onboarding.names_a_timezone(user, text, now) and not _worrying(text):
        # "Москва" at the timezone step is a place, not a message in Russian: no language notice.
        return await _diary(session, user, text, now, quiet=False)
    safety = await conversation.on_message(session, user, text, now, first=first)
    if safety is None:
        return await _diary(session, user, text, now, quiet=False)
    return await _after_safety(session, user, text, now, safety)


async def on_log(
    session: AsyncSession,
    user: User,
    text: str,
    now: datetime,
    *,
    ready: bool,
    first: FirstLook | None = None,
) -> Outbox:
    """``/log``: screened like any message, then stored whatever intent it seems to have.

    ``ready`` is False before set-up is done: safety still speaks, the diary does not (an
    empty outbox lets the caller show the set-up step).
    """
    safety = await conversation.on_message(session, user, text, now, first=first)
    if safety is None:
        return await freetext.log(session, user, text, now) if ready else Outbox()
    outbox = safety.outbox
    if ready and not safety.final and freetext.placeable(text):
        outbox.messages.extend((await freetext.log(session, user, text, now)).messages)
    outbox.messages.extend(safety.last)
    return outbox


async def on_caption(
    session: AsyncSession,
    user: User,
    caption: str,
    now: datetime,
    *,
    first: FirstLook | None = None,
) -> Outbox:
    """A photo's or a document's caption: screened like a message; the diary reads no pictures.

    A warning sign in it is answered (and recorded) as in a typed message; otherwise the person
    hears that pictures and files are not read, and that typing it works.
    """
    safety = await conversation.on_message(session, user, caption, now, first=first)
    if safety is None:
        return Outbox.saying(t("unsupported_media"))
    outbox = safety.outbox
    outbox.messages.extend(safety.last)
    return outbox


async def on_edit(
    session: AsyncSession, user: User, text: str, now: datetime, *, first: FirstLook | None = None
) -> Outbox:
    """An edited message: its new text is screened; the diary keeps what was first sent.

    The diary line the original made is not changed (an edit could otherwise rewrite a day
    after its recap); the person is told so, with how to change it. A warning sign in the new
    text is answered as in any message, and nothing more is said after an urgent one.
    """
    safety = await conversation.on_message(session, user, text, now, first=first)
    if safety is not None and safety.final:
        return safety.outbox
    outbox = safety.outbox if safety is not None else Outbox()
    if onboarding.has_consented(user):
        outbox.send(t("edit_not_followed"))
    if safety is not None:
        outbox.messages.extend(safety.last)
    return outbox


async def ask_pressed(session: AsyncSession, user: User, arg: str, now: datetime) -> Outbox:
    """A Yes / No / Not sure button under one of the bot's safety questions."""
    safety = await conversation.on_press(session, user, arg, now)
    outbox = safety.outbox
    if safety.resume:
        outbox.messages.extend((await _back(session, user, now)).messages)
    return outbox


async def _after_safety(
    session: AsyncSession,
    user: User,
    text: str,
    now: datetime,
    safety: conversation.SafetyReply,
) -> Outbox:
    outbox = safety.outbox
    if not safety.final:
        noted = await _diary(session, user, text, now, quiet=True)
        outbox.messages.extend(noted.messages)
        if safety.resume and not noted.messages:
            outbox.messages.extend((await _back(session, user, now)).messages)
    outbox.messages.extend(safety.last)
    return outbox


async def _back(session: AsyncSession, user: User, now: datetime) -> Outbox:
    """Back to what the person was doing: the open check-in, or the set-up step they were on."""
    if onboarding.is_set_up(user):
        return await checkins.resume(session, user, now)
    if onboarding.has_consented(user):
        return onboarding.step_prompt(user, _sender(user))
    return Outbox()


async def _diary(
    session: AsyncSession, user: User, text: str, now: datetime, *, quiet: bool
) -> Outbox:
    """Free text once safety has had its say; ``quiet`` notes diary content and says no more."""
    if not onboarding.has_consented(user):
        return Outbox() if quiet else Outbox.saying(t("consent_needed"))
    if quiet and not onboarding.is_set_up(user):
        return Outbox()
    if user.onboarding_step in (OnboardingStep.TIMEZONE, OnboardingStep.EDIT_TIMEZONE):
        if quiet:
            return Outbox()
        return await onboarding.set_timezone_text(session, user, text, now)
    if user.onboarding_step in (OnboardingStep.TIMES, OnboardingStep.EDIT_TIMES):
        if quiet:
            return Outbox()
        return await onboarding.set_times_text(session, user, text, now)
    answer = await checkins.typed(
        session,
        user,
        text,
        now,
        quiet=quiet,
        keep_rest=lambda: freetext.log(session, user, text, now),
    )
    if answer is not None:
        return answer
    if user.timezone is None:
        return onboarding.step_prompt(user, _sender(user))
    return await freetext.handle(session, user, text, now, quiet=quiet)


def _worrying(text: str) -> bool:
    """The screen sees a warning sign in it, or would ask about one."""
    screening = screen(text)
    return screening.tier is not None or screening.ask is not None


def _sender(user: User) -> Sender:
    return Sender(user.platform_id, user.chat_id)
