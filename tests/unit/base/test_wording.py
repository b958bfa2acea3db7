"""Every wording key the code asks for exists, so no person ever meets a KeyError."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.base.dates import day_range, long_day, short_day
from bot.base.vocabulary import FOOD_GROUPS, SYMPTOMS
from bot.base.wording import COUNTED_NOUNS, fill, plural, t, wording
from bot.diary.questions import QUESTIONS
from handlers.telegram import MENU

ROOT = Path(__file__).resolve().parents[3]
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']""")


def test_every_literal_key_in_the_code_exists() -> None:
    texts = wording().texts
    used = {
        key
        for folder in ("bot", "handlers", "gutback")
        for path in (ROOT / folder).rglob("*.py")
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))
    }
    assert used, "the scan found no keys at all"
    assert sorted(used - set(texts)) == []


def test_keys_built_from_ids_exist() -> None:
    texts = wording().texts
    built = {f"symptom_{s}" for s in SYMPTOMS} | {f"food_{g}" for g in FOOD_GROUPS}
    built |= {q.prompt_key for q in QUESTIONS.values()} | {q.label_key for q in QUESTIONS.values()}
    built |= {f"command_{name}" for name in MENU}
    built |= {f"times_button_{p}" for p in ("default", "evening", "morning")}
    built |= {f"times_error_{r}" for r in ("empty", "format", "too_many")}
    built |= {f"weekday_short_{n}" for n in range(7)} | {f"recapday_days_{n}" for n in range(7)}
    built |= {f"weekday_long_{n}" for n in range(7)}
    built |= {f"month_{size}_{n}" for size in ("short", "long") for n in range(1, 13)}
    assert sorted(built - set(texts)) == []


def test_button_labels_fit_on_a_phone() -> None:
    texts = wording().texts
    labels = [k for k in texts if k.startswith(("btn_", "symptom_", "food_", "times_button_"))]
    assert all(len(texts[k]) <= 32 for k in labels), [k for k in labels if len(texts[k]) > 32]


def test_every_command_the_content_mentions_exists() -> None:
    """No text may send a person to a command the bot does not answer."""
    mentioned: set[str] = set()
    for path in (ROOT / "content").glob("*.yaml"):
        for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            mentioned |= set(re.findall(r"(?<![\w/])/([a-z]{3,})\b", text))
    known = set(MENU) | {"log", "swap"}
    assert sorted(mentioned - known) == []


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


# --- counted nouns ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [
        ("over {count} days", {"count": 1}, "over 1 day"),
        ("over {count} days", {"count": 2}, "over 2 days"),
        ("over {count} days", {"count": 0}, "over 0 days"),
        ("the last {weeks} weeks", {"weeks": 1}, "the last 1 week"),
        ("{n} check-ins, {m} entries", {"n": 1, "m": 1}, "1 check-in, 1 entry"),
        ("{n} check-ins, {m} entries", {"n": 1, "m": 3}, "1 check-in, 3 entries"),
        # only a counted noun right after its number changes
        ("{count} of the last 14 days", {"count": 1}, "1 of the last 14 days"),
        ("{what} days", {"what": 1}, "1 day"),
        ("{what} days", {"what": "sunny"}, "sunny days"),
        ("{count} daysies", {"count": 1}, "1 daysies"),
        ("{flag} days", {"flag": True}, "True days"),  # a bool is not the number one
        ("{value} days", {"value": 1.0}, "1.0 days"),  # an average is not a count
        ("no values", {}, "no values"),
    ],
)
def test_fill_makes_counted_nouns_agree(template: str, values: dict, expected: str) -> None:
    assert fill(template, **values) == expected


def test_plural_for_text_built_in_code() -> None:
    assert plural(1, "week") == "1 week"
    assert plural(4, "week") == "4 weeks"
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(2, "entry", "entries") == "2 entries"


def test_t_fills_with_the_same_rule() -> None:
    assert "for 1 day;" in t("paused_days", days=1, back_on="Tuesday 13 January")
    assert "for 3 days;" in t("paused_days", days=3, back_on="Thursday 15 January")


def test_every_counted_noun_after_a_placeholder_in_the_content_is_known() -> None:
    """A template that counts a noun we have no singular for would say "1 stools"."""
    counted, unknown = set(), set()
    for path in (ROOT / "content").glob("*.yaml"):
        for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            for name, noun in re.findall(
                r"\{(\w*(?:count|days|weeks|hits|answered|kept|n))\}\s+([a-z-]+)", text
            ):
                if noun.endswith("s"):
                    (counted if noun in COUNTED_NOUNS else unknown).add((name, noun))
    assert ("weeks", "weeks") in counted, "the scan found no counted nouns at all"
    assert sorted(unknown) == []


# --- dates --------------------------------------------------------------------------------------


def test_days_are_named_with_their_month() -> None:
    assert short_day(date(2026, 12, 8)) == "Tue 8 Dec"
    assert long_day(date(2026, 12, 8)) == "Tuesday 8 December"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 1, 5), date(2026, 1, 11), "Mon 5 to Sun 11 Jan"),
        (date(2025, 11, 25), date(2025, 12, 1), "Tue 25 Nov to Mon 1 Dec"),
        (date(2025, 12, 29), date(2026, 1, 4), "Mon 29 Dec to Sun 4 Jan"),
    ],
)
def test_a_range_names_its_month(start: date, end: date, expected: str) -> None:
    assert day_range(start, end) == expected
