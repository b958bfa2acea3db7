"""Retention: with a setting, old diary rows go and recent ones stay; without one, nothing goes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bot.privacy.retention import remove_expired, remove_old_entries
from bot.store.db import Sessions
from bot.store.models import (
    Answer,
    Checkin,
    Delivery,
    Experiment,
    LogEntry,
    SafetyEvent,
    Schedule,
    TipShown,
    User,
)
from tests.support import add_checkin, add_user

TODAY = date(2026, 3, 1)
NOW = datetime.combine(TODAY, time(12), tzinfo=UTC)
OLD, RECENT = TODAY - timedelta(days=40), TODAY - timedelta(days=5)
DIARY = (Answer, Checkin, LogEntry, TipShown, SafetyEvent, Delivery, Experiment)


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=UTC)


async def seed(sessions: Sessions, user_id: int) -> None:
    """One row of every diary table on an old day and on a recent day."""
    async with sessions() as session, session.begin():
        for day in (OLD, RECENT):
            await add_checkin(session, user_id, day, {"pain": 5}, at(day), slot=0)
            session.add_all(
                [
                    LogEntry(
                        user_id=user_id,
                        local_date=day,
                        text="porridge",
                        food_groups=["prebiotic"],
                        symptoms=[],
                        created_at=at(day),
                    ),
                    TipShown(user_id=user_id, tip_id="fibre_slowly", shown_on=day),
                    SafetyEvent(
                        user_id=user_id,
                        flag_id="gi_black_stool",
                        tier="T2",
                        source="text",
                        created_at=at(day),
                    ),
                    Delivery(
                        user_id=user_id,
                        kind="checkin",
                        local_date=day,
                        slot=0,
                        status="sent",
                        claimed_at=at(day),
                    ),
                    # A swap experiment counts as old once its last day is.
                    Experiment(
                        user_id=user_id,
                        swap_id="soda_to_kombucha",
                        started_on=day - timedelta(days=13),
                        ends_on=day,
                        status="finished",
                        verdict="no_change",
                        created_at=at(day - timedelta(days=13)),
                    ),
                ]
            )


async def dates_left(sessions: Sessions) -> dict[str, set[date]]:
    """For each diary table, the days its remaining rows belong to."""
    columns = {
        Answer: Answer.local_date,
        Checkin: Checkin.local_date,
        LogEntry: LogEntry.local_date,
        TipShown: TipShown.shown_on,
        SafetyEvent: SafetyEvent.created_at,
        Delivery: Delivery.local_date,
        Experiment: Experiment.ends_on,
    }
    left: dict[str, set[date]] = {}
    async with sessions() as session:
        for model, column in columns.items():
            values = (await session.scalars(select(column))).all()
            left[model.__tablename__] = {v.date() if isinstance(v, datetime) else v for v in values}
    return left


async def test_old_diary_rows_go_and_recent_ones_stay(sessions: Sessions) -> None:
    user_id = await add_user(sessions, NOW, 1)
    await seed(sessions, user_id)
    async with sessions() as session, session.begin():
        removed = await remove_old_entries(session, TODAY, 30)
    assert removed == len(DIARY)
    assert await dates_left(sessions) == {model.__tablename__: {RECENT} for model in DIARY}
    async with sessions() as session:
        # The person and their check-in times are settings, not diary.
        assert await session.scalar(select(func.count()).select_from(User)) == 1
        assert await session.scalar(select(func.count()).select_from(Schedule)) == 2

    # A shorter setting reaches the recent day too.
    assert await remove_expired(sessions, NOW, 3) == len(DIARY)
    assert await dates_left(sessions) == {model.__tablename__: set() for model in DIARY}


@pytest.mark.parametrize("days", [None, 365])
async def test_no_setting_deletes_nothing(sessions: Sessions, days: int | None) -> None:
    user_id = await add_user(sessions, NOW, 1)
    await seed(sessions, user_id)
    async with sessions() as session, session.begin():
        assert await remove_old_entries(session, TODAY, days) == 0
    assert await remove_expired(sessions, NOW, days) == 0
    assert await dates_left(sessions) == {model.__tablename__: {OLD, RECENT} for model in DIARY}
