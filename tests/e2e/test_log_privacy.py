"""Health data and the token never reach the logs, even at DEBUG."""

from __future__ import annotations

import logging

import pytest

from bot.base.logs import setup_logging
from tests.e2e.conftest import Harness

ALEX = 1001
SECRET_NOTE = "secret-lentil-soup-with-extra-garlic"


async def test_a_whole_conversation_logs_no_text_and_no_token(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    setup_logging("DEBUG")  # what `gutback run` does, at its most talkative
    caplog.set_level(logging.DEBUG)
    await harness.start()
    await harness.onboard(ALEX)
    pain = await harness.say(ALEX, "/checkin", "How is your back pain")
    await harness.tap(ALEX, pain, "8", "digestion")
    await harness.say(ALEX, f"my note: {SECRET_NOTE}", "")
    harness.fake.block_chat(ALEX)
    harness.clock.set(harness.clock.now().replace(hour=19, minute=0))
    await harness.fake.wait_for(lambda: harness.fake.calls_to("sendMessage")[-1].error_code == 403)
    await harness.stop()
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert caplog.records, "nothing was logged at all, so this test proves nothing"
    assert harness.fake.token not in logged
    assert harness.fake.token.split(":")[1] not in logged
    assert SECRET_NOTE not in logged
    assert "Berlin" not in logged
