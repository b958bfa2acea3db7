"""The weekly recap: its numbers, the forgiving streak, the message, and the pain chart."""

from __future__ import annotations

import random
import struct
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.diary.view import DiaryDay, diary_days
from bot.insights import recap as recap_module
from bot.insights.breathing_outcomes import breathing_week
from bot.insights.recap import compute_recap, format_recap, recap_message, recap_numbers, streak
from bot.insights.warning_signs import warning_signs
from bot.knowledge.swaps import swap_by_id, swaps
from bot.store.db import Sessions
from bot.store.models import LogEntry, SafetyEvent
from tests import support
from tests.support import add_person, at

TODAY = date(2026, 2, 15)  # a Sunday
NOW = datetime(2026, 2, 15, 20, 0, tzinfo=UTC)  # 21:00 in Berlin
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def day(pain: int | None = None, symptoms=(), foods=(), **answers: Any) -> DiaryDay:
    entry = DiaryDay(symptoms=set(symptoms), foods=set(foods))
    if pain is not None:
        entry.answered["pain"] = pain
    entry.answered.update(answers)
    return entry


# --- numbers from a diary ---------------------------------------------------------------------


def test_week_averages_best_worst_and_change() -> None:
    this_week = {ago(0): 4, ago(2): 2, ago(3): 6, ago(6): 4}
    last_week = {ago(7): 6, ago(9): 8, ago(13): 7}
    days = {d: day(p, stress=3 if d == ago(0) else 4) for d, p in (this_week | last_week).items()}
    days[ago(1)] = day(symptoms=["gas", "bloating"], foods=["sugary"], sleep=2)
    days[ago(4)] = day(symptoms=["gas"], sleep=4)
    days[ago(20)] = day(9)  # older than both weeks: only in the links and the streak
    recap = compute_recap(days, (), TODAY)
    assert (recap.start, recap.end) == (ago(6), TODAY)
    assert recap.days_logged == 6
    assert recap.pain_days == 4
    assert recap.pain_average == sum(this_week.values()) / 4
    assert recap.previous_average == sum(last_week.values()) / 3
    assert recap.change == recap.pain_average - recap.previous_average < 0
    assert recap.best_day == (ago(2), 2.0)
    assert recap.worst_day == (ago(3), 6.0)
    assert recap.symptom_days == (("gas", 2), ("bloating", 1))
    assert recap.food_days == (("sugary", 1),)
    assert recap.stress_average == (3 + 4 + 4 + 4) / 4
    assert recap.sleep_average == 3.0
    text = format_recap(recap)
    assert "Days logged this week: 6 of 7" in text
    assert f"{recap.pain_average:.1f}" in text
    assert f"{abs(recap.change):.1f} lower than the week before" in text
    assert "Gas 2d" in text and "Bloating 1d" in text


def test_easiest_and_toughest_day_only_when_they_differ() -> None:
    assert "Easiest day" in format_recap(compute_recap({ago(0): day(5), ago(1): day(3)}, (), TODAY))
    same = format_recap(compute_recap({ago(0): day(7), ago(1): day(7)}, (), TODAY))
    assert "Easiest day" not in same and "toughest" not in same


def test_stool_types_are_summarised_with_no_bowel_movement_kept_apart() -> None:
    days = {
        ago(0): day(4, bristol=4),
        ago(1): day(5, bristol=4),
        ago(2): day(3, bristol=6),
        ago(3): day(4, bristol=0),  # no bowel movement: not a type on the scale
        ago(9): day(4, bristol=1),  # last week: not in this week's line
    }
    recap = compute_recap(days, (), TODAY)
    assert recap.stool_types == ((4, 2), (6, 1))
    assert recap.no_bowel_movement_days == 1
    [line] = [line for line in format_recap(recap).splitlines() if line.startswith("Stool type")]
    assert "type 4 2d" in line and "type 6 1d" in line and "no bowel movement 1d" in line
    assert "type 1" not in line and "type 0" not in line
    # A week without stool answers says nothing about stool.
    assert "Stool type" not in format_recap(compute_recap({ago(0): day(4)}, (), TODAY))


def test_no_previous_week_means_no_change() -> None:
    recap = compute_recap({ago(0): day(5), ago(1): day(3)}, (), TODAY)
    assert recap.change is None
    assert "week before" not in format_recap(recap)


def test_streak_forgives_one_missed_day_but_not_two() -> None:
    assert streak({ago(0), ago(1), ago(2)}, TODAY) == 3
    assert streak({ago(0), ago(2), ago(3), ago(5)}, TODAY) == 4  # single gaps
    assert streak({ago(0), ago(1), ago(4), ago(5)}, TODAY) == 2  # two missed days end it
    assert streak({ago(1), ago(2)}, TODAY) == 2  # today is not over yet
    assert streak({ago(2), ago(3)}, TODAY) == 2  # only yesterday missed; today is still open
    assert streak({ago(3), ago(4)}, TODAY) == 0  # two whole days missed
    assert streak(set(), TODAY) == 0


def noisy_diary(seed: int, length: int, effects: dict[str, float]) -> dict[date, DiaryDay]:
    """Pain with day-to-day carry-over, foods at random, ``effects`` planted the same day."""
    rng = random.Random(seed)
    noise, days = 0.0, {}
    for n in range(length):
        noise = 0.6 * noise + rng.gauss(0, 1.0)
        foods = [g for g in ("greasy", "fermented", "gluten") if rng.random() < 0.4]
        pain = 5 + noise + sum(effects.get(g, 0.0) for g in foods)
        days[ago(n)] = day(round(min(10, max(0, pain))), foods=foods)
    return days


def test_focus_is_the_swap_for_an_offender_link_the_engine_shows() -> None:
    recap = compute_recap(noisy_diary(3, 42, {"greasy": 3.0, "fermented": -2.0}), (), TODAY)
    shown = {(k.item, k.lag) for k in recap.links}
    assert ("greasy", 0) in shown and ("fermented", 0) in shown
    assert recap.focus is not None and recap.focus.kind == "swap"
    assert recap.focus.swap_id == swaps().group_answers["greasy"]
    swap = swap_by_id(recap.focus.swap_id)
    assert swap is not None
    text = format_recap(recap)
    assert swap.to[0].name in text
    assert "not proof" in text and "Worth trying as an experiment" in text


def test_a_gut_friendly_link_alone_is_no_reason_for_a_swap() -> None:
    days = noisy_diary(4, 42, {"fermented": -3.0})
    days[TODAY] = day(4, symptoms=["bloating"])
    recap = compute_recap(days, (), TODAY)
    assert [(k.item, k.lag) for k in recap.links][:1] == [("fermented", 0)]
    assert recap.focus is not None and recap.focus.kind == "symptom"


def test_a_noise_diary_says_no_clear_pattern_yet() -> None:
    recap = compute_recap(noisy_diary(5, 42, {}), (), TODAY)
    assert recap.links == ()
    text = format_recap(recap)
    assert "no clear pattern yet" in text and "Ideas worth testing" not in text


def test_without_a_link_the_focus_is_the_most_frequent_symptom() -> None:
    days = {ago(0): day(4, symptoms=["bloating", "gas"]), ago(1): day(4, symptoms=["bloating"])}
    recap = compute_recap(days, (), TODAY)
    assert recap.links == ()
    assert recap.focus is not None
    assert (recap.focus.kind, recap.focus.item) == ("symptom", "bloating")
    text = format_recap(recap)
    assert "bloating" in text
    assert "12 more days with a back pain score" in text  # 2 of the 14 it needs


def test_someone_with_no_data_gets_a_kind_start() -> None:
    recap = compute_recap({}, (), TODAY)
    assert recap.is_empty and recap.focus is None and recap.streak == 0
    text = format_recap(recap)
    assert text == recap_module.recap_wording().empty
    assert "/checkin" in text


# --- from the database ------------------------------------------------------------------------


async def add_checkin(sessions: Sessions, user_id: int, when: date, values: dict[str, Any]) -> None:
    async with sessions() as session, session.begin():
        await support.add_checkin(session, user_id, when, values, at(when, 19))


async def test_recap_numbers_from_the_database(sessions: Sessions) -> None:
    user = await add_person(sessions, 1)
    await add_checkin(sessions, user.id, ago(0), {"pain": 3, "digestion": ["reflux"], "stress": 2})
    await add_checkin(sessions, user.id, ago(8), {"pain": 7})
    async with sessions() as session, session.begin():
        session.add_all(
            [
                LogEntry(
                    user_id=user.id,
                    local_date=ago(1),
                    text="chips, back 5",
                    food_groups=["greasy"],
                    symptoms=[],
                    pain=5,
                    created_at=at(ago(1), 12),
                ),
                # 23:30 UTC seven days ago is already inside this week in Berlin.
                SafetyEvent(
                    user_id=user.id,
                    flag_id="gi_black_stool",
                    tier="T2",
                    source="text",
                    created_at=at(ago(7), 23, 30),
                ),
                # Two weeks ago: not this week's.
                SafetyEvent(
                    user_id=user.id,
                    flag_id="gi_jaundice",
                    tier="T2",
                    source="text",
                    created_at=at(ago(14), 10),
                ),
            ]
        )
    async with sessions() as session:
        recap = await recap_numbers(session, user, TODAY)
    assert recap.days_logged == 2
    assert recap.pain_average == 4.0
    assert recap.previous_average == 7.0
    assert recap.change == -3.0
    assert recap.symptom_days == (("reflux", 1),)
    assert recap.food_days == (("greasy", 1),)
    assert [(s.on, s.flag_id) for s in recap.safety] == [(ago(6), "gi_black_stool")]
    assert recap.streak == 2
    text = format_recap(recap)
    assert "3.0 lower than the week before" in text
    # Discreet: the kind of advice, never which sign (a recap's preview shows on a lock screen).
    assert "a warning sign (advice to be seen that day)" in text
    assert "black" not in text.lower() and "gi_" not in text and "T2" not in text


async def _busy_diary(sessions: Sessions, user_id: int, seed: int) -> None:
    """Eight weeks of check-ins (breathing, medicines, stool, notes) and diary lines, with
    warning signs at instants either side of the week's edges; pain higher on greasy days."""
    rng = random.Random(seed)
    for offset in range(55, -1, -1):
        when = ago(offset)
        greasy = rng.random() < 0.4
        values: dict[str, Any] = {
            "pain": min(10, 3 + 3 * greasy + rng.randint(0, 2)),
            "digestion": rng.sample(["gas", "bloating", "reflux"], rng.randint(0, 2)),
            "food": ["greasy"] * greasy + ["sugary"] * (rng.random() < 0.3),
            "bristol": rng.choice([0, 3, 4, 6]),
            "stress": rng.randint(1, 5),
            "medicines": ["painkillers"] if rng.random() < 0.2 else [],
            "food_note": "toast",
        }
        if offset == 6 or rng.random() < 0.3:  # a break on the week's first day, stress before it
            values["breathing"] = rng.choice(["helped", "a_little", "not_helped", "dizzy"])
        if offset in (6, 7) or rng.random() < 0.8:
            await add_checkin(sessions, user_id, when, values)
        async with sessions() as session, session.begin():
            if rng.random() < 0.4:
                session.add(
                    LogEntry(
                        user_id=user_id,
                        local_date=when,
                        text="a line",
                        food_groups=["greasy"] if greasy else [],
                        symptoms=[],
                        pain=rng.choice([None, 2, 8]),
                        stress=rng.choice([None, 4]),
                        created_at=at(when, rng.choice([8, 21])),
                    )
                )
            if offset <= 9 and rng.random() < 0.5:
                session.add(
                    SafetyEvent(
                        user_id=user_id,
                        flag_id=rng.choice(["gi_black_stool", "msk_numb_saddle"]),
                        tier=rng.choice(["T0", "T2", "T3"]),
                        source=rng.choice(["text", "pain"]),
                        created_at=at(when, rng.choice([0, 12, 23]), 30),
                    )
                )


async def test_the_recap_reads_in_one_round_trip_what_the_separate_readers_read(
    sessions: Sessions,
) -> None:
    """The recap reads the diary, the week's warning signs and the breathing answers in one
    statement; it must say exactly what the diary view, :func:`warning_signs` and
    :func:`breathing_week` say read one by one, and nothing of another person's."""
    for platform_id, timezone in ((11, "Pacific/Auckland"), (12, "America/Los_Angeles")):
        user = await add_person(sessions, platform_id, timezone)
        await _busy_diary(sessions, user.id, seed=platform_id)
        neighbour = await add_person(sessions, platform_id + 100, timezone)
        await _busy_diary(sessions, neighbour.id, seed=platform_id + 100)
        start = TODAY - timedelta(days=6)
        async with sessions() as session:
            recap = await recap_numbers(session, user, TODAY)
            days = await diary_days(session, user.id, end=TODAY, notes=False)
            signs = await warning_signs(session, user.id, ZoneInfo(timezone), start, TODAY)
            breathing = await breathing_week(session, user.id, start, TODAY)
        expected = compute_recap(days, signs, TODAY, breathing)
        assert recap.safety and recap.breathing is not None and recap.links  # all three at work
        assert recap == expected
        assert format_recap(recap) == format_recap(expected)


async def test_recap_message_with_no_data(sessions: Sessions) -> None:
    user = await add_person(sessions, 2)
    async with sessions() as session:
        text, chart = await recap_message(session, user, NOW)
    assert text == recap_module.recap_wording().empty
    assert chart is None


async def test_recap_message_draws_a_png_chart_with_two_pain_days(sessions: Sessions) -> None:
    user = await add_person(sessions, 3)
    await add_checkin(sessions, user.id, ago(20), {"pain": 6, "food": ["alcohol"]})
    async with sessions() as session:
        _, chart = await recap_message(session, user, NOW)
    assert chart is None  # one day with pain is not a line yet
    await add_checkin(sessions, user.id, ago(2), {"pain": 4, "digestion": ["gas"]})
    async with sessions() as session:
        text, chart = await recap_message(session, user, NOW)
    assert "Days logged this week: 1 of 7" in text
    assert chart is not None and chart.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", chart[16:24])  # the IHDR chunk
    assert (width, height) == (1000, 600)
    assert 10_000 < len(chart) < 300_000


async def test_the_diary_view_merges_answers_and_lines_and_can_leave_notes_out(
    sessions: Sessions,
) -> None:
    """The one-round-trip diary read keeps its rules: the latest of a check-in answer and a
    line's value wins, symptoms and foods add up, and notes come only when asked for."""
    user = await add_person(sessions, 4)
    await add_checkin(
        sessions,
        user.id,
        ago(1),
        {"pain": 4, "digestion": ["gas"], "food_note": "toast", "screen": ["none"]},
    )
    async with sessions() as session, session.begin():
        session.add_all(
            LogEntry(
                user_id=user.id,
                local_date=when,
                text=text,
                food_groups=foods,
                symptoms=symptoms,
                pain=pain,
                stress=stress,
                created_at=at(when, hour),
            )
            for when, hour, text, foods, symptoms, pain, stress in (
                (ago(1), 21, "chips, back 7", ["greasy"], ["bloating"], 7, None),
                (ago(2), 9, "back 6", [], [], 6, None),
                (ago(2), 20, "back 3, stressed", [], [], 3, 4),
                (ago(9), 20, "older", [], [], 8, None),
            )
        )
    async with sessions() as session:
        days = await diary_days(session, user.id, start=ago(7), end=TODAY)
        lean = await diary_days(session, user.id, start=ago(7), end=TODAY, notes=False)
    assert set(days) == set(lean) == {ago(1), ago(2)}
    assert days[ago(1)].value("pain") == 7  # the line at 21:00, after the check-in's 4 at 19:00
    assert days[ago(1)].symptoms == {"gas", "bloating"}
    assert days[ago(1)].foods == {"greasy"}
    assert [text for _, text in days[ago(1)].notes] == ["toast", "chips, back 7"]
    assert (days[ago(2)].value("pain"), days[ago(2)].value("stress")) == (3, 4)  # the latest
    assert [text for _, text in days[ago(2)].notes] == ["back 6", "back 3, stressed"]
    for when in days:
        assert lean[when].notes == []
        assert (lean[when].answered, lean[when].logged) == (days[when].answered, days[when].logged)
        assert (lean[when].symptoms, lean[when].foods) == (days[when].symptoms, days[when].foods)


def test_the_chart_starts_at_the_first_entry_and_names_its_markers() -> None:
    days = {
        ago(4): day(6, symptoms=["bloating"], foods=["greasy", "soda"]),
        ago(3): day(4, symptoms=["bloating", "gas"], foods=["greasy"]),
        ago(1): day(2, symptoms=["reflux"], foods=["fermented"]),
        ago(0): day(4),
    }
    data = recap_module.chart_data(days, TODAY)
    assert (data.start, data.end) == (ago(4), TODAY)  # five days drawn, not an empty month
    assert len(data.pain) == 5 and data.pain_days == 4
    assert data.average == 4.0
    # The most frequent symptom and offender groups, each by name (fermented is not an offender).
    assert data.symptom_rows[0] == ("bloating", (ago(4), ago(3)))
    assert [item for item, _ in data.symptom_rows] == ["bloating", "gas"]
    assert data.food_rows == (("greasy", (ago(4), ago(3))), ("soda", (ago(4),)))
    png = recap_module.render_chart(data)
    assert png.startswith(PNG_SIGNATURE)
