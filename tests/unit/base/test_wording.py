"""Every wording key the code asks for exists, so no person ever meets a KeyError."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.base.vocabulary import FOOD_GROUPS, SYMPTOMS
from bot.base.wording import wording
from bot.diary.questions import QUESTIONS
from handlers.telegram import MENU

ROOT = Path(__file__).resolve().parents[3]
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']""")


def test_every_literal_key_in_the_code_exists() -> None:
    texts = wording().texts
    used = {
        key
        for folder in ("bot", "handlers")
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
