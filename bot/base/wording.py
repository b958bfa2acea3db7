"""The bot's own words, loaded from ``content/wording.yaml``, and the one rule for counted nouns.

A template says "over {count} days" in plain English; :func:`fill` makes the noun agree with the
number ("over 1 day", "over 3 days"), so no template and no caller adds an "s" by hand. Only the
nouns in :data:`COUNTED_NOUNS` are changed, and only right after a placeholder that holds the
whole number 1, so a sentence never changes in a way nobody wrote down.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from pydantic import BaseModel, field_validator

from bot.base.content import load_model

#: Plural nouns that may follow a number in a template, with their singular.
COUNTED_NOUNS: dict[str, str] = {
    "days": "day",
    "weeks": "week",
    "months": "month",
    "hours": "hour",
    "minutes": "minute",
    "seconds": "second",
    "nights": "night",
    "times": "time",
    "check-ins": "check-in",
    "entries": "entry",
    "answers": "answer",
    "notes": "note",
    "messages": "message",
    "tips": "tip",
    "rounds": "round",
    "breaths": "breath",
    "breaks": "break",
    "characters": "character",
}

_COUNTED = re.compile(
    r"\{(\w+)\}(\s+)("
    + "|".join(re.escape(noun) for noun in sorted(COUNTED_NOUNS, key=len, reverse=True))
    + r")(?![\w-])"
)


def _is_one(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) == 1


def fill(template: str, **values: Any) -> str:
    """``template.format(**values)``, with each counted noun agreeing with its number.

    ``fill("over {count} days", count=1)`` is ``"over 1 day"``. Use it wherever a template with
    a number is filled, also outside ``wording.yaml`` (the recap, the report, experiments).
    """
    if not values:
        return template

    def agree(match: re.Match[str]) -> str:
        name, space, noun = match.groups()
        if _is_one(values.get(name)):
            return "{" + name + "}" + space + COUNTED_NOUNS[noun]
        return match.group(0)

    return _COUNTED.sub(agree, template).format(**values)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """A number and its noun for text built in code: ``plural(1, "week")`` is ``"1 week"``.

    The plural is ``singular + "s"`` unless given (``plural(2, "entry", "entries")``).
    """
    if _is_one(count):
        return f"{count} {singular}"
    return f"{count} {plural_form or singular + 's'}"


class Wording(BaseModel):
    texts: dict[str, str]

    @field_validator("texts")
    @classmethod
    def _no_empty_text(cls, texts: dict[str, str]) -> dict[str, str]:
        empty = [key for key, value in texts.items() if not value.strip()]
        if empty:
            raise ValueError(f"empty wording for: {', '.join(empty)}")
        return texts


@functools.cache
def wording() -> Wording:
    return load_model("wording.yaml", Wording)


def t(key: str, **values: Any) -> str:
    """The text for ``key`` with its placeholders filled; a missing key is a bug, so it raises."""
    return fill(wording().texts[key], **values)
