"""Routing plain messages: swap questions, diary lines, medical questions, small talk."""

from __future__ import annotations

import pytest

from bot.knowledge.intent import classify


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("is kimchi good instead of pickles?", "swap_question"),
        ("what can I drink instead of soda?", "swap_question"),
        ("alternatives to white bread", "swap_question"),
        ("I love pizza, what's healthier", "swap_question"),
        ("pizza?", "swap_question"),
        ("had kimchi with lunch, no bloating", "log"),
        ("pizza and a coke, bloated, back 6/10", "log"),
        ("back 5 today", "log"),
        ("slept badly, stress 4", "log"),
        ("do I have IBS?", "medical_question"),
        ("should I stop my meds", "medical_question"),
        ("what medication should I take for my back", "medical_question"),
        ("hi", "smalltalk"),
        ("thanks!", "smalltalk"),
        ("good morning", "smalltalk"),
        ("thank you so much", "smalltalk"),
        ("what's the weather like", "unknown"),
        ("is bloating normal after kimchi?", "unknown"),
        ("", "unknown"),
    ],
)
def test_classify(text: str, intent: str) -> None:
    assert classify(text) == intent
