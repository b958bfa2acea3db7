"""Shared test helpers: people and diaries set up directly in the database, a recording messenger.

Used by the delivery tests, the crash test and the diary, report and privacy tests, so that "an
onboarded person" and "a check-in answered that day" mean the same thing everywhere.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.clock import FrozenClock
from bot.chat.messenger import NO_BUTTONS, Keyboard, RateLimited, RecipientGone
from bot.people.schedules import ensure_recap_schedules, set_checkin_times
from bot.store.db import Sessions, make_engine, make_sessions
from bot.store.models import Answer, Base, Checkin, LogEntry, User
from bot.store.states import CheckinStatus

BERLIN = "Europe/Berlin"
MORNING, EVENING = time(8, 0), time(20, 0)


@dataclass(frozen=True, slots=True)
class Sent:
    chat_id: int
    text: str
    buttons: Keyboard
    message_id: int
    at: datetime
    silent: bool = False


@dataclass(frozen=True, slots=True)
class SentPhoto:
    chat_id: int
    png: bytes
    caption: str
    at: datetime


class RecordingMessenger:
    """Records what would reach people; can play a blocked user or a send that never returns."""

    _ids = itertools.count(1)  # shared, so two "processes" never hand out the same message id

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.sent: list[Sent] = []
        self.photos: list[SentPhoto] = []  # the weekly recap's chart
        self.gone: set[int] = set()
        self.refuse: Counter[int] = Counter()  # chat -> how many sends to refuse with a 429
        self.hang: set[int] = set()
        self.hanging = asyncio.Event()

    async def send(
        self,
        chat_id: int,
        text: str,
        buttons: Keyboard = NO_BUTTONS,
        *,
        ask_location: str | None = None,
        clear_reply_keyboard: bool = False,
        silent: bool = False,
    ) -> int:
        if chat_id in self.hang:
            self.hanging.set()
            await asyncio.Event().wait()
        if chat_id in self.gone:
            raise RecipientGone(f"chat {chat_id} blocked the bot")
        if self.refuse[chat_id] > 0:
            self.refuse[chat_id] -= 1
            raise RateLimited(30)
        message_id = next(self._ids)
        self.sent.append(Sent(chat_id, text, buttons, message_id, self.clock.now(), silent))
        return message_id

    async def edit(self, chat_id: int, message_id: int, text: str, buttons: Keyboard) -> None:
        raise AssertionError("the sweep never edits messages")

    async def send_photo(
        self, chat_id: int, png: bytes, caption: str, *, silent: bool = False
    ) -> int:
        if chat_id in self.gone:
            raise RecipientGone(f"chat {chat_id} blocked the bot")
        self.photos.append(SentPhoto(chat_id, png, caption, self.clock.now()))
        return next(self._ids)

    async def send_file(self, chat_id: int, filename: str, data: bytes, caption: str) -> int:
        raise AssertionError("the sweep never sends files")

    def to(self, chat_id: int) -> list[Sent]:
        return [sent for sent in self.sent if sent.chat_id == chat_id]


async def add_users(
    sessions: Sessions,
    now: datetime,
    chat_ids: Iterable[int],
    tz_name: str,
    times: Iterable[time] = (MORNING, EVENING),
    *,
    recap: bool = False,
    **fields: object,
) -> dict[int, int]:
    """Onboarded people with their check-in schedules; returns chat id -> user id.

    ``recap=True`` also gives them the weekly recap row that finishing set-up creates (Sunday
    18:00 local); without it they are like people who joined before weekly recaps existed.
    """
    ids: dict[int, int] = {}
    async with sessions() as session, session.begin():
        for chat_id in chat_ids:
            user = User(
                platform_id=chat_id,
                chat_id=chat_id,
                onboarding_step="done",
                consented_at=now,
                timezone=tz_name,
                active=True,
                paused=False,
                created_at=now,
                updated_at=now,
            )
            for name, value in fields.items():
                setattr(user, name, value)
            session.add(user)
            await session.flush()
            await set_checkin_times(session, user, list(times), now)
            if recap:
                await ensure_recap_schedules(session, [user], now)
            ids[chat_id] = user.id
    return ids


async def add_user(
    sessions: Sessions,
    now: datetime,
    chat_id: int,
    tz_name: str = BERLIN,
    times: Iterable[time] = (MORNING, EVENING),
    *,
    recap: bool = False,
    **fields: object,
) -> int:
    return (await add_users(sessions, now, [chat_id], tz_name, times, recap=recap, **fields))[
        chat_id
    ]


async def add_logs(
    sessions: Sessions, user_id: int, pains: dict[date, int], symptoms: Iterable[str] = ()
) -> None:
    """Free-text diary lines, one per local date, each with a back pain score (and symptoms)."""
    async with sessions() as session, session.begin():
        session.add_all(
            LogEntry(
                user_id=user_id,
                local_date=day,
                text=f"back {pain}",
                food_groups=[],
                symptoms=list(symptoms),
                pain=pain,
                created_at=at(day, 12),
            )
            for day, pain in pains.items()
        )


async def add_checkin(
    session: AsyncSession,
    user_id: int,
    day: date,
    answers: Mapping[str, object],
    answered_at: datetime,
    *,
    slot: int = 1,
    step: timedelta = timedelta(0),
) -> Checkin:
    """A finished check-in on ``day``: each question of ``answers`` answered at ``answered_at``
    (each ``step`` after the one before, for a test where the order of answers matters).

    Written as rows, in the caller's transaction, so that a test can give a day any answer the
    database may hold (a skipped question's None, an old row's value) without tapping through a
    check-in; the questions asked are the answers' keys, in their order.
    """
    checkin = Checkin(
        user_id=user_id,
        local_date=day,
        slot=slot,
        questions=list(answers),
        current=None,
        status=CheckinStatus.DONE,
        created_at=answered_at,
        updated_at=answered_at,
    )
    session.add(checkin)
    await session.flush()
    session.add_all(
        Answer(
            checkin_id=checkin.id,
            user_id=user_id,
            local_date=day,
            question=question,
            value=value,
            answered_at=answered_at + n * step,
        )
        for n, (question, value) in enumerate(answers.items())
    )
    return checkin


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware UTC instant on ``day``."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


async def add_person(sessions: Sessions, platform_id: int, timezone: str | None = BERLIN) -> User:
    """Someone who consented and finished set-up on 1 Jan 2026, without check-in times."""
    joined = at(date(2026, 1, 1), 9)
    async with sessions() as session, session.begin():
        user = User(
            platform_id=platform_id,
            chat_id=platform_id,
            onboarding_step="done",
            consented_at=joined,
            timezone=timezone,
            created_at=joined,
            updated_at=joined,
        )
        session.add(user)
    return user


async def empty_database(url: str) -> None:
    """Drop every table, Alembic's version table too, as a database that was never migrated."""
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    await engine.dispose()


@asynccontextmanager
async def sessions_for(database_url: str) -> AsyncIterator[Sessions]:
    """Sessions on a database of the test's own, e.g. to set people up before a bot starts."""
    engine = make_engine(database_url)
    try:
        yield make_sessions(engine)
    finally:
        await engine.dispose()
