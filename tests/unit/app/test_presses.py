"""Button data: built strictly, parsed strictly (never raising), and every namespace has a row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app.commands import COMMANDS
from bot.app.presses import BUTTONS, parse
from bot.chat.buttons import CheckinPress, SimplePress, checkin_data, simple_data


def test_round_trip() -> None:
    assert parse(checkin_data(42, "food", "+anti_inflammatory")) == CheckinPress(
        42, "food", "+anti_inflammatory"
    )
    assert parse(simple_data("tz", "America/Argentina/Buenos_Aires")) == SimplePress(
        "tz", "America/Argentina/Buenos_Aires"
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "c:",
        "c:x:pain:3",
        "c:1:pain",
        "c::pain:3",
        "zz:1",
        "tz:",
        "x" * 65,
        "c:1::3",
        "c:²:pain:3",
    ],
)
def test_malformed_data_is_not_a_press(data: str | None) -> None:
    assert parse(data) is None


def test_data_over_telegram_limit_is_refused_when_building() -> None:
    with pytest.raises(ValueError):
        checkin_data(1, "food", "+" + "x" * 60)


ROOT = Path(__file__).resolve().parents[3]
BUILT = re.compile(r"""\bsimple_data\(\s*["']([a-z]+)["']""")


def test_every_button_the_code_builds_has_a_row_in_the_table() -> None:
    """A typo in a namespace would make a button that is always "expired"."""
    built = {
        action
        for path in (ROOT / "bot").rglob("*.py")
        for action in BUILT.findall(path.read_text(encoding="utf-8"))
    }
    assert built, "the scan found no buttons at all"
    assert sorted(built - set(BUTTONS)) == []


def test_a_namespace_must_be_a_plain_word_and_not_the_check_ins() -> None:
    for action in ("c", "two words", "a:b", ""):
        with pytest.raises(ValueError):
            simple_data(action, "x")


def test_every_row_parses_and_an_unknown_namespace_does_not() -> None:
    for action in BUTTONS:
        assert parse(simple_data(action, "x")) == SimplePress(action, "x")
    assert parse("nosuchbutton:x") is None


def test_each_command_appears_once_in_the_table() -> None:
    names = [command.name for command in COMMANDS]
    assert len(names) == len(set(names)) == 20


@pytest.mark.parametrize(
    "data",
    [
        12,
        b"c:1:pain:3",
        {"c": 1},
        ["c:1:pain:3"],
        "c:" + "1" * 40 + ":pain:3",
        "c:9223372036854775808:pain:3",
        "c:1:pain:\ud800",
        "tz:\x00Europe/Berlin",
        "\udcff" * 70,
    ],
    ids=["int", "bytes", "dict", "list", "40-digit-id", "over-bigint", "surrogate", "nul", "long"],
)
def test_broken_or_forged_data_never_raises(data: object) -> None:
    assert parse(data) is None
