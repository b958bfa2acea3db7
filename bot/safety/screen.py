"""The safety screen: does a message contain a warning sign, and what should the bot say?

Why it exists: people write "pizza and coke, back 7, and there was blood when I wiped" into a diary,
not into a symptom checker. The screen reads every free-text message before anything else and, when
it finds a warning sign, returns the one answer that must go out: what to do and how soon, with the
right numbers for the person's region. It never names a diagnosis.

Pure and fast: no I/O after the content is loaded, no database, no ``telegram``. The rules live in
``content/redflags.yaml``, the numbers in ``content/emergency_numbers.yaml`` and every sentence in
``content/safety_wording.yaml``. When a message fits two tiers the more urgent one wins (automated
triage errs, so it should err towards "get checked").
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.safety.matcher import Matcher
from bot.safety.rules import (
    TIERS,
    Area,
    RedFlag,
    Region,
    Tier,
    redflags,
    regions,
    safety_wording,
    tier_rank,
)

__all__ = [
    "SCREEN_SPEED",
    "TIERS",
    "Finding",
    "RegionNumbers",
    "SafetyAnswer",
    "ScreenOption",
    "Screening",
    "about_text",
    "answer_for",
    "numbers_for",
    "pain_alert",
    "pain_alert_text",
    "redflags_text",
    "screen",
    "screen_answer",
    "weekly_screen_options",
    "weekly_screen_question",
]

#: How the screen stays fast: patterns are compiled once (first use) and each clause only tries
#: the patterns whose anchor words it contains. Measured by ``python bench/safety.py``.
SCREEN_SPEED = "compiled once on first use; anchor-word prefilter; target < 1 ms per message"

#: Hours after an emergency answer at which the bot may ask "did you get help?".
FOLLOW_UP_HOURS = 3

#: Pain-alert thresholds (see :func:`pain_alert`).
HIGH_PAIN = 8.0
JUMP_ABOVE_AVERAGE = 3.0
MIN_PRIOR_DAYS = 3


@dataclass(frozen=True, slots=True)
class Finding:
    flag_id: str
    tier: Tier
    area: Area


@dataclass(frozen=True, slots=True)
class Screening:
    findings: list[Finding] = field(default_factory=list)
    tier: Tier | None = None
    ed_signal: bool = False

    @property
    def flag_ids(self) -> list[str]:
        return [finding.flag_id for finding in self.findings]


@dataclass(frozen=True, slots=True)
class RegionNumbers:
    region: str
    emergency: str
    #: Same-day medical advice line, or None where there is no national one.
    urgent: str | None
    crisis: str | None
    source: str


@dataclass(frozen=True, slots=True)
class SafetyAnswer:
    text: str
    tier: Tier | None
    #: True for T0/T1: send this alone, no tip, no check-in question in the same message.
    stand_alone: bool
    #: T1: ask again later that day whether they got help.
    follow_up_hours: int | None
    #: Pain-linked hopelessness without intent: a gentle question, not the crisis script.
    ask_first: bool
    flag_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScreenOption:
    id: str
    label: str
    flag_id: str


# -------------------------------------------------------------------------------- screening
@functools.cache
def _matcher() -> Matcher:
    return Matcher(redflags())


def screen(text: str) -> Screening:
    """Find the warning signs in one message; the most urgent tier wins."""
    rules = redflags()
    hits = _matcher().hits(text)
    # A required context is about topic ("is this about the back?"), so "doesn't help my back"
    # still counts; an escalating context must be affirmed ("no dizziness" does not escalate).
    topics = {hit.name[1:] for hit in hits if hit.name.startswith("@")}
    contexts = {hit.name[1:] for hit in hits if hit.name.startswith("@") and not hit.negated}
    found: dict[str, Finding] = {}
    for hit in hits:
        if hit.name.startswith("@") or hit.negated or hit.name in found:
            continue
        flag = rules.flag(hit.name)
        if hit.past and not flag.history:
            continue
        if flag.requires and not topics.intersection(flag.requires):
            continue
        found[flag.id] = Finding(flag.id, _tier_with_context(flag, contexts), flag.area)
    findings = sorted(found.values(), key=lambda f: (tier_rank(f.tier), f.flag_id))
    tier = findings[0].tier if findings else None
    ed_signal = any(finding.area == "eating" for finding in findings)
    return Screening(findings=findings, tier=tier, ed_signal=ed_signal)


def _tier_with_context(flag: RedFlag, contexts: set[str]) -> Tier:
    tier = flag.tier
    for escalation in flag.escalate:
        if escalation.context in contexts and tier_rank(escalation.tier) < tier_rank(tier):
            tier = escalation.tier
    return tier


def _flag_answer(flag: RedFlag, contexts_tier: Tier) -> str:
    if contexts_tier != flag.tier:
        for escalation in flag.escalate:
            if escalation.tier == contexts_tier:
                return escalation.answer
    return flag.answer


# -------------------------------------------------------------------------------- numbers
def numbers_for(timezone_name: str | None) -> RegionNumbers:
    """Emergency, same-day and crisis numbers for an IANA zone (exact key, then longest prefix)."""
    region = _region_for(timezone_name or "")
    return RegionNumbers(
        region=region.name,
        emergency=region.emergency,
        urgent=region.urgent,
        crisis=region.crisis,
        source=region.source,
    )


@functools.cache
def _zone_table() -> tuple[dict[str, Region], list[tuple[str, Region]]]:
    exact: dict[str, Region] = {}
    prefixes: list[tuple[str, Region]] = []
    for region in regions().regions:
        for zone in region.zones:
            if zone.endswith("/"):
                prefixes.append((zone, region))
            else:
                exact[zone] = region
    prefixes.sort(key=lambda item: -len(item[0]))
    return exact, prefixes


@functools.lru_cache(maxsize=512)
def _region_for(zone: str) -> Region:
    exact, prefixes = _zone_table()
    if zone in exact:
        return exact[zone]
    for prefix, region in prefixes:
        if zone.startswith(prefix):
            return region
    return regions().fallback


def _fill(text: str, numbers: RegionNumbers) -> str:
    wording = safety_wording()
    return text.format(
        emergency=numbers.emergency,
        urgent=numbers.urgent or wording.urgent_fallback,
        crisis=numbers.crisis or wording.crisis_fallback.format(emergency=numbers.emergency),
        region=numbers.region,
    ).strip()


# -------------------------------------------------------------------------------- answers
def answer_for(screening: Screening, timezone_name: str | None) -> SafetyAnswer:
    """The one message to send for a screening (empty text when there is nothing to say)."""
    if screening.tier is None:
        return SafetyAnswer("", None, False, None, False)
    rules = redflags()
    wording = safety_wording()
    numbers = numbers_for(timezone_name)
    tier = screening.tier
    top = [f for f in screening.findings if f.tier == tier]
    flag_ids = tuple(f.flag_id for f in screening.findings)
    stand_alone = tier in ("T0", "T1")

    if tier == "T0":
        flags = [rules.flag(f.flag_id) for f in top]
        if all(flag.ask_first for flag in flags):
            text = _fill(wording.gentle_question, numbers)
            return SafetyAnswer(text, tier, True, None, True, flag_ids)
        parts = [
            _fill(flag.answer, numbers)
            for flag in flags
            if not flag.ask_first and flag.id != "crisis_suicide"
        ]
        text = "\n\n".join([_fill(wording.crisis_reply, numbers), *parts])
        return SafetyAnswer(text, tier, True, None, False, flag_ids)

    parts = [_fill(wording.tiers[tier].lead, numbers)]
    seen: set[str] = set()
    for finding in top[:3]:
        answer = _fill(_flag_answer(rules.flag(finding.flag_id), finding.tier), numbers)
        if answer not in seen:
            seen.add(answer)
            parts.append(answer)
    if screening.ed_signal and not stand_alone:
        parts.append(_fill(wording.eating_support, numbers))
    parts.append(_fill(wording.tiers[tier].close, numbers))
    text = "\n\n".join(part for part in parts if part)
    follow_up = FOLLOW_UP_HOURS if tier == "T1" else None
    return SafetyAnswer(text, tier, stand_alone, follow_up, False, flag_ids)


def redflags_text(timezone_name: str | None = None) -> str:
    """The ``/redflags`` text with the person's regional numbers."""
    return _fill(safety_wording().redflags_command, numbers_for(timezone_name))


def about_text(timezone_name: str | None = None) -> str:
    """The ``/about`` framing paragraph (what the bot is and is not)."""
    return _fill(safety_wording().about, numbers_for(timezone_name))


def pain_alert_text(timezone_name: str | None = None) -> str:
    """The one-time "please see a clinician" suggestion that goes with :func:`pain_alert`."""
    return _fill(safety_wording().pain_alert, numbers_for(timezone_name))


# -------------------------------------------------------------------------------- pain alert
def pain_alert(recent_days: list[tuple[date, float | None]]) -> bool:
    """True when pain was >= 8 on the last three days running, or today jumped >= 3 above average.

    ``recent_days`` holds (day, pain score or None); several entries on one day count as that day's
    highest score. "Today" is the latest day in the list. The jump rule compares today with the mean
    of the seven days before it and needs at least three of those days with a score, so that one
    early high score does not trigger it.
    """
    daily: dict[date, float] = {}
    for day, pain in recent_days:
        if pain is not None:
            daily[day] = max(pain, daily.get(day, pain))
    if not daily:
        return False
    today = max(day for day, _ in recent_days)
    if today not in daily:
        return False
    run = [today - timedelta(days=offset) for offset in range(3)]
    if all(daily.get(day, -1.0) >= HIGH_PAIN for day in run):
        return True
    return pain_jumped(daily, today, daily[today])


def pain_jumped(daily: Mapping[date, float], today: date, pain: float) -> bool:
    """The jump rule: ``pain`` today is 3 or more above the mean of the seven days before.

    ``daily`` holds one score per day. At least three of those seven days need a score, so that
    one early high score does not trigger it. The pain alert and the check-in's extra warning-sign
    screen after a sudden jump both use this one rule.
    """
    prior = [score for day, score in daily.items() if today - timedelta(days=7) <= day < today]
    if len(prior) < MIN_PRIOR_DAYS:
        return False
    return pain >= statistics.fmean(prior) + JUMP_ABOVE_AVERAGE


# -------------------------------------------------------------------------------- weekly screen
def weekly_screen_question() -> str:
    return safety_wording().weekly_question


def weekly_screen_options() -> list[ScreenOption]:
    """The options of the weekly one-tap "anything new?" question (plus the "none" button label)."""
    return [
        ScreenOption(option.id, option.label, option.flag)
        for option in safety_wording().weekly_options
    ]


def screen_answer(option_ids: Iterable[str], tz: str | None) -> SafetyAnswer | None:
    """Turn the ticked weekly-screen options into an answer; None when nothing was ticked.

    Unknown ids (callback data comes from the client) are ignored rather than trusted.
    """
    rules = redflags()
    by_id = {option.id: option for option in weekly_screen_options()}
    chosen = [by_id[option_id] for option_id in option_ids if option_id in by_id]
    if not chosen:
        return None
    findings = {}
    for option in chosen:
        flag = rules.flag(option.flag_id)
        findings[flag.id] = Finding(flag.id, flag.tier, flag.area)
    ordered = sorted(findings.values(), key=lambda f: (tier_rank(f.tier), f.flag_id))
    screening = Screening(
        findings=ordered,
        tier=ordered[0].tier,
        ed_signal=any(f.area == "eating" for f in ordered),
    )
    return answer_for(screening, tz)
