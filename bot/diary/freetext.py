"""What people type between check-ins: diary lines, swap questions, and everything else.

The safety screen has already run by the time text gets here. A diary line is stored for the
right local day with what was understood and an Undo button; a swap question gets one to three
swaps with the reason and the article section; a request for a diagnosis gets a kind refusal. A
line about the body that the parser could not place is never stored: it may be a warning sign
the screen missed, so it gets a short pointer to /redflags instead.

The same line from the same person again within :data:`ALREADY_NOTED_WITHIN` is not stored twice:
it is almost always a retry after the bot said "I couldn't save that" although the entry was
stored (the database's reply to the COMMIT was lost), or a double tap on Send. It is answered
"already noted" with the first entry's Undo button. A genuine repeat later in the day ("coffee"
at 8 and at 11) is stored as usual.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.clean import ascii_id
from bot.base.content import article_sections
from bot.base.times import local_date
from bot.base.vocabulary import FOOD_GROUPS, OFFENDER_GROUPS
from bot.base.wording import t
from bot.chat.buttons import simple_data
from bot.chat.messenger import Button
from bot.chat.outbox import Outbox
from bot.diary.checkins import format_day
from bot.diary.questions import FOOD, QUESTIONS, choice_label
from bot.diary.view import daily_pain
from bot.knowledge.intent import classify, is_thanks
from bot.knowledge.logparse import ParsedLog, parse_log, reads_like_symptom, split_by_day
from bot.knowledge.swaps import SwapAnswer, answer_swap
from bot.safety import conversation as safety_conversation
from bot.safety import events as safety_events
from bot.store.models import LogEntry, User

MAX_STORED_TEXT = 4000
#: An identical line this soon after the last is taken for a retry, not a new entry.
ALREADY_NOTED_WITHIN = timedelta(minutes=5)
#: Swaps that leave a food out rather than replace it; not offered after eating-disorder signals.
ELIMINATION_SWAPS = frozenset({"gluten_two_week_trial"})


async def handle(
    session: AsyncSession, user: User, text: str, now: datetime, *, quiet: bool = False
) -> Outbox:
    """A plain message, once safety has had its say.

    ``quiet`` (after a safety answer) stores a diary line the parser understands and says
    nothing else: no swap, no small talk, never "I'm not sure what to do with that". While the
    bot's own safety question is open, small talk and what nobody could place get the question
    again (:func:`bot.safety.conversation.ask_unread`), not the generic reply.
    """
    intent = classify(text)
    if intent == "log":
        return await log(session, user, text, now)
    if quiet:
        return Outbox()
    if intent == "swap_question":
        return swap_reply(answer_swap(text), user)
    if intent == "medical_question":
        return Outbox.saying(t("medical_refusal"))
    pending = await safety_conversation.open_question(session, user, now)
    if pending is not None:
        # The bot asked about someone's safety and this is no answer it can read: ask again.
        return safety_conversation.ask_unread(pending, user.timezone)
    if intent == "smalltalk":
        return Outbox.saying(t("thanks" if is_thanks(text) else "smalltalk"))
    if reads_like_symptom(text):
        return Outbox.saying(t("unplaced_symptom"))
    if safety_conversation.maybe_not_english(text):
        return safety_conversation.language_notice(user.timezone)
    return Outbox.saying(t("unknown_text"))


def placeable(text: str) -> bool:
    """Whether ``/log`` may store the line: understood, or at least not about the body."""
    return parse_log(text).is_log or not reads_like_symptom(text)


def unplaced(text: str) -> Outbox | None:
    """A line about the body that the diary could not place: not stored, pointed to /redflags."""
    return Outbox.saying(t("unplaced_symptom")) if reads_like_symptom(text) else None


async def log(session: AsyncSession, user: User, text: str, now: datetime) -> Outbox:
    """Store a diary line for its local day (today, or yesterday for "yesterday ...").

    A line that names two days is split (:func:`bot.knowledge.logparse.split_by_day`): "had
    pizza last night ... back is 7 today" stores the pizza for yesterday and the pain for
    today, one entry each, confirmed in one message with one Undo for both.
    A line with nothing understood is kept as a note, unless it reads like a symptom: what the
    screen and the parser cannot place is not stored as diary data (it may be a missed sign).
    """
    if not text.strip():
        return Outbox.saying(t("log_empty"))
    assert user.timezone is not None
    if not parse_log(text).is_log:
        pointer = unplaced(text)
        if pointer is not None:
            return pointer
    today = local_date(now, user.timezone)
    parts = [
        (today + timedelta(days=offset), part.strip()[:MAX_STORED_TEXT], part)
        for offset, part in split_by_day(text)
    ]
    # The same line again within minutes (a retry after a lost reply): already noted, not twice.
    earlier = [await _same_line_just_noted(session, user, day, kept, now) for day, kept, _ in parts]
    if all(row_id is not None for row_id in earlier):
        noted = Outbox()
        noted.send(
            t("log_already_noted", date=format_day(parts[0][0])),
            (
                (
                    Button(
                        t("log_undo_button"),
                        simple_data("undo", "-".join(str(row_id) for row_id in earlier)),
                    ),
                ),
            ),
        )
        return noted
    entries: list[tuple[LogEntry, ParsedLog]] = []
    for day, kept, part in parts:
        parsed = parse_log(part)
        entry = LogEntry(
            user_id=user.id,
            local_date=day,
            text=kept,
            food_groups=[g for g in FOOD_GROUPS if g in parsed.food_groups],
            symptoms=sorted(parsed.symptoms),
            pain=parsed.pain,
            stress=parsed.stress,
            sleep=parsed.sleep,
            bristol=parsed.bristol,
            created_at=now,
        )
        session.add(entry)
        entries.append((entry, parsed))
    await session.flush()
    ids = "-".join(str(entry.id) for entry, _ in entries)
    undo = ((Button(t("log_undo_button"), simple_data("undo", ids)),),)
    outbox = Outbox()
    said = "\n\n".join(_understood(parsed, entry.local_date) for entry, parsed in entries)
    outbox.send(said, undo, silent=True)
    for entry, parsed in entries:
        if parsed.pain is None:
            continue
        day = entry.local_date
        alert = await safety_events.pain_alert_message(
            session, user, day, now, lambda day=day: daily_pain(session, user.id, day)
        )
        if alert:
            outbox.send(alert)
    return outbox


async def _same_line_just_noted(
    session: AsyncSession, user: User, day: date, text: str, now: datetime
) -> int | None:
    """The id of this very line stored for ``day`` within the last few minutes, if any."""
    return await session.scalar(
        select(LogEntry.id)
        .where(
            LogEntry.user_id == user.id,
            LogEntry.local_date == day,
            LogEntry.created_at >= now - ALREADY_NOTED_WITHIN,
            LogEntry.text == text,
        )
        .order_by(LogEntry.id.desc())
        .limit(1)
    )


async def undo(session: AsyncSession, user: User, entry_id: str, message_id: int | None) -> Outbox:
    """Remove a logged line (all its parts, if it was split by day): only its owner, only once."""
    outbox = Outbox()
    ids = [ascii_id(part) for part in entry_id.split("-")]
    if not ids or any(row_id is None for row_id in ids):
        outbox.toast = t("button_expired")
        return outbox
    result = await session.execute(
        delete(LogEntry)
        .where(LogEntry.id.in_(ids), LogEntry.user_id == user.id)
        .returning(LogEntry.id)
    )
    if not result.all():
        outbox.toast = t("log_undo_gone")
        return outbox
    outbox.edit(message_id, t("log_undone"))
    outbox.toast = t("log_undone")
    return outbox


def swap_reply(answer: SwapAnswer, user: User) -> Outbox:
    if answer.kind == "refuse_medical":
        return Outbox.saying(t("medical_refusal"))
    if user.no_restriction_tips and any(s.id in ELIMINATION_SWAPS for s in answer.swaps):
        kept = tuple(s for s in answer.swaps if s.id not in ELIMINATION_SWAPS)
        if not kept:
            return Outbox.saying(t("swap_no_elimination"))
        answer = dataclasses.replace(answer, swaps=kept)
    if answer.kind == "unknown" or not answer.swaps:
        if answer.food and answer.groups and not answer.groups & OFFENDER_GROUPS:
            return Outbox.saying(t("swap_already_friendly", food=answer.food.capitalize()))
        return Outbox.saying(t("swap_unknown", examples=", ".join(answer.examples[:5])))
    sections = article_sections()
    if answer.kind == "group":
        group = next(iter(sorted(answer.groups & OFFENDER_GROUPS)), None)
        intro = (
            t("swap_group_intro", food=answer.food or "that", group=t(f"group_{group}"))
            if group
            else t("swap_intro", food=answer.food or "that")
        )
    else:
        intro = t("swap_intro", food=answer.food or answer.swaps[0].from_.name)
    parts = [intro]
    for swap in answer.swaps[:3]:
        options = " or ".join(
            f"{item.name} ({item.how})" if item.how else item.name for item in swap.to
        )
        block = [t("swap_line", from_name=swap.from_.name, to=options), t("swap_why", why=swap.why)]
        if swap.caution:
            block.append(t("swap_caution", caution=swap.caution))
        block.append(t("swap_source", section=sections.title(swap.section)))
        parts.append("\n".join(block))
    return Outbox.saying("\n\n".join(parts))


def _understood(parsed: ParsedLog, day: date) -> str:
    food = QUESTIONS[FOOD]
    lines = []
    if parsed.foods:
        lines.append(t("log_line_food_words", foods=", ".join(dict.fromkeys(parsed.foods))))
    if parsed.food_groups:
        groups = [choice_label(food, g) for g in FOOD_GROUPS if g in parsed.food_groups]
        lines.append(t("log_line_foods", groups=", ".join(groups)))
    digestion = QUESTIONS["digestion"]
    if parsed.symptoms:
        names = [choice_label(digestion, s) for s in digestion.choices if s in parsed.symptoms]
        lines.append(t("log_line_symptoms", symptoms=", ".join(names)))
    if parsed.negated_symptoms:
        names = [
            choice_label(digestion, s) for s in digestion.choices if s in parsed.negated_symptoms
        ]
        lines.append(t("log_line_no_symptoms", symptoms=", ".join(names)))
    for key, value in (
        ("pain", parsed.pain),
        ("stress", parsed.stress),
        ("sleep", parsed.sleep),
        ("bristol", parsed.bristol),
    ):
        if value is not None:
            lines.append(t(f"log_line_{key}", **{key: value}))
    if not lines:
        return t("log_note_only", date=format_day(day))
    return t("log_saved", date=format_day(day)) + "\n" + "\n".join(f"• {line}" for line in lines)
