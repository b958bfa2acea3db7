"""Compact button data (Telegram allows 64 bytes) and its strict parsing.

Button data comes back from the client, so it is untrusted input: anything that does not parse
exactly is treated as an expired button, and ownership is checked by the core before any write.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

MAX_BYTES = 64


@dataclass(frozen=True, slots=True)
class CheckinPress:
    checkin_id: int
    question: str
    value: str


@dataclass(frozen=True, slots=True)
class SimplePress:
    """Onboarding and settings buttons: a namespace and one argument."""

    action: str
    arg: str


Press = CheckinPress | SimplePress

#: The namespace of check-in answers; every other namespace is a row of the app's button table.
CHECKIN_ACTION = "c"
_ACTION = re.compile(r"[a-z]{1,16}")


def checkin_data(checkin_id: int, question: str, value: str) -> str:
    return _checked(f"{CHECKIN_ACTION}:{checkin_id}:{question}:{value}")


def simple_data(action: str, arg: str) -> str:
    """Data for a button of namespace ``action`` (a row of :data:`bot.app.presses.BUTTONS`).

    A test checks that every namespace the code builds buttons for is in that table.
    """
    if not _ACTION.fullmatch(action) or action == CHECKIN_ACTION:
        raise ValueError(f"not a button namespace: {action!r}")
    return _checked(f"{action}:{arg}")


def parse_press(data: str | None, actions: Collection[str]) -> Press | None:
    """The press a button stands for, or ``None`` for data this version does not understand.

    ``actions`` are the namespaces the caller knows. Strict, and it never raises: the data
    comes from the client.
    """
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    head, _, rest = data.partition(":")
    if head == CHECKIN_ACTION:
        parts = rest.split(":", 2)
        if len(parts) != 3 or not _is_id(parts[0]) or not parts[1] or not parts[2]:
            return None
        return CheckinPress(int(parts[0]), parts[1], parts[2])
    if head in actions and rest:
        return SimplePress(head, rest)
    return None


def _is_id(text: str) -> bool:
    """ASCII digits only: ``str.isdigit()`` also accepts "²", which ``int()`` refuses."""
    return text.isascii() and text.isdigit()


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
    return data
