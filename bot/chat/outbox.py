"""What a core action wants said, collected first and sent after the database commit.

Writing before speaking means a person never sees "saved" for something that was not saved, and a
crash between the two loses a confirmation, never an answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.chat.messenger import NO_BUTTONS, Keyboard


@dataclass(frozen=True, slots=True)
class Send:
    text: str
    buttons: Keyboard = NO_BUTTONS
    ask_location: str | None = None
    clear_reply_keyboard: bool = False
    #: The check-in whose question this is, so its message id can be remembered once sent.
    checkin_id: int | None = None
    #: Delivered without a sound: tips, summaries, confirmations, anything that needs no answer.
    silent: bool = False


@dataclass(frozen=True, slots=True)
class Edit:
    message_id: int
    text: str
    buttons: Keyboard = NO_BUTTONS


@dataclass(frozen=True, slots=True)
class SendFile:
    """A document for the person to keep (their data export)."""

    filename: str
    data: bytes
    caption: str = ""


@dataclass(frozen=True, slots=True)
class SendPhoto:
    """A picture (the recap chart) with a caption that says what it shows."""

    png: bytes
    caption: str
    silent: bool = False


@dataclass(slots=True)
class Outbox:
    messages: list[Send | Edit | SendFile | SendPhoto] = field(default_factory=list)
    toast: str | None = None

    @classmethod
    def saying(cls, text: str) -> Outbox:
        """An outbox holding one plain message."""
        return cls(messages=[Send(text)])

    def send(self, text: str, buttons: Keyboard = NO_BUTTONS, **options: object) -> None:
        self.messages.append(Send(text, buttons, **options))  # type: ignore[arg-type]

    def note(self, text: str, buttons: Keyboard = NO_BUTTONS) -> None:
        """A message that needs no answer (a tip, an offer): it arrives without a sound."""
        self.messages.append(Send(text, buttons, silent=True))

    def edit(self, message_id: int | None, text: str, buttons: Keyboard = NO_BUTTONS) -> None:
        if message_id is not None:
            self.messages.append(Edit(message_id, text, buttons))
