"""Daily check-ins through the real Application: scheduled arrival, buttons, what can go wrong."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.knowledge.tips import tips
from bot.store.models import Answer, Checkin, Delivery, Schedule, User
from tests.e2e.conftest import Harness, at

ALEX, SAM = 1001, 2002


async def answers_of(harness: Harness, user_platform_id: int) -> dict[tuple[date, str], object]:
    rows = await harness.query(
        select(Answer.local_date, Answer.question, Answer.value)
        .join(User, User.id == Answer.user_id)
        .where(User.platform_id == user_platform_id)
    )
    return {(day, question): value for day, question, value in rows}


async def test_scheduled_checkin_arrives_at_the_local_minute_and_is_answered_by_buttons(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX, city="Kathmandu", preset="Just once, at 20:00")
    # Kathmandu is UTC+05:45: 20:00 local is 14:15 UTC. The clock starts at 06:00 UTC.
    harness.clock.set(harness.clock.now().replace(hour=14, minute=14))
    await harness.sweep_now()
    assert not any("How is your back" in m.text for m in harness.fake.messages(ALEX))

    harness.clock.advance(timedelta(minutes=1))
    pain = await harness.fake.wait_for_message(ALEX, "How is your back pain")
    assert "Evening check-in" in pain.text or "Check-in" in pain.text
    assert not pain.disable_notification  # the one buzz of the check-in
    before = len(harness.fake.messages(ALEX)) - 1

    # One message, edited in place: the answers so far collapse above the open question.
    digestion = await harness.tap(ALEX, pain, "6", "digestion")
    assert digestion.message_id == pain.message_id
    assert "Back pain: 6/10" in digestion.text
    untouched = digestion.button_labels
    digestion = await harness.tap(ALEX, digestion, "Bloating", "digestion")
    # A tick is a mark on the same button: nothing moves, "None of these" stays.
    assert "✓ Bloating" in digestion.button_labels
    assert [label.removeprefix("✓ ") for label in digestion.button_labels] == untouched
    await harness.tap(ALEX, digestion, "Gas", "digestion")
    bristol = await harness.tap(ALEX, digestion, "Done", "Bristol")
    assert "Back pain: 6/10 · Digestion: Bloating, Gas" in bristol.text
    food = await harness.tap(ALEX, bristol, "4", "eat and drink")
    await harness.tap(ALEX, food, "Greasy", "eat and drink")
    await harness.tap(ALEX, food, "Soda", "eat and drink")
    # Typed words answer the open question: the foods join the ticks and the check-in moves on.
    stress = await harness.say(ALEX, "chips and a cola at the cinema", "stressed")
    assert stress.message_id == pain.message_id
    assert "Greasy / fried, Sugary, Ultra-processed / takeout, Soda" in stress.text
    sleep = await harness.tap(ALEX, stress, "4", "sleep")
    # A new diary asks the weekly warning-sign screen on its first check-in.
    weekly = await harness.tap(ALEX, sleep, "2", "Weekly check")
    summary = await harness.tap(ALEX, weekly, "None of these", "in your diary")
    assert summary.message_id == pain.message_id
    assert "Back pain: 6/10" in summary.text
    assert "Bloating, Gas" in summary.text
    assert "Greasy / fried, Sugary, Ultra-processed / takeout, Soda" in summary.text

    day = date(2026, 1, 12)
    assert await answers_of(harness, ALEX) == {
        (day, "pain"): 6,
        (day, "digestion"): ["bloating", "gas"],
        (day, "bristol"): 4,
        (day, "food"): ["greasy", "sugary", "processed", "soda"],
        (day, "food_note"): "chips and a cola at the cinema",
        (day, "stress"): 4,
        (day, "sleep"): 2,
        (day, "screen"): [],
    }
    # It ends with a tip that fits the day (greasy food, soda, bloating), sent without a
    # sound; because stress was high, the summary offers a breathing break on a button.
    tip_message = await harness.fake.wait_for_message(ALEX, "From the article")
    assert tip_message.disable_notification
    [tip] = [tip for tip in tips().tips if tip.text.split("\n")[0][:40] in tip_message.text]
    assert set(tip.tags) & {"greasy", "soda", "bloating", "gas", "stress_high", "sleep_poor"}
    assert "breathing break" in summary.text
    assert any("breathing" in label for label in summary.button_labels)
    # The check-in and the tip: two messages, one buzz.
    during = harness.fake.messages(ALEX)[before:]
    assert len(during) == 2
    assert [m.message_id for m in during if not m.disable_notification] == [pain.message_id]
    # The sweep keeps going but never sends the same prompt twice.
    await harness.sweep_now()
    assert await harness.count(Delivery) == 1


async def test_stopping_halfway_keeps_what_was_given_and_a_restart_continues(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    digestion = await harness.tap(ALEX, pain, "3", "digestion")
    assert await answers_of(harness, ALEX) == {(date(2026, 1, 12), "pain"): 3}

    await harness.restart()  # a new process: nothing of the conversation is in memory
    bristol = await harness.tap(ALEX, digestion, "None of these", "Bristol")
    assert bristol.message_id == pain.message_id  # the same message, across the restart
    assert "Back pain: 3/10 · Digestion: none" in bristol.text
    await harness.tap(ALEX, bristol, "Skip", "eat and drink")
    stored = await answers_of(harness, ALEX)
    assert stored[(date(2026, 1, 12), "digestion")] == []
    assert stored[(date(2026, 1, 12), "bristol")] is None


async def test_a_redelivered_update_is_handled_once(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    press = harness.fake.user_presses(ALEX, pain.message_id, pain.data_for("7"))
    await harness.fake.wait_for_message(ALEX, "digestion")
    await harness.fake.wait_updates_consumed()
    harness.fake.push_update(press)  # Telegram delivers at least once
    await harness.fake.wait_updates_consumed()
    await harness.say(ALEX, "/help", "what I can do")
    questions = [m for m in harness.fake.messages(ALEX) if "How has your digestion" in m.text]
    assert len(questions) == 1
    assert await harness.count(Answer) == 1


async def test_pressing_twice_records_once_and_an_old_button_records_for_its_own_day(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    data = pain.data_for("5")
    assert await harness.press(ALEX, pain.message_id, data) is None
    await harness.fake.wait_for_message(ALEX, "digestion")
    # A stale double tap on the same button.
    assert await harness.press(ALEX, pain.message_id, data) == "Already recorded ✓"
    assert await harness.count(Answer) == 1

    # The next day, yesterday's digestion question is still on screen and gets tapped.
    digestion = harness.fake.last_message(ALEX)
    assert digestion is not None
    harness.clock.advance(at(24))
    await harness.tap(ALEX, digestion, "Cramps", "digestion")
    stored = await answers_of(harness, ALEX)
    assert stored[(date(2026, 1, 12), "digestion")] == ["cramps"]
    assert not any(day == date(2026, 1, 13) for day, _ in stored)


async def test_someone_elses_button_changes_nothing(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.onboard(SAM)
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    # Sam's client forges Alex's button data onto a message in Sam's own chat.
    sams_message = harness.fake.last_message(SAM)
    assert sams_message is not None
    notice = await harness.press(SAM, sams_message.message_id, pain.data_for("9"))
    assert notice is not None and "someone else" in notice
    assert await harness.count(Answer) == 0
    # Garbage and outdated button data get a friendly notice too, never an error.
    for forged in ("c:999999:pain:3", "v0|legacy", "c:1:pain:99", "tz:Mars/Olympus"):
        notice = await harness.press(ALEX, pain.message_id, forged)
        assert notice is not None
    assert await harness.count(Answer) == 0


async def test_a_person_who_blocked_the_bot_is_not_written_to_until_they_return(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX, preset="Just once, at 08:00")
    harness.fake.block_chat(ALEX)
    harness.clock.set(harness.clock.now().replace(hour=7, minute=0))  # 08:00 in Berlin
    await harness.fake.wait_for(lambda: harness.fake.calls_to("sendMessage")[-1].error_code == 403)
    await harness.fake.wait_for(
        lambda: harness.count(User, User.platform_id == ALEX, User.active.is_(False))
    )
    (due,) = (await harness.query(select(Schedule.next_due_at)))[0]
    assert due is None
    sends = len(harness.fake.calls_to("sendMessage"))
    harness.clock.advance(at(24))
    await harness.sweep_now()
    assert len(harness.fake.calls_to("sendMessage")) == sends

    harness.fake.unblock_chat(ALEX)
    await harness.say(ALEX, "/settings", "Your settings")
    assert await harness.count(User, User.active.is_(True)) == 1
    (due,) = (await harness.query(select(Schedule.next_due_at)))[0]
    assert due is not None


async def test_a_429_is_waited_out_and_the_prompt_still_arrives_once(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX, preset="Just once, at 08:00")
    harness.fake.fail_next("sendMessage", error_code=429, retry_after=1)
    harness.clock.set(harness.clock.now().replace(hour=7, minute=0))
    await harness.fake.wait_for_message(ALEX, "How is your back pain", timeout=8)
    failed = [c for c in harness.fake.calls_to("sendMessage") if c.error_code == 429]
    assert len(failed) == 1
    prompts = [m for m in harness.fake.messages(ALEX) if "How is your back pain" in m.text]
    assert len(prompts) == 1


async def test_pause_resume_later_and_skip_today(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.say(ALEX, "/pause 3", "start again on Thursday 15 January")
    harness.clock.set(harness.clock.now().replace(hour=7, minute=1))
    await harness.sweep_now()
    assert not any("How is your back" in m.text for m in harness.fake.messages(ALEX))
    await harness.say(ALEX, "/resume", "Welcome back")

    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    await harness.tap(ALEX, pain, "Remind me in 1 h", "about an hour")
    harness.clock.advance(at(1) + timedelta(minutes=1))
    again = await harness.fake.wait_for_message(ALEX, "bring back")
    await harness.tap(ALEX, again, "Skip today", "no more check-ins today")
    harness.clock.set(harness.clock.now().replace(hour=19, minute=0))  # 20:00 Berlin
    await harness.sweep_now()
    assert not any("Evening check-in" in m.text for m in harness.fake.messages(ALEX))
    # The morning prompt was skipped by the pause; the 20:00 one by "skip today".
    assert await harness.count(Delivery) == 0


async def test_odd_input_gets_a_friendly_answer(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    harness.fake.user_sends_sticker(ALEX)
    await harness.fake.wait_for_message(ALEX, "only read text")
    harness.fake.user_sends_voice(ALEX)
    await harness.fake.wait_for_message(ALEX, "only read text")
    await harness.say(ALEX, "x" * 5000, "very long")
    await harness.say(ALEX, "/frobnicate", "don't know that command")
    harness.fake.user_sends_in_group(ALEX, -500, "/checkin")
    reply = await harness.fake.wait_for_message(-500, "private chat")
    assert reply.chat_id == -500
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    await harness.say(ALEX, "42", "goes from 0 to 10")
    await harness.say(ALEX, "6", "digestion")
    assert pain.message_id in [m.message_id for m in harness.fake.messages(ALEX)]
    assert (await answers_of(harness, ALEX))[(date(2026, 1, 12), "pain")] == 6


async def test_a_scheduled_checkin_is_one_message_that_buzzes_once_across_a_restart(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX, preset="Just once, at 20:00")
    before = len(harness.fake.messages(ALEX))
    harness.clock.set(harness.clock.now().replace(hour=19, minute=0))  # 20:00 in Berlin
    message = await harness.fake.wait_for_message(ALEX, "How is your back pain")
    shown = await harness.tap(ALEX, message, "2", "digestion")
    shown = await harness.tap(ALEX, shown, "None of these", "Bristol")

    await harness.restart()  # another process: the check-in and its message id are in the rows
    shown = await harness.tap(ALEX, shown, "5", "eat and drink")
    assert "Back pain: 2/10 · Digestion: none · Stool type: type 5" in shown.text
    shown = await harness.tap(ALEX, shown, "Fermented", "eat and drink")
    shown = await harness.tap(ALEX, shown, "Done", "stressed")
    shown = await harness.tap(ALEX, shown, "2", "sleep")
    shown = await harness.tap(ALEX, shown, "4", "Weekly check")
    summary = await harness.tap(ALEX, shown, "None of these", "in your diary")
    assert summary.message_id == message.message_id
    assert summary.button_labels == []  # a calm day: no breathing offer

    # A chat's updates are handled in order: once /help is answered, the check-in's are out.
    await harness.say(ALEX, "/help", "what I can do")
    during = harness.fake.messages(ALEX)[before:-1]
    assert during[0].message_id == message.message_id
    assert len(during) <= 2  # the check-in, and at most a tip
    assert [m for m in during if not m.disable_notification] == [during[0]]
    (stored,) = (await harness.query(select(Checkin.message_id)))[0]
    assert stored == message.message_id
