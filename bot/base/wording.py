"""The bot's own words, loaded from ``content/wording.yaml``."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel, field_validator

from bot.base.content import load_model


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
    text = wording().texts[key]
    return text.format(**values) if values else text
