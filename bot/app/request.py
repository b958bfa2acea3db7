"""What a feature is handed (one :class:`Request`), and what it needs before it may run.

A command or a button names its need in its table row; the front door checks it, in the order
a person meets them while setting up: consent first, then a timezone, then check-in times.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.messenger import Sender
from bot.chat.outbox import Outbox
from bot.people import onboarding
from bot.safety.conversation import FirstLook
from bot.store.models import User


class Needs(IntEnum):
    """How far set-up must be before a feature runs; each level includes the ones before."""

    NOTHING = 0
    CONSENT = 1
    TIMEZONE = 2
    SET_UP = 3


@dataclass(frozen=True, slots=True)
class Request:
    """One command or button press, inside the update's session and transaction."""

    session: AsyncSession
    user: User
    sender: Sender
    now: datetime
    #: The command's words after its name, or the button's argument.
    text: str = ""
    #: The message the pressed button sits on (``None`` for commands).
    message_id: int | None = None
    #: Starts the guided breathing break (it runs in the background of the front door).
    start_breathing: Callable[[Sender], Outbox] | None = None
    #: ``text`` as screened (and maybe answered) before the transaction (bot.app.warning_first).
    first: FirstLook | None = None


Feature = Callable[[Request], Awaitable[Outbox]]


def unmet(needs: Needs, user: User) -> Needs | None:
    """The first need this person does not meet yet, or ``None`` when the feature may run."""
    if needs >= Needs.CONSENT and not onboarding.has_consented(user):
        return Needs.CONSENT
    if needs >= Needs.TIMEZONE and user.timezone is None:
        return Needs.TIMEZONE
    if needs >= Needs.SET_UP and not onboarding.is_set_up(user):
        return Needs.SET_UP
    return None
