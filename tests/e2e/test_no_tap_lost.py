"""No tap or word lost, through the real Application: ticks kept by Skip, typed answers in a
check-in, one rule when a check-in and a typed line disagree, a line split by the days it names."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from sqlalchemy import select

from bot.store.models import Answer, LogEntry
from tests.e2e.conftest import Harness

ALEX = 1001
MONDAY, SUNDAY = date(2026, 1, 12), date(2026, 1, 11)


async def answers(harness: Harness) -> dict[str, object]:
    return dict(await harness.query(select(Answer.question, Answer.value)))


async def test_skip_after_ticks_keeps_them_and_the_buttons_never_move(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    digestion = await harness.tap(ALEX, pain, "5", "digestion")
    layout = [[label for label, _ in row] for row in digestion.buttons]
    assert "None of these" in digestion.button_labels
    digestion = await harness.tap(ALEX, digestion, "Cramps", "digestion")
    digestion = await harness.tap(ALEX, digestion, "Nausea", "digestion")
    ticked = [[label.removeprefix("✓ ") for label, _ in row] for row in digestion.buttons]
    assert ticked == layout  # same buttons, same places; "None of these" still there
    assert {"✓ Cramps", "✓ Nausea"} <= set(digestion.button_labels)
    notice = await harness.press(ALEX, digestion.message_id, digestion.data_for("Skip"))
    assert notice == "Kept what you ticked ✓"
    assert (await answers(harness))["digestion"] == ["cramps", "nausea"]
    assert "Digestion: Cramps, Nausea" in (harness.fake.last_message(ALEX) or digestion).text


async def test_typed_words_answer_the_open_question_and_the_checkin_moves_on(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    shown = await harness.say(ALEX, "back is 4", "digestion")
    # 07:00 in Berlin: the morning asks about the time since yesterday evening, not "today".
    assert "How has your digestion been since yesterday evening?" in shown.text
    shown = await harness.say(ALEX, "bloated and gassy", "Bristol")
    assert shown.message_id == pain.message_id  # the same message moved on
    shown = await harness.tap(ALEX, shown, "3", "eat and drink")
    shown = await harness.tap(ALEX, shown, "Fermented", "eat and drink")
    shown = await harness.say(ALEX, "toast with jam and a latte", "stressed")
    assert "Food and drink: Sugary, Gluten-heavy, Fermented" in shown.text
    assert 'Your note: "toast with jam and a latte"' in shown.text
    shown = await harness.say(ALEX, "a bit", "sleep")
    await harness.say(ALEX, "badly", "Weekly check")
    assert await answers(harness) == {
        "pain": 4,
        "digestion": ["bloating", "gas"],
        "bristol": 3,
        "food": ["sugary", "gluten", "fermented"],
        "food_note": "toast with jam and a latte",
        "stress": 3,
        "sleep": 2,
    }
    assert await harness.count(LogEntry) == 0  # answers, not separate diary lines


async def test_the_latest_of_a_checkin_and_a_typed_line_counts_everywhere(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX, preset="Just once, at 20:00")
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    await harness.tap(ALEX, pain, "6", "digestion")
    harness.clock.advance(timedelta(hours=2))
    # Later the same day, with the check-in still at digestion: a diary line, and it counts.
    await harness.say(ALEX, "pain 3", "Back pain: 3/10")

    await harness.say(ALEX, "/export", "copy of everything")
    diary = await harness.fake.wait_for_message(ALEX, "one row per day")
    everything = await harness.fake.wait_for_message(ALEX, "in full")
    assert diary.file_bytes is not None and everything.file_bytes is not None
    [day] = list(csv.DictReader(io.StringIO(diary.file_bytes.decode("utf-8"), newline="")))
    assert day["pain"] == "3"
    [counted] = json.loads(everything.file_bytes.decode("utf-8"))["diary_days"]
    assert counted["date"] == "2026-01-12" and counted["pain"] == 3
    recap = await harness.say(ALEX, "/recap", "pain")
    assert "3" in recap.text and "6/10" not in recap.text
    more = await harness.say(ALEX, "/about", "More")
    full = await harness.tap(ALEX, more, "More", "the one you gave last counts")
    assert "recap, chart, report and export" in full.text


async def test_a_line_naming_two_days_is_split_between_them(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    reply = await harness.say(ALEX, "had pizza last night ... back is 7 today", "Noted for")
    assert "Sun 11 Jan" in reply.text and "Mon 12 Jan" in reply.text
    rows = await harness.query(
        select(LogEntry.local_date, LogEntry.food_groups, LogEntry.pain).order_by(LogEntry.id)
    )
    assert [(day, pain) for day, _, pain in rows] == [(SUNDAY, None), (MONDAY, 7)]
    assert "processed" in rows[0][1] and rows[1][1] == []
    # One Undo takes back the whole line.
    await harness.tap(ALEX, reply, "Undo", "Removed")
    assert await harness.count(LogEntry) == 0


async def test_a_typed_line_answers_every_question_of_the_checkin_it_names(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    # At the pain question: the bloating is kept too, and digestion is not asked again.
    shown = await harness.say(ALEX, "pain 3, bloated", "Bristol")
    assert shown.message_id == pain.message_id
    assert "Back pain: 3/10" in shown.text and "Digestion: Bloating" in shown.text
    assert await answers(harness) == {"pain": 3, "digestion": ["bloating"]}
    # At the stool question: the food, the sleep and the stress of the same line, and the line
    # kept as the day's food note; the check-in passes the questions it answered.
    shown = await harness.say(
        ALEX, "type 4 stool, had pizza for lunch, slept badly and very stressed", "Weekly check"
    )
    assert await answers(harness) == {
        "pain": 3,
        "digestion": ["bloating"],
        "bristol": 4,
        "food": ["greasy", "processed", "gluten"],
        "food_note": "type 4 stool, had pizza for lunch, slept badly and very stressed",
        "stress": 5,
        "sleep": 2,
    }


async def test_a_line_answering_a_later_question_keeps_the_open_one_open(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    shown = await harness.say(ALEX, "slept badly", "Sleep: ")
    assert shown.message_id == pain.message_id
    assert "How is your back pain" in shown.text  # still the open question
    assert await answers(harness) == {"sleep": 2}
    assert await harness.count(LogEntry) == 0
    shown = await harness.tap(ALEX, shown, "5", "digestion")
    shown = await harness.say(ALEX, "bloated", "Bristol")
    shown = await harness.tap(ALEX, shown, "3", "eat and drink")
    shown = await harness.say(ALEX, "toast", "stressed")
    # After stress comes the weekly check: sleep, answered at the start, is not asked again.
    shown = await harness.say(ALEX, "a bit", "Weekly check")
    assert "How did you sleep" not in shown.text
    assert (await answers(harness))["sleep"] == 2


async def test_a_line_about_yesterday_answers_only_the_open_question(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.say(ALEX, "/checkin", "How is your back pain")
    await harness.say(ALEX, "back is 4, had pizza last night", "digestion")
    stored = await answers(harness)
    assert stored["pain"] == 4 and "food" not in stored


async def test_what_a_line_says_beyond_the_checkins_questions_is_kept_in_the_diary(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.onboard(ALEX)  # Berlin, 08:00 and 20:00: the morning asks pain and sleep only
    harness.clock.set(harness.clock.now().replace(hour=7, minute=0))  # 08:00 in Berlin
    pain = await harness.fake.wait_for_message(ALEX, "How is your back pain")
    shown = await harness.say(ALEX, "back 4, bloated, porridge with honey for breakfast", "sleep")
    assert shown.message_id == pain.message_id and "Back pain: 4/10" in shown.text
    assert await answers(harness) == {"pain": 4}
    # The bloating and the breakfast have no question this morning: kept as the day's entry,
    # confirmed with an Undo, instead of dropped.
    noted = await harness.fake.wait_for_message(ALEX, "Noted for Mon 12 Jan")
    assert "Bloating" in noted.text and "Undo" in noted.button_labels
    [(symptoms, foods, day)] = await harness.query(
        select(LogEntry.symptoms, LogEntry.food_groups, LogEntry.local_date)
    )
    assert (symptoms, sorted(foods), day) == (["bloating"], ["prebiotic", "sugary"], MONDAY)
    # The check-in goes on as before.
    await harness.tap(ALEX, shown, "4", "")
    assert (await answers(harness))["sleep"] == 4
