"""Assertions the rule-round tests share: a phrase is heard as its sign, a near miss is quiet."""

from __future__ import annotations

from bot.safety.screen import screen


def assert_quiet(text: str) -> None:
    """No warning sign and no question: the bot would treat this as an ordinary message."""
    result = screen(text)
    assert result.tier is None and result.ask is None, (result.flag_ids, result.ask)


def assert_heard(text: str, flag: str) -> None:
    """The screen finds ``flag`` in ``text`` (answered; an ask alone does not count)."""
    result = screen(text)
    assert flag in result.flag_ids, (result.flag_ids, result.ask)
