"""The safety screen: does a message contain a warning sign, and what should the bot say?

Why it exists: people write "pizza and coke, back 7, and there was blood when I wiped" into a diary,
not into a symptom checker. The screen reads every free-text message before anything else and, when
it finds a warning sign, returns the one answer that must go out: what to do and how soon, with the
right numbers for the person's region. It never names a diagnosis.

Two layers, one decision (:func:`screen`):

* **Rules** (``content/redflags.yaml``, applied by :mod:`bot.safety.matcher`): everyday, slang and
  misspelt words are folded into concepts first ("chucked up" -> vomited, "nether regions" ->
  genitals, 101.3F -> a high temperature, "down 6 kg" -> lost weight, "im 78" -> older, every
  tablet name -> pills; in another detected language, its phrases into English words), then
  patterns match inside a clause or across the message, with scopes: denied ("no numbness",
  "..., none of that"), past and resolved ("back in 2019, all sorted", "..., turned out she
  hadn't eaten"), a question, "what if" or a conditional sentence ("imagine I got a fever,
  would I ..."), someone else's history ("my dad had a heart attack at 70"; someone else in
  danger *now* still counts, marked ``Finding.other``), food or iron colouring poo or pee, and
  idioms, similes, sport and gym talk. A weak pattern (one that also fits near-misses) asks.
* **Learned layer** (``content/safety_model.yaml``, :mod:`bot.safety.model`): a linear model over
  words and letter groups of the normalised text, trained from the labelled phrases. It never
  answers; it only decides whether to ask (letting it overrule the rules was tried in round 2:
  leave-one-writer-out it cost GP-soon recall and saved no false alarm).

When the screen ANSWERS: a rule found a sign. ``Screening.tier`` is the most urgent finding's
tier (escalated by context: black poo plus feeling faint is T1), and :func:`answer_for` gives the
message to send. When unsure between two tiers, the more urgent one wins.

When it ASKS: only a weak pattern heard a more urgent sign; or no rule found anything as
urgent, but the learned layer gives a cluster of flags at least the cluster tier's probability
(``ask_thresholds`` in ``redflags.yaml``, chosen by cross-validation over the writers of the
labelled set), and the rules did not hear that cluster's sign and set it aside (a denied, past
or hypothetical mention is the rules' call, not the model's). Then ``Screening.ask`` holds one
yes/no question (:func:`ask_text`); "yes" leads to :func:`confirmed` (the flag at the ask's
tier), "no" to nothing. An ask can come with a less urgent finding (a T3 answer, and a crisis
question the conversation asks after it). The conversation around it (buttons, typed answers,
the stored open question) is :mod:`bot.safety.conversation`.

When it STAYS QUIET: no finding and no ask (``tier`` and ``ask`` both None). It also reports
``Screening.language`` when the message is confidently not English (:mod:`bot.safety.language`),
so that the conversation can say the bot reads English only for now and give the number.

Pure and fast: no I/O after the content is loaded, no database, no ``telegram``; about 0.5 ms a
message (``python bench/safety.py``). Every sentence is in ``content/safety_wording.yaml``.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.safety.language import detect
from bot.safety.matcher import Matcher
from bot.safety.model import LinearModel, shipped_model
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
    "Ask",
    "Finding",
    "RegionNumbers",
    "SafetyAnswer",
    "ScreenOption",
    "Screening",
    "about_text",
    "answer_for",
    "ask_text",
    "confirmed",
    "confirmed_screening",
    "fill",
    "for_helper",
    "numbers_for",
    "pain_alert",
    "pain_alert_text",
    "redflags_text",
    "screen",
    "screen_answer",
    "screen_findings",
    "weekly_screen_options",
    "weekly_screen_question",
]

#: How the screen stays fast: patterns are compiled once (first use) and each clause only tries
#: the patterns whose anchor words it contains. Measured by ``python bench/safety.py``.
SCREEN_SPEED = "compiled once on first use; anchor-word prefilter; target < 2 ms per message"

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
    #: The sign is someone else's, happening now ("my husband can't feel his legs"): the answer
    #: is for the person helping them.
    other: bool = False


@dataclass(frozen=True, slots=True)
class Ask:
    """A one-tap yes/no question the screen asks instead of guessing.

    ``question`` is an id whose text is in ``content/safety_wording.yaml`` (see
    :func:`ask_text`); "yes" confirms ``flag_id`` at ``tier`` (answer it with
    :func:`confirmed`), "no" means nothing to act on.
    """

    question: str
    flag_id: str
    tier: Tier


@dataclass(frozen=True, slots=True)
class Screening:
    findings: list[Finding] = field(default_factory=list)
    tier: Tier | None = None
    ed_signal: bool = False
    #: A question to ask when the screen is unsure (None when it is sure, or sees nothing).
    ask: Ask | None = None
    #: ISO 639-1 code when the message is confidently not English, else None.
    language: str | None = None

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


def screen(
    text: str,
    *,
    model: LinearModel | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> Screening:
    """Find the warning signs in one message; the most urgent tier wins.

    ``model`` and ``thresholds`` replace the shipped learned layer and ask thresholds
    (cross-validation in ``bench/safety.py``).
    """
    rules = redflags()
    matcher = _matcher()
    language = detect(text)
    parsed = matcher.parse(text, language)
    hits = matcher.hits(text, parsed)
    # A required context is about topic ("is this about the back?"), so "doesn't help my back"
    # still counts; an escalating context must be affirmed ("no dizziness" does not escalate).
    topics = {hit.name[1:] for hit in hits if hit.name.startswith("@")}
    contexts = {hit.name[1:] for hit in hits if hit.name.startswith("@") and not hit.negated}
    found: dict[str, Finding] = {}
    #: Signs only a weak pattern heard (it also fits near-misses): asked about, not answered.
    weak: dict[str, Tier] = {}
    #: Flags the rules heard but set aside (denied, past, a question, someone else's, food
    #: colouring): the ask band never asks about those, the rules know better there.
    heard: set[str] = set()
    colour_explained: bool | None = None
    for hit in hits:
        if hit.name.startswith("@") or hit.name in found:
            continue
        heard.add(hit.name)
        if hit.negated:
            continue
        flag = rules.flag(hit.name)
        if hit.past and not flag.history:
            continue
        if hit.hypothetical and flag.tier != "T0":
            continue
        if flag.requires and not topics.intersection(flag.requires):
            continue
        if flag.colour:
            if colour_explained is None:
                colour_explained = matcher.explained_colour(parsed)
            if colour_explained:
                continue
        if matcher.vetoed(flag.id, parsed, hit.clause):
            continue
        tier = _tier_with_context(flag, contexts)
        # Someone else's sign matters only when it is an emergency or a crisis now.
        if hit.other and tier_rank(tier) > tier_rank("T1") and not flag.about_others:
            continue
        if hit.weak:
            if tier_rank(tier) < tier_rank(weak.get(flag.id)):
                weak[flag.id] = tier
            continue
        found[flag.id] = Finding(flag.id, tier, flag.area, hit.other)
    learned = model if model is not None else shipped_model()
    probabilities = learned.probabilities(parsed.clauses)
    findings = sorted(found.values(), key=lambda f: (tier_rank(f.tier), f.flag_id))
    tier = findings[0].tier if findings else None
    ed_signal = any(finding.area == "eating" for finding in findings)
    ask = _ask(probabilities, tier, heard - set(found) - set(weak), thresholds)
    ask = _more_urgent(ask, _weak_ask(weak, tier))
    return Screening(findings=findings, tier=tier, ed_signal=ed_signal, ask=ask, language=language)


def _weak_ask(weak: dict[str, Tier], found: Tier | None) -> Ask | None:
    """The question for the most urgent sign only a weak pattern heard, if more urgent."""
    rules = redflags()
    best: Ask | None = None
    for flag_id, tier in sorted(weak.items(), key=lambda item: (tier_rank(item[1]), item[0])):
        rule = rules.ask_for(flag_id)
        if rule is None or tier_rank(tier) >= tier_rank(found):
            continue
        best = Ask(rule.id, flag_id, tier)
        break
    return best


def _more_urgent(first: Ask | None, second: Ask | None) -> Ask | None:
    if first is None or (second is not None and tier_rank(second.tier) < tier_rank(first.tier)):
        return second
    return first


def _ask(
    probabilities: dict[str, float],
    found: Tier | None,
    set_aside: set[str] = frozenset(),
    thresholds: Mapping[str, float] | None = None,
) -> Ask | None:
    """The most urgent cluster the learned layer finds likely enough, if more urgent than found.

    A cluster's probability is the sum over its flags, so "some crisis sign" can be likely even
    when no single crisis flag is; the question then names the cluster, and its ``flag_id`` the
    cluster's most likely flag.
    """
    rules = redflags()
    chosen = rules.ask_thresholds if thresholds is None else thresholds
    best: Ask | None = None
    for rule in rules.asks:
        threshold = chosen.get(rule.tier)
        if threshold is None or tier_rank(rule.tier) >= tier_rank(found):
            continue
        if best is not None and tier_rank(best.tier) <= tier_rank(rule.tier):
            continue
        if set_aside.intersection(rule.flags):
            continue
        if sum(probabilities.get(flag_id, 0.0) for flag_id in rule.flags) >= threshold:
            top = max(rule.flags, key=lambda flag_id: probabilities.get(flag_id, 0.0))
            best = Ask(rule.id, top, rule.tier)
    return best


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
def fill(text: str, timezone_name: str | None) -> str:
    """``text`` with the person's regional numbers filled in ({emergency}, {crisis} ...)."""
    return _fill(text, numbers_for(timezone_name))


def for_helper(finding: Finding) -> bool:
    """The sign is someone else's, now: the answer speaks to the person helping them.

    A flag about others by nature (a family history) is the writer's own concern.
    """
    return finding.other and not redflags().flag(finding.flag_id).about_others


def answer_for(screening: Screening, timezone_name: str | None) -> SafetyAnswer:
    """The one message to send for a screening's findings (empty text when there are none).

    Crisis and medical advice are both given when both apply, crisis first: "I want to die"
    with signs of sepsis gets the crisis reply and then the emergency advice, in one message.
    The one exception to that order is the gentle question (pain-linked hopelessness only):
    it goes last, since it is a question waiting for its answer. Someone else's sign, now, is
    answered for the person helping them, after the writer's own. An ask is not answered here:
    the conversation sends :func:`ask_text` and, on "yes", :func:`confirmed`.
    """
    if screening.tier is None:
        return SafetyAnswer("", None, False, None, False)
    rules = redflags()
    wording = safety_wording()
    numbers = numbers_for(timezone_name)
    tier = screening.tier
    own = [f for f in screening.findings if not for_helper(f)]
    helped = [f for f in screening.findings if for_helper(f)]
    flag_ids = tuple(f.flag_id for f in screening.findings)
    stand_alone = tier in ("T0", "T1")

    crisis = [rules.flag(f.flag_id) for f in own if f.tier == "T0"]
    medical = [f for f in own if f.tier != "T0"]
    ask_first = bool(crisis) and all(flag.ask_first for flag in crisis)
    blocks: list[str] = []
    if crisis and not ask_first:
        blocks.append(
            "\n\n".join(
                [
                    _fill(wording.crisis_reply, numbers),
                    *(
                        _fill(flag.answer, numbers)
                        for flag in crisis
                        if not flag.ask_first and flag.id != "crisis_suicide"
                    ),
                ]
            )
        )
    medical_tier = medical[0].tier if medical else None
    # With a crisis, only advice that cannot wait (now or today) is added to it.
    if medical_tier is not None and (not crisis or medical_tier in ("T1", "T2")):
        blocks.append(_medical(medical, screening.ed_signal and not stand_alone, numbers))
    else:
        medical_tier = None
    if ask_first:
        blocks.append(_fill(wording.gentle_question, numbers))
    if helped:
        blocks.append(_helper(helped, numbers))
    text = "\n\n".join(block for block in blocks if block)
    follow_up = FOLLOW_UP_HOURS if medical_tier == "T1" else None
    return SafetyAnswer(text, tier, stand_alone, follow_up, ask_first, flag_ids)


def _medical(findings: list[Finding], eating: bool, numbers: RegionNumbers) -> str:
    """One tier's advice: its lead, up to three signs' answers, and its close."""
    rules = redflags()
    wording = safety_wording()
    tier = findings[0].tier
    parts = [_fill(wording.tiers[tier].lead, numbers)]
    seen: set[str] = set()
    for finding in [f for f in findings if f.tier == tier][:3]:
        answer = _fill(_flag_answer(rules.flag(finding.flag_id), finding.tier), numbers)
        if answer not in seen:
            seen.add(answer)
            parts.append(answer)
    if eating:
        parts.append(_fill(wording.eating_support, numbers))
    parts.append(_fill(wording.tiers[tier].close, numbers))
    return "\n\n".join(part for part in parts if part)


def _helper(findings: list[Finding], numbers: RegionNumbers) -> str:
    """For someone helping another person in danger now: call for them, stay with them."""
    wording = safety_wording()
    if any(f.tier == "T0" for f in findings):
        return _fill(wording.helper_crisis, numbers)
    lead = _fill(wording.tiers["T1"].lead, numbers)
    return f"{lead}\n\n{_fill(wording.helper_emergency, numbers)}"


def ask_text(ask: Ask, timezone_name: str | None = None) -> str:
    """The words of an ask's question (``content/safety_wording.yaml``, ``asks``).

    Filled with the person's regional numbers: the crisis question names the crisis line, so
    someone who is not ready to tap "yes" still has it in front of them.
    """
    wording = safety_wording()
    question = wording.asks[ask.question]
    help_line = wording.ask_help.get(ask.question)
    text = f"{question}\n\n{help_line}" if help_line else question
    return _fill(text, numbers_for(timezone_name))


def confirmed(ask: Ask, timezone_name: str | None) -> SafetyAnswer:
    """The answer to send when the person says "yes" to an ask."""
    return answer_for(confirmed_screening(ask), timezone_name)


def confirmed_screening(ask: Ask) -> Screening:
    """What a "yes" to an ask confirms: its flag at the ask's tier.

    "Yes" to the crisis question is a crisis, not pain-linked hopelessness: the gentle question
    has just been asked, so the crisis reply follows, never the same question again.
    """
    rules = redflags()
    flag = rules.flag(ask.flag_id)
    if flag.ask_first:
        rule = next(r for r in rules.asks if r.id == ask.question)
        flag = next(rules.flag(f) for f in rule.flags if not rules.flag(f).ask_first)
    finding = Finding(flag.id, ask.tier, flag.area)
    return Screening(findings=[finding], tier=ask.tier, ed_signal=flag.area == "eating", ask=None)


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
    screening = screen_findings(option_ids)
    return None if screening is None else answer_for(screening, tz)


def screen_findings(option_ids: Iterable[str]) -> Screening | None:
    """The findings behind ticked weekly-screen options (unknown ids ignored); None for none."""
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
    return Screening(
        findings=ordered,
        tier=ordered[0].tier,
        ed_signal=any(f.area == "eating" for f in ordered),
    )
