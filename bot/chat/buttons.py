"""Compact button data (Telegram allows 64 bytes) and its strict parsing.

Button data comes back from the client, so it is untrusted input: anything that does not parse
exactly is treated as an expired button, and ownership is checked by the core before any write.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from bot.base.clean import ascii_id, clean_text

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


def parse_press(data: object, actions: Collection[str]) -> Press | None:
    """The press a button stands for, or ``None`` for data this version does not understand.

    ``actions`` are the namespaces the caller knows. Strict, and it never raises: the data
    comes from the client, and a forged update can hold anything (not a string, a lone
    surrogate, U+0000, an id of 40 digits). Ids are ASCII digits that fit a 64-bit column.
    """
    if not isinstance(data, str) or not data or clean_text(data) != data:
        return None
    if len(data.encode()) > MAX_BYTES:
        return None
    head, _, rest = data.partition(":")
    if head == CHECKIN_ACTION:
        parts = rest.split(":", 2)
        if len(parts) != 3 or not parts[1] or not parts[2]:
            return None
        checkin_id = ascii_id(parts[0])
        if checkin_id is None:
            return None
        return CheckinPress(checkin_id, parts[1], parts[2])
    if head in actions and rest:
        return SimplePress(head, rest)
    return None


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
    return data
