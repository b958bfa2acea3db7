"""The safety screen's content: red flags, emergency numbers and wording, validated at load.

Why a separate module: :mod:`bot.safety.screen` decides, this module only reads and checks the three
YAML files. A bad tier, an empty pattern list, an unknown area or a weekly-screen option that points
at a flag that does not exist fails loudly here (at start-up and in the tests), never in front of
someone who needs the answer.
"""

from __future__ import annotations

import functools
import re
import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.base.content import load_model, repeated

Tier = Literal["T0", "T1", "T2", "T3", "T4"]
Area = Literal["back", "gut", "crisis", "eating"]

#: Most urgent first; the index is the rank used everywhere ("lower is more urgent").
TIERS: tuple[Tier, ...] = ("T0", "T1", "T2", "T3", "T4")

#: Placeholders an answer may use; anything else in braces is a typo and fails at load.
PLACEHOLDERS = frozenset({"emergency", "urgent", "crisis", "region"})


def tier_rank(tier: str | None) -> int:
    """0 for T0 (most urgent) ... 4 for T4, 5 for no tier."""
    return TIERS.index(tier) if tier in TIERS else len(TIERS)  # type: ignore[arg-type]


def _check_placeholders(text: str) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    unknown = names - PLACEHOLDERS
    if unknown:
        raise ValueError(f"unknown placeholder(s) {sorted(unknown)} in: {text[:60]!r}")
    return text


def _check_patterns(patterns: list[str]) -> list[str]:
    if not patterns:
        raise ValueError("a flag or context needs at least one trigger pattern")
    for pattern in patterns:
        if not pattern.strip():
            raise ValueError("empty trigger pattern")
        if pattern.count("(") != pattern.count(")"):
            raise ValueError(f"unbalanced parentheses in pattern {pattern!r}")
        if pattern.startswith("re:"):
            re.compile(pattern[3:])
    return patterns


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Escalation(_Strict):
    """Raise a flag's tier when a context (e.g. new weakness, feeling faint) is also present."""

    context: str
    tier: Tier
    answer: str

    @field_validator("answer")
    @classmethod
    def _answer(cls, value: str) -> str:
        return _check_placeholders(value)


class RedFlag(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    tier: Tier
    area: Area
    patterns: list[str]
    #: Contexts that must also appear in the message (any one of them) for the flag to count.
    requires: list[str] = []
    escalate: list[Escalation] = []
    #: True when the flag is about history (e.g. past cancer): "years ago" does not cancel it.
    history: bool = False
    #: True for pain-linked hopelessness: ask a gentle question before the crisis script.
    ask_first: bool = False
    #: True when the sign is a colour (black poo, pink pee) that food or iron can explain.
    colour: bool = False
    #: True when the flag is about someone else by nature (a family history).
    about_others: bool = False
    #: Phrases that cancel the flag anywhere in the message ("on the bike saddle").
    unless: list[str] = []
    answer: str
    source: str = Field(min_length=3)

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        return _check_patterns(value)

    @field_validator("answer")
    @classmethod
    def _answer(cls, value: str) -> str:
        return _check_placeholders(value)


class Negation(_Strict):
    #: Words or phrases that negate what follows them in the same clause.
    cues: list[str]
    #: "no" followed by one of these is an interjection or idiom ("no idea"), not a negation.
    not_after_no: list[str]
    #: "not" followed by one of these does not negate ("not sure", "not normal", "not able").
    not_after_not: list[str]
    #: Tokens that start a new subject, ending a negation's reach ("no fever and I can't ...").
    scope_breakers: list[str]
    #: Words that split a message into clauses, like punctuation does ("but", "though").
    clause_breakers: list[str]
    #: A "never had X" clause that also says "before"/"like this" means X is new, not absent.
    never_voided_by: list[str]
    window: int = Field(ge=1, le=10)
    #: A clause that answers what came before it in its sentence ("none of that", "nothing like
    #: that here"): every earlier clause of the sentence is denied.
    back_denials: list[str] = []


class Scopes(_Strict):
    """What makes a clause not about the writer's own sign now."""

    #: Questions and "what if" talk: "should I worry if my poo goes black?".
    hypothetical: list[str]
    #: Words that bring a clause back to now, cancelling a past marker ("again", "since").
    present: list[str]
    #: Words for other people; a clause naming one and never the writer is about them.
    other_people: list[str]
    other_pronouns: list[str]
    other_past: list[str]
    first_person: list[str]
    #: Foods and medicines that colour poo or pee (beetroot, iron tablets, blueberries).
    colour_explanations: list[str]
    #: Words that make a whole sentence hypothetical ("imagine", "supposing", "hypothetically").
    conditional: list[str] = []
    #: With a clause that starts "if", words that make the sentence a conditional question
    #: ("if my legs both went weak would that be a 999 thing?"); a "?" does as well.
    consequence: list[str] = []
    #: A resolution that reaches back one clause, unless that clause says "now" ("fainted at
    #: work, turned out she hadn't eaten"; "went numb on the bleachers, fine once I stood up").
    resolved: list[str] = []


class AskRule(_Strict):
    """One short question for a cluster of flags, asked when the learned layer is unsure.

    ``id`` names the question's text in ``safety_wording.yaml``; a "yes" confirms the cluster's
    most likely flag at ``tier``.
    """

    id: str = Field(pattern=r"^ask_[a-z0-9_]+$")
    tier: Tier
    flags: list[str] = Field(min_length=1)


class RedFlagFile(_Strict):
    synonyms: dict[str, list[str]]
    #: Regular expressions over the normalised text that fold numbers and units into concepts
    #: (38.5, 101F -> a high temperature; "down 6 kg" -> lost weight; "im 78" -> older).
    number_rewrites: dict[str, str] = {}
    rewrites: dict[str, str]
    idioms: list[str]
    past_markers: list[str]
    not_typos: list[str]
    #: Ordinary words that typo repair must keep as they are (never "repaired" into a trigger).
    known_words: list[str] = []
    negation: Negation
    scopes: Scopes
    contexts: dict[str, list[str]]
    flags: list[RedFlag]
    #: The ask band: one question per cluster of flags (see bot/safety/screen.py).
    asks: list[AskRule] = []
    #: Ask when the learned layer gives a cluster at least this probability (by the cluster's
    #: tier) and the rules found nothing as urgent. Chosen by cross-validation over writers.
    ask_thresholds: dict[Tier, float] = {}
    #: Per ISO 639-1 code: phrases put into English words before matching, when the message is
    #: confidently in that language (the words the warning signs need, not a translation).
    translations: dict[str, dict[str, str]] = {}

    @field_validator("contexts")
    @classmethod
    def _context_patterns(cls, contexts: dict[str, list[str]]) -> dict[str, list[str]]:
        for patterns in contexts.values():
            _check_patterns(patterns)
        return contexts

    @model_validator(mode="after")
    def _references(self) -> RedFlagFile:
        ids = [flag.id for flag in self.flags]
        duplicates = repeated(ids)
        if duplicates:
            raise ValueError(f"duplicate flag ids: {duplicates}")
        for flag in self.flags:
            named = list(flag.requires) + [esc.context for esc in flag.escalate]
            missing = [name for name in named if name not in self.contexts]
            if missing:
                raise ValueError(f"flag {flag.id} names unknown context(s) {missing}")
            for esc in flag.escalate:
                if tier_rank(esc.tier) >= tier_rank(flag.tier):
                    raise ValueError(f"flag {flag.id}: escalation must be more urgent")
        clustered = [flag_id for ask in self.asks for flag_id in ask.flags]
        unknown = sorted(set(clustered) - set(ids))
        if unknown:
            raise ValueError(f"asks name unknown flags: {unknown}")
        twice = sorted({flag_id for flag_id in clustered if clustered.count(flag_id) > 1})
        if twice:
            raise ValueError(f"flags in more than one ask: {twice}")
        return self

    def ask_for(self, flag_id: str) -> AskRule | None:
        for ask in self.asks:
            if flag_id in ask.flags:
                return ask
        return None

    def flag(self, flag_id: str) -> RedFlag:
        for flag in self.flags:
            if flag.id == flag_id:
                return flag
        raise KeyError(flag_id)


class Region(_Strict):
    id: str
    name: str
    #: IANA keys; an entry ending in "/" is a prefix ("Australia/").
    zones: list[str] = Field(min_length=1)
    emergency: str = Field(min_length=2)
    urgent: str | None = None
    crisis: str | None = None
    source: str = Field(min_length=3)


class RegionFile(_Strict):
    fallback: Region
    regions: list[Region] = Field(min_length=25)

    @model_validator(mode="after")
    def _unique_zones(self) -> RegionFile:
        seen: dict[str, str] = {}
        for region in self.regions:
            for zone in region.zones:
                if zone in seen:
                    raise ValueError(f"zone {zone} is in both {seen[zone]} and {region.id}")
                seen[zone] = region.id
        return self


class TierText(_Strict):
    lead: str
    close: str

    @field_validator("lead", "close")
    @classmethod
    def _texts(cls, value: str) -> str:
        return _check_placeholders(value)


class ScreenOptionText(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=2, max_length=40)
    flag: str


class AskButtons(_Strict):
    """The three answers every safety question offers."""

    yes: str = Field(min_length=1, max_length=24)
    no: str = Field(min_length=1, max_length=24)
    unsure: str = Field(min_length=1, max_length=24)


class FollowUpText(_Strict):
    """The "did you get help?" message; ``{when}`` names the day of the answer it follows."""

    text: str
    today: str
    yesterday: str
    yesterday_evening: str
    #: ``{weekday}`` is the day's name ("On Tuesday").
    weekday: str

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        _check_placeholders(value.replace("{when}", ""))
        return value


class Mentions(_Strict):
    """How a recorded warning sign is named later: discreetly in the recap, plainly in the PDF.

    A weekly recap's first lines show on a lock screen, so it never names a sign; the PDF, which
    the person shows a clinician, names each sign in plain words (``plain_names``), never its id.
    """

    #: A moment that needed crisis support.
    recap_crisis: str = Field(min_length=1)
    #: ``{advice}``: one of ``recap_advice``; ``{count}`` for several signs at once.
    recap_one: str = Field(min_length=1)
    recap_many: str = Field(min_length=1)
    recap_advice: dict[Tier, str]
    #: ``{names}`` (plain names joined), ``{advice}`` (one of ``report_advice``).
    report_line: str = Field(min_length=1)
    report_advice: dict[Tier, str]
    report_more: str = Field(min_length=1)
    #: Used for a flag this file does not name yet (a test asks for every flag to be named).
    unnamed: str = Field(min_length=1)
    plain_names: dict[str, str]

    @field_validator("recap_advice", "report_advice")
    @classmethod
    def _all_tiers(cls, advice: dict[str, str]) -> dict[str, str]:
        missing = set(TIERS) - set(advice)
        if missing:
            raise ValueError(f"advice missing for tiers {sorted(missing)}")
        return advice


class SafetyWording(_Strict):
    tiers: dict[Tier, TierText]
    urgent_fallback: str
    crisis_fallback: str
    gentle_question: str
    crisis_reply: str
    eating_support: str
    redflags_command: str
    about: str
    pain_alert: str
    weekly_question: str
    weekly_none_label: str
    weekly_options: list[ScreenOptionText] = Field(min_length=5)
    #: The ask band's questions, by id (``ask_crisis`` ...): one plain, kind yes/no question.
    asks: dict[str, str] = {}
    #: Where to turn, shown under a question before any answer (crisis line, emergency number),
    #: by question id: someone not ready to tap "yes" still has it in front of them.
    ask_help: dict[str, str] = {}
    ask_buttons: AskButtons
    #: What "no" gets, by question id (``default`` for the rest): taken at their word.
    ask_declined: dict[str, str]
    #: The gentle lead before the "yes" answer when they are not sure, by question id.
    ask_unsure: dict[str, str]
    #: After "no", when the message that raised the question also held a diary line.
    ask_unsaved: str
    #: A typed answer whose question's time for typed replies has passed: asked again.
    ask_again: str
    #: Button notices (toasts, at most 200 characters on Telegram).
    ask_closed: str = Field(max_length=200)
    ask_answered: str = Field(max_length=200)
    sign_none: str = Field(max_length=200)
    #: For someone helping another person whose danger is now (``Finding.other``).
    helper_crisis: str
    helper_emergency: str
    #: A message the screen marks as not English.
    language_notice: str
    follow_up: FollowUpText
    mentions: Mentions

    @field_validator("ask_help")
    @classmethod
    def _help_texts(cls, texts: dict[str, str]) -> dict[str, str]:
        for text in texts.values():
            _check_placeholders(text)
        return texts

    @field_validator("ask_declined", "ask_unsure")
    @classmethod
    def _by_question(cls, texts: dict[str, str]) -> dict[str, str]:
        if "default" not in texts:
            raise ValueError("needs a 'default' text")
        for text in texts.values():
            _check_placeholders(text)
        return texts

    @field_validator("helper_crisis", "helper_emergency", "language_notice", "ask_unsaved")
    @classmethod
    def _conversation_texts(cls, value: str) -> str:
        return _check_placeholders(value)

    @field_validator("tiers")
    @classmethod
    def _all_tiers(cls, tiers: dict[str, TierText]) -> dict[str, TierText]:
        missing = set(TIERS) - set(tiers)
        if missing:
            raise ValueError(f"wording missing for tiers {sorted(missing)}")
        return tiers

    @field_validator("gentle_question", "crisis_reply", "eating_support", "pain_alert")
    @classmethod
    def _texts(cls, value: str) -> str:
        return _check_placeholders(value)


@functools.cache
def redflags() -> RedFlagFile:
    return load_model("redflags.yaml", RedFlagFile)


@functools.cache
def regions() -> RegionFile:
    return load_model("emergency_numbers.yaml", RegionFile)


@functools.cache
def safety_wording() -> SafetyWording:
    wording = load_model("safety_wording.yaml", SafetyWording)
    flags = {flag.id for flag in redflags().flags}
    unknown = [opt.flag for opt in wording.weekly_options if opt.flag not in flags]
    if unknown:
        raise ValueError(f"weekly screen options name unknown flags: {unknown}")
    missing = [ask.id for ask in redflags().asks if ask.id not in wording.asks]
    if missing:
        raise ValueError(f"no wording for ask questions: {missing}")
    for texts in (wording.ask_declined, wording.ask_unsure, wording.ask_help):
        unknown = sorted(set(texts) - set(wording.asks) - {"default"})
        if unknown:
            raise ValueError(f"answers worded for unknown questions: {unknown}")
    return wording
