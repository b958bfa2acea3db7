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
from bot.store.models import User
from bot.store.states import OnboardingStep


async def on_text(session: AsyncSession, user: User, text: str, now: datetime) -> Outbox:
    """A plain message: see the module docstring for who speaks and in which order."""
    safety = await conversation.on_message(session, user, text, now)
    if safety is None:
        return await _diary(session, user, text, now, quiet=False)
    return await _after_safety(session, user, text, now, safety)


async def on_log(
    session: AsyncSession, user: User, text: str, now: datetime, *, ready: bool
) -> Outbox:
    """``/log``: screened like any message, then stored whatever intent it seems to have.

    ``ready`` is False before set-up is done: safety still speaks, the diary does not (an
    empty outbox lets the caller show the set-up step).
    """
    safety = await conversation.on_message(session, user, text, now)
    if safety is None:
        return await freetext.log(session, user, text, now) if ready else Outbox()
    outbox = safety.outbox
    if ready and not safety.final and freetext.placeable(text):
        outbox.messages.extend((await freetext.log(session, user, text, now)).messages)
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
    answer = await checkins.typed(session, user, text, now, quiet=quiet)
    if answer is not None:
        return answer
    if user.timezone is None:
        return onboarding.step_prompt(user, _sender(user))
    return await freetext.handle(session, user, text, now, quiet=quiet)


def _sender(user: User) -> Sender:
    return Sender(user.platform_id, user.chat_id)
