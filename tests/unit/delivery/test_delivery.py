"""The delivery sweep: every due check-in prompt reaches its person once, on time, and never twice.

These tests drive :class:`bot.delivery.sweep.Sweeper` with a :class:`FrozenClock` and a recording
messenger, on SQLite and (when configured) PostgreSQL. Two sweepers with separate engines stand in
for two bot processes sharing one database.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.app.presses import parse
from bot.base.clock import FrozenClock
from bot.chat.buttons import CheckinPress
from bot.chat.messenger import Keyboard
from bot.delivery.sweep import Sweeper
from bot.insights.recap import chart_caption
from bot.insights.wording import recap_wording
from bot.people.schedules import CHECKIN, RECAP, set_recap_schedule
from bot.store.db import Sessions
from bot.store.models import Checkin, Delivery, Schedule, User
from tests.support import (
    BERLIN,
    MORNING,
    RecordingMessenger,
    Sent,
    add_logs,
    add_user,
    add_users,
)

NEW_YORK = "America/New_York"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def schedules_of(sessions: Sessions, user_id: int, kind: str = CHECKIN) -> list[Schedule]:
    """A person's schedules of one kind (the sweep adds a weekly recap row to the check-ins)."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Schedule)
            .where(Schedule.user_id == user_id, Schedule.kind == kind)
            .order_by(Schedule.slot)
        )
        return list(rows)


async def checkins_of(sessions: Sessions, user_id: int | None = None) -> list[Checkin]:
    query = select(Checkin).order_by(Checkin.id)
    if user_id is not None:
        query = query.where(Checkin.user_id == user_id)
    async with sessions() as session:
        return list(await session.scalars(query))


async def deliveries_of(sessions: Sessions, user_id: int) -> list[Delivery]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Delivery).where(Delivery.user_id == user_id).order_by(Delivery.id)
        )
        return list(rows)


async def sweep_at(sweeper: Sweeper, clock: FrozenClock, instant: datetime) -> None:
    clock.set(instant)
    await sweeper.run_once()


def pressed(buttons: Keyboard) -> list[CheckinPress]:
    presses = [parse(button.data) for row in buttons for button in row]
    assert all(isinstance(p, CheckinPress) for p in presses)
    return presses  # type: ignore[return-value]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(utc(2025, 1, 15, 5, 0))  # Berlin 06:00 on a winter Wednesday


@pytest.fixture
def messenger(clock: FrozenClock) -> RecordingMessenger:
    return RecordingMessenger(clock)


@pytest.fixture
def sweeper(sessions: Sessions, messenger: RecordingMessenger, clock: FrozenClock) -> Sweeper:
    return Sweeper(sessions, messenger, clock)


# --------------------------------------------------------------------------------------------
# On time, once
# --------------------------------------------------------------------------------------------


async def test_due_prompt_is_sent_once_at_its_local_time(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    user_id = await add_user(sessions, clock.now(), 101)

    await sweep_at(sweeper, clock, utc(2025, 1, 15, 6, 59))  # Berlin 07:59
    assert messenger.sent == []

    await sweep_at(sweeper, clock, utc(2025, 1, 15, 7, 0))  # Berlin 08:00 (CET, UTC+1)
    assert [(s.chat_id, s.at) for s in messenger.sent] == [(101, utc(2025, 1, 15, 7, 0))]
    message = messenger.sent[0]

    morning, evening = await schedules_of(sessions, user_id)
    assert morning.next_due_at == utc(2025, 1, 16, 7, 0)  # tomorrow 08:00 Berlin
    assert evening.next_due_at == utc(2025, 1, 15, 19, 0)  # tonight's slot is untouched

    [checkin] = await checkins_of(sessions, user_id)
    assert (checkin.local_date, checkin.slot, checkin.status) == (date(2025, 1, 15), 0, "open")
    assert checkin.current == checkin.questions[0]
    assert checkin.message_id == message.message_id
    # The buttons answer exactly this check-in's open question.
    presses = pressed(message.buttons)
    assert presses
    assert {(p.checkin_id, p.question) for p in presses} == {(checkin.id, checkin.current)}

    [delivery] = await deliveries_of(sessions, user_id)
    assert (delivery.local_date, delivery.slot, delivery.status) == (date(2025, 1, 15), 0, "sent")
    assert delivery.message_id == message.message_id


async def test_sweeping_again_sends_nothing_more(
    sessions: Sessions,
    sweeper: Sweeper,
    messenger: RecordingMessenger,
    clock: FrozenClock,
    second_process: Sessions,
) -> None:
    user_id = await add_user(sessions, clock.now(), 102)
    await sweep_at(sweeper, clock, utc(2025, 1, 15, 7, 0))
    assert len(messenger.sent) == 1

    for instant in (
        utc(2025, 1, 15, 7, 0),
        utc(2025, 1, 15, 7, 0, 30),
        utc(2025, 1, 15, 7, 10),
        utc(2025, 1, 15, 9, 59),
        utc(2025, 1, 15, 18, 59),
    ):
        await sweep_at(sweeper, clock, instant)
    # A restarted process (fresh sweeper, fresh engine) does not send it again either.
    restarted = Sweeper(second_process, messenger, clock)
    await sweep_at(restarted, clock, utc(2025, 1, 15, 7, 1))

    assert len(messenger.sent) == 1
    assert len(await checkins_of(sessions, user_id)) == 1


@pytest.mark.parametrize(
    ("times", "due", "wrong_word"),
    [
        ([MORNING], utc(2025, 1, 15, 7, 0), "evening"),
        ([time(19, 0), time(22, 0)], utc(2025, 1, 15, 18, 0), "morning"),
    ],
    ids=["one-morning-slot", "two-evening-slots"],
)
async def test_checkin_greeting_matches_the_time_of_day(
    sessions: Sessions,
    sweeper: Sweeper,
    messenger: RecordingMessenger,
    clock: FrozenClock,
    times: list[time],
    due: datetime,
    wrong_word: str,
) -> None:
    await add_user(sessions, clock.now(), 104, times=times)
    await sweep_at(sweeper, clock, due)
    [message] = messenger.sent
    assert wrong_word not in message.text.splitlines()[0].casefold()


# --------------------------------------------------------------------------------------------
# Two processes
# --------------------------------------------------------------------------------------------


async def test_two_racing_processes_send_every_prompt_exactly_once(
    sessions: Sessions, second_process: Sessions, clock: FrozenClock
) -> None:
    chats = range(2000, 2200)
    ids = await add_users(sessions, clock.now(), chats, BERLIN)
    a_messenger, b_messenger = RecordingMessenger(clock), RecordingMessenger(clock)
    # Small batches make the two processes interleave many claims within one sweep.
    a = Sweeper(sessions, a_messenger, clock, batch=40)
    b = Sweeper(second_process, b_messenger, clock, batch=40)

    instants = [
        utc(2025, 1, 15, 7, 0),
        utc(2025, 1, 15, 19, 0),
    ]
    for instant in instants:
        clock.set(instant)
        await asyncio.gather(a.run_once(), b.run_once())
        clock.set(instant + timedelta(seconds=30))
        await asyncio.gather(b.run_once(), a.run_once())

    sent = Counter((s.chat_id, s.at) for s in a_messenger.sent + b_messenger.sent)
    assert sent == Counter({(chat, instant): 1 for chat in chats for instant in instants})
    # Every prompt sent has exactly one check-in, with the message id it was sent as.
    checkins = await checkins_of(sessions)
    assert len(checkins) == len(chats) * len(instants)
    sent_ids = {s.message_id for s in a_messenger.sent + b_messenger.sent}
    assert {c.message_id for c in checkins} == sent_ids
    assert {c.user_id for c in checkins} == set(ids.values())


# --------------------------------------------------------------------------------------------
# After downtime
# --------------------------------------------------------------------------------------------


async def test_prompt_missed_within_grace_is_sent_late_with_its_own_date(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    clock.set(utc(2025, 1, 14, 23, 0))  # Berlin: Thursday 00:00
    user_id = await add_user(sessions, clock.now(), 201, times=[time(23, 0)])
    # 23:00 Berlin on the 15th is 22:00 UTC; the bot comes back at 00:00 UTC (01:00 on the 16th).
    await sweep_at(sweeper, clock, utc(2025, 1, 16, 0, 0))

    assert [s.chat_id for s in messenger.sent] == [201]
    [checkin] = await checkins_of(sessions, user_id)
    assert checkin.local_date == date(2025, 1, 15)  # the day it was meant for, not "today"
    [schedule] = await schedules_of(sessions, user_id)
    assert schedule.next_due_at == utc(2025, 1, 16, 22, 0)


async def test_prompt_missed_beyond_grace_is_skipped_without_a_burst(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    user_id = await add_user(sessions, clock.now(), 202)
    # 08:00 Berlin (07:00 UTC) missed by 5 h; the 20:00 slot is not due yet.
    for minutes in range(0, 60, 10):
        await sweep_at(sweeper, clock, utc(2025, 1, 15, 12, minutes))
    assert messenger.sent == []
    morning, evening = await schedules_of(sessions, user_id)
    assert morning.next_due_at == utc(2025, 1, 16, 7, 0)
    assert evening.next_due_at == utc(2025, 1, 15, 19, 0)

    await sweep_at(sweeper, clock, utc(2025, 1, 15, 19, 0))
    await sweep_at(sweeper, clock, utc(2025, 1, 16, 7, 0))
    assert [s.at for s in messenger.sent] == [utc(2025, 1, 15, 19, 0), utc(2025, 1, 16, 7, 0)]


async def test_three_day_outage_sends_at_most_one_prompt_per_slot(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    user_id = await add_user(sessions, clock.now(), 203)  # due 07:00 and 19:00 UTC from the 15th
    # Back on the 18th at 08:30 UTC: this morning's 08:00 Berlin is within grace, 3 days are not.
    back = utc(2025, 1, 18, 8, 30)
    for step in range(6):  # the sweep keeps running every 30 s after the restart
        await sweep_at(sweeper, clock, back + timedelta(seconds=30 * step))

    assert [s.chat_id for s in messenger.sent] == [203]
    [checkin] = await checkins_of(sessions, user_id)
    assert (checkin.local_date, checkin.slot) == (date(2025, 1, 18), 0)
    morning, evening = await schedules_of(sessions, user_id)
    assert morning.next_due_at == utc(2025, 1, 19, 7, 0)
    assert evening.next_due_at == utc(2025, 1, 18, 19, 0)


# --------------------------------------------------------------------------------------------
# Pause, skip today, blocked
# --------------------------------------------------------------------------------------------


async def test_paused_and_skipping_people_get_nothing_and_resume_on_time(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    now = clock.now()
    paused = await add_user(sessions, now, 301, paused=True)
    until = await add_user(sessions, now, 302, paused=True, paused_until=utc(2025, 1, 17, 0, 0))
    await add_user(sessions, now, 303, skip_date=date(2025, 1, 15))
    await add_user(sessions, now, 304)

    days = [date(2025, 1, 15) + timedelta(days=n) for n in range(3)]
    for day in days:
        for hour in (7, 19):
            await sweep_at(sweeper, clock, datetime.combine(day, time(hour), tzinfo=UTC))
        for schedule in await schedules_of(sessions, paused):
            # Still moving on: resuming later must not bring back a backlog.
            assert schedule.next_due_at is not None
            assert schedule.next_due_at > clock.now()

    def dates_of(chat_id: int) -> list[date]:
        return [s.at.date() for s in messenger.to(chat_id)]

    assert dates_of(301) == []
    assert dates_of(302) == [date(2025, 1, 17)] * 2  # pause until the 17th ended, both slots
    assert dates_of(303) == [date(2025, 1, 16)] * 2 + [date(2025, 1, 17)] * 2
    assert dates_of(304) == [d for d in days for _ in range(2)]
    assert len(await checkins_of(sessions, until)) == 2

    # /resume on the 18th at noon: next is that evening's prompt, nothing from the backlog.
    async with sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == paused).values(paused=False))
    await sweep_at(sweeper, clock, utc(2025, 1, 18, 12, 0))
    assert dates_of(301) == []
    await sweep_at(sweeper, clock, utc(2025, 1, 18, 19, 0))
    assert [s.at for s in messenger.to(301)] == [utc(2025, 1, 18, 19, 0)]


async def test_someone_changing_a_setting_still_gets_their_checkins(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    # Tapping "change times" in /settings and not typing the new ones yet must not stop the diary.
    await add_user(sessions, clock.now(), 305, onboarding_step="edit_times")
    await add_user(sessions, clock.now(), 306, onboarding_step="edit_timezone")
    await add_user(sessions, clock.now(), 307, onboarding_step="times")  # never finished set-up
    await sweep_at(sweeper, clock, utc(2025, 1, 15, 7, 0))
    assert len(messenger.to(305)) == 1
    assert len(messenger.to(306)) == 1
    assert messenger.to(307) == []


async def test_a_long_fan_out_shows_progress_after_every_batch(
    sessions: Sessions, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    # Readiness probes read progressed_at: a sweep still working through thousands of prompts at
    # Telegram's pace is alive, and must not look stuck until it has sent the very last one.
    sweeper = Sweeper(sessions, messenger, clock, batch=1)
    for chat_id in (401, 402, 403):
        await add_user(sessions, clock.now(), chat_id)
    marks: list[float | None] = []
    send = messenger.send

    async def send_and_note(chat_id: int, *args: object, **kwargs: object) -> int:
        marks.append(sweeper.progressed_at)
        return await send(chat_id, *args, **kwargs)  # type: ignore[arg-type]

    messenger.send = send_and_note  # type: ignore[method-assign]
    await sweep_at(sweeper, clock, utc(2025, 1, 15, 7, 0))
    assert len(marks) == 3
    assert marks[0] is None  # nothing finished before the first batch
    assert marks[1] is not None and marks[2] is not None and marks[2] > marks[1]


async def test_blocked_person_is_made_inactive_and_left_alone(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    gone = await add_user(sessions, clock.now(), 401)
    await add_user(sessions, clock.now(), 402)
    messenger.gone.add(401)

    await sweep_at(sweeper, clock, utc(2025, 1, 15, 7, 0))
    assert [s.chat_id for s in messenger.sent] == [402]
    async with sessions() as session:
        user = await session.get(User, gone)
        assert user is not None and user.active is False
    assert [s.next_due_at for s in await schedules_of(sessions, gone)] == [None, None]
    assert [s.next_due_at for s in await schedules_of(sessions, gone, RECAP)] == [None]
    [delivery] = await deliveries_of(sessions, gone)
    assert delivery.status == "gone"

    messenger.gone.clear()  # even if sends would work again, the sweep no longer tries
    for instant in (utc(2025, 1, 15, 19, 0), utc(2025, 1, 16, 7, 0), utc(2025, 1, 16, 19, 0)):
        await sweep_at(sweeper, clock, instant)
    assert messenger.to(401) == []
    assert len(messenger.to(402)) == 4


async def test_send_that_never_returns_does_not_resend_or_hold_up_others(
    sessions: Sessions,
    messenger: RecordingMessenger,
    clock: FrozenClock,
    second_process: Sessions,
) -> None:
    """In-process version of the kill -9 test: the claim is committed before the send starts."""
    stuck = await add_user(sessions, clock.now(), 501)
    await add_users(sessions, clock.now(), range(502, 506), BERLIN)
    clock.set(utc(2025, 1, 15, 7, 0))
    hung_messenger = RecordingMessenger(clock)
    hung_messenger.hang = {501}
    # Make sure the first process claims the stuck person's prompt: only theirs is due for it.
    async with sessions() as session, session.begin():
        await session.execute(
            update(Schedule)
            .where(Schedule.user_id == stuck, Schedule.slot == 0)
            .values(next_due_at=utc(2025, 1, 15, 6, 59))
        )
    hung = asyncio.create_task(Sweeper(sessions, hung_messenger, clock, batch=1).run_once())
    await asyncio.wait_for(hung_messenger.hanging.wait(), 10)

    await Sweeper(second_process, messenger, clock).run_once()
    hung.cancel()
    with pytest.raises(asyncio.CancelledError):
        await hung
    await Sweeper(second_process, messenger, clock).run_once()

    assert sorted(s.chat_id for s in messenger.sent) == [502, 503, 504, 505]
    assert hung_messenger.sent == []


# --------------------------------------------------------------------------------------------
# Daylight saving and unusual offsets
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz_name", "saturday"),
    [
        (BERLIN, date(2025, 3, 29)),  # springs forward Sun 30 Mar 02:00 -> 03:00
        (BERLIN, date(2025, 10, 25)),  # falls back Sun 26 Oct 03:00 -> 02:00
        (NEW_YORK, date(2025, 3, 8)),  # springs forward Sun 9 Mar 02:00 -> 03:00
        (NEW_YORK, date(2025, 11, 1)),  # falls back Sun 2 Nov 02:00 -> 01:00
    ],
    ids=["berlin-spring", "berlin-autumn", "new_york-spring", "new_york-autumn"],
)
async def test_one_prompt_per_local_date_and_slot_across_dst(
    sessions: Sessions,
    sweeper: Sweeper,
    messenger: RecordingMessenger,
    clock: FrozenClock,
    tz_name: str,
    saturday: date,
) -> None:
    other_zone = NEW_YORK if tz_name == BERLIN else BERLIN
    zones = [ZoneInfo(tz_name), ZoneInfo(other_zone)]
    sunday, monday = saturday + timedelta(days=1), saturday + timedelta(days=2)

    def utc_of(day: date, wall: time, zone: ZoneInfo) -> datetime:
        return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)

    # Saturday 20:00 to Monday 09:00 local: the transition day and the day after, in full.
    start = utc_of(saturday, time(20, 0), zones[0])
    end = utc_of(monday, time(9, 0), zones[0])
    clock.set(start - timedelta(minutes=1))
    user_id = await add_user(sessions, clock.now(), 601, tz_name, times=[time(2, 30), MORNING])
    # Another zone's person in the same sweep, whose own transition is weeks away.
    other = await add_user(sessions, clock.now(), 602, other_zone, times=[time(2, 30), MORNING])

    instant = start
    while instant <= end:
        await sweep_at(sweeper, clock, instant)
        instant += timedelta(minutes=10)

    checkins = await checkins_of(sessions, user_id)
    keys = Counter((c.local_date, c.slot) for c in checkins)
    assert keys == Counter({(day, slot): 1 for day in (sunday, monday) for slot in (0, 1)})
    # The other person gets exactly the prompts whose wall time fell inside the window.
    walls = (time(2, 30), MORNING)
    expected_other = Counter(
        {
            (day, slot): 1
            for day in (saturday, sunday, monday)
            for slot in (0, 1)
            if start <= utc_of(day, walls[slot], zones[1]) <= end
        }
    )
    assert expected_other
    other_keys = Counter((c.local_date, c.slot) for c in await checkins_of(sessions, other))
    assert other_keys == expected_other

    # Each one arrived in the first sweep at or after its wall time (a gap shifts 02:30 forward
    # to 03:30; a repeated 02:30 / 01:30 fires at its first occurrence, fold=0).
    prompts = [s for s in messenger.to(601) if s.buttons]
    sent_at = {s.message_id: s.at for s in prompts}
    assert len(sent_at) == 4
    # The weekly recap on the transition Sunday came once too, at 18:00 local.
    [weekly] = [s for s in messenger.to(601) if not s.buttons]
    assert weekly.at == utc_of(sunday, time(18, 0), zones[0])
    for checkin in await checkins_of(sessions, user_id):
        expected = utc_of(checkin.local_date, walls[checkin.slot or 0], zones[0])
        arrived = sent_at[checkin.message_id or 0]
        assert expected <= arrived < expected + timedelta(minutes=10), checkin.local_date


@pytest.mark.parametrize(
    ("tz_name", "due", "local_day"),
    [
        ("Asia/Kathmandu", utc(2025, 1, 15, 2, 15), date(2025, 1, 15)),  # UTC+05:45
        ("Pacific/Kiritimati", utc(2025, 1, 14, 18, 0), date(2025, 1, 15)),  # UTC+14
    ],
)
async def test_unusual_offsets_get_the_right_minute_and_date(
    sessions: Sessions,
    sweeper: Sweeper,
    messenger: RecordingMessenger,
    clock: FrozenClock,
    tz_name: str,
    due: datetime,
    local_day: date,
) -> None:
    clock.set(utc(2025, 1, 14, 12, 0))
    user_id = await add_user(sessions, clock.now(), 701, tz_name, times=[MORNING])
    await sweep_at(sweeper, clock, due - timedelta(minutes=1))
    assert messenger.sent == []
    await sweep_at(sweeper, clock, due)
    await sweep_at(sweeper, clock, due + timedelta(minutes=1))
    assert [s.at for s in messenger.sent] == [due]
    [checkin] = await checkins_of(sessions, user_id)
    assert checkin.local_date == local_day
    [schedule] = await schedules_of(sessions, user_id)
    assert schedule.next_due_at == due + timedelta(days=1)


# --------------------------------------------------------------------------------------------
# "Remind me in 1 h"
# --------------------------------------------------------------------------------------------


async def set_remind_at(sessions: Sessions, instant: datetime) -> None:
    async with sessions() as session, session.begin():
        await session.execute(update(Checkin).values(remind_at=instant))


async def test_reminder_resends_the_open_question_once(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    user_id = await add_user(sessions, clock.now(), 801)
    await sweep_at(sweeper, clock, utc(2025, 1, 15, 7, 0))
    [first] = messenger.sent
    await set_remind_at(sessions, utc(2025, 1, 15, 8, 5))  # "remind me in 1 h", tapped at 07:05

    await sweep_at(sweeper, clock, utc(2025, 1, 15, 8, 4, 59))
    assert len(messenger.sent) == 1
    await sweep_at(sweeper, clock, utc(2025, 1, 15, 8, 5))
    for minutes in (6, 10, 30):
        await sweep_at(sweeper, clock, utc(2025, 1, 15, 8, minutes))

    assert len(messenger.sent) == 2
    reminder = messenger.sent[1]
    assert reminder.at == utc(2025, 1, 15, 8, 5)
    [checkin] = await checkins_of(sessions, user_id)
    assert checkin.remind_at is None
    assert checkin.message_id == reminder.message_id
    # Same check-in, same open question as the first prompt.
    assert {(p.checkin_id, p.question) for p in pressed(reminder.buttons)} == {
        (p.checkin_id, p.question) for p in pressed(first.buttons)
    }


async def test_reminder_with_two_racing_processes_is_sent_once(
    sessions: Sessions, second_process: Sessions, clock: FrozenClock
) -> None:
    chats = range(900, 960)
    await add_users(sessions, clock.now(), chats, BERLIN, times=[MORNING])
    a_messenger, b_messenger = RecordingMessenger(clock), RecordingMessenger(clock)
    a = Sweeper(sessions, a_messenger, clock, batch=16)
    b = Sweeper(second_process, b_messenger, clock, batch=16)
    clock.set(utc(2025, 1, 15, 7, 0))
    await asyncio.gather(a.run_once(), b.run_once())
    await set_remind_at(sessions, utc(2025, 1, 15, 8, 0))

    for step in range(8):  # a sweep every 30 s; each one brings back at most a batch
        clock.set(utc(2025, 1, 15, 8, 0) + timedelta(seconds=30 * step))
        await asyncio.gather(a.run_once(), b.run_once())

    reminders = Counter(
        s.chat_id for s in a_messenger.sent + b_messenger.sent if s.at >= utc(2025, 1, 15, 8, 0)
    )
    assert reminders == Counter(dict.fromkeys(chats, 1))
    assert all(c.remind_at is None for c in await checkins_of(sessions))


async def test_reminder_for_a_finished_checkin_is_not_sent(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    await add_user(sessions, clock.now(), 850)
    await sweep_at(sweeper, clock, utc(2025, 1, 15, 7, 0))
    async with sessions() as session, session.begin():
        await session.execute(
            update(Checkin).values(remind_at=utc(2025, 1, 15, 8, 0), status="done", current=None)
        )
    await sweep_at(sweeper, clock, utc(2025, 1, 15, 8, 0))
    assert len(messenger.sent) == 1


async def test_a_prompt_refused_with_429_after_all_retries_is_sent_at_the_next_sweep(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    user_id = await add_user(sessions, clock.now(), 105, times=[MORNING])
    messenger.refuse[105] = 1
    await sweep_at(sweeper, clock, utc(2025, 1, 15, 7, 0))
    assert messenger.to(105) == []
    await sweep_at(sweeper, clock, utc(2025, 1, 15, 7, 1))
    [prompt] = messenger.to(105)
    assert "How is your back pain" in prompt.text
    await sweep_at(sweeper, clock, utc(2025, 1, 15, 7, 2))
    assert len(messenger.to(105)) == 1
    # One delivery row for the day, sent; the refused attempt left no open check-in behind.
    async with sessions() as session:
        statuses = list(await session.scalars(select(Delivery.status)))
        open_checkins = await session.scalars(
            select(Checkin.id).where(Checkin.user_id == user_id, Checkin.status == "open")
        )
        assert statuses == ["sent"]
        assert len(list(open_checkins)) == 1


# --------------------------------------------------------------------------------------------
# The weekly recap
# --------------------------------------------------------------------------------------------

SUNDAY = date(2025, 1, 19)
RECAP_DUE = {BERLIN: utc(2025, 1, 19, 17, 0), NEW_YORK: utc(2025, 1, 19, 23, 0)}  # 18:00 local
PNG = b"\x89PNG\r\n\x1a\n"


def recaps_to(messenger: RecordingMessenger, chat_id: int) -> list[Sent]:
    """Weekly recaps carry no buttons; check-in prompts always do."""
    return [s for s in messenger.to(chat_id) if not s.buttons]


async def recap_schedule_of(sessions: Sessions, user_id: int) -> Schedule:
    [schedule] = await schedules_of(sessions, user_id, RECAP)
    return schedule


async def recap_deliveries(sessions: Sessions, user_id: int) -> list[Delivery]:
    return [d for d in await deliveries_of(sessions, user_id) if d.kind == RECAP]


def a_week_before(day: date, pains: tuple[int, ...] = (5, 3, 6, 4)) -> dict[date, int]:
    return {day - timedelta(days=n): pain for n, pain in enumerate(pains)}


@pytest.mark.parametrize("tz_name", [BERLIN, NEW_YORK])
async def test_weekly_recap_arrives_once_on_sunday_at_18_local_with_its_chart(
    sessions: Sessions,
    sweeper: Sweeper,
    messenger: RecordingMessenger,
    clock: FrozenClock,
    second_process: Sessions,
    tz_name: str,
) -> None:
    user_id = await add_user(sessions, clock.now(), 120, tz_name, times=[MORNING], recap=True)
    await add_logs(sessions, user_id, a_week_before(SUNDAY))
    due = RECAP_DUE[tz_name]

    await sweep_at(sweeper, clock, due - timedelta(minutes=1))
    assert recaps_to(messenger, 120) == [] and messenger.photos == []

    await sweep_at(sweeper, clock, due)
    [recap] = recaps_to(messenger, 120)
    assert recap.at == due
    assert recap.text.startswith("Your week, Mon 13 to Sun 19")
    assert "Days logged this week: 4 of 7" in recap.text
    assert "Back pain averaged 4.5 over 4 days" in recap.text
    assert "/recapday" in recap.text  # how to move or stop it
    [photo] = messenger.photos
    assert (photo.chat_id, photo.at) == (120, due) and photo.png.startswith(PNG)
    assert photo.caption == chart_caption()

    # Later sweeps, and a second process, do not send it again.
    for instant in (due, due + timedelta(seconds=30), due + timedelta(hours=2)):
        await sweep_at(sweeper, clock, instant)
    await sweep_at(Sweeper(second_process, messenger, clock), clock, due + timedelta(minutes=1))
    assert len(recaps_to(messenger, 120)) == 1 and len(messenger.photos) == 1

    [delivery] = await recap_deliveries(sessions, user_id)
    assert (delivery.local_date, delivery.slot, delivery.status) == (SUNDAY, 0, "sent")
    assert delivery.message_id == recap.message_id
    assert (await recap_schedule_of(sessions, user_id)).next_due_at == due + timedelta(days=7)


async def test_two_racing_processes_send_each_weekly_recap_once(
    sessions: Sessions, second_process: Sessions, clock: FrozenClock
) -> None:
    chats = range(3000, 3060)
    await add_users(sessions, clock.now(), chats, BERLIN, times=[MORNING], recap=True)
    a_messenger, b_messenger = RecordingMessenger(clock), RecordingMessenger(clock)
    # Small recap batches (one per sweep): the two processes interleave several claims each.
    # On SQLite both may pick the same batch and one of them then wins none of it, so there are
    # enough sweeps for one process alone to get through everyone.
    a = Sweeper(sessions, a_messenger, clock, recap_batch=7)
    b = Sweeper(second_process, b_messenger, clock, recap_batch=7)
    for step in range(10):
        clock.set(RECAP_DUE[BERLIN] + timedelta(seconds=30 * step))
        await asyncio.gather(a.run_once(), b.run_once())
    sent = Counter(s.chat_id for s in a_messenger.sent + b_messenger.sent if not s.buttons)
    assert sent == Counter(dict.fromkeys(chats, 1))


async def test_weekly_recap_missed_within_grace_covers_the_week_it_was_due_for(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    user_id = await add_user(sessions, clock.now(), 121, times=[MORNING])
    async with sessions() as session, session.begin():
        user = await session.get(User, user_id)
        assert user is not None
        await set_recap_schedule(session, user, 6, time(22, 30), clock.now())
    await add_logs(sessions, user_id, a_week_before(SUNDAY))
    # Sunday 22:30 Berlin is 21:30 UTC; the bot is back on Monday at 00:30 Berlin.
    await sweep_at(sweeper, clock, utc(2025, 1, 19, 23, 30))
    [recap] = recaps_to(messenger, 121)
    assert recap.text.startswith("Your week, Mon 13 to Sun 19")
    [delivery] = await recap_deliveries(sessions, user_id)
    assert delivery.local_date == SUNDAY
    assert (await recap_schedule_of(sessions, user_id)).next_due_at == utc(2025, 1, 26, 21, 30)


async def test_weekly_recap_missed_beyond_grace_is_skipped_until_next_week(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    user_id = await add_user(sessions, clock.now(), 122, times=[MORNING], recap=True)
    late = RECAP_DUE[BERLIN] + timedelta(hours=3, minutes=1)
    for minutes in range(0, 60, 10):
        await sweep_at(sweeper, clock, late + timedelta(minutes=minutes))
    assert recaps_to(messenger, 122) == []
    assert await recap_deliveries(sessions, user_id) == []
    next_week = RECAP_DUE[BERLIN] + timedelta(days=7)
    assert (await recap_schedule_of(sessions, user_id)).next_due_at == next_week
    await sweep_at(sweeper, clock, next_week)
    assert [s.at for s in recaps_to(messenger, 122)] == [next_week]


async def test_paused_people_get_no_weekly_recap_but_skip_today_does_not_stop_it(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    now = clock.now()
    paused = await add_user(sessions, now, 123, times=[MORNING], recap=True, paused=True)
    await add_user(
        sessions, now, 124, times=[MORNING], recap=True, paused=True, paused_until=utc(2025, 1, 19)
    )
    await add_user(sessions, now, 125, times=[MORNING], recap=True, skip_date=SUNDAY)
    await sweep_at(sweeper, clock, RECAP_DUE[BERLIN])
    assert recaps_to(messenger, 123) == []
    assert len(recaps_to(messenger, 124)) == 1  # the pause ended that morning
    assert len(recaps_to(messenger, 125)) == 1  # "skip today" is about check-ins
    # The paused person's recap moved on: resuming later brings no old recap.
    next_week = RECAP_DUE[BERLIN] + timedelta(days=7)
    assert (await recap_schedule_of(sessions, paused)).next_due_at == next_week
    async with sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == paused).values(paused=False))
    await sweep_at(sweeper, clock, RECAP_DUE[BERLIN] + timedelta(hours=1))
    assert recaps_to(messenger, 123) == []
    await sweep_at(sweeper, clock, next_week)
    assert [s.at for s in recaps_to(messenger, 123)] == [next_week]


async def test_a_blocked_person_gets_no_weekly_recap_and_is_made_inactive(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    gone = await add_user(sessions, clock.now(), 126, times=[MORNING], recap=True)
    await add_logs(sessions, gone, a_week_before(SUNDAY))
    messenger.gone.add(126)
    await sweep_at(sweeper, clock, RECAP_DUE[BERLIN])
    assert messenger.to(126) == [] and messenger.photos == []
    async with sessions() as session:
        user = await session.get(User, gone)
        assert user is not None and user.active is False
    assert (await recap_schedule_of(sessions, gone)).next_due_at is None
    [delivery] = await recap_deliveries(sessions, gone)
    assert delivery.status == "gone"


async def test_a_weekly_recap_refused_with_429_comes_at_the_next_sweep_once(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    user_id = await add_user(sessions, clock.now(), 127, times=[MORNING], recap=True)
    await add_logs(sessions, user_id, a_week_before(SUNDAY))
    messenger.refuse[127] = 1
    await sweep_at(sweeper, clock, RECAP_DUE[BERLIN])
    assert recaps_to(messenger, 127) == [] and messenger.photos == []
    # The claim was given back and the schedule put back to this Sunday.
    assert await recap_deliveries(sessions, user_id) == []
    assert (await recap_schedule_of(sessions, user_id)).next_due_at == RECAP_DUE[BERLIN]
    for seconds in (30, 60, 90):
        await sweep_at(sweeper, clock, RECAP_DUE[BERLIN] + timedelta(seconds=seconds))
    [recap] = recaps_to(messenger, 127)
    assert recap.at == RECAP_DUE[BERLIN] + timedelta(seconds=30)
    assert recap.text.startswith("Your week")
    assert len(messenger.photos) == 1
    [delivery] = await recap_deliveries(sessions, user_id)
    assert (delivery.local_date, delivery.status) == (SUNDAY, "sent")


async def test_a_quiet_week_gets_a_short_kind_word_and_no_chart(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    await add_user(sessions, clock.now(), 128, times=[MORNING], recap=True)  # nothing, ever
    earlier = await add_user(sessions, clock.now(), 129, times=[MORNING], recap=True)
    await add_logs(sessions, earlier, a_week_before(SUNDAY - timedelta(days=14)))
    await sweep_at(sweeper, clock, RECAP_DUE[BERLIN])
    words = recap_wording()
    [never] = recaps_to(messenger, 128)
    assert never.text == f"{words.empty}\n\n{words.weekly_footer}"
    [quiet] = recaps_to(messenger, 129)
    assert quiet.text == f"{words.quiet_week}\n\n{words.weekly_footer}"
    assert "Days logged" not in quiet.text
    assert messenger.photos == []


async def test_people_set_up_before_weekly_recaps_get_one_when_a_checkin_is_claimed(
    sessions: Sessions, sweeper: Sweeper, messenger: RecordingMessenger, clock: FrozenClock
) -> None:
    legacy = await add_user(sessions, clock.now(), 130, NEW_YORK, times=[MORNING])
    turned_off = await add_user(sessions, clock.now(), 131, NEW_YORK, times=[MORNING])
    async with sessions() as session, session.begin():
        user = await session.get(User, turned_off)
        assert user is not None
        await set_recap_schedule(session, user, None, time(18, 0), clock.now())
    assert await schedules_of(sessions, legacy, RECAP) == []

    await sweep_at(sweeper, clock, utc(2025, 1, 15, 13, 0))  # 08:00 in New York
    assert len(messenger.to(130)) == len(messenger.to(131)) == 1  # the check-ins
    recap = await recap_schedule_of(sessions, legacy)
    assert (recap.weekday, recap.local_time, recap.slot) == (6, time(18, 0), 0)
    assert recap.next_due_at == RECAP_DUE[NEW_YORK]
    # Someone who turned recaps off keeps them off.
    off = await recap_schedule_of(sessions, turned_off)
    assert (off.weekday, off.next_due_at) == (None, None)

    await sweep_at(sweeper, clock, RECAP_DUE[NEW_YORK])
    assert len(recaps_to(messenger, 130)) == 1
    assert recaps_to(messenger, 131) == []
