from __future__ import annotations

import pytest

from bot.chat.buttons import CheckinPress, SimplePress, checkin_data, parse, simple_data


def test_round_trip() -> None:
    assert parse(checkin_data(42, "food", "+anti_inflammatory")) == CheckinPress(
        42, "food", "+anti_inflammatory"
    )
    assert parse(simple_data("tz", "America/Argentina/Buenos_Aires")) == SimplePress(
        "tz", "America/Argentina/Buenos_Aires"
    )


@pytest.mark.parametrize(
    "data",
    [None, "", "c:", "c:x:pain:3", "c:1:pain", "c::pain:3", "zz:1", "tz:", "x" * 65, "c:1::3"],
)
def test_malformed_data_is_not_a_press(data: str | None) -> None:
    assert parse(data) is None


def test_data_over_telegram_limit_is_refused_when_building() -> None:
    with pytest.raises(ValueError):
        checkin_data(1, "food", "+" + "x" * 60)
