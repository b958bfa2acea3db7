"""Compact button data (Telegram allows 64 bytes) and its strict parsing.

Button data comes back from the client, so it is untrusted input: anything that does not parse
exactly is treated as an expired button, and ownership is checked by the core before any write.
"""

from __future__ import annotations

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

SIMPLE_ACTIONS = frozenset(
    {"consent", "tz", "times", "settings", "breathe", "undo", "privacy", "exp", "recapday"}
)


def checkin_data(checkin_id: int, question: str, value: str) -> str:
    return _checked(f"c:{checkin_id}:{question}:{value}")


def simple_data(action: str, arg: str) -> str:
    if action not in SIMPLE_ACTIONS:
        raise ValueError(f"unknown button action {action!r}")
    return _checked(f"{action}:{arg}")


def parse(data: str | None) -> Press | None:
    """The press a button stands for, or ``None`` for data this version does not understand."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    head, _, rest = data.partition(":")
    if head == "c":
        parts = rest.split(":", 2)
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1] or not parts[2]:
            return None
        return CheckinPress(int(parts[0]), parts[1], parts[2])
    if head in SIMPLE_ACTIONS and rest:
        return SimplePress(head, rest)
    return None


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
    return data
