"""Is a message confidently not English? A small offline detector for the safety screen.

Why: the screen's rules and model read English. When someone writes "Blut im Stuhl" the bot must
say plainly that it reads English only for now and give the region's emergency number, rather than
"I'm not sure what to do with that". It must also never tell an English speaker that they are not
writing English, so the detector answers only when it is sure and otherwise says None.

How (and why not py3langid): see ``content/safety_languages.yaml``. Function words that English
does not have, a few everyday health words, letters only one language uses, and non-Latin scripts.
Pure: no I/O after the content file is loaded once.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from pydantic import BaseModel, ConfigDict, Field

from bot.base.content import load_model

_WORD_RE = re.compile(r"[^\W\d_]+")
#: Letters of a non-Latin script needed before the script decides the language.
MIN_SCRIPT_LETTERS = 4
#: Words of one other language needed (a language's own letter counts as one more).
MIN_WORDS = 2


class _Language(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    words: list[str] = Field(min_length=5)
    letters: str = ""


class LanguageFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    english: list[str] = Field(min_length=20)
    languages: dict[str, _Language]
    scripts: dict[str, str]


def _plain(word: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)
    )


@functools.cache
def language_content() -> LanguageFile:
    """``content/safety_languages.yaml``, validated (loaded once)."""
    return load_model("safety_languages.yaml", LanguageFile)


@functools.cache
def _tables() -> tuple[frozenset[str], dict[str, frozenset[str]], dict[str, str], dict[str, str]]:
    content = language_content()
    english = frozenset(content.english)
    words = {
        code: frozenset({w.lower() for w in lang.words} | {_plain(w.lower()) for w in lang.words})
        for code, lang in content.languages.items()
    }
    letters = {code: lang.letters for code, lang in content.languages.items() if lang.letters}
    scripts = {code: chars for code, chars in content.scripts.items() if chars}
    return english, words, letters, scripts


def _script(text: str, scripts: dict[str, str]) -> str | None:
    counts = {code: sum(text.count(ch) for ch in chars) for code, chars in scripts.items()}
    cjk = sum(1 for ch in text if "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff")
    if cjk >= 2:
        return "ja" if any("\u3040" <= ch <= "\u30ff" for ch in text) else "zh"
    if any("\uac00" <= ch <= "\ud7a3" for ch in text):
        return "ko"
    if counts.get("uk", 0) and counts.get("ru", 0) + counts["uk"] >= MIN_SCRIPT_LETTERS:
        return "uk"
    code, count = max(counts.items(), key=lambda item: item[1], default=("", 0))
    return code if count >= MIN_SCRIPT_LETTERS else None


def detect(text: str) -> str | None:
    """ISO 639-1 code when ``text`` is confidently not English, else None."""
    english, words, letters, scripts = _tables()
    lowered = text.lower()
    script = _script(lowered, scripts)
    if script is not None:
        return script
    tokens = _WORD_RE.findall(lowered)
    if len(tokens) < 2:
        return None
    english_hits = sum(1 for token in tokens if token in english)
    best, best_score = None, 0
    for code, vocabulary in words.items():
        score = sum(1 for token in set(tokens) if token in vocabulary and token not in english)
        if code in letters and any(ch in lowered for ch in letters[code]):
            score += 1
        if score > best_score:
            best, best_score = code, score
    if best is None or best_score < MIN_WORDS:
        return None
    # Mixed lines ("back 6, ich bin müde") are called foreign only when the foreign words clearly
    # outnumber the English ones.
    if best_score < 2 * english_hits + 1 and best_score < 0.5 * len(tokens):
        return None
    return best
