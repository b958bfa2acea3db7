"""How the breathing breaks went: counted from the "did it help?" answers, stress before/after."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.insights.breathing_outcomes import summarise
from bot.insights.recap import format_recap, recap_numbers
from bot.store.db import Sessions
from tests import support
from tests.support import add_person, at

TODAY = date(2026, 2, 15)


def test_answers_and_stress_before_and_after() -> None:
    monday, tuesday, wednesday = TODAY - timedelta(days=6), TODAY - timedelta(days=5), TODAY
    rows = [
        (1, "stress", 5, monday),  # the check-in before the first break
        (2, "stress", 3, tuesday),  # stress answered first in the check-in after it...
        (2, "breathing", "helped", tuesday),  # ...then "did it help?"
        (3, "breathing", "a_little", wednesday),
        (3, "stress", 2, wednesday),
        (4, "breathing", "dizzy", wednesday),  # no stress in this check-in: not a pair
        (0, "breathing", "helped", monday - timedelta(days=1)),  # last week: not counted
    ]
    rows.sort(key=lambda row: row[3])
    week = summarise(rows, monday)
    assert week is not None
    assert (week.answered, week.helped, week.a_little, week.not_helped, week.dizzy) == (
        3,
        1,
        1,
        0,
        1,
    )
    # Break 1: before 5 (check-in 1), after 3. Break 2: before 3 (check-in 2), after 2.
    assert (week.stress_before, week.stress_after, week.stress_pairs) == (4.0, 2.5, 2)
    assert summarise([(1, "stress", 4, monday)], monday) is None


async def add_checkin(sessions: Sessions, user_id: int, day: date, answers: dict[str, Any]) -> None:
    """Answers one second apart, in their order: which stress answer came first matters here."""
    async with sessions() as session, session.begin():
        await support.add_checkin(
            session, user_id, day, answers, at(day, 19), step=timedelta(seconds=1)
        )


async def test_the_recap_says_how_the_breaks_went(sessions: Sessions) -> None:
    user = await add_person(sessions, 1)
    await add_checkin(sessions, user.id, TODAY - timedelta(days=3), {"pain": 4, "stress": 5})
    await add_checkin(
        sessions,
        user.id,
        TODAY - timedelta(days=2),
        {"breathing": "helped", "pain": 3, "stress": 3},
    )
    await add_checkin(sessions, user.id, TODAY, {"breathing": "not_helped", "pain": 3})
    async with sessions() as session:
        recap = await recap_numbers(session, user, TODAY)
    assert recap.breathing is not None and recap.breathing.answered == 2
    text = format_recap(recap)
    assert "after 2 breaks and said yes 1 time" in text
    assert "before a break averaged 5.0, at the one after it 3.0 (over 1 break)" in text
