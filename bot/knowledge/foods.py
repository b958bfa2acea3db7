"""The food lexicon and a forgiving matcher for food words in what people type.

People write diary lines on a phone: plurals, typos, UK or US names, "deep-fried", "gluten free
pasta". The lexicon in ``content/foods.yaml`` maps words and phrases to the shared food groups; this
module turns it into an index once and matches text against it token by token, longest phrase
first. Tolerance is deliberately simple and explainable: a small suffix stemmer for plurals, and one
edit (insert, delete, substitute or swap two neighbours) for typed words of five letters or more,
never of the first letter, unless the word is an ordinary English word listed under ``not_food``.

``PhraseIndex`` is generic so that the swap library can reuse the same matching for its synonyms.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.base.content import load_model
from bot.base.fuzzy import within_one_edit
from bot.base.vocabulary import FOOD_GROUPS, unknown_in

PayloadT = TypeVar("PayloadT")

#: Typed words shorter than this are never typo-corrected (too many short words are one edit apart).
FUZZY_MIN_LETTERS = 5

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_JOINERS = re.compile(r"(?<=[a-z])[-_](?=[a-z])")
_TOKEN = re.compile(r"[a-z]+|\d+(?:[.,]\d+)?|[^\sa-z0-9]")


@dataclass(frozen=True, slots=True)
class Token:
    """One word, number or punctuation mark, with its position in the lowered text."""

    text: str
    key: str  # the stem used for lookups; punctuation keeps its own character
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.text[0].isalpha()


def stem(word: str) -> str:
    """A tiny plural folder: berries/berry, potatoes/potato, cookies/cookie, chips/chip.

    Both the lexicon and the text go through it, so it only has to be consistent, not correct.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ie") and len(word) > 4:
        return word[:-2] + "y"
    if word.endswith("oes"):
        return word[:-2]
    if word.endswith(("ches", "shes", "sses", "xes", "zzes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us")):
        return word[:-1]
    return word


def normalise(text: str) -> str:
    """Lower case, apostrophes dropped (didn't -> didnt), "&" read as "and", hyphens as spaces."""
    text = _APOSTROPHES.sub("", text.lower()).replace("&", " and ")
    return _JOINERS.sub(" ", text)


def tokenize(text: str) -> list[Token]:
    """Words, numbers and punctuation marks (punctuation ends a phrase and a negation)."""
    lowered = normalise(text)
    return [
        Token(m.group(0), stem(m.group(0)), m.start(), m.end()) for m in _TOKEN.finditer(lowered)
    ]


def _doubled(typed: str, word: str) -> bool:
    """``typed`` is ``word`` with one letter typed twice ("sodaa", "riice")."""
    return len(typed) == len(word) + 1 and any(
        typed[i] == typed[i + 1] and typed[:i] + typed[i + 1 :] == word
        for i in range(len(typed) - 1)
    )


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))} | {word}


@dataclass(frozen=True, slots=True)
class PhraseMatch(Generic[PayloadT]):
    payload: PayloadT
    first: int  # index of the first token
    last: int  # index after the last token
    fuzzy: bool


class PhraseIndex(Generic[PayloadT]):
    """Phrases (as stemmed word tuples) to payloads, matched longest first, typo tolerant.

    Built once; matching a message is a dictionary lookup per token and phrase length.
    """

    def __init__(self, phrases: Iterable[tuple[str, PayloadT]], blocked: Iterable[str] = ()):
        self._phrases: dict[tuple[str, ...], PayloadT] = {}
        for phrase, payload in phrases:
            key = tuple(token.key for token in tokenize(phrase))
            if key:
                self._phrases.setdefault(key, payload)
        self._longest = max((len(key) for key in self._phrases), default=0)
        self._vocabulary = {word for key in self._phrases for word in key}
        self._blocked = {stem(normalise(word)) for word in blocked}
        self._by_delete: dict[str, set[str]] = {}
        for word in self._vocabulary:
            if len(word) >= FUZZY_MIN_LETTERS - 1 and word.isalpha():
                for variant in _deletes(word):
                    self._by_delete.setdefault(variant, set()).add(word)

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self._vocabulary)

    def correct(self, key: str) -> tuple[str, bool]:
        """The lexicon word this token stands for, and whether a typo was corrected."""
        if key in self._vocabulary or len(key) < FUZZY_MIN_LETTERS or not key.isalpha():
            return key, False
        if key in self._blocked:
            return key, False
        candidates: set[str] = set()
        for variant in _deletes(key):
            candidates |= self._by_delete.get(variant, set())
        # A typo keeps the first letter: "chocolat" is chocolate, but "tummy" is not "gummy"
        # and "molly" is not "lolly" (a word for the belly and a drug were stored as sweets).
        # A lexicon word shorter than that has too many neighbours: only a doubled key reaches
        # it ("sodaa" is soda, "speed" is not seed).
        close = sorted(
            word
            for word in candidates
            if word[0] == key[0]
            and within_one_edit(key, word)
            and (len(word) >= FUZZY_MIN_LETTERS or _doubled(key, word))
        )
        if len(close) == 1:
            return close[0], True
        return key, False

    def match(self, tokens: Sequence[Token]) -> list[PhraseMatch[PayloadT]]:
        """Non-overlapping matches, scanning left to right and preferring the longest phrase."""
        corrected = [self.correct(token.key) for token in tokens]
        keys = [key for key, _ in corrected]
        found: list[PhraseMatch[PayloadT]] = []
        i = 0
        while i < len(keys):
            for length in range(min(self._longest, len(keys) - i), 0, -1):
                payload = self._phrases.get(tuple(keys[i : i + length]))
                if payload is not None:
                    fuzzy = any(flag for _, flag in corrected[i : i + length])
                    found.append(PhraseMatch(payload, i, i + length, fuzzy))
                    i += length
                    break
            else:
                i += 1
        return found


# --- the lexicon ---------------------------------------------------------------------------------


def _check_groups(groups: tuple[str, ...]) -> tuple[str, ...]:
    unknown_in(groups, FOOD_GROUPS, "food groups")
    return groups


class FoodEntry(BaseModel):
    """Words that mean the same food for the diary; the first one is the display name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    words: tuple[str, ...] = Field(min_length=1)
    groups: tuple[str, ...] = ()

    _groups = field_validator("groups")(_check_groups)

    @field_validator("words")
    @classmethod
    def _clean(cls, words: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(" ".join(str(word).lower().split()) for word in words)
        if any(not word for word in cleaned):
            raise ValueError("empty food word")
        return cleaned


class Modifier(BaseModel):
    """Words like "gluten free" that switch groups off for the food right after them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    words: tuple[str, ...] = Field(min_length=1)
    removes: tuple[str, ...] = Field(min_length=1)

    _groups = field_validator("removes")(_check_groups)


@dataclass(frozen=True, slots=True)
class FoodMatch:
    """A food found in a message: what was typed, what it is, and where."""

    text: str  # the words as typed (lowered)
    name: str  # the lexicon word it matched (spelling and plural corrected)
    groups: frozenset[str]
    first: int  # token span [first, last)
    last: int
    start: int  # character span in the lowered text
    end: int
    fuzzy: bool


MIN_WORDS = 200


class Lexicon(BaseModel):
    model_config = ConfigDict(extra="forbid")

    foods: list[FoodEntry] = Field(min_length=1)
    modifiers: list[Modifier] = []
    not_food: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Lexicon:
        seen: dict[tuple[str, ...], str] = {}
        clashes: list[str] = []
        for entry in self.foods:
            for word in entry.words:
                key = tuple(token.key for token in tokenize(word))
                if key in seen and seen[key] != entry.words[0]:
                    clashes.append(f"{word!r} ({seen[key]} / {entry.words[0]})")
                seen.setdefault(key, entry.words[0])
        if clashes:
            raise ValueError("food words listed twice: " + ", ".join(clashes))
        if len(seen) < MIN_WORDS:
            raise ValueError(f"the lexicon needs at least {MIN_WORDS} words, has {len(seen)}")
        food_words = {stem(normalise(word)) for entry in self.foods for word in entry.words}
        overlap = sorted(word for word in self.not_food if stem(normalise(word)) in food_words)
        if overlap:
            raise ValueError("not_food lists food words: " + ", ".join(overlap))
        return self

    # Indexes are built lazily once per Lexicon instance (the instance itself is cached).
    @functools.cached_property
    def _index(self) -> PhraseIndex[tuple[str, FoodEntry | Modifier]]:
        phrases: list[tuple[str, tuple[str, FoodEntry | Modifier]]] = []
        for entry in self.foods:
            phrases.extend((word, (word, entry)) for word in entry.words)
        for modifier in self.modifiers:
            phrases.extend((word, (word, modifier)) for word in modifier.words)
        return PhraseIndex(phrases, blocked=self.not_food)

    @functools.cached_property
    def _groups_by_word(self) -> dict[str, frozenset[str]]:
        return {
            " ".join(token.key for token in tokenize(word)): frozenset(entry.groups)
            for entry in self.foods
            for word in entry.words
        }

    @property
    def index(self) -> PhraseIndex[tuple[str, FoodEntry | Modifier]]:
        return self._index

    def words(self) -> list[str]:
        return [word for entry in self.foods for word in entry.words]

    def is_food(self, word: str) -> bool:
        return bool(self.find_foods(word))

    def groups_for(self, word: str) -> frozenset[str]:
        """The groups of one food word or phrase (typos and plurals allowed); empty if unknown."""
        key = " ".join(token.key for token in tokenize(word))
        if key in self._groups_by_word:
            return self._groups_by_word[key]
        matches = self.find_foods(word)
        return frozenset().union(*(match.groups for match in matches)) if matches else frozenset()

    def find_foods(self, text: str) -> list[FoodMatch]:
        return self.find_in_tokens(tokenize(text))

    def find_in_tokens(self, tokens: Sequence[Token]) -> list[FoodMatch]:
        """Foods in order of appearance; a modifier right before a food removes its groups."""
        found: list[FoodMatch] = []
        pending: frozenset[str] = frozenset()
        pending_until = -1
        for match in self._index.match(tokens):
            word, payload = match.payload
            if isinstance(payload, Modifier):
                pending = frozenset(payload.removes)
                pending_until = match.last
                continue
            removes = pending if match.first == pending_until else frozenset()
            first, last = tokens[match.first], tokens[match.last - 1]
            found.append(
                FoodMatch(
                    text=" ".join(token.text for token in tokens[match.first : match.last]),
                    name=word,
                    groups=frozenset(payload.groups) - removes,
                    first=match.first,
                    last=match.last,
                    start=first.start,
                    end=last.end,
                    fuzzy=match.fuzzy,
                )
            )
        return found


@functools.cache
def lexicon() -> Lexicon:
    """The food lexicon, loaded, validated and indexed once."""
    return load_model("foods.yaml", Lexicon)


def find_foods(text: str) -> list[FoodMatch]:
    """Foods mentioned in ``text``, longest phrase first ("fried chicken" before "chicken")."""
    return lexicon().find_foods(text)


def groups_for(word: str) -> frozenset[str]:
    return lexicon().groups_for(word)
