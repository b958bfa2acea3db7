"""Gut-friendly swaps, and answering "what can I have instead of X?" in plain words.

The swaps live in ``content/swaps.yaml``. Answering a question is three small steps, each easy to
explain when an answer looks wrong:

1. A question that asks for a diagnosis or a treatment is refused (the bot never diagnoses).
2. The swap synonyms are matched with the same forgiving matcher as the food lexicon (plurals,
   one-letter typos, UK/US names). When several foods are named, the one after "instead of",
   "than", "to", "for" ... wins, because that is the food the person wants to replace.
3. A food with no swap of its own but a known offender group ("doughnut" -> sugary) gets the
   group's swap; any other known food, or no food at all, gets ``unknown`` with a few examples.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.base.content import HedgedAdvice, PlainAdvice, article_sections, load_model, repeated
from bot.base.vocabulary import FOOD_GROUPS, OFFENDER_GROUPS, unknown_in
from bot.knowledge.foods import FoodMatch, PhraseIndex, Token, lexicon, normalise, tokenize

SwapKind = Literal["swap", "group", "unknown", "refuse_medical"]

#: Which offender group answers first when a food belongs to several (drinks are the most
#: specific, gluten the broadest).
GROUP_PRIORITY = ("soda", "alcohol", "sugary", "greasy", "processed", "gluten")


class FromItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=2)
    synonyms: tuple[str, ...] = Field(min_length=1)
    groups: tuple[str, ...] = ()

    @field_validator("groups")
    @classmethod
    def _known_groups(cls, groups: tuple[str, ...]) -> tuple[str, ...]:
        unknown_in(groups, FOOD_GROUPS, "food groups")
        return groups


class ToItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=2)
    how: str | None = None


class Swap(BaseModel):
    """One swap: what to replace, one to three things to try instead, and the gut reason."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    from_: FromItem = Field(alias="from")
    to: tuple[ToItem, ...] = Field(min_length=1, max_length=3)
    why: HedgedAdvice = Field(min_length=20, max_length=400)
    section: str
    caution: PlainAdvice | None = Field(default=None, max_length=320)


class SwapLibrary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    examples: tuple[str, ...] = Field(min_length=3)
    group_answers: dict[str, str]
    swaps: list[Swap] = Field(min_length=35)

    @model_validator(mode="after")
    def _consistent(self) -> SwapLibrary:
        ids = [swap.id for swap in self.swaps]
        duplicates = repeated(ids)
        if duplicates:
            raise ValueError(f"duplicate swap ids: {', '.join(duplicates)}")
        known = article_sections().ids()
        wrong = sorted(f"{s.id} -> {s.section}" for s in self.swaps if s.section not in known)
        if wrong:
            raise ValueError(f"swaps name unknown article sections: {', '.join(wrong)}")
        missing = sorted(OFFENDER_GROUPS - set(self.group_answers))
        if missing:
            raise ValueError(f"no group answer for offender groups: {', '.join(missing)}")
        bad = sorted(
            f"{group} -> {swap_id}"
            for group, swap_id in self.group_answers.items()
            if group not in OFFENDER_GROUPS or swap_id not in ids
        )
        if bad:
            raise ValueError(f"group answers must map offender groups to swap ids: {bad}")
        owner: dict[str, str] = {}
        clashes: list[str] = []
        for swap in self.swaps:
            for synonym in swap.from_.synonyms:
                key = " ".join(token.key for token in tokenize(synonym))
                if owner.setdefault(key, swap.id) != swap.id:
                    clashes.append(f"{synonym!r} ({owner[key]} / {swap.id})")
        if clashes:
            raise ValueError("synonyms claimed by two swaps: " + ", ".join(clashes))
        return self

    def by_id(self) -> dict[str, Swap]:
        return {swap.id: swap for swap in self.swaps}

    @functools.cached_property
    def index(self) -> PhraseIndex[str]:
        phrases = [(syn, swap.id) for swap in self.swaps for syn in swap.from_.synonyms]
        return PhraseIndex(phrases, blocked=lexicon().not_food)


@functools.cache
def swaps() -> SwapLibrary:
    """All swaps, loaded and validated once."""
    return load_model("swaps.yaml", SwapLibrary)


def swap_by_id(swap_id: str) -> Swap | None:
    return swaps().by_id().get(swap_id)


@dataclass(frozen=True)
class SwapAnswer:
    """What the bot understood and which swaps fit.

    ``kind``: "swap" (a swap for this food), "group" (no swap of its own, answered by its
    offender group), "unknown" (no food recognised, or a food that is already fine: ``groups``
    then says why), "refuse_medical" (asks for a diagnosis or treatment). ``food`` is the
    recognised words.
    """

    kind: SwapKind
    food: str | None = None
    swaps: tuple[Swap, ...] = ()
    examples: tuple[str, ...] = ()
    groups: frozenset[str] = field(default_factory=frozenset)


# --- medical questions -------------------------------------------------------------------------

_DRUGS = (
    r"ibuprofen|paracetamol|acetaminophen|tylenol|advil|nurofen|naproxen|aspirin|codeine|tramadol"
    r"|morphine|oxycodone|gabapentin|pregabalin|amitriptyline|duloxetine|diazepam|omeprazole"
    r"|lansoprazole|laxatives?|antibiotics?|steroids?|painkillers?|pain killers?|pain relief"
    r"|muscle relaxants?|nsaids?|opioids?|co codamol|cocodamol|injections?"
)
_MEDS = rf"(?:meds|medication|medications|medicine|medicines|pills?|tablets?|drugs?|{_DRUGS})"
_CONDITIONS = (
    r"ibs|sibo|crohns?|colitis|coeliac|celiac|slipped dis[ck]|herniated|bulging dis[ck]|dis[ck]"
    r"|sciatica|arthritis|cancer|tumou?r|fibromyalgia|leaky gut|an? ulcer|ulcer|gerd|infection"
    r"|stenosis|hernia|gallstones|something serious|serious|broken|fractured?|pinched nerve"
)
_MEDICAL = re.compile(
    r"|".join(
        (
            r"\b(do|could|might|can) i (have|has|be having) (an? )?(" + _CONDITIONS + r")",
            r"\bdo i have\b",
            r"\bhave i got\b",
            r"\b(is|could|might) (it|this|that|my \w+( \w+)?) (be )?(an? )?("
            + _CONDITIONS
            + r")\b",
            r"\bdiagnos",
            r"\bprescri",
            r"\b(dose|dosage|doses)\b",
            r"\bhow (much|many)\b.*\b(should|can|do) i take\b",
            r"\b(what|which) (" + _MEDS + r")\b",
            r"\b(should|can|could|do) i (stop|start|take|come off|quit|increase|reduce|double|skip"
            r"|cut down|change) (my |the |taking |any )*(" + _MEDS + r")\b",
            r"\b(should|can|could) i take\b",
            r"\binstead of (my |the |taking )*(" + _MEDS + r")\b",
            r"\b(" + _DRUGS + r")\b.*\?",
            r"\b(treat|treatment|cure|heal|fix)\b.*\b(my |the )?(back|spine|disc|disk|ibs|sciatica"
            r"|pain|gut|stomach)\b",
            r"\b(do|should) i (need|get) (an? )?(mri|scan|x ray|xray|surgery|operation|injection"
            r"|physio|specialist|tests?)\b",
            r"\bwhat (is|s) wrong with (me|my)\b",
            r"\bwhy does my (back|spine|stomach|gut) hurt\b",
        )
    )
)


def is_medical_question(text: str) -> bool:
    """True when the message asks for a diagnosis, a medicine or a treatment decision."""
    return bool(_MEDICAL.search(" ".join(normalise(text).replace("?", " ? ").split())))


# --- matching ----------------------------------------------------------------------------------

_COMMAND = re.compile(r"^\s*/swap(@\w+)?\b", re.IGNORECASE)
#: Words right before the food someone wants to replace.
_CUES = frozenset(
    {
        "instead",
        "than",
        "to",
        "for",
        "replace",
        "replacing",
        "replacement",
        "swap",
        "swapping",
        "sub",
        "substitute",
        "alternative",
        "alternatives",
        "over",
        "of",
        "ditch",
        "quit",
        "cut",
    }
)
_CUE_WINDOW = 3


def _after_cue(tokens: list[Token], first: int) -> bool:
    return any(token.text in _CUES for token in tokens[max(0, first - _CUE_WINDOW) : first])


def _group_answer(groups: frozenset[str]) -> Swap | None:
    library = swaps()
    for group in GROUP_PRIORITY:
        if group in groups:
            return library.by_id()[library.group_answers[group]]
    return None


def _unknown(food: str | None = None, groups: frozenset[str] = frozenset()) -> SwapAnswer:
    return SwapAnswer("unknown", food=food, examples=swaps().examples, groups=groups)


def answer_swap(text: str) -> SwapAnswer:
    """Answer a swap question, a ``/swap <food>`` argument, or just a food name."""
    text = _COMMAND.sub(" ", text)
    if is_medical_question(text):
        return SwapAnswer("refuse_medical")
    tokens = tokenize(text)
    library = swaps()
    matches = library.index.match(tokens)
    if matches:
        best = max(
            matches,
            key=lambda m: (_after_cue(tokens, m.first), m.last - m.first, -m.first),
        )
        wider = [
            f
            for f in lexicon().find_in_tokens(tokens)
            if f.first <= best.first
            and f.last >= best.last
            and f.last - f.first > best.last - best.first
        ]
        if not wider:
            food = " ".join(token.text for token in tokens[best.first : best.last])
            swap = library.by_id()[best.payload]
            return SwapAnswer("swap", food=food, swaps=(swap,), groups=_groups(food))
        # A longer food contains the swap word ("pork pie", "gluten free pasta"): answer for it.
        return _answer_food(wider[0])
    foods = lexicon().find_in_tokens(tokens)
    if not foods:
        return _unknown()
    best_food = max(
        foods,
        key=lambda f: (_after_cue(tokens, f.first), bool(f.groups & OFFENDER_GROUPS), -f.first),
    )
    return _answer_food(best_food)


def _answer_food(food: FoodMatch) -> SwapAnswer:
    swap = _group_answer(food.groups)
    if swap is None:
        return _unknown(food.text, food.groups)
    return SwapAnswer("group", food=food.text, swaps=(swap,), groups=food.groups)


def _groups(food: str) -> frozenset[str]:
    return lexicon().groups_for(food)
