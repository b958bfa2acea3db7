"""A diary file in the ``/export`` CSV format, read into the insight engine's day records.

So anyone can check an analysis (``gutback analyse`` on their export says what their recap
says), and a person can analyse a diary kept elsewhere in the same columns. Columns are read by
name: ``date`` is required; ``pain``, ``stress``, ``sleep``, ``symptom_<id>``, ``food_<id>`` and
``med_<id>`` (the optional medicines question, as /export writes it) are read when present; any
other column is ignored. A missing column or an empty cell is "not recorded", never "absent".
Anything else that is not what the column holds is a :class:`DiaryFileError` naming the line, so
a wrong file is never half-read in silence.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from bot.insights.engine import HIGH_STRESS, POOR_SLEEP, Analysis, DayRecord
from bot.insights.links import TOP_LINKS

#: Column prefixes that hold a yes/no day factor (0 or 1), and the factor kind they make.
FACTOR_PREFIXES = {"symptom_": "symptom", "food_": "food", "med_": "medicine"}
SCALES = {"pain": (0, 10), "stress": (1, 5), "sleep": (1, 5)}


class DiaryFileError(ValueError):
    """The file cannot be read as a diary; the message says where and why, in one line."""


def _number(cell: str, column: str, line: int) -> float | None:
    text = cell.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise DiaryFileError(f"line {line}: {column} is {text!r}, not a number") from None
    low, high = SCALES[column]
    if not low <= value <= high:
        raise DiaryFileError(f"line {line}: {column} {text} is outside {low}-{high}")
    return value


def _flag(cell: str, column: str, line: int) -> bool | None:
    text = cell.strip()
    if not text:
        return None
    if text in ("0", "1"):
        return text == "1"
    raise DiaryFileError(f"line {line}: {column} is {text!r}; it should be 0, 1 or empty")


def read_diary_csv(text: str) -> dict[date, DayRecord]:
    """The diary's day records, one per row (``date`` once per file)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise DiaryFileError(
            "the file is empty (expected a header row with a 'date' column)"
        ) from None
    except csv.Error as error:
        raise DiaryFileError(f"line 1: not readable as CSV ({error})") from None
    names = [name.strip() for name in header]
    if "date" not in names:
        raise DiaryFileError("no 'date' column in the header (is this a gutback diary CSV?)")
    where = {name: i for i, name in enumerate(names)}
    factors = [
        (i, name, f"{kind}:{name.removeprefix(prefix)}")
        for i, name in enumerate(names)
        for prefix, kind in FACTOR_PREFIXES.items()
        if name.startswith(prefix) and len(name) > len(prefix)
    ]
    records: dict[date, DayRecord] = {}
    try:
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(names):
                raise DiaryFileError(
                    f"line {line}: {len(row)} cells but the header has {len(names)} columns"
                )
            row = row + [""] * (len(names) - len(row))
            when = _date(row[where["date"]], line)
            if when in records:
                raise DiaryFileError(f"line {line}: {when.isoformat()} appears twice")
            values: dict[str, Any] = {
                column: _number(row[where[column]], column, line)
                for column in SCALES
                if column in where
            }
            day: dict[str, bool] = {}
            for i, column, factor in factors:
                flag = _flag(row[i], column, line)
                if flag is not None:
                    day[factor] = flag
            if values.get("stress") is not None:
                day["stress:high"] = values["stress"] >= HIGH_STRESS
            if values.get("sleep") is not None:
                day["sleep:poor"] = values["sleep"] <= POOR_SLEEP
            records[when] = DayRecord(values.get("pain"), day)
    except csv.Error as error:
        raise DiaryFileError(f"line {reader.line_num}: not readable as CSV ({error})") from None
    return records


def _date(cell: str, line: int) -> date:
    text = cell.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DiaryFileError(f"line {line}: date {text!r} is not a YYYY-MM-DD date") from None


def analysis_json(analysis: Analysis) -> dict[str, Any]:
    """What ``gutback analyse --json`` prints: the links the recap would show, and why not."""
    return {
        "links": [
            {
                "kind": link.kind,
                "item": link.item,
                "lag": link.lag,
                "with_average": round(link.with_average, 4),
                "without_average": round(link.without_average, 4),
                "with_days": link.with_days,
                "without_days": link.without_days,
                "effect": round(link.effect, 4),
                "low": round(link.low, 4),
                "high": round(link.high, 4),
                "p_value": float(f"{link.p_value:.4g}"),
                "rho": link.rho,
            }
            for link in analysis.links[:TOP_LINKS]
        ],
        "scored_days": analysis.scored_days,
        "tested": analysis.tested,
        "more_days_needed": analysis.more_days,
        "waiting": [
            {"kind": w.kind, "item": w.item, "more_days": w.more_days} for w in analysis.waiting
        ],
    }
