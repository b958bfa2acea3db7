"""The experiments' tests share a clock at 07:00 in Berlin on the first day, and a messenger."""

from __future__ import annotations

import pytest

from bot.base.clock import FrozenClock
from tests.support import RecordingMessenger
from tests.unit.experiments.test_experiments import START, berlin


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(berlin(START, 7))


@pytest.fixture
def messenger(clock: FrozenClock) -> RecordingMessenger:
    return RecordingMessenger(clock)
