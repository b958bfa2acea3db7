"""The one per-day diary view, as the safety rules and the tip chooser read it."""

from __future__ import annotations

from datetime import date, timedelta

from bot.diary.advice import signals_for
from bot.diary.checkins import with_extras
from bot.diary.questions import ALL_QUESTIONS, FOOD, MEDICINES
from bot.diary.view import daily_pain, diary_days
from bot.store.db import Sessions
from tests.support import BERLIN, add_checkin, add_logs, add_person, at

TODAY = date(2025, 3, 10)


async def answer_pain(
    sessions: Sessions, user_id: int, day: date, pain: object, question: str = "pain"
) -> None:
    """A check-in on ``day`` whose pain question (or ``question``) was answered ``pain``."""
    async with sessions() as session, session.begin():
        await add_checkin(session, user_id, day, {question: pain}, at(day, 8), slot=0)


async def test_a_days_pain_for_the_safety_rules_is_its_highest_score(sessions: Sessions) -> None:
    person = await add_person(sessions, 701, BERLIN)
    yesterday = TODAY - timedelta(days=1)
    await answer_pain(sessions, person.id, yesterday, 4)
    await add_logs(sessions, person.id, {yesterday: 7, TODAY: 2})
    await add_logs(sessions, person.id, {TODAY - timedelta(days=11): 9})  # older than ten days

    async with sessions() as session:
        assert await daily_pain(session, person.id, TODAY) == {yesterday: 7.0, TODAY: 2.0}


async def test_the_tip_chooser_reads_each_days_value_from_the_view(sessions: Sessions) -> None:
    person = await add_person(sessions, 702, BERLIN)
    yesterday = TODAY - timedelta(days=1)
    await answer_pain(sessions, person.id, yesterday, 4)
    await add_logs(sessions, person.id, {yesterday: 7}, symptoms=["bloating"])
    await add_logs(sessions, person.id, {TODAY: 6}, symptoms=["bloating"])

    async with sessions() as session:
        signals = await signals_for(session, person.id, TODAY)
    assert signals.last_pain == 6  # today's diary line
    # Yesterday's line (12:00) came after its check-in (08:00): the latest wins, 7 then 6 today.
    assert signals.pain_trend == -1
    assert signals.symptom_counts == {"bloating": 2}  # days, not lines


async def test_the_latest_of_a_checkin_answer_and_a_typed_line_is_the_days_value(
    sessions: Sessions,
) -> None:
    person = await add_person(sessions, 703, BERLIN)
    await answer_pain(sessions, person.id, TODAY, 6)  # 08:00
    await add_logs(sessions, person.id, {TODAY: 3})  # 12:00, later: it wins
    before = TODAY - timedelta(days=1)
    await add_logs(sessions, person.id, {before: 8})  # 12:00
    async with sessions() as session, session.begin():
        # A check-in on the day before answered at 20:00, after the line: it wins there.
        await add_checkin(session, person.id, before, {"pain": 2}, at(before, 20))
    async with sessions() as session:
        days = await diary_days(session, person.id)
        assert days[TODAY].value("pain") == 3
        assert days[before].value("pain") == 2
        # The warning rules still see the day's highest score.
        assert await daily_pain(session, person.id, TODAY) == {before: 8.0, TODAY: 6.0}


async def test_medicines_are_candidates_only_on_days_the_question_was_answered(
    sessions: Sessions,
) -> None:
    """A day with "none of these" is known to be without; a day never asked is unknown."""
    person = await add_person(sessions, 703, BERLIN)
    yesterday, before = TODAY - timedelta(days=1), TODAY - timedelta(days=2)
    await answer_pain(sessions, person.id, TODAY, ["painkillers", "omega3"], MEDICINES)
    await answer_pain(sessions, person.id, yesterday, [], MEDICINES)
    await answer_pain(sessions, person.id, before, 5)
    async with sessions() as session:
        days = await diary_days(session, person.id)
    assert (days[TODAY].medicines, days[TODAY].medicines_reported) == (
        {"painkillers", "omega3"},
        True,
    )
    assert (days[yesterday].medicines, days[yesterday].medicines_reported) == (set(), True)
    assert (days[before].medicines, days[before].medicines_reported) == (set(), False)


async def test_the_medicines_question_follows_food_only_when_switched_on(
    sessions: Sessions,
) -> None:
    person = await add_person(sessions, 704, BERLIN)
    person.screened_on = TODAY  # no weekly screen today
    assert MEDICINES not in with_extras(person, TODAY, list(ALL_QUESTIONS))
    person.ask_medicines = True
    asked = with_extras(person, TODAY, list(ALL_QUESTIONS))
    assert asked[asked.index(FOOD) + 1] == MEDICINES
    assert MEDICINES not in with_extras(person, TODAY, ["pain", "sleep"])  # a morning check-in
