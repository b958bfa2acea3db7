"""Input cleaned at the door: text that can be stored everywhere, numbers read one way.

Everything a person sends passes through here before it is screened or stored:

- **Text**: U+0000 and unpaired surrogates are removed. PostgreSQL refuses U+0000 in a text
  column and asyncpg cannot encode a lone surrogate, so such a message failed its INSERT every
  time it was retried (and the failure's traceback carried the text). Telegram's JSON can hold
  both (``"\\u0000"``, ``"\\ud83d"`` alone), so they do arrive.
- **Numbers**: ``str.isdigit()`` accepts "²" and "٣", which ``int()`` then refuses or reads in a
  script the person did not mean. :func:`ascii_int` reads ASCII digits only and never raises.
- **Ids**: a number read from a button or a command must fit a signed 64-bit column
  (``BIGINT``); a 40-digit one would overflow SQLite and PostgreSQL alike. :func:`fits_id`.
"""

from __future__ import annotations

import re

#: The largest value a signed 64-bit column (SQLite INTEGER, PostgreSQL BIGINT) holds.
MAX_ID = 2**63 - 1
#: Digits that could ever make a 64-bit number (19) plus a little for leading zeros.
_MAX_DIGITS = 24

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def clean_text(text: str) -> str:
    """``text`` without U+0000 and unpaired surrogates (paired ones never reach Python apart).

    Python decodes a valid surrogate pair in JSON into one character, so any surrogate left in
    a ``str`` is unpaired and can be neither stored nor sent back.
    """
    if not isinstance(text, str):
        return ""
    return _UNSTORABLE.sub("", text)


def ascii_int(text: object) -> int | None:
    """The whole string as a non-negative ASCII integer ("12"), else ``None`` ("²", "1.5", "")."""
    if not isinstance(text, str) or len(text) > _MAX_DIGITS or not _ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)


def is_ascii_int(text: object) -> bool:
    """Whether :func:`ascii_int` reads ``text`` as a number."""
    return ascii_int(text) is not None


def fits_id(value: int | None) -> bool:
    """Whether ``value`` can be looked up in a 64-bit id column without overflowing it."""
    return value is not None and 0 <= value <= MAX_ID


def ascii_id(text: object) -> int | None:
    """An id read from untrusted text (a button's data): ASCII digits that fit ``BIGINT``."""
    value = ascii_int(text)
    return value if fits_id(value) else None
