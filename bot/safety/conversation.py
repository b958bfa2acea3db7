"""The conversation around a warning sign: the answer, the bot's own questions, and their replies.

:mod:`bot.safety.screen` decides what a message shows; this module decides what is said and
keeps the one piece of state a safety conversation needs, the question the bot is waiting on
(``safety_asks``, never the message that raised it). The diary calls :func:`on_message` for
every message before anything else, and the button table calls :func:`on_press` and
:func:`on_sign`.

The rules, in the order they are applied to a message:

1. **A reply to the bot's question.** While a question is open (:data:`ASK_OPEN_FOR` after it
   was asked, on any process), a message that starts with an answer ("yes", "yeah I have", "no,
   just tired of the pain", "not sure", "maybe") is read as its answer, and so is a tap on its
   Yes / No / Not sure buttons at any time. The reply is screened too, first:

   * **yes**: the answer for the sign the question was about (the crisis reply with the region's
     numbers for the crisis question), together with anything the reply itself shows;
   * **not sure**: treated as a yes, with a gentle word first;
   * **no**: taken at its word, with where help is if that changes; then back to what the person
     was doing (the diary carries on: an open check-in's question again, a diary line noted). A
     warning sign in the reply itself is answered instead. The same uncertain question is not
     asked again for :data:`DECLINED_QUIET_FOR` (the rules still answer any clear sign).

   A bare "yes" or "no" after the question's time has passed asks the question again, with its
   buttons, rather than guessing what it was for; so does, while it is open, a message that is
   neither an answer nor diary data ("hmm", "ok"): :func:`ask_unread`, called by the diary.
2. **A warning sign** gets its answer (crisis and medical advice both when both apply; words for
   the helper when the sign is someone else's, now). The gentle question of pain-linked
   hopelessness comes with the buttons and is an open question like any other.
3. **An ask** (the screen is unsure) sends its question with buttons. A question at T0 or T1
   stands alone; a T2 or T3 question comes last, after whatever the diary notes.
4. **Another language**: the bot says it reads English only for now, gives the emergency and
   crisis numbers, and offers the weekly screen's signs as one-tap buttons (:func:`on_sign`).
   Nothing of it is stored as diary data. A short line the screen's detector leaves alone
   ("Hilfe") gets the same notice from the diary when nothing else placed it
   (:func:`maybe_not_english`).

An urgent answer (T0, T1), a question at T0 or T1 and a language notice are ``final``: nothing
follows them, no diary confirmation and no "I'm not sure what to do with that". Events are
recorded by flag and tier only, with consent (:func:`bot.safety.events.record`); logs carry
question ids and answers, never text.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.clean import ascii_id
from bot.base.content import load_model
from bot.base.timezones import read_timezone
from bot.base.wording import t
from bot.chat.buttons import simple_data
from bot.chat.messenger import Button, Keyboard
from bot.chat.outbox import Outbox, Send
from bot.knowledge.foods import normalise
from bot.knowledge.logparse import parse_log
from bot.safety.events import record
from bot.safety.language import language_content
from bot.safety.rules import redflags, safety_wording, tier_rank
from bot.safety.screen import (
    Ask,
    Screening,
    answer_for,
    ask_text,
    confirmed_screening,
    fill,
    screen,
    screen_findings,
    weekly_screen_options,
)
from bot.store.models import SafetyAsk, SafetyEvent, User
from bot.store.states import AskAnswer

log = logging.getLogger(__name__)

#: A typed reply is read as the answer to the bot's question for this long after it was asked.
ASK_OPEN_FOR = timedelta(hours=6)
#: Questions are kept this long (their buttons keep working), then forgotten.
ASK_KEPT_FOR = timedelta(days=7)
#: After "no", the same uncertain question is not asked again for this long.
DECLINED_QUIET_FOR = timedelta(hours=24)
#: Button namespaces (rows of ``bot.app.presses.BUTTONS``).
ASK_BUTTON = "ask"
SIGN_BUTTON = "sign"
NO_SIGN = "none"
_PRESSED = {"y": AskAnswer.YES, "n": AskAnswer.NO, "u": AskAnswer.UNSURE}
_CODE = {answer: code for code, answer in _PRESSED.items()}


# -------------------------------------------------------------------------------- replies
_CLAUSE_END = re.compile(r"[,.;:!?\n]|\s-\s|\bbut\b")
#: Answers that mean what they say whatever follows them.
_UNSURE = re.compile(
    r"^(?:not (?:really |totally |quite |completely |100 )?sure|unsure|no idea|idk|dunno"
    r"|i dunno|i (?:dont|do not) know|(?:dont|do not) know|hard to say|cant say|not exactly"
    r"|i (?:am|m) not sure|im not sure|yes and no)\b"
)
_NO = re.compile(
    r"^(?:no+|nope|nah+|naw|n|not really|not at all|not now|not right now|never|no way"
    r"|not at the moment|not anymore|not any more|not today|not lately|not these days"
    r"|no longer|nothing like that"
    r"|of course not|definitely not|absolutely not|certainly not|i am not|im not|i have not"
    r"|i havent|ive not|i do not|i dont|negative|im (?:fine|ok|okay|alright|safe)"
    r"|i am (?:fine|ok|okay|alright|safe)|all good)\b"
)
#: "no" is a determiner in "no bloating today": it answers only alone or before one of these.
_NO_THEN = frozenset(
    {"i", "im", "ive", "id", "just", "not", "thanks", "thank", "its", "it", "honestly", "really",
     "way", "never", "dont", "definitely", "nothing", "sorry", "thats", "no", "nope", "ok", "okay",
     "all", "of", "absolutely", "certainly", "none", "we", "thankfully", "luckily"}
)  # fmt: skip
_YES = re.compile(
    r"^(?:yes+|yeah?|yeh|yep|yup|ya|yah|yas+|y|aye|sure|definitely|absolutely|of course"
    r"|correct|true|thats right|that is right|uh huh|mhm+|afraid so|i am afraid so"
    r"|im afraid so|sadly yes|i (?:have|ve) been thinking|i (?:have|ve) thought|i keep thinking"
    r"|i am thinking|im thinking)\b"
)
#: Answers too vague to count unless the first clause is short: "maybe" and "I have" are
#: answers, "maybe the curry did it" and "I have a cold" are diary lines.
_SHORT_YES = re.compile(r"^(?:i am|i have|i do|ive|i have been|i think so|i guess so)\b")
#: How often, as the whole first clause ("all the time", "every day lately"): a yes. As the
#: start of a longer clause ("often bloated after dinner") it is a diary line.
_HOW_OFTEN = re.compile(
    r"(?:all the time|every day|everyday|a lot|often|constantly|lately|recently|most days"
    r"|more and more)(?: (?:lately|recently|now|yes|yeah|really|tbh|honestly))*"
)
#: Words before an answer that change nothing: "honestly yes", "tbh no", "well, not really".
_FILLER = re.compile(
    r"^(?:(?:honestly|tbh|to be honest|truthfully|well|um+|uh+|erm?|hmm+|i mean|ok|okay"
    r"|actually|sadly)\b[\s,.]*)+(?=\w)"
)
_SHORT_UNSURE = re.compile(
    r"^(?:maybe|perhaps|possibly|probably|i think so|i guess|i suppose|kind of|kinda|sort of"
    r"|sorta|a bit|a little|sometimes|on and off|now and then|ish|might be|could be)\b"
)
_SHORT = 4
#: One-word answers in other languages (a reply is read before the language is).
_FOREIGN = {
    **dict.fromkeys(("ja", "si", "sí", "oui", "da", "sim", "tak"), AskAnswer.YES),
    **dict.fromkeys(("nein", "non", "nee", "nej", "nie", "net"), AskAnswer.NO),
}
_THUMBS = {"👍": AskAnswer.YES, "👎": AskAnswer.NO}


@dataclass(frozen=True, slots=True)
class Reply:
    answer: AskAnswer
    #: The message is only the answer ("yes", "not sure.") with nothing else in it.
    bare: bool


def read_reply(text: str, *, not_english: bool = False) -> Reply | None:
    """Whether a message answers a yes/no question, and how; ``None`` when it does not.

    The start of the message decides: "yes I have been thinking about it" is a yes, "no, I'm just
    tired of the pain" a no, "not sure" and "maybe" are unsure. Vague starts ("maybe", "a bit",
    "I have") count only when the first clause is short, and "no" followed by a noun ("no
    bloating today") is not an answer. A yes or no in another language counts alone ("ja"), or
    first in a message the screen marks ``not_english`` ("ja, ich denke schon").
    """
    stripped = text.strip()
    for mark, answer in _THUMBS.items():
        if stripped.startswith(mark):
            return Reply(answer, stripped == mark)
    flat = " ".join(re.sub(r"[^\w\s,.;:!?-]", " ", normalise(stripped)).split())
    flat = _FILLER.sub("", flat)
    words = re.findall(r"\w+", flat)
    if not words:
        return None
    if words[0] in _FOREIGN and (len(words) == 1 or not_english):
        return Reply(_FOREIGN[words[0]], len(words) == 1)
    first = _CLAUSE_END.split(flat, maxsplit=1)[0].strip()
    first_words = first.split()
    bare = first_words == words
    short = len(first_words) <= _SHORT
    if _UNSURE.match(first):
        return Reply(AskAnswer.UNSURE, bare)
    no = _NO.match(first)
    if no:
        rest = first[no.end() :].split()
        plain_no = re.fullmatch(r"no+|n", first_words[0]) is not None
        if not plain_no or not rest or rest[0] in _NO_THEN:
            return Reply(AskAnswer.NO, bare)
        return None
    if _YES.match(first) or (short and _SHORT_YES.match(first)) or _HOW_OFTEN.fullmatch(first):
        return Reply(AskAnswer.YES, bare)
    if short and _SHORT_UNSURE.match(first):
        return Reply(AskAnswer.UNSURE, bare)
    return None


# -------------------------------------------------------------------------------- results
@dataclass(slots=True)
class SafetyReply:
    """What the safety conversation says about one message or press."""

    outbox: Outbox = field(default_factory=Outbox)
    #: Nothing may follow: an urgent answer, a question at T0/T1, a language notice.
    final: bool = False
    #: "No" to a question: the diary carries on where the person was (an open check-in).
    resume: bool = False
    #: A question that must be the last thing said (after any diary confirmation).
    last: list[Send] = field(default_factory=list)


def ask_keyboard(ask_id: int) -> Keyboard:
    buttons = safety_wording().ask_buttons
    return (
        tuple(
            Button(label, simple_data(ASK_BUTTON, f"{ask_id}:{_CODE[answer]}"))
            for label, answer in (
                (buttons.yes, AskAnswer.YES),
                (buttons.no, AskAnswer.NO),
                (buttons.unsure, AskAnswer.UNSURE),
            )
        ),
    )


def sign_keyboard() -> Keyboard:
    """The weekly screen's signs, one tap each, and "none of these"."""
    rows = [(Button(o.label, simple_data(SIGN_BUTTON, o.id)),) for o in weekly_screen_options()]
    rows.append((Button(safety_wording().weekly_none_label, simple_data(SIGN_BUTTON, NO_SIGN)),))
    return tuple(rows)


# -------------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True)
class FirstLook:
    """A message screened before its transaction (bot.app.warning_first), handed on to it.

    The transaction uses the same screening instead of screening the text again, and, when
    ``answered``, does not say the answer again.
    """

    screening: Screening
    #: The answer of :func:`immediate_reply` was said already.
    answered: bool = False
    #: Nothing may follow that answer (T0/T1, a language notice).
    final: bool = False


def answers_at_once(text: str, screening: Screening, now: datetime) -> bool:
    """Whether the message's answer can be said before any database work (a definite sign).

    True for a warning sign or a message in another language that needs nothing stored to be
    answered: no open question it could be replying to ("yes", "no, but..."), no question of
    the screen's own to ask (its buttons name a stored row), no gentle question first. What is
    said is then exactly what :func:`on_message` would say, and :func:`on_message` is told
    (``answered``) not to say it again. A city in its own script ("Москва") may be the answer
    to the timezone step, which only the stored person can tell: left to the transaction.
    """
    if screening.ask is not None:
        return False
    if read_reply(text, not_english=screening.language is not None) is not None:
        return False
    if screening.tier is not None:
        return not answer_for(screening, None).ask_first
    return screening.language is not None and not _may_name_a_place(text, now)


def immediate_reply(screening: Screening, timezone_name: str | None) -> Outbox:
    """The answer of :func:`answers_at_once`, as :func:`_screened` words it."""
    outbox = Outbox()
    if screening.tier is not None:
        outbox.send(answer_for(screening, timezone_name).text)
    if screening.language is not None:
        outbox.messages.extend(language_notice(timezone_name).messages)
    return outbox


def language_notice(timezone_name: str | None) -> Outbox:
    """ "I can only read English for now", the region's numbers and the one-tap signs."""
    outbox = Outbox()
    outbox.send(fill(safety_wording().language_notice, timezone_name), sign_keyboard())
    return outbox


#: What nobody could place may be in another language when its words of other languages (from
#: content/not_english.yaml, of 3 letters or more, or with a letter English does not use)
#: outnumber English's commonest words.
_MIN_FOREIGN_WORD = 3


class _EverydayWords(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    words: dict[str, list[str]]


@functools.cache
def everyday_words() -> frozenset[str]:
    """``content/not_english.yaml``: everyday words of other languages (loaded once)."""
    content = load_model("not_english.yaml", _EverydayWords)
    return frozenset(word.lower() for words in content.words.values() for word in words)


def maybe_not_english(text: str) -> bool:
    """A looser look than the screen's detector, for a message nothing else could place.

    The screen calls a message foreign only when it is sure (two words of one language), so
    that an English speaker is never told they are not writing English. A message that fell
    through everything ("quiero morir", "Hilfe", "pomocy") would otherwise get "I'm not sure
    what to do with that"; the language notice, with the region's numbers, is the safer reply.
    """
    english = {word.lower() for word in language_content().english}
    known = everyday_words()
    tokens = re.findall(r"[^\W\d_]+", text.lower())
    foreign = sum(
        1
        for token in tokens
        if token not in english
        and (not token.isascii() or (len(token) >= _MIN_FOREIGN_WORD and token in known))
    )
    return foreign > sum(1 for token in tokens if token in english)


def immediate_is_final(screening: Screening) -> bool:
    """Whether nothing may follow the immediate answer (T0/T1, or a language notice)."""
    if screening.language is not None:
        return True
    return screening.tier is not None and answer_for(screening, None).stand_alone


def _may_name_a_place(text: str, now: datetime) -> bool:
    reading = read_timezone(text, now)
    return reading.zone is not None or bool(reading.choices)


async def on_message(
    session: AsyncSession,
    user: User,
    text: str,
    now: datetime,
    *,
    first: FirstLook | None = None,
) -> SafetyReply | None:
    """What safety says about one message, or ``None`` when it has nothing to say.

    ``first``: the front door screened the message already and may have said its answer
    (:func:`immediate_reply`) before the database was touched; everything else happens (the
    event is recorded), and the answer is not said twice.
    """
    screening = first.screening if first is not None else screen(text)
    answered = first is not None and first.answered
    reply = read_reply(text, not_english=screening.language is not None)
    maybe_answer = reply is not None or screening.ask is not None
    pending = await open_question(session, user, now) if maybe_answer else None
    if pending is not None:
        if reply is not None:
            return await _answered(session, user, pending, reply.answer, screening, now)
        if screening.ask is not None and screening.ask.question == pending.question:
            # "I have been thinking about it": the screen hears the very sign it asked about.
            return await _answered(session, user, pending, AskAnswer.YES, screening, now)
    if reply is not None and reply.bare and screening.tier is None:
        earlier = await _unanswered(session, user, now)
        if earlier is not None:
            return _ask_again(earlier, now, user.timezone)
    return await _screened(session, user, text, screening, now, answered=answered)


async def _screened(
    session: AsyncSession,
    user: User,
    text: str,
    screening: Screening,
    now: datetime,
    *,
    answered: bool = False,
) -> SafetyReply | None:
    ask = screening.ask
    if ask is not None and (
        screening.language is not None or await _declined_lately(session, user, ask.question, now)
    ):
        ask = None
    if screening.tier is None and ask is None and screening.language is None:
        return None
    result = SafetyReply()
    diary_line = screening.language is None and parse_log(text).is_log
    if screening.tier is not None:
        answer = answer_for(screening, user.timezone)
        await record(session, user, screening, answer, now, source="message")
        result.final = answer.stand_alone
        gentle = redflags().ask_for("crisis_pain_hopeless") if answer.ask_first else None
        if gentle is not None:
            row = await _open(
                session, user, Ask(gentle.id, "crisis_pain_hopeless", gentle.tier), now, diary_line
            )
            result.outbox.send(answer.text, ask_keyboard(row.id))
        elif not answered:
            result.outbox.send(answer.text)
    if ask is not None:
        urgent = tier_rank(ask.tier) <= tier_rank("T1")
        row = await _open(session, user, ask, now, diary_line and (urgent or result.final))
        question = Send(ask_text(ask, user.timezone), ask_keyboard(row.id))
        if urgent or result.final:
            result.final = True
            result.outbox.messages.append(question)
        else:
            result.last.append(question)
    if screening.language is not None:
        result.final = True
        if not answered:
            result.outbox.send(
                fill(safety_wording().language_notice, user.timezone), sign_keyboard()
            )
        log.debug("message not in English", extra={"language": screening.language})
    return result


async def _answered(
    session: AsyncSession,
    user: User,
    pending: SafetyAsk,
    answer: AskAnswer,
    screening: Screening,
    now: datetime,
) -> SafetyReply:
    """The person answered the bot's question (typed or tapped); the reply's own signs count."""
    pending.answer = answer
    pending.answered_at = now
    wording = safety_wording()
    ask = Ask(pending.question, pending.flag_id, pending.tier)  # type: ignore[arg-type]
    log.debug("safety question answered", extra={"question": ask.question, "answer": answer})
    result = SafetyReply()
    if answer is AskAnswer.NO:
        if screening.tier is not None:
            said = answer_for(screening, user.timezone)
            await record(session, user, screening, said, now, source="message")
            result.outbox.send(said.text)
            result.final = said.stand_alone
            result.resume = not said.stand_alone
            return result
        declined = wording.ask_declined.get(ask.question, wording.ask_declined["default"])
        result.outbox.send(fill(declined, user.timezone))
        if pending.unsaved:
            result.outbox.send(fill(wording.ask_unsaved, user.timezone))
        result.resume = True
        return result
    merged = _merge(confirmed_screening(ask), screening)
    said = answer_for(merged, user.timezone)
    await record(session, user, merged, said, now, source="ask")
    text = said.text
    if answer is AskAnswer.UNSURE:
        lead = wording.ask_unsure.get(ask.question, wording.ask_unsure["default"])
        text = f"{fill(lead, user.timezone)}\n\n{text}"
    result.outbox.send(text)
    result.final = True
    return result


def _ask_again(earlier: SafetyAsk, now: datetime, timezone_name: str | None) -> SafetyReply:
    """A bare "yes" or "no" after the question's time for typed replies: ask it once more."""
    earlier.open_until = now + ASK_OPEN_FOR
    ask = Ask(earlier.question, earlier.flag_id, earlier.tier)  # type: ignore[arg-type]
    result = SafetyReply(final=True)
    text = f"{safety_wording().ask_again}\n\n{ask_text(ask, timezone_name)}"
    result.outbox.send(text, ask_keyboard(earlier.id))
    log.debug("safety question asked again", extra={"question": ask.question})
    return result


def ask_unread(pending: SafetyAsk, timezone_name: str | None) -> Outbox:
    """A message while the bot's question is open that neither answers it nor belongs in the
    diary ("all the time", "hmm", "ok"): the question again with its buttons, never the diary's
    generic "I'm not sure what to do with that" after a question about someone's life."""
    ask = Ask(pending.question, pending.flag_id, pending.tier)  # type: ignore[arg-type]
    outbox = Outbox()
    outbox.send(f"{t('ask_unread')}\n\n{ask_text(ask, timezone_name)}", ask_keyboard(pending.id))
    log.debug("safety question asked again (reply not read)", extra={"question": ask.question})
    return outbox


def _merge(first: Screening, second: Screening) -> Screening:
    """Both screenings' findings, most urgent first (a flag found twice counts once)."""
    found = {f.flag_id: f for f in second.findings}
    found.update({f.flag_id: f for f in first.findings})
    findings = sorted(found.values(), key=lambda f: (tier_rank(f.tier), f.flag_id))
    return Screening(
        findings=findings,
        tier=findings[0].tier if findings else None,
        ed_signal=first.ed_signal or second.ed_signal,
    )


# -------------------------------------------------------------------------------- buttons
async def on_press(session: AsyncSession, user: User, arg: str, now: datetime) -> SafetyReply:
    """A Yes / No / Not sure button under one of the bot's questions.

    The person's own question is answered however long ago it was asked (a button says which
    question it answers); a question already answered "yes" is not answered twice, a "no" may
    become a "yes". Someone else's, a forgotten or a malformed one gets a kind notice.
    """
    wording = safety_wording()
    ask_id, _, code = arg.partition(":")
    answer = _PRESSED.get(code)
    row_id = ascii_id(ask_id)
    row = await session.get(SafetyAsk, row_id) if row_id is not None else None
    if answer is None or row is None or row.user_id != user.id:
        return SafetyReply(Outbox(toast=wording.ask_closed))
    if row.answer is not None and (row.answer != AskAnswer.NO or answer is AskAnswer.NO):
        return SafetyReply(Outbox(toast=wording.ask_answered))
    return await _answered(session, user, row, answer, Screening(), now)


async def on_sign(session: AsyncSession, user: User, option_id: str, now: datetime) -> Outbox:
    """One tap on a sign offered with the language notice: that sign's answer."""
    wording = safety_wording()
    if option_id == NO_SIGN:
        return Outbox(toast=wording.sign_none)
    screening = screen_findings([option_id])
    if screening is None:
        return Outbox(toast=wording.ask_closed)
    if await _recorded_lately(session, user, tuple(screening.flag_ids), now):
        return Outbox(toast=wording.ask_answered)
    answer = answer_for(screening, user.timezone)
    await record(session, user, screening, answer, now, source="sign")
    return Outbox.saying(answer.text)


# -------------------------------------------------------------------------------- storage
async def _open(
    session: AsyncSession, user: User, ask: Ask, now: datetime, unsaved: bool
) -> SafetyAsk:
    """Store a question the bot is about to ask (and forget this person's old ones)."""
    await session.execute(
        delete(SafetyAsk).where(
            SafetyAsk.user_id == user.id, SafetyAsk.asked_at < now - ASK_KEPT_FOR
        )
    )
    row = SafetyAsk(
        user_id=user.id,
        question=ask.question,
        flag_id=ask.flag_id,
        tier=ask.tier,
        asked_at=now,
        open_until=now + ASK_OPEN_FOR,
        unsaved=unsaved,
    )
    session.add(row)
    await session.flush()
    log.debug("safety question asked", extra={"question": ask.question})
    return row


async def open_question(session: AsyncSession, user: User, now: datetime) -> SafetyAsk | None:
    """The latest question still waiting for a typed answer, if any."""
    return await session.scalar(
        select(SafetyAsk)
        .where(
            SafetyAsk.user_id == user.id,
            SafetyAsk.answer.is_(None),
            SafetyAsk.open_until > now,
        )
        .order_by(SafetyAsk.asked_at.desc(), SafetyAsk.id.desc())
        .limit(1)
    )


async def _unanswered(session: AsyncSession, user: User, now: datetime) -> SafetyAsk | None:
    """The latest question never answered and not yet forgotten (its time for typing passed)."""
    return await session.scalar(
        select(SafetyAsk)
        .where(
            SafetyAsk.user_id == user.id,
            SafetyAsk.answer.is_(None),
            SafetyAsk.asked_at >= now - ASK_KEPT_FOR,
        )
        .order_by(SafetyAsk.asked_at.desc(), SafetyAsk.id.desc())
        .limit(1)
    )


async def _declined_lately(session: AsyncSession, user: User, question: str, now: datetime) -> bool:
    found = await session.scalar(
        select(SafetyAsk.id)
        .where(
            SafetyAsk.user_id == user.id,
            SafetyAsk.question == question,
            SafetyAsk.answer == AskAnswer.NO,
            SafetyAsk.answered_at >= now - DECLINED_QUIET_FOR,
        )
        .limit(1)
    )
    return found is not None


async def _recorded_lately(
    session: AsyncSession, user: User, flag_ids: tuple[str, ...], now: datetime
) -> bool:
    """The same one-tap sign was answered minutes ago (a second tap is not a second event)."""
    found = await session.scalar(
        select(SafetyEvent.id)
        .where(
            SafetyEvent.user_id == user.id,
            SafetyEvent.source == "sign",
            SafetyEvent.flag_id.in_(flag_ids),
            SafetyEvent.created_at >= now - timedelta(minutes=10),
        )
        .limit(1)
    )
    return found is not None
