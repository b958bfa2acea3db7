"""Links through the real Application: the recap and the PDF show the same link with the same
numbers for a diary with a planted effect, and "no clear pattern yet" for a noise diary."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

from pypdf import PdfReader
from sqlalchemy import select

from bot.diary.view import diary_days
from bot.insights.engine import diary_links
from bot.insights.links import describe
from bot.store.db import make_engine, make_sessions
from bot.store.models import LogEntry, User
from tests.e2e.conftest import Harness
from tests.support import at

ALEX = 1001
TODAY = date(2026, 1, 12)  # the harness's first day


async def seed(harness: Harness, effect: float, seed: int) -> list[str]:
    """Six weeks of diary lines: pain with day-to-day carry-over, greasy food on ~40 % of days
    adding ``effect`` points the same day. Returns the describe() lines the engine gives."""
    [(user_id,)] = await harness.query(select(User.id).where(User.platform_id == ALEX))
    rng = random.Random(seed)
    noise, rows = 0.0, []
    for n in range(42):
        day = TODAY - timedelta(days=41 - n)
        noise = 0.6 * noise + rng.gauss(0, 1.0)
        foods = [g for g in ("greasy", "fermented", "gluten") if rng.random() < 0.4]
        pain = round(min(10, max(0, 5 + noise + (effect if "greasy" in foods else 0))))
        rows.append(
            LogEntry(
                user_id=user_id,
                local_date=day,
                text=f"back {pain}",
                food_groups=foods,
                symptoms=[],
                pain=pain,
                created_at=at(day, 8),
            )
        )
    engine = make_engine(harness.database_url)
    try:
        async with make_sessions(engine)() as session, session.begin():
            session.add_all(rows)
        async with make_sessions(engine)() as session:
            days = await diary_days(session, user_id, end=TODAY, notes=False)
    finally:
        await engine.dispose()
    return [describe(link) for link in diary_links(days).links[:3]]


def squeezed(text: str) -> str:
    return "".join(text.split())


async def pdf_text(harness: Harness) -> str:
    await harness.say(ALEX, "/report 6", "last 6 weeks")
    document = await harness.fake.wait_for_message(ALEX, "for a clinician")
    assert document.file_bytes is not None
    return PdfReader(io.BytesIO(document.file_bytes)).pages[0].extract_text()


async def test_a_planted_link_reads_the_same_in_the_recap_and_the_pdf(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    expected = await seed(harness, effect=3.0, seed=3)
    assert expected and "greasy or fried food" in expected[0]
    recap = await harness.say(ALEX, "/recap", "Your week")
    assert "Ideas worth testing" in recap.text
    for sentence in expected:
        assert f"• {sentence}" in recap.text
    pdf = squeezed(await pdf_text(harness))
    for sentence in expected:
        assert squeezed(sentence) in pdf  # the same words and numbers, wrapped on the page


async def test_a_noise_diary_says_no_clear_pattern_yet_in_both(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    assert await seed(harness, effect=0.0, seed=5) == []
    recap = await harness.say(ALEX, "/recap", "Your week")
    assert "no clear pattern yet" in recap.text and "Ideas worth testing" not in recap.text
    assert "no clear pattern yet" in " ".join((await pdf_text(harness)).split())
