"""The /breathe break: a short, paced, safe exercise and its follow-up question."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from pydantic import ValidationError

from bot.base.content import article_sections, read_yaml
from bot.knowledge.breathing import BreathingExercise, breathing, breathing_steps, followup


def raw_exercise() -> dict[str, Any]:
    data = read_yaml("breathing.yaml")
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def test_break_lasts_about_a_minute() -> None:
    total = sum(step.pause_seconds for step in breathing_steps())
    assert 45 <= total <= 120


def test_breath_steps_alternate_in_and_out_with_a_longer_out_breath() -> None:
    exercise = breathing()
    steps = breathing_steps()
    cycle = steps[len(exercise.intro) : len(steps) - len(exercise.closing)]
    assert len(cycle) == 2 * exercise.cycle.rounds
    assert exercise.cycle.rounds >= 3
    inhales, exhales = cycle[0::2], cycle[1::2]
    assert all(step.pause_seconds == exercise.cycle.inhale_seconds for step in inhales)
    assert all(step.pause_seconds == exercise.cycle.exhale_seconds for step in exhales)
    assert exercise.cycle.exhale_seconds > exercise.cycle.inhale_seconds


def test_rounds_are_counted_for_the_reader() -> None:
    rounds = breathing().cycle.rounds
    counted = [
        step.text for step in breathing_steps() if re.search(rf"\(\d+/{rounds}\)", step.text)
    ]
    assert len(counted) == rounds
    for number, text in enumerate(counted, start=1):
        assert f"({number}/{rounds})" in text
    assert all("{" not in step.text for step in breathing_steps())


def test_intro_frames_it_gently_and_says_stop_if_dizzy() -> None:
    intro = " ".join(step.text for step in breathing().intro).lower()
    assert "vagus" in intro
    assert "dizzy" in intro
    assert re.search(r"\b(may|might|could)\b", intro)
    assert not re.search(r"\b(cure|guarantee|will fix)", intro)


def test_exercise_names_a_real_section() -> None:
    assert breathing().section in article_sections().ids()


def test_followup_question_and_options() -> None:
    question = followup()
    assert question.question == "Did the breathing break help?"
    ids = [option.id for option in question.options]
    assert len(ids) == len(set(ids)) >= 2
    assert all(len(option_id.encode()) <= 20 for option_id in ids)  # fits in callback data
    assert "dizzy" in ids
    for option in question.options:
        assert question.option(option.id) == option
        assert option.reply.strip()
    assert question.option("'; drop table") is None


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda data: data["cycle"].update(inhale_seconds=6, exhale_seconds=4), "out-breath"),
        (lambda data: data["cycle"].update(rounds=20), "between"),
        (lambda data: data.update(intro=[{"text": "Breathe.", "pause_seconds": 2}]), "dizzy"),
        (lambda data: data.update(section="nowhere"), "section"),
        (lambda data: data["cycle"].update(exhale_text="Out {count}"), "placeholder"),
    ],
)
def test_unsafe_or_broken_exercises_are_rejected(change: Any, complaint: str) -> None:
    data = raw_exercise()
    change(data)
    with pytest.raises(ValidationError, match=complaint):
        BreathingExercise.model_validate(data)
