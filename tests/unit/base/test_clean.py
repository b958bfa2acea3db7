"""Input cleaned at the door: storable text, ASCII-only numbers, ids that fit BIGINT."""

from __future__ import annotations

import pytest

from bot.base.clean import MAX_ID, ascii_id, ascii_int, clean_text, fits_id


def test_nul_and_lone_surrogates_are_removed_and_everything_else_kept() -> None:
    assert clean_text("back\x00 6/10") == "back 6/10"
    assert clean_text("sad \ud83d today") == "sad  today"
    assert clean_text("tail \udc00") == "tail "
    # A real emoji (a pair in UTF-16, one character in Python) and other scripts stay.
    assert clean_text("😀 Москва 東京 ٣") == "😀 Москва 東京 ٣"
    # What is left can be encoded, so PostgreSQL and the Bot API accept it.
    clean_text("a\x00\ud800b").encode("utf-8")


@pytest.mark.parametrize("text", ["²", "1²", "٣", "1.5", "-3", "", " 4", "4 ", "+2", "½", None, 7])
def test_only_ascii_digits_are_numbers(text: object) -> None:
    assert ascii_int(text) is None


def test_ascii_numbers_are_read() -> None:
    assert ascii_int("0") == 0
    assert ascii_int("042") == 42
    assert ascii_int("9" * 19) == int("9" * 19)


def test_ids_must_fit_a_64_bit_column() -> None:
    assert fits_id(MAX_ID) and not fits_id(MAX_ID + 1) and not fits_id(-1) and not fits_id(None)
    assert ascii_id("9223372036854775807") == MAX_ID
    assert ascii_id("9223372036854775808") is None
    assert ascii_id("1" * 40) is None
