"""The small number rules that several features share, written once.

A diary answer is stored as JSON, so a pain score reads back as an ``int`` (a free-text log's as
an ``int`` column); ``True`` is an ``int`` in Python too, and must never count as a score of 1.
Averages are shown to one decimal everywhere, so that the recap, the report and an experiment's
result say the same number the same way.
"""

from __future__ import annotations


def score(value: object) -> float | None:
    """A numeric answer as a float, or ``None`` for anything else (skipped, text, a bool)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def one_decimal(value: float) -> str:
    """An average as people read it: ``4.25`` -> ``"4.2"`` (Python's rounding, as always)."""
    return f"{value:.1f}"
