"""The clinician report: the numbers it is built from, the one-page PDF, and when there is none."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from bot.chat.outbox import Send, SendFile
from bot.diary.view import DiaryDay
from bot.insights import report
from bot.insights.warning_signs import WarningSign, moments, report_words
from bot.store.db import Sessions
from bot.store.models import LogEntry, SafetyEvent, User
from tests.support import BERLIN, add_checkin, add_person, at

NOW = datetime(2026, 1, 25, 20, 0, tzinfo=UTC)  # 21:00 in Berlin
TODAY = date(2026, 1, 25)
#: (local date, pain, symptoms, food groups, stress) answered in an evening check-in.
CHECKINS: list[tuple[date, int, list[str], list[str], int | None]] = [
    (date(2026, 1, 13), 6, ["bloating"], ["processed"], 2),
    (date(2026, 1, 14), 7, [], ["processed", "sugary"], 4),
    (date(2026, 1, 15), 8, [], ["processed"], None),
    (date(2026, 1, 16), 2, ["bloating"], ["prebiotic"], None),
    (date(2026, 1, 17), 3, [], ["prebiotic"], None),
    (date(2026, 1, 18), 2, [], [], None),
    (date(2026, 1, 5), 10, ["cramps"], ["alcohol"], 5),  # before a two-week report starts
]


async def seed_diary(sessions: Sessions, user_id: int) -> None:
    async with sessions() as session, session.begin():
        for day, pain, symptoms, foods, stress in CHECKINS:
            answers = {"pain": pain, "digestion": symptoms, "food": foods, "stress": stress}
            await add_checkin(session, user_id, day, answers, at(day, 19))
        session.add_all(
            [
                # The check-in's 6 is the day's pain; this earlier diary line's 9 is not.
                LogEntry(
                    user_id=user_id,
                    local_date=date(2026, 1, 13),
                    text="back 9",
                    food_groups=[],
                    symptoms=[],
                    pain=9,
                    created_at=at(date(2026, 1, 13), 8),
                ),
                # A day with no check-in: the diary line's pain counts.
                LogEntry(
                    user_id=user_id,
                    local_date=date(2026, 1, 19),
                    text="toast, gassy, back 5",
                    food_groups=["gluten"],
                    symptoms=["gas"],
                    pain=5,
                    created_at=at(date(2026, 1, 19), 12),
                ),
                # 23:30 UTC is already the next day in Berlin.
                SafetyEvent(
                    user_id=user_id,
                    flag_id="gi_black_stool",
                    tier="T2",
                    source="text",
                    created_at=at(date(2026, 1, 14), 23, 30),
                ),
                SafetyEvent(
                    user_id=user_id,
                    flag_id="gi_jaundice",
                    tier="T2",
                    source="text",
                    created_at=at(date(2026, 1, 2), 10),
                ),
            ]
        )


async def test_the_report_data_has_the_diarys_numbers(sessions: Sessions) -> None:
    user_id = (await add_person(sessions, 1)).id
    await seed_diary(sessions, user_id)
    await seed_diary(sessions, (await add_person(sessions, 2)).id)  # someone else's diary stays out
    async with sessions() as session:
        data = await report.gather(session, user_id, BERLIN, TODAY, weeks=2)

    assert (data.start, data.end) == (date(2026, 1, 12), TODAY)
    assert len(data.pain) == 14
    daily = {day: pain for day, pain in data.pain if pain is not None}
    assert daily == {
        date(2026, 1, 13): 6,
        date(2026, 1, 14): 7,
        date(2026, 1, 15): 8,
        date(2026, 1, 16): 2,
        date(2026, 1, 17): 3,
        date(2026, 1, 18): 2,
        date(2026, 1, 19): 5,
    }
    assert data.pain_average == report.Average(33 / 7, 7)
    assert data.entry_days == 7
    assert data.symptom_days["bloating"] == 2 and data.symptom_days["gas"] == 1
    assert data.symptom_days["cramps"] == 0  # only on a day before the period
    assert data.food_days["processed"] == 3 and data.food_days["alcohol"] == 0
    assert data.stress == report.Average(3.0, 2)
    assert data.sleep == report.Average(None, 0)
    assert [(w.on, w.flag_id, w.tier) for w in data.warnings] == [
        (date(2026, 1, 15), "gi_black_stool", "T2")
    ]
    # Processed food: pain 6, 7, 8 with it; 2, 3, 2, 5 without. Eight scored days in all is too
    # few to test anything (a plain comparison would call it a pattern).
    assert data.patterns == ()
    assert data.analysis.too_early and data.analysis.scored_days == 8
    assert data.made_on == TODAY


async def test_the_pdf_is_one_page_with_the_summary_as_text(sessions: Sessions) -> None:
    user_id = (await add_person(sessions, 1)).id
    await seed_diary(sessions, user_id)
    async with sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        outbox = await report.report(session, user, "2", NOW)

    intro, document = outbox.messages
    assert isinstance(intro, Send) and "2 weeks" in intro.text
    assert isinstance(document, SendFile) and document.filename == "gutback-report.pdf"
    pdf = PdfReader(io.BytesIO(document.data))
    assert len(pdf.pages) == 1
    width, height = pdf.pages[0].mediabox.width, pdf.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 portrait, in points
    text = " ".join(pdf.pages[0].extract_text().split())
    for expected in (
        "gutback diary summary",
        "Self-reported diary, not a diagnosis",
        "gutback user (timezone Europe/Berlin)",
        "2026-01-12 to 2026-01-25",
        "Average pain: 4.7 over 7 days",
        "Digestion (days with each)",
        "Food and drink (days with each)",
        "average 3.0 over 2 days",
        "Sleep: not recorded",
        "2026-01-15 Black or tarry poo (advised to be seen the same day)",
        "made on 2026-01-25",
        "hypotheses, not findings",
        "after about 6 more days with a back pain score",
    ):
        assert expected in text, expected
    assert "jaundice" not in text  # a warning sign from before the period
    assert "toast" not in text and "back 9" not in text  # diary words stay out of the PDF


def day(pain: int | None, *items: str) -> DiaryDay:
    result = DiaryDay()
    if pain is not None:
        result.answered["pain"] = pain
    result.foods.update(items)
    return result


def test_the_patterns_are_the_recaps_links() -> None:
    """Same engine, both lags, the same top three: a clinician reads what the person reads."""
    from bot.insights.recap import compute_recap
    from tests.unit.insights.test_recap import noisy_diary

    days = noisy_diary(3, 42, {"greasy": 3.0, "fermented": -2.0})
    today = max(days)
    _, patterns = report.find_patterns(days)
    recap = compute_recap(days, (), today)
    assert patterns == recap.links and patterns
    assert len(patterns) <= 3
    assert {(p.item, p.lag) for p in patterns} >= {("greasy", 0), ("fermented", 0)}


async def test_no_diary_means_no_pdf(sessions: Sessions) -> None:
    user_id = (await add_person(sessions, 1)).id
    other = (await add_person(sessions, 2)).id
    await seed_diary(sessions, other)
    async with sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        outbox = await report.report(session, user, "", NOW)
        # The old day in the seeded diary alone is outside one week: still nothing to show.
        seeded = await session.get(User, other)
        assert seeded is not None
        later = await report.report(session, seeded, "1", NOW + timedelta(days=30))
    for answer in (outbox, later):
        [message] = answer.messages
        assert isinstance(message, Send) and "nothing to report yet" in message.text


@pytest.mark.parametrize("args", ["0", "27", "99", "two", "-1", "4 weeks"])
async def test_a_bad_number_of_weeks_gets_a_friendly_answer(sessions: Sessions, args: str) -> None:
    user_id = (await add_person(sessions, 1)).id
    async with sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        outbox = await report.report(session, user, args, NOW)
    [message] = outbox.messages
    assert isinstance(message, Send) and "from 1 to 26" in message.text


async def test_no_report_before_consent(sessions: Sessions) -> None:
    user_id = (await add_person(sessions, 1)).id
    await seed_diary(sessions, user_id)
    async with sessions() as session, session.begin():
        user = await session.get(User, user_id)
        assert user is not None
        user.consented_at = None
        outbox = await report.report(session, user, "", NOW)
    [message] = outbox.messages
    assert isinstance(message, Send) and "/start" in message.text


def test_warning_signs_read_as_plain_words_one_line_per_answer() -> None:
    at = datetime(2026, 1, 14, 20, 0, tzinfo=UTC)
    signs = (
        WarningSign(date(2026, 1, 14), "ces_saddle_numbness", "T1", at),
        WarningSign(date(2026, 1, 14), "ces_bladder", "T1", at),
        WarningSign(date(2026, 1, 14), "ces_sexual", "T1", at),
        WarningSign(date(2026, 1, 15), "crisis_suicide", "T0", at + timedelta(days=1)),
    )
    first, second = moments(signs)
    assert report_words(first) == (
        "Numbness around the bottom, groin or genitals; New trouble peeing or with bladder"
        " control; and 1 more (advised to call emergency services)"
    )
    assert report_words(second) == (
        "Thoughts of ending their life (crisis line and emergency number given)"
    )
    for words in (report_words(first), report_words(second)):
        assert "_" not in words and "T1" not in words and "T0" not in words


async def test_the_pdf_orders_signs_by_urgency_labels_alerts_and_shows_stool_and_experiments(
    sessions: Sessions,
) -> None:
    from bot.knowledge.swaps import swaps as all_swaps
    from bot.store.models import Experiment

    user_id = (await add_person(sessions, 1)).id
    await seed_diary(sessions, user_id)
    swap = all_swaps().swaps[0]
    async with sessions() as session, session.begin():
        # Eight same-day signs first, then a crisis: the crisis must not hide in "... and N more".
        session.add_all(
            SafetyEvent(
                user_id=user_id,
                flag_id="gi_black_stool",
                tier="T2",
                source="text",
                created_at=at(date(2026, 1, 13) + timedelta(days=n), 10),
            )
            for n in range(8)
        )
        session.add(
            SafetyEvent(
                user_id=user_id,
                flag_id="crisis_suicide",
                tier="T0",
                source="text",
                created_at=at(date(2026, 1, 24), 22),
            )
        )
        session.add(
            SafetyEvent(
                user_id=user_id,
                flag_id="pain_alert",
                tier="T3",
                source="pain",
                created_at=at(date(2026, 1, 20), 9),
            )
        )
        session.add(
            Experiment(
                user_id=user_id,
                swap_id=swap.id,
                started_on=date(2026, 1, 12),
                ends_on=date(2026, 1, 25),
                status="finished",
                verdict="no_change",
                created_at=at(date(2026, 1, 12), 9),
                finished_at=at(date(2026, 1, 25), 20),
            )
        )
        for n, bristol in enumerate((4, 4, 6, 0)):
            day = date(2026, 1, 20 + n)
            await add_checkin(session, user_id, day, {"bristol": bristol}, at(day, 19))
    async with sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        outbox = await report.report(session, user, "2", NOW)
    _, document = outbox.messages
    assert isinstance(document, SendFile)
    text = " ".join(PdfReader(io.BytesIO(document.data)).pages[0].extract_text().split())
    crisis = text.index("2026-01-24 Thoughts of ending their life")
    first_same_day = text.index("Black or tarry poo")
    assert crisis < first_same_day  # most urgent first
    assert "... and 4 more (less urgent)" in text  # 9 same-day moments, 5 shown beside the crisis
    assert "Alerts the bot computed from the pain scores (not reported by the person)" in text
    assert "2026-01-20 pain stayed high" in text
    assert "type 4: 2 · type 6: 1 · no bowel movement: 1" in text
    assert f"Experiment 2026-01-12 to 2026-01-25, {swap.from_.name}" in text
    assert "no clear change" in text


def test_a_long_report_with_a_short_diary_draws_from_the_first_day() -> None:
    days = {date(2026, 1, 5) + timedelta(days=n): day(3 + n % 4) for n in range(21)}
    end = date(2026, 1, 25)
    start = end - timedelta(days=7 * 26 - 1)
    pain = tuple(
        (
            start + timedelta(days=n),
            score.answered["pain"] if (score := days.get(start + timedelta(days=n))) else None,
        )
        for n in range((end - start).days + 1)
    )
    assert report.first_drawn(pain, start) == date(2026, 1, 5)
    assert report.first_drawn(((start, None),), start) == start


async def test_the_pdf_shows_medicines_only_when_the_question_was_asked(
    sessions: Sessions,
) -> None:
    user_id = (await add_person(sessions, 1)).id
    await seed_diary(sessions, user_id)

    async def pdf_text() -> str:
        async with sessions() as session:
            user = await session.get(User, user_id)
            assert user is not None
            outbox = await report.report(session, user, "2", NOW)
        _, document = outbox.messages
        assert isinstance(document, SendFile)
        return " ".join(PdfReader(io.BytesIO(document.data)).pages[0].extract_text().split())

    assert "Medicines and supplements" not in await pdf_text()  # never asked: nothing said
    async with sessions() as session, session.begin():
        for n, taken in enumerate((["painkillers", "omega3"], ["painkillers"], [])):
            when = date(2026, 1, 20 + n)
            await add_checkin(session, user_id, when, {"medicines": taken}, at(when, 19))
    text = await pdf_text()
    assert (
        "Medicines and supplements (asked on 3 days), days taken: Painkillers: 2 · Omega-3: 1"
        in (text)
    )
