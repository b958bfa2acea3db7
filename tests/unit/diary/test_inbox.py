"""The safety conversation and the diary together (bot/diary/inbox.py, bot/safety/conversation.py).

The screen is replaced by a stub where a test needs an ask (the learned layer's middle band), so
that these rules hold whatever the screen learns: a question at T0 or T1 stands alone, a T2 or
T3 question comes last after the diary's note, a "no" is taken at its word for a day, and a sign
in the reply is answered first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.base.wording import t
from bot.chat.outbox import Outbox, Send
from bot.diary import inbox
from bot.safety import conversation
from bot.safety.rules import redflags, safety_wording
from bot.safety.screen import Ask, Finding, Screening, screen
from bot.store.db import Sessions
from bot.store.models import LogEntry, SafetyAsk, SafetyEvent, User
from tests.support import add_user

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
ALEX = 1001
WORDING = safety_wording()
LEGS = Ask("ask_legs", "neuro_both_legs", "T1")
TODAY_ASK = Ask("ask_today", "night_rest_pain", "T2")


def stub_screen(monkeypatch: pytest.MonkeyPatch, decide: Callable[[str], Screening | None]) -> None:
    """Answer chosen texts with a chosen screening, and everything else as the real screen."""

    def fake(text: str, **kw: Any) -> Screening:
        chosen = decide(text)
        return chosen if chosen is not None else screen(text, **kw)

    monkeypatch.setattr(conversation, "screen", fake)


async def say(sessions: Sessions, text: str, now: datetime = NOW) -> Outbox:
    async with sessions() as session, session.begin():
        user = await session.scalar(select(User).where(User.platform_id == ALEX))
        assert user is not None
        return await inbox.on_text(session, user, text, now)


async def press(sessions: Sessions, arg: str, now: datetime = NOW) -> Outbox:
    async with sessions() as session, session.begin():
        user = await session.scalar(select(User).where(User.platform_id == ALEX))
        assert user is not None
        return await inbox.ask_pressed(session, user, arg, now)


def texts(outbox: Outbox) -> list[str]:
    return [m.text for m in outbox.messages if isinstance(m, Send)]


def button_arg(outbox: Outbox, label: str) -> str:
    for message in outbox.messages:
        if isinstance(message, Send):
            for row in message.buttons:
                for button in row:
                    if button.label == label:
                        return button.data.partition(":")[2]
    raise AssertionError(f"no {label!r} button")


async def count(sessions: Sessions, model: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_an_urgent_question_stands_alone_and_no_then_says_the_note_was_not_saved(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_user(sessions, NOW, ALEX)
    line = "legs feel odd today, porridge and coffee, back 6"
    stub_screen(monkeypatch, lambda text: Screening(ask=LEGS) if text == line else None)
    asked = await say(sessions, line)
    assert texts(asked) == [WORDING.asks["ask_legs"]]
    assert await count(sessions, LogEntry) == 0  # nothing follows a T1 question
    declined = await say(sessions, "no, they're fine")
    assert texts(declined) == [
        WORDING.ask_declined["default"].replace("{emergency}", "112").strip(),
        WORDING.ask_unsaved.strip(),
    ]
    # Taken at its word: the same uncertain question is not asked again that day.
    again = await say(sessions, line, NOW + timedelta(minutes=5))
    assert WORDING.asks["ask_legs"] not in texts(again)
    assert await count(sessions, LogEntry) == 1
    tomorrow = await say(sessions, line, NOW + timedelta(days=1, minutes=1))
    assert texts(tomorrow) == [WORDING.asks["ask_legs"]]


async def test_a_same_day_question_comes_last_after_the_diary_note(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_user(sessions, NOW, ALEX)
    line = "porridge and coffee, back worse lying down tonight"
    stub_screen(monkeypatch, lambda text: Screening(ask=TODAY_ASK) if text == line else None)
    outbox = await say(sessions, line)
    said = texts(outbox)
    assert said[0].startswith("Noted for") and said[-1] == WORDING.asks["ask_today"]
    assert await count(sessions, LogEntry) == 1
    yes = await say(sessions, "yes")
    [answer] = texts(yes)
    assert WORDING.tiers["T2"].lead in answer
    async with sessions() as session:
        flags = (await session.execute(select(SafetyEvent.flag_id, SafetyEvent.source))).all()
    assert [tuple(f) for f in flags] == [("night_rest_pain", "ask")]


async def test_yes_with_a_sign_in_the_reply_answers_both(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_user(sessions, NOW, ALEX, tz_name="Europe/London")
    chest = Finding("chest_pain", "T1", "back")
    stub_screen(
        monkeypatch,
        lambda text: (
            Screening(ask=Ask("ask_crisis", "crisis_suicide", "T0"))
            if text == "everything is too much"
            else Screening(findings=[chest], tier="T1")
            if text.startswith("yes")
            else None
        ),
    )
    await say(sessions, "everything is too much")
    [answer] = texts(await say(sessions, "yes, and my chest is so tight"))
    assert "I'm really glad you told me" in answer and "116 123" in answer
    assert WORDING.tiers["T1"].lead in answer
    assert answer.index("116 123") < answer.index(WORDING.tiers["T1"].lead)


async def test_no_with_a_sign_in_the_reply_answers_the_sign(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_user(sessions, NOW, ALEX)
    stub_screen(monkeypatch, lambda text: Screening(ask=LEGS) if text == "legs odd" else None)
    await say(sessions, "legs odd")
    [answer] = texts(await say(sessions, "no, but I can't feel anything when I wipe"))
    assert WORDING.tiers["T1"].lead in answer and WORDING.ask_declined["default"][:20] not in answer


async def test_the_gentle_question_comes_with_buttons_that_answer_it(sessions: Sessions) -> None:
    await add_user(sessions, NOW, ALEX, tz_name="Europe/London")
    asked = await say(sessions, "I can't go on with this pain anymore")
    [question] = asked.messages
    assert isinstance(question, Send)
    assert [b.label for b in question.buttons[0]] == ["Yes", "No", "Not sure"]
    [answer] = texts(await press(sessions, button_arg(asked, "Not sure")))
    assert answer.startswith(WORDING.ask_unsure["ask_crisis"].strip())
    assert "I'm really glad you told me" in answer
    # The same answer twice is one answer; someone's own "no" may still become a "yes".
    assert (await press(sessions, button_arg(asked, "Yes"))).toast == WORDING.ask_answered


async def test_a_question_is_forgotten_after_a_week(sessions: Sessions) -> None:
    await add_user(sessions, NOW, ALEX)
    await say(sessions, "I can't go on with this pain anymore")
    later = NOW + conversation.ASK_KEPT_FOR + timedelta(hours=1)
    await say(sessions, "I can't go on with this pain anymore", later)
    async with sessions() as session:
        asked = (await session.execute(select(SafetyAsk.asked_at))).scalars().all()
    assert asked == [later]


async def test_non_english_gets_no_english_question_and_no_diary(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_user(sessions, NOW, ALEX)
    stub_screen(monkeypatch, lambda text: Screening(ask=LEGS, language="de"))
    [notice] = (await say(sessions, "Meine Beine sind komisch")).messages
    assert isinstance(notice, Send)
    assert notice.text.startswith("I can only read English for now")
    assert len(notice.buttons) == len(WORDING.weekly_options) + 1
    assert await count(sessions, SafetyAsk) == 0 and await count(sessions, LogEntry) == 0


async def test_nothing_generic_after_a_same_day_answer(sessions: Sessions) -> None:
    await add_user(sessions, NOW, ALEX)
    text = "my poo has been black and tarry since yesterday"
    assert screen(text).tier == "T2"
    said = texts(await say(sessions, text))
    assert len(said) == 1 and t("unknown_text") not in said and t("unplaced_symptom") not in said


async def test_a_line_about_the_body_that_nobody_placed_is_not_stored(sessions: Sessions) -> None:
    await add_user(sessions, NOW, ALEX)
    text = "my tummy feels weird"
    assert screen(text).tier is None
    assert texts(await say(sessions, text)) == [t("unplaced_symptom")]
    assert await count(sessions, LogEntry) == 0


def test_every_gentle_flag_has_a_question() -> None:
    for flag in redflags().flags:
        if flag.ask_first:
            assert redflags().ask_for(flag.id) is not None, flag.id
