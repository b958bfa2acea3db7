"""/report through the real Application: check-ins on a few days become a one-page PDF."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader

from tests.e2e.conftest import Harness

ALEX = 1001


async def test_report_sends_a_one_page_pdf_of_the_diary(harness: Harness) -> None:
    await harness.start()
    await harness.say(ALEX, "/report", "agreed to keep a diary")  # nothing before consent
    await harness.onboard(ALEX)
    await harness.say(ALEX, "/report", "nothing to report yet")
    about = await harness.say(ALEX, "/about", "nobody else sees them")
    assert "/export" in about.text and "/delete" in about.text
    await harness.tap(ALEX, about, "More", "What I store")

    # 07:00 in Berlin on three days running, before the 08:00 check-in is due.
    for pain in ("6", "4", "2"):
        question = await harness.say(ALEX, "/checkin", "How is your back pain")
        await harness.tap(ALEX, question, pain)
        harness.clock.advance(timedelta(days=1))
    harness.clock.advance(timedelta(days=-1))

    await harness.say(ALEX, "/report 99", "from 1 to 26")
    await harness.say(ALEX, "/report 2", "last 2 weeks")
    document = await harness.fake.wait_for_message(ALEX, "for a clinician")
    assert document.kind == "document" and document.filename == "gutback-report.pdf"
    assert document.file_bytes is not None
    pdf = PdfReader(io.BytesIO(document.file_bytes))
    assert len(pdf.pages) == 1
    text = " ".join(pdf.pages[0].extract_text().split())
    assert "Self-reported diary, not a diagnosis" in text
    assert "2026-01-01 to 2026-01-14" in text  # two weeks ending on the third day
    assert "Average pain: 4.0 over 3 days" in text
    assert "None reported in this period." in text
