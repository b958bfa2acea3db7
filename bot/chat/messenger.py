"""How the core talks to people, whatever the platform.

The core never imports ``telegram``: it speaks to a ``Messenger``. The Telegram adapter in
``handlers/`` implements it over the Bot API and the terminal adapter (``gutback chat``) over
stdin/stdout, which keeps the core honest about what it needs from a chat platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: what the person sees and the compact data it sends back (≤ 64 bytes)."""

    label: str
    data: str


Keyboard = tuple[tuple[Button, ...], ...]
NO_BUTTONS: Keyboard = ()


@dataclass(frozen=True, slots=True)
class Sender:
    """Who wrote: the platform's user id and the private chat to answer in."""

    platform_id: int
    chat_id: int
    first_name: str | None = None
    language_code: str | None = None
    private: bool = True


class DeliveryError(Exception):
    """A message could not be delivered."""


class RecipientGone(DeliveryError):
    """The person blocked the bot or deleted their account: stop writing to them."""


class RateLimited(DeliveryError):
    """The platform asked us to slow down and retries were exhausted."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


class Messenger(Protocol):
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
        """Send a text message and return its message id.

        ``ask_location`` adds a one-tap "share my location" button with that label;
        ``clear_reply_keyboard`` removes such a button once it is no longer needed;
        ``silent`` delivers it without a sound or a buzz (Telegram's ``disable_notification``):
        only a message that asks for an answer the person has not been asked yet makes one.
        """
        ...

    async def edit(self, chat_id: int, message_id: int, text: str, buttons: Keyboard) -> None:
        """Replace the text and buttons of a message the bot sent earlier."""
        ...

    async def send_photo(
        self, chat_id: int, png: bytes, caption: str, *, silent: bool = False
    ) -> int:
        """Send a picture with a caption (``silent`` as for :meth:`send`)."""
        ...

    async def send_file(self, chat_id: int, filename: str, data: bytes, caption: str) -> int: ...
