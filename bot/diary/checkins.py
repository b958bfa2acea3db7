"""The check-in conversation, one stored step at a time.

Every tap is written the moment it arrives, so stopping halfway keeps what was given. The open
question lives in the ``checkins`` row, so a restarted process, or another one, carries on. Button
values are idempotent: pressing the same button twice records once, and a button of an older
check-in records for that check-in's own day.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.clean import ascii_int
from bot.base.times import local_date, local_now
from bot.base.wording import t
from bot.chat.buttons import CheckinPress, simple_data
from bot.chat.messenger import Button, Keyboard
from bot.chat.outbox import Outbox, Send
from bot.diary.adherence import (
    EVENING_FROM,
    question_values,
    running_for,
    with_question,
    with_question_now,
)
from bot.diary.advice import tip_for
from bot.diary.questions import (
    ALL_QUESTIONS,
    BREATHING,
    BRISTOL,
    DIGESTION,
    DONE,
    EXPERIMENT,
    FOOD,
    FOOD_NOTE,
    LATER,
    MEDICINES,
    NONE,
    PAIN,
    QUESTIONS,
    SAME,
    SCREEN,
    SKIP,
    SKIP_TODAY,
    SLEEP,
    STRESS,
    answered_compact,
    answered_line,
    keyboard,
    questions_for_slot,
)
from bot.diary.view import daily_pain
from bot.knowledge.logparse import ParsedLog, parse_log, reads_like_symptom
from bot.people.quiet import after_quiet
from bot.people.schedules import checkin_slot_counts, format_local
from bot.safety import events as safety_events
from bot.safety.screen import JUMP_ABOVE_AVERAGE, answer_for, pain_jumped, screen_findings
from bot.store.db import dialect_insert, dialect_of
from bot.store.models import Answer, Checkin, Schedule, User
from bot.store.states import CheckinStatus

REMIND_AFTER = timedelta(hours=1)
OPEN_FOR = timedelta(hours=36)
MAX_NOTE = 500
_MISSING = object()


HIGH_STRESS = 4


def with_extras(user: User, day: date, questions: list[str]) -> list[str]:
    """Add the weekly safety screen and the breathing follow-up when they are due, and the
    medicines question (when switched on) right after food: the check-in that asks about the
    day's food asks about the day's medicines too."""
    extra = [BREATHING] if user.breathing_followup else []
    extra += questions
    if user.ask_medicines and FOOD in extra and MEDICINES not in extra:
        extra.insert(extra.index(FOOD) + 1, MEDICINES)
    if safety_events.screen_due(user, day):
        extra.append(SCREEN)
    return extra


async def open_checkin(
    session: AsyncSession,
    user: User,
    day: date,
    slot: int | None,
    questions: list[str],
    now: datetime,
) -> Checkin:
    checkin = Checkin(
        user_id=user.id,
        local_date=day,
        slot=slot,
        questions=questions,
        current=questions[0],
        status=CheckinStatus.OPEN,
        created_at=now,
        updated_at=now,
    )
    session.add(checkin)
    await session.flush()
    return checkin


async def checkin_answers(session: AsyncSession, checkin_id: int) -> dict[str, Any]:
    rows = await session.execute(
        select(Answer.question, Answer.value).where(Answer.checkin_id == checkin_id)
    )
    return dict(rows.all())


async def day_answers(session: AsyncSession, user_id: int, day: date) -> dict[str, Any]:
    """What a person recorded on one local day, the latest answer winning for each question."""
    rows = await session.execute(
        select(Answer.question, Answer.value)
        .where(Answer.user_id == user_id, Answer.local_date == day)
        .order_by(Answer.answered_at, Answer.id)
    )
    return dict(rows.all())


def collapsed(questions: list[str], answers: dict[str, Any]) -> str:
    """The answers given so far on one line: "Back pain: 4/10 · Digestion: Bloating"."""
    order = [*questions, FOOD_NOTE]
    return t("answered_separator").join(
        answered_compact(question, answers[question]) for question in order if question in answers
    )


def render_question(
    checkin_id: int,
    question_id: str,
    selected: list[str] | None,
    *,
    first: bool,
    can_copy: bool,
    intro: str | None,
    prompt_values: dict[str, str] | None = None,
    so_far: str = "",
    morning: bool = False,
) -> Send:
    """The check-in's one message as it stands: intro, the answers so far, the open question.

    Pure, so the sweep can render a thousand without queries. Every press edits this same
    message, so a check-in is one message however many questions it asks.
    """
    question = QUESTIONS[question_id]
    text = question.prompt(morning=morning, **(prompt_values or {}))
    head = "\n".join(part for part in (intro, so_far) if part)
    if head:
        text = f"{head}\n\n{text}"
    buttons = keyboard(checkin_id, question, selected, first=first, can_copy=can_copy)
    return Send(text, buttons, checkin_id=checkin_id)


async def question_message(
    session: AsyncSession,
    checkin: Checkin,
    intro: str | None,
    answers: dict[str, Any] | None = None,
) -> Send:
    """The check-in's message with its current question; ``intro`` defaults to its date.

    ``answers`` saves a query when the caller has just read them. "Same as yesterday" is offered
    before the first answer only (it copies a whole day), so later presses cost no query for it.
    """
    assert checkin.current is not None
    if answers is None:
        answers = await checkin_answers(session, checkin.id)
    selected = answers.get(checkin.current)
    first = checkin.current == checkin.questions[0] and not answers
    return render_question(
        checkin.id,
        checkin.current,
        selected if isinstance(selected, list) else None,
        first=first,
        can_copy=first
        and await _answered_on(session, checkin, checkin.local_date - timedelta(days=1)),
        intro=intro or t("checkin_intro_now", date=format_day(checkin.local_date)),
        prompt_values=(
            await question_values(session, checkin.user_id, checkin.local_date)
            if checkin.current == EXPERIMENT
            else None
        ),
        so_far=collapsed(checkin.questions, answers),
        morning=await _asked_in_the_morning(session, checkin),
    )


async def _asked_in_the_morning(session: AsyncSession, checkin: Checkin) -> bool:
    """Whether the check-in began before noon, its person's time (the person is already loaded)."""
    user = await session.get(User, checkin.user_id)
    if user is None or user.timezone is None:
        return False
    return local_now(checkin.created_at, user.timezone).time() < MORNING_ENDS


async def _answered_on(session: AsyncSession, checkin: Checkin, day: date) -> bool:
    """Whether "same as yesterday" has anything to copy for this check-in's questions."""
    found = await session.scalar(
        select(Answer.id)
        .where(
            Answer.user_id == checkin.user_id,
            Answer.local_date == day,
            Answer.question.in_(checkin.questions),
        )
        .limit(1)
    )
    return found is not None


async def send_current(
    session: AsyncSession,
    checkin: Checkin,
    intro: str | None,
    outbox: Outbox,
    answers: dict[str, Any] | None = None,
) -> None:
    """Show the check-in again as a new message at the bottom of the chat.

    The message it replaces keeps the answers so far but loses its buttons, so one check-in
    never has two live keyboards.
    """
    if answers is None:
        answers = await checkin_answers(session, checkin.id)
    if checkin.message_id is not None:
        so_far = collapsed(checkin.questions, answers)
        moved = t("checkin_moved_below")
        outbox.edit(checkin.message_id, f"{so_far}\n{moved}" if so_far else moved)
    outbox.messages.append(await question_message(session, checkin, intro, answers))


def _show(outbox: Outbox, message_id: int | None, message: Send) -> None:
    """The check-in's message edited in place, or sent anew when its id is not known."""
    if message_id is None:
        outbox.messages.append(message)
    else:
        outbox.edit(message_id, message.text, message.buttons)


async def latest_open_checkin(session: AsyncSession, user: User, now: datetime) -> Checkin | None:
    return await session.scalar(
        select(Checkin)
        .where(
            Checkin.user_id == user.id,
            Checkin.status == CheckinStatus.OPEN,
            Checkin.current.is_not(None),
            Checkin.created_at > now - OPEN_FOR,
        )
        .order_by(Checkin.created_at.desc(), Checkin.id.desc())
        .limit(1)
    )


async def start_now(session: AsyncSession, user: User, now: datetime) -> Outbox:
    """``/checkin``: continue today's open check-in, or start one for what today still lacks."""
    assert user.timezone is not None
    outbox = Outbox()
    today = local_date(now, user.timezone)
    checkin = await latest_open_checkin(session, user, now)
    if checkin is not None and checkin.local_date == today:
        checkin.remind_at = None
        await send_current(session, checkin, t("checkin_intro_now", date=format_day(today)), outbox)
        return outbox
    answered = await day_answers(session, user.id, today)
    missing = [q for q in ALL_QUESTIONS if q not in answered]
    questions = [PAIN, *[q for q in missing if q != PAIN]] if missing else list(ALL_QUESTIONS)
    questions = with_extras(user, today, questions)
    questions = await with_question_now(session, user, today, questions, answered, now)
    if user.skip_date == today:
        user.skip_date = None  # asking for a check-in undoes "skip today"
    checkin = await open_checkin(session, user, today, None, questions, now)
    await send_current(session, checkin, t("checkin_intro_now", date=format_day(today)), outbox)
    return outbox


@dataclass(slots=True)
class PressLoad:
    """What one joined query read for a check-in press: the person, the check-in, its answers."""

    user: User
    checkin: Checkin | None
    answers: dict[str, Any]


async def load_for_press(
    session: AsyncSession, platform_id: int, checkin_id: int
) -> PressLoad | None:
    """The presser, the pressed check-in (if it is theirs) and its answers, in one query.

    A press is the bot's commonest update; reading these three in one round trip is what keeps
    it at four statements (update id, this, the answer's upsert, the check-in's update).
    ``None`` when the person is not in the database yet. A check-in of someone else's is not
    joined, so it reads as absent here and the press path looks it up to say so.
    """
    parameters = {"platform_id": platform_id, "checkin_id": checkin_id}
    rows = (await session.execute(_PRESS_LOAD, parameters)).all()
    if not rows:
        return None
    user, checkin = rows[0][0], rows[0][1]
    answers = {question: value for _, _, question, value in rows if question is not None}
    return PressLoad(user, checkin, answers)


#: The query of :func:`load_for_press`, built once (it is the same for every press).
_PRESS_LOAD = (
    select(User, Checkin, Answer.question, Answer.value)
    .outerjoin(
        Checkin,
        and_(Checkin.id == bindparam("checkin_id"), Checkin.user_id == User.id),
    )
    .outerjoin(Answer, Answer.checkin_id == Checkin.id)
    .where(User.platform_id == bindparam("platform_id"))
)


async def press(
    session: AsyncSession,
    user: User,
    data: CheckinPress,
    message_id: int | None,
    now: datetime,
    loaded: PressLoad | None = None,
) -> Outbox:
    """A check-in button was tapped: check ownership, record, then move the conversation on.

    The pressed message is the check-in's one message: it is edited to show where the check-in
    now stands (next question, or the day's summary), so a press costs one edit and the answer
    to the button. ``loaded`` (from :func:`load_for_press`) saves the reads.
    """
    outbox = Outbox()
    if loaded is not None and loaded.checkin is not None:
        checkin: Checkin | None = loaded.checkin
    else:
        checkin = await session.get(Checkin, data.checkin_id)
    if checkin is None:
        outbox.toast = t("button_expired")
        return outbox
    if checkin.user_id != user.id:
        outbox.toast = t("button_not_yours")
        return outbox
    if message_id is not None and checkin.message_id != message_id:
        checkin.message_id = message_id  # the message pressed is the one to keep editing
        checkin.updated_at = now
    if data.value == LATER:
        remind_at = after_quiet(now + REMIND_AFTER, user)
        checkin.remind_at = remind_at
        checkin.updated_at = now
        if remind_at == now + REMIND_AFTER:
            outbox.edit(message_id, t("checkin_later"))
        else:
            # An hour from now is in the quiet hours: it comes when they end, and says when.
            when = format_local(remind_at, user.timezone or "UTC", now)
            outbox.edit(message_id, t("checkin_later_quiet", at=when))
        outbox.toast = t("button_saved")
        return outbox
    if data.value == SKIP_TODAY:
        user.skip_date = checkin.local_date
        _close(checkin, CheckinStatus.SKIPPED, now)
        outbox.edit(message_id, t("checkin_skipped_today"))
        outbox.toast = t("button_saved")
        return outbox
    if data.value == SAME:
        await _copy_yesterday(session, checkin, message_id, now, outbox)
        return outbox
    question = QUESTIONS.get(data.question)
    if question is None or question.id not in checkin.questions:
        outbox.toast = t("button_expired")
        return outbox
    if loaded is not None and loaded.checkin is checkin:
        answers = dict(loaded.answers)
    else:
        answers = await checkin_answers(session, checkin.id)
    existing = answers.get(question.id, _MISSING)
    is_open = checkin.current == question.id

    if question.single:
        if data.value != SKIP and data.value not in question.choices:
            outbox.toast = t("button_expired")
            return outbox
        value = None if data.value == SKIP else data.value
        if not is_open:
            outbox.toast = t("button_already")
            return outbox
        await _record(session, checkin, question.id, value, now)
        answers[question.id] = value
        await _advance(session, user, checkin, question.id, value, message_id, now, outbox, answers)
        return outbox

    if question.multi:
        selected = list(existing) if isinstance(existing, list) else []
        if data.value in (DONE, NONE, SKIP):
            if data.value == NONE:
                value: Any = []
            elif data.value == DONE or selected:
                value = selected  # "Skip" after ticks keeps the ticks
            else:
                value = None
            if not is_open and existing is not _MISSING:
                outbox.toast = t("button_already")
                return outbox
            await _record(session, checkin, question.id, value, now)
            answers[question.id] = value
            await _advance(
                session, user, checkin, question.id, value, message_id, now, outbox, answers
            )
            if data.value == SKIP and selected:
                outbox.toast = t("button_kept_ticks")
            return outbox
        sign, choice = data.value[:1], data.value[1:]
        if sign not in "+-" or choice not in question.choices:
            outbox.toast = t("button_expired")
            return outbox
        chosen = set(selected)
        chosen.add(choice) if sign == "+" else chosen.discard(choice)
        value = [c for c in question.choices if c in chosen]
        if existing is not _MISSING and value == existing:
            outbox.toast = t("button_already")
            return outbox
        await _record(session, checkin, question.id, value, now)
        answers[question.id] = value
        await _show_where_it_stands(session, checkin, message_id, answers, outbox)
        outbox.toast = t("button_saved")
        return outbox

    if data.value == SKIP:
        value = None
    elif (pressed := ascii_int(data.value)) is not None and (
        question.accepts(pressed) or _is_no_bm(question.id, data.value)
    ):
        value = pressed
    else:
        outbox.toast = t("button_expired")
        return outbox
    if existing is not _MISSING and existing == value:
        outbox.toast = t("button_already")
        if not is_open:
            return outbox
    await _record(session, checkin, question.id, value, now)
    answers[question.id] = value
    if is_open:
        await _advance(session, user, checkin, question.id, value, message_id, now, outbox, answers)
    else:
        # A stale button of a question already passed: the change is kept, the view refreshed.
        await _show_where_it_stands(session, checkin, message_id, answers, outbox)
        outbox.toast = t("button_saved")
    return outbox


async def _show_where_it_stands(
    session: AsyncSession,
    checkin: Checkin,
    message_id: int | None,
    answers: dict[str, Any],
    outbox: Outbox,
) -> None:
    """Edit the check-in's message to its current question, or to the summary once it is done."""
    if checkin.current is None:
        outbox.edit(message_id, summary_text(checkin, answers))
        return
    _show(outbox, message_id, await question_message(session, checkin, None, answers))


async def typed(
    session: AsyncSession,
    user: User,
    text: str,
    now: datetime,
    *,
    quiet: bool = False,
    keep_rest: Callable[[], Awaitable[Outbox]] | None = None,
) -> Outbox | None:
    """Free text while a check-in waits: typed words answer every question of it they answer.

    What the line says that this check-in does not ask about (a breakfast typed at the morning
    check-in, which has no food question) is not dropped: ``keep_rest`` stores the line as a
    diary entry (the caller's free-text logger) and its confirmation follows the check-in's.
    """
    checkin = await latest_open_checkin(session, user, now)
    if checkin is None or checkin.current is None:
        return None
    parsed = parse_log(text)
    outbox = await _typed(session, user, checkin, text, parsed, now, quiet=quiet)
    if outbox is not None and keep_rest is not None and _says_more(checkin.questions, parsed):
        outbox.messages.extend((await keep_rest()).messages)
    return outbox


#: The diary field of a parsed line that each check-in question takes.
_FIELDS: dict[str, Callable[[ParsedLog], bool]] = {
    PAIN: lambda parsed: parsed.pain is not None,
    DIGESTION: lambda parsed: bool(parsed.symptoms),
    BRISTOL: lambda parsed: parsed.bristol is not None,
    FOOD: lambda parsed: bool(parsed.foods),
    STRESS: lambda parsed: parsed.stress is not None,
    SLEEP: lambda parsed: parsed.sleep is not None,
}


def _says_more(questions: Collection[str], parsed: ParsedLog) -> bool:
    """Whether a line about today holds diary content that none of the check-in's questions take.

    A line about another day answers only the open question and is not kept apart: its parts
    would need splitting by day, which the check-in's typed answers do not do.
    """
    if parsed.day_offset != 0:
        return False
    return any(
        present(parsed) for question, present in _FIELDS.items() if question not in questions
    )


async def _typed(
    session: AsyncSession,
    user: User,
    checkin: Checkin,
    text: str,
    parsed: ParsedLog,
    now: datetime,
    *,
    quiet: bool,
) -> Outbox | None:
    """:func:`typed` for the open check-in ``checkin``, with ``text`` already parsed.

    A number for a scale ("6", "7/10"), symptoms for digestion ("bloated and gassy"), foods for
    the food question ("toast with jam and a latte": the food matcher's groups join what was
    ticked, the line is kept as the day's note), sleep and stress words ("badly", "very").
    The open question is read the most generously (a bare "badly" is the sleep answer when
    sleep is asked); the check-in's other unanswered questions take what the parser reads as
    diary content ("pain 3, bloated" at the pain question answers digestion too), so no part of
    the line is dropped. The check-in moves on past every answered question, as after taps.
    Returns ``None`` when the text answers nothing, so the caller can treat it as a message. A
    note for the food question is not taken from a line that names no food but reads like a
    symptom ("my belly is killing me"): that is not a meal, and it is not stored. ``quiet``
    (after a safety answer) takes a note only when it names a food.
    """
    assert checkin.current is not None
    question = QUESTIONS[checkin.current]
    outbox = Outbox()
    stripped = text.strip().removesuffix("/10").removesuffix("/5").strip()
    typed_number = ascii_int(stripped)
    if not question.multi and not question.single and typed_number is not None:
        value = typed_number
        if not question.accepts(value):
            outbox.send(
                t(
                    "typed_out_of_range",
                    label=t(question.label_key),
                    low=question.low,
                    high=question.high,
                )
            )
            return outbox
        await _record(session, checkin, question.id, value, now)
        await _advance(session, user, checkin, question.id, value, checkin.message_id, now, outbox)
        return outbox
    answers = await checkin_answers(session, checkin.id)
    others = _also_answered(checkin, question.id, parsed, answers)
    not_a_meal = question.id == FOOD and not parsed.foods and (quiet or reads_like_symptom(text))
    if not_a_meal:
        value: Any = _MISSING
    else:
        ticked = answers.get(question.id)
        value = typed_answer(
            question.id, text, parsed, ticked if isinstance(ticked, list) else [], quiet=quiet
        )
    for other, other_value in others.items():
        await _record(session, checkin, other, other_value, now)
        answers[other] = other_value
        if other == PAIN:
            await _screen_if_pain_jumped(session, user, checkin, other_value)
    open_note = question.id == FOOD and not not_a_meal and (value is not _MISSING or not quiet)
    if open_note or (FOOD in others and FOOD_NOTE not in answers):
        # The line is the day's food note (the open food question's words replace an older one).
        note = " ".join(text.split())[:MAX_NOTE]
        await _record(session, checkin, FOOD_NOTE, note, now)
        answers[FOOD_NOTE] = note
        if value is _MISSING and not others:
            # Words that name no food: kept as the day's note, the question stays open.
            outbox.note(t("food_note_saved", date=format_day(checkin.local_date), note=note))
            return outbox
    if value is _MISSING:
        if not others:
            return None
        # Other questions answered, the open one not: it stays open, the message shows them.
        await _show_where_it_stands(session, checkin, checkin.message_id, answers, outbox)
        return outbox
    await _record(session, checkin, question.id, value, now)
    answers[question.id] = value
    await _advance(
        session, user, checkin, question.id, value, checkin.message_id, now, outbox, answers
    )
    return outbox


#: What a typed line can answer besides the open question (the parser's diary fields).
_LINE_FILLS = (PAIN, DIGESTION, BRISTOL, FOOD, STRESS, SLEEP)


def _also_answered(
    checkin: Checkin, open_question: str, parsed: ParsedLog, answers: dict[str, Any]
) -> dict[str, Any]:
    """The check-in's unanswered questions other than the open one that a line answers.

    Only what the parser reads as stated ("pain 3", "bloated", "slept badly", a food), never a
    bare word, and only for a line about today: "had pizza last night" is yesterday's food,
    not this check-in's. A symptom named as absent ("no bloating") leaves digestion to be asked.
    """
    if parsed.day_offset != 0:
        return {}
    found: dict[str, Any] = {}
    for question_id in checkin.questions:
        if question_id == open_question or question_id in answers:
            continue
        if question_id not in _LINE_FILLS:
            continue
        if question_id == DIGESTION and not parsed.symptoms:
            continue
        value = typed_answer(question_id, "", parsed, [], quiet=True)
        if value is not _MISSING:
            found[question_id] = value
    return found


#: Short replies that say "nothing to report" at the digestion question.
_NOTHING = frozenset({"none", "nothing", "no", "nope", "fine", "all fine", "normal", "all good"})
#: Longest reply read as a bare sleep or stress word ("badly", "a bit"): longer is a sentence.
_SHORT_REPLY_WORDS = 3


def typed_answer(
    question_id: str, text: str, parsed: ParsedLog, ticked: list[str], *, quiet: bool = False
) -> Any:
    """The answer typed words give the open question, or ``_MISSING`` when they give none.

    ``quiet``: the words just answered one of the bot's safety questions ("no", "not sure"),
    so only what the parser reads as diary content counts, never a bare "no" or "a bit".
    """
    short = not quiet and len(text.split()) <= _SHORT_REPLY_WORDS
    flat = " ".join(text.lower().strip(" .!").split())
    if question_id == PAIN and parsed.pain is not None:
        return parsed.pain
    if question_id == DIGESTION:
        if parsed.symptoms:
            chosen = set(ticked) | parsed.symptoms
            return [s for s in QUESTIONS[DIGESTION].choices if s in chosen]
        if (parsed.negated_symptoms and not ticked) or (short and flat in _NOTHING):
            return ticked
    if question_id == FOOD and parsed.foods:
        chosen = set(ticked) | parsed.food_groups
        return [g for g in QUESTIONS[FOOD].choices if g in chosen]
    if question_id == BRISTOL and parsed.bristol is not None:
        return parsed.bristol
    if question_id == SLEEP:
        sleep = parsed.sleep if parsed.sleep is not None else None
        if sleep is None and short:
            sleep = parse_log(f"slept {flat}").sleep
        if sleep is not None:
            return sleep
    if question_id == STRESS:
        stress = parsed.stress
        if stress is None and short:
            stress = parse_log(f"{flat} stressed").stress
        if stress is not None:
            return stress
    return _MISSING


async def resume(session: AsyncSession, user: User, now: datetime) -> Outbox:
    """Back to the open check-in, if there is one: its current question again."""
    outbox = Outbox()
    checkin = await latest_open_checkin(session, user, now)
    if checkin is not None and checkin.current is not None:
        checkin.remind_at = None
        intro = t("checkin_intro_back", date=format_day(checkin.local_date))
        await send_current(session, checkin, intro, outbox)
    return outbox


async def summary(session: AsyncSession, checkin: Checkin) -> str:
    return summary_text(checkin, await checkin_answers(session, checkin.id))


def summary_text(checkin: Checkin, answers: dict[str, Any]) -> str:
    """What the check-in's message ends as: the day's answers, one line each."""
    order = [*checkin.questions, FOOD_NOTE]
    lines = [f"• {answered_line(q, answers[q])}".replace(" ✓", "") for q in order if q in answers]
    if not any(answers.get(q) is not None for q in order):
        return t("checkin_summary_empty")
    return t("checkin_summary", date=format_day(checkin.local_date), lines="\n".join(lines))


async def _record(
    session: AsyncSession, checkin: Checkin, question: str, value: Any, now: datetime
) -> None:
    """Upsert one answer: the unique (check-in, question) key makes a repeated tap harmless.

    Without an autoflush: the check-in's own changes go out once, in the commit's flush, so a
    press costs one UPDATE of the check-in however many of its fields moved. The check-in row
    itself is left alone here (each answer has its own ``answered_at``; the check-in's
    ``updated_at`` moves with its state: the open question, a reminder, the end), so a tick in a
    multi-select, which changes no state, costs no UPDATE at all: three statements.
    """
    parameters = {
        "checkin_id": checkin.id,
        "user_id": checkin.user_id,
        "local_date": checkin.local_date,
        "question": question,
        "value": value,
        "answered_at": now,
    }
    with session.no_autoflush:
        await session.execute(_answer_upsert(dialect_of(session)), parameters)


@functools.cache
def _answer_upsert(dialect: str) -> Any:
    """The answer's upsert, built once per dialect (building it cost more than running it).

    On the table rather than the mapped class, so the session runs it as plain SQL instead of
    taking the ORM's bulk-insert path (a press's commonest statement; see core's update ids).
    """
    statement = dialect_insert(dialect, Answer.__table__)
    return statement.on_conflict_do_update(
        index_elements=["checkin_id", "question"],
        set_={"value": statement.excluded.value, "answered_at": statement.excluded.answered_at},
    )


async def _advance(
    session: AsyncSession,
    user: User,
    checkin: Checkin,
    answered: str,
    value: Any,
    message_id: int | None,
    now: datetime,
    outbox: Outbox,
    answers: dict[str, Any] | None = None,
) -> None:
    """Move on to the next open question, or wrap up; the check-in's message shows the result.

    ``answers`` (with this answer in it) saves a query when the caller has them.
    """
    checkin.updated_at = now
    if answered == PAIN:
        await _screen_if_pain_jumped(session, user, checkin, value)
    if answered == SCREEN:
        user.screened_on = checkin.local_date
    if answered == BREATHING:
        user.breathing_followup = False
    if answers is None:
        answers = await checkin_answers(session, checkin.id)
    remaining = [q for q in checkin.questions if q not in answers]
    checkin.remind_at = None
    if remaining:
        checkin.current = remaining[0]
        _show(outbox, message_id, await question_message(session, checkin, None, answers))
        return
    _close(checkin, CheckinStatus.DONE, now)
    after = Outbox()
    offer = await _after_checkin(session, user, checkin, answers, now, after)
    buttons: Keyboard = ()
    if offer:
        buttons = ((Button(t("breathing_offer_button"), simple_data("breathe", "start")),),)
    text = summary_text(checkin, answers)
    if offer:
        text = f"{text}\n\n{t('breathing_offer')}"
    if message_id is None:
        outbox.messages.append(Send(text, buttons, silent=True))
    else:
        outbox.edit(message_id, text, buttons)
    outbox.messages.extend(after.messages)


async def _screen_if_pain_jumped(
    session: AsyncSession, user: User, checkin: Checkin, value: Any
) -> None:
    """Add the weekly screen's questions to the check-in when this pain score is a sudden jump.

    A sudden jump in pain is when people most need asking about the worst signs. A score below
    the jump itself cannot be one, so most pain answers cost no look-back query.
    """
    if (
        isinstance(value, int)
        and value >= JUMP_ABOVE_AVERAGE
        and SCREEN not in checkin.questions
        and pain_jumped(
            await daily_pain(session, user.id, checkin.local_date), checkin.local_date, value
        )
    ):
        checkin.questions = [*checkin.questions, SCREEN]


async def _after_checkin(
    session: AsyncSession,
    user: User,
    checkin: Checkin,
    answers: dict[str, Any],
    now: datetime,
    outbox: Outbox,
) -> bool:
    """Close with what matters most: a warning-sign answer alone, else a pain alert, else a tip.

    A safety answer is never followed by a tip in the same breath, and it is the one message
    here that makes a sound. Returns whether to offer a breathing break (a high-stress day),
    which the summary carries as a button rather than one more message.
    """
    screened = answers.get(SCREEN)
    if screened:
        screening = screen_findings(screened)
        if screening is not None:
            answer = answer_for(screening, user.timezone)
            await safety_events.record(session, user, screening, answer, now, source="screen")
            outbox.send(answer.text)
            return False
    alert = await safety_events.pain_alert_message(
        session,
        user,
        checkin.local_date,
        now,
        lambda: daily_pain(session, user.id, checkin.local_date),
    )
    if alert:
        outbox.send(alert)
        return False
    tip = await tip_for(session, user, checkin.local_date)
    if tip:
        outbox.note(tip)
    stress = answers.get(STRESS)
    return isinstance(stress, int) and stress >= HIGH_STRESS


async def _copy_yesterday(
    session: AsyncSession, checkin: Checkin, message_id: int | None, now: datetime, outbox: Outbox
) -> None:
    if checkin.status != CheckinStatus.OPEN:
        outbox.toast = t("button_already")
        return
    yesterday = await day_answers(session, checkin.user_id, checkin.local_date - timedelta(days=1))
    answers = await checkin_answers(session, checkin.id)
    copied = False
    for question in checkin.questions:
        if question not in answers and question in yesterday:
            await _record(session, checkin, question, yesterday[question], now)
            copied = True
    if not copied:
        outbox.toast = t("checkin_same_nothing")
        return
    _close(checkin, CheckinStatus.DONE, now)
    copied_note = t("checkin_same_copied", date=format_day(checkin.local_date))
    outbox.edit(message_id, f"{copied_note}\n\n{await summary(session, checkin)}")
    outbox.toast = t("button_saved")


def _close(checkin: Checkin, status: CheckinStatus, now: datetime) -> None:
    checkin.status = status
    checkin.current = None
    checkin.remind_at = None
    checkin.updated_at = now


def _is_no_bm(question_id: str, raw: str) -> bool:
    return question_id == "bristol" and raw == "0"


def format_day(day: date) -> str:
    return f"{day.strftime('%a')} {day.day} {day.strftime('%b')}"


# --- the check-ins the sweep opens ------------------------------------------------------------

MORNING_ENDS, AFTERNOON_ENDS = time(12, 0), time(17, 0)


def intro_for(local_time: time, day: date) -> str:
    """The greeting fits the hour the person will read it at."""
    label = format_day(day)
    if local_time < MORNING_ENDS:
        return t("checkin_intro_morning", date=label)
    if local_time < AFTERNOON_ENDS:
        return t("checkin_intro_midday", date=label)
    return t("checkin_intro_evening", date=label)


async def open_scheduled(
    session: AsyncSession,
    won: list[tuple[Schedule, User, date]],
    now: datetime,
    *,
    eased_notice: Collection[int] = (),
) -> dict[tuple[int, int], Send]:
    """Open the check-ins of claimed schedule slots and render each one's first question.

    The questions depend on the slot (morning or evening of how many a day), the weekly screen
    and breathing follow-up when due, and the experiment's question in the evening of a running
    experiment. Returns (user id, slot) -> the first question's message. A batch of people costs
    a fixed handful of queries: one multi-row ``INSERT ... RETURNING`` (row-by-row ORM inserts
    cost half the sweep), one for running experiments, one for "same as yesterday". People in
    ``eased_notice`` get, in the check-in's own message, the one-time note that check-ins are
    easing off to one a day, with other times or a pause on offer.
    """
    if not won:
        return {}
    slot_counts = await checkin_slot_counts(session, {user.id for _, user, _ in won})
    questions = {
        (user.id, schedule.slot): with_extras(
            user, day, questions_for_slot(schedule.slot, slot_counts[user.id])
        )
        for schedule, user, day in won
    }
    running = await running_for(session, {(u.id, d) for _, u, d in won})
    for schedule, user, day in won:
        # "Did you stick to it today?" only makes sense once the day is mostly over.
        if (user.id, day) in running and schedule.local_time >= EVENING_FROM:
            key = (user.id, schedule.slot)
            questions[key] = with_question(questions[key])
    created = await session.execute(
        insert(Checkin)
        .values(
            [
                {
                    "user_id": user.id,
                    "local_date": day,
                    "slot": schedule.slot,
                    "questions": questions[(user.id, schedule.slot)],
                    "current": questions[(user.id, schedule.slot)][0],
                    "status": CheckinStatus.OPEN,
                    "created_at": now,
                    "updated_at": now,
                }
                for schedule, user, day in won
            ]
        )
        .returning(Checkin.id, Checkin.user_id, Checkin.slot)
    )
    checkin_ids = {(user_id, slot): checkin_id for checkin_id, user_id, slot in created}
    copyable = await _users_with_answers_on(
        session, {(u.id, d - timedelta(days=1)) for _, u, d in won}
    )
    return {
        (user.id, schedule.slot): render_question(
            checkin_ids[(user.id, schedule.slot)],
            questions[(user.id, schedule.slot)][0],
            None,
            first=True,
            can_copy=(user.id, day - timedelta(days=1)) in copyable,
            intro=intro_for(schedule.local_time, day)
            + (f"\n{t('checkin_eased_notice')}" if user.id in eased_notice else ""),
            morning=schedule.local_time < MORNING_ENDS,
        )
        for schedule, user, day in won
    }


async def _users_with_answers_on(
    session: AsyncSession, pairs: set[tuple[int, date]]
) -> set[tuple[int, date]]:
    """Which (user, day) pairs have any answer, in one query, for the "same as yesterday" button."""
    if not pairs:
        return set()
    user_ids = {user_id for user_id, _ in pairs}
    days = {day for _, day in pairs}
    rows = await session.execute(
        select(Answer.user_id, Answer.local_date)
        .where(Answer.user_id.in_(user_ids), Answer.local_date.in_(days))
        .distinct()
    )
    return {pair for pair in rows.all() if pair in pairs}


async def reminder_message(session: AsyncSession, checkin: Checkin) -> Send:
    """A check-in someone asked to see again later ("remind me in 1 h"), where it stopped."""
    intro = t("checkin_intro_reminder", date=format_day(checkin.local_date))
    return await question_message(session, checkin, intro)
