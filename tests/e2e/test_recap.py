"""/recap through the real Application: a text and a chart for a diary, a kind word without one,
and the weekly recap that the scheduler sends by itself on the day the person chose."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from pypdf import PdfReader
from sqlalchemy import select

from bot.insights.recap import chart_caption
from bot.insights.wording import recap_wording
from bot.store.models import Delivery
from tests.e2e.conftest import Harness, at

ALEX = 1001


async def test_recap_with_a_diary_sends_text_and_a_captioned_chart(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    for pain in (4, 6, 5):
        await harness.say(ALEX, f"/log porridge and coffee, bloated, back {pain}/10", "Noted")
        harness.clock.advance(at(24))
    await harness.say(ALEX, "/recap", "Your week")
    photo = await harness.fake.wait_for(
        lambda: next((m for m in harness.fake.messages(ALEX) if m.kind == "photo"), None)
    )
    assert photo.file_bytes is not None and photo.file_bytes.startswith(b"\x89PNG")
    assert photo.text  # the caption says what the chart shows
    recap = next(m for m in harness.fake.messages(ALEX) if m.text.startswith("Your week"))
    assert "Days logged this week: 3 of 7" in recap.text
    assert "Back pain averaged 5.0 over 3 days" in recap.text
    assert "toughest day: Tue 13 (6)" in recap.text


async def test_one_day_of_pain_reads_over_1_day_in_the_recap_and_the_pdf(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    await harness.say(ALEX, "/log pizza, back 6/10, stress 3 of 5", "Noted")
    recap = await harness.say(ALEX, "/recap", "Your week")
    assert "Back pain averaged 6.0 over 1 day" in recap.text and "1 days" not in recap.text
    await harness.say(ALEX, "/report 1", "last 1 week")
    document = await harness.fake.wait_for_message(ALEX, "for a clinician")
    assert document.file_bytes is not None
    text = " ".join(PdfReader(io.BytesIO(document.file_bytes)).pages[0].extract_text().split())
    assert "Average pain: 6.0 over 1 day" in text and "1 days" not in text


async def test_recap_without_data_is_kind_and_sends_no_chart(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    reply = await harness.say(ALEX, "/recap", "")
    assert reply.kind == "text"
    assert reply.text == recap_wording().empty  # how to start, not an empty recap
    assert "/checkin" in reply.text
    await harness.say(ALEX, "/help", "what I can do")
    assert not any(m.kind == "photo" for m in harness.fake.messages(ALEX))


async def test_the_weekly_recap_arrives_by_itself_on_the_chosen_day_as_text_and_chart(
    harness: Harness,
) -> None:
    await harness.start()  # Monday 12 Jan 2026, 01:00 in New York
    await harness.onboard(ALEX, city="New York")
    reply = await harness.say(ALEX, "/recapday fri 19:30", "weekly recap comes on")
    assert reply.text == (
        "Your weekly recap comes on Fridays at 19:30 (next: Fri 16 Jan at 19:30)."
    )
    for pain in (4, 6, 5, 3):  # Monday to Thursday
        await harness.say(ALEX, f"/log porridge and coffee, bloated, back {pain}/10", "Noted")
        harness.clock.advance(at(24))

    # Friday 19:29 in New York: not yet.
    harness.clock.set(datetime(2026, 1, 17, 0, 29, tzinfo=UTC))
    await harness.sweep_now()
    assert not any(m.text and "Your week," in m.text for m in harness.fake.messages(ALEX))

    # Just past Friday 19:30 in New York: the recap comes, then its chart.
    harness.clock.set(datetime(2026, 1, 17, 0, 31, tzinfo=UTC))
    weekly = await harness.fake.wait_for_message(ALEX, "Your week, Sat 10 to Fri 16")
    assert "Days logged this week: 4 of 7" in weekly.text
    assert "Back pain averaged 4.5 over 4 days" in weekly.text
    assert "/recapday" in weekly.text  # how to move or stop it
    photo = await harness.fake.wait_for(
        lambda: next((m for m in harness.fake.messages(ALEX) if m.kind == "photo"), None)
    )
    assert photo.message_id > weekly.message_id
    assert photo.file_bytes is not None and photo.file_bytes.startswith(b"\x89PNG")
    assert photo.text == chart_caption()
    assert "Back pain over the last 4 weeks" in photo.text  # what the picture shows

    # It is the same recap /recap shows, and it does not come twice.
    await harness.sweep_now()
    on_demand = await harness.say(ALEX, "/recap", "Your week,")
    assert weekly.text.startswith(on_demand.text)
    weeklies = [m for m in harness.fake.messages(ALEX) if m.text and "/recapday moves" in m.text]
    assert len(weeklies) == 1
    (delivery,) = await harness.query(
        select(Delivery.local_date, Delivery.status).where(Delivery.kind == "recap")
    )
    assert (delivery[0].isoformat(), delivery[1]) == ("2026-01-16", "sent")
