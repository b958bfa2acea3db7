"""Choosing when the weekly recap comes (``/recapday``, ``/settings``) and keeping it in step.

The sweep's side of the weekly recap (claimed once, grace, pause, blocked, 429) is tested with
the other deliveries in ``test_delivery.py``; here a person talks to the core.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select, update

from bot.app.core import GutBack
from bot.app.presses import parse
from bot.base.clock import FrozenClock
from bot.chat.buttons import simple_data
from bot.chat.messenger import Keyboard, Sender
from bot.people.recap_day import RecapDay, RecapDayError, parse_recap_day
from bot.people.schedules import CHECKIN, RECAP, stop_schedules
from bot.store.db import Sessions
from bot.store.models import Schedule, User
from tests.support import BERLIN, RecordingMessenger, add_user

NEW_YORK = "America/New_York"
ALEX = Sender(platform_id=41, chat_id=41)
WEDNESDAY = datetime(2025, 1, 15, 5, 0, tzinfo=UTC)  # 06:00 in Berlin


class ChatMessenger(RecordingMessenger):
    """Also records edits: a tapped settings button answers by editing its own message."""

    def __init__(self, clock: FrozenClock) -> None:
        super().__init__(clock)
        self.edits: list[tuple[int, str]] = []

    async def edit(self, chat_id: int, message_id: int, text: str, buttons: Keyboard) -> None:
        self.edits.append((message_id, text))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(WEDNESDAY)


@pytest.fixture
def messenger(clock: FrozenClock) -> ChatMessenger:
    return ChatMessenger(clock)


@pytest.fixture
def core(sessions: Sessions, messenger: ChatMessenger, clock: FrozenClock) -> GutBack:
    return GutBack(sessions, messenger, clock)


async def say(core: GutBack, messenger: ChatMessenger, command: str, args: str = "") -> str:
    before = len(messenger.sent)
    await core.on_command(ALEX, command, args)
    return "\n".join(s.text for s in messenger.sent[before:])


async def schedule_of(sessions: Sessions, user_id: int, kind: str = RECAP) -> list[Schedule]:
    async with sessions() as session:
        query = select(Schedule).where(Schedule.user_id == user_id, Schedule.kind == kind)
        return list(await session.scalars(query.order_by(Schedule.slot)))


# --- reading what people type ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sunday 18:00", RecapDay(weekday=6, at=time(18, 0))),
        ("fri 19:30", RecapDay(weekday=4, at=time(19, 30))),
        ("Sundays at 6pm", RecapDay(weekday=6, at=time(18, 0))),
        ("on Monday, 7.45", RecapDay(weekday=0, at=time(7, 45))),
        ("19:30 thu", RecapDay(weekday=3, at=time(19, 30))),
        ("saturday", RecapDay(weekday=5)),
        ("20:15", RecapDay(at=time(20, 15))),
        ("OFF", RecapDay(off=True)),
        ("stop", RecapDay(off=True)),
    ],
)
def test_recapday_reads_a_day_a_time_or_off(typed: str, expected: RecapDay) -> None:
    assert parse_recap_day(typed) == expected


@pytest.mark.parametrize(
    ("typed", "reason", "token"),
    [
        ("sundy 18:00", "day", "sundy"),
        ("sunday 25:00", "time", "25:00"),
        ("sunday 18:75", "time", "18:75"),
        ("sunday monday 18:00", "two_days", ""),
        ("sun 8:00 9:00", "two_times", ""),
        ("off sunday", "day", "off"),
    ],
)
def test_recapday_says_what_it_could_not_read(typed: str, reason: str, token: str) -> None:
    with pytest.raises(RecapDayError) as raised:
        parse_recap_day(typed)
    assert (raised.value.reason, raised.value.token) == (reason, token)


# --- /recapday ----------------------------------------------------------------------------------


async def test_recapday_moves_the_recap_and_confirms_in_local_time(
    sessions: Sessions, core: GutBack, messenger: ChatMessenger
) -> None:
    user_id = await add_user(sessions, WEDNESDAY, ALEX.chat_id, recap=True)

    usage = await say(core, messenger, "recapday")
    assert "Your weekly recap: Sundays at 18:00." in usage
    assert "/recapday sunday 18:00" in usage and "/recapday off" in usage

    reply = await say(core, messenger, "recapday", "fri 19:30")
    assert reply == "Your weekly recap comes on Fridays at 19:30 (next: Fri 17 Jan at 19:30)."
    [recap] = await schedule_of(sessions, user_id)
    assert (recap.weekday, recap.local_time) == (4, time(19, 30))
    assert recap.next_due_at == datetime(2025, 1, 17, 18, 30, tzinfo=UTC)  # 19:30 CET

    # A day alone keeps the time; a time alone keeps the day (05:30 has passed today).
    assert "on Wednesdays at 19:30 (next: today at 19:30)" in await say(
        core, messenger, "recapday", "wednesday"
    )
    assert "on Wednesdays at 05:30 (next: Wed 22 Jan at 05:30)" in await say(
        core, messenger, "recapday", "5:30"
    )
    assert len(await schedule_of(sessions, user_id)) == 1


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sundy 18:00", 'I didn\'t recognise "sundy" as a day'),
        ("sunday 25:00", 'I didn\'t understand "25:00" as a time'),
        ("sunday monday", "One day a week, please"),
        ("sun 8:00 20:00", "One time, please"),
    ],
)
async def test_recapday_answers_bad_input_kindly_and_changes_nothing(
    sessions: Sessions, core: GutBack, messenger: ChatMessenger, typed: str, expected: str
) -> None:
    user_id = await add_user(sessions, WEDNESDAY, ALEX.chat_id, recap=True)
    [before] = await schedule_of(sessions, user_id)
    reply = await say(core, messenger, "recapday", typed)
    assert reply.startswith(expected)
    assert "/recapday sunday 18:00" in reply  # an example that works
    [after] = await schedule_of(sessions, user_id)
    assert (after.weekday, after.local_time, after.next_due_at) == (
        before.weekday,
        before.local_time,
        before.next_due_at,
    )


async def test_recapday_off_stops_the_recap_and_a_day_brings_it_back(
    sessions: Sessions, core: GutBack, messenger: ChatMessenger
) -> None:
    user_id = await add_user(sessions, WEDNESDAY, ALEX.chat_id, recap=True)
    assert "Weekly recaps are off" in await say(core, messenger, "recapday", "off")
    [recap] = await schedule_of(sessions, user_id)
    assert (recap.weekday, recap.next_due_at) == (None, None)
    assert "• Weekly recap: off" in await say(core, messenger, "settings")
    assert "Your weekly recap: off." in await say(core, messenger, "recapday")

    reply = await say(core, messenger, "recapday", "mon")
    assert reply == "Your weekly recap comes on Mondays at 18:00 (next: Mon 20 Jan at 18:00)."
    [recap] = await schedule_of(sessions, user_id)
    assert recap.next_due_at == datetime(2025, 1, 20, 17, 0, tzinfo=UTC)


async def test_recapday_waits_until_set_up_is_finished(
    sessions: Sessions, core: GutBack, messenger: ChatMessenger
) -> None:
    await core.on_command(ALEX, "start")
    reply = await say(core, messenger, "recapday", "fri 19:30")
    assert "Your weekly recap" not in reply
    async with sessions() as session:
        assert list(await session.scalars(select(Schedule))) == []


# --- /settings ----------------------------------------------------------------------------------


async def test_settings_show_the_recap_and_its_button_changes_the_day(
    sessions: Sessions, core: GutBack, messenger: ChatMessenger
) -> None:
    user_id = await add_user(sessions, WEDNESDAY, ALEX.chat_id, recap=True)
    await core.on_command(ALEX, "settings")
    settings = messenger.sent[-1]
    assert "• Weekly recap: Sundays at 18:00" in settings.text
    [change] = [b for row in settings.buttons for b in row if "recap" in b.label.lower()]
    assert parse(change.data) is not None

    await core.on_button(ALEX, settings.message_id, change.data)
    choice = messenger.sent[-1]
    assert "Tap a day" in choice.text and "18:00" in choice.text
    labels = {b.label: b.data for row in choice.buttons for b in row}
    assert {"Mon", "Fri", "Sun"} <= set(labels)

    notice = await core.on_button(ALEX, choice.message_id, labels["Fri"])
    assert notice == "Saved ✓"
    assert messenger.edits[-1] == (
        choice.message_id,
        "Your weekly recap comes on Fridays at 18:00 (next: Fri 17 Jan at 18:00).",
    )
    [recap] = await schedule_of(sessions, user_id)
    assert (recap.weekday, recap.local_time) == (4, time(18, 0))

    off = next(data for label, data in labels.items() if "off" in label.lower())
    await core.on_button(ALEX, choice.message_id, off)
    [recap] = await schedule_of(sessions, user_id)
    assert recap.next_due_at is None
    # A forged day is an expired button, and changes nothing.
    forged = await core.on_button(ALEX, choice.message_id, simple_data("recapday", "9"))
    assert forged is not None and "no longer does anything" in forged
    [recap] = await schedule_of(sessions, user_id)
    assert recap.weekday is None


# --- keeping the recap in step with the person --------------------------------------------------


async def test_a_new_timezone_keeps_the_recap_on_its_weekday_and_local_time(
    sessions: Sessions, core: GutBack, messenger: ChatMessenger
) -> None:
    user_id = await add_user(sessions, WEDNESDAY, ALEX.chat_id, recap=True)
    [recap] = await schedule_of(sessions, user_id)
    assert recap.next_due_at == datetime(2025, 1, 19, 17, 0, tzinfo=UTC)  # Sunday 18:00 Berlin

    await say(core, messenger, "timezone", NEW_YORK)
    [recap] = await schedule_of(sessions, user_id)
    # Sunday 18:00 in New York, not "18:00 today" as a daily schedule would be.
    assert recap.next_due_at == datetime(2025, 1, 19, 23, 0, tzinfo=UTC)
    morning, evening = await schedule_of(sessions, user_id, CHECKIN)
    assert morning.next_due_at == datetime(2025, 1, 15, 13, 0, tzinfo=UTC)  # 08:00 New York
    assert evening.next_due_at == datetime(2025, 1, 16, 1, 0, tzinfo=UTC)  # 20:00 New York


async def test_someone_set_up_before_weekly_recaps_gets_one_when_schedules_are_touched(
    sessions: Sessions, core: GutBack, messenger: ChatMessenger
) -> None:
    user_id = await add_user(sessions, WEDNESDAY, ALEX.chat_id, BERLIN)  # no recap row
    assert await schedule_of(sessions, user_id) == []
    await say(core, messenger, "timezone", NEW_YORK)
    [recap] = await schedule_of(sessions, user_id)
    assert (recap.weekday, recap.local_time) == (6, time(18, 0))
    assert recap.next_due_at == datetime(2025, 1, 19, 23, 0, tzinfo=UTC)


async def test_coming_back_after_blocking_the_bot_restarts_the_recap_on_its_day(
    sessions: Sessions, core: GutBack, messenger: ChatMessenger, clock: FrozenClock
) -> None:
    user_id = await add_user(sessions, WEDNESDAY, ALEX.chat_id, recap=True)
    await say(core, messenger, "recapday", "fri 19:30")
    async with sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == user_id).values(active=False))
        await stop_schedules(session, user_id)
    clock.set(datetime(2025, 1, 18, 9, 0, tzinfo=UTC))  # Saturday
    await say(core, messenger, "help")
    [recap] = await schedule_of(sessions, user_id)
    assert recap.next_due_at == datetime(2025, 1, 24, 18, 30, tzinfo=UTC)  # next Friday 19:30
