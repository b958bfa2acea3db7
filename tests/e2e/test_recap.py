"""/recap through the real Application: a text and a chart for a diary, a kind word without one."""

from __future__ import annotations

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


async def test_recap_without_data_is_kind_and_sends_no_chart(harness: Harness) -> None:
    await harness.start()
    await harness.onboard(ALEX)
    reply = await harness.say(ALEX, "/recap", "")
    assert reply.kind == "text" and reply.text
    await harness.say(ALEX, "/help", "what I can do")
    assert not any(m.kind == "photo" for m in harness.fake.messages(ALEX))
