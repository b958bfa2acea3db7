"""A short guided breathing break (/breathe), as data the chat layer can pace.

The exercise is written in ``content/breathing.yaml``: a few intro steps (including a "stop if you
feel dizzy" note), a breathe-in / breathe-out cycle repeated a number of rounds, and a closing step.
This module only expands it into a flat list of steps, each with how long to wait before the next
one, so the bot (or the terminal adapter, or a test) decides how to wait. Slow breathing with a
longer out-breath is the article's way to calm the vagus nerve and one of the better-supported
relaxation approaches for long-term back pain.
"""

from __future__ import annotations

import functools

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.base.content import article_sections, load_model

#: A chat break should stay short: long enough to settle, short enough to finish.
MIN_TOTAL_SECONDS = 30
MAX_TOTAL_SECONDS = 180


class BreathStep(BaseModel):
    """One message of the exercise and how long to wait after sending it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1, max_length=400)
    pause_seconds: float = Field(ge=0, le=30)


class BreathCycle(BaseModel):
    """One breath in and one breath out, repeated ``rounds`` times."""

    model_config = ConfigDict(extra="forbid")

    rounds: int = Field(ge=1, le=20)
    first_inhale_text: str | None = None
    inhale_text: str = Field(min_length=1)
    inhale_seconds: float = Field(gt=0, le=10)
    first_exhale_text: str | None = None
    exhale_text: str = Field(min_length=1)
    exhale_seconds: float = Field(gt=0, le=12)

    @model_validator(mode="after")
    def _calming_pace(self) -> BreathCycle:
        # A longer out-breath is what makes paced breathing calming; a short one may do the reverse.
        if self.exhale_seconds < self.inhale_seconds:
            raise ValueError("the out-breath must be at least as long as the in-breath")
        texts = (self.first_inhale_text, self.inhale_text, self.first_exhale_text, self.exhale_text)
        for text in texts:
            if text is None:
                continue
            try:  # a bad placeholder fails at load time, not halfway through a break
                text.format(round=1, rounds=self.rounds)
            except (KeyError, IndexError, ValueError) as error:
                raise ValueError(
                    f"bad placeholder in {text!r}: only {{round}} and {{rounds}}"
                ) from error
        return self

    def steps(self) -> list[BreathStep]:
        steps: list[BreathStep] = []
        for number in range(1, self.rounds + 1):
            first = number == 1
            inhale = (self.first_inhale_text if first else None) or self.inhale_text
            exhale = (self.first_exhale_text if first else None) or self.exhale_text
            values = {"round": number, "rounds": self.rounds}
            steps.append(
                BreathStep(text=inhale.format(**values), pause_seconds=self.inhale_seconds)
            )
            steps.append(
                BreathStep(text=exhale.format(**values), pause_seconds=self.exhale_seconds)
            )
        return steps


class FollowUpOption(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=20)  # short: it travels in callback data
    label: str = Field(min_length=1, max_length=40)
    reply: str = Field(min_length=1)


class FollowUp(BaseModel):
    """The question asked after the break, with its one-tap answers."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    options: list[FollowUpOption] = Field(min_length=2, max_length=4)

    @model_validator(mode="after")
    def _unique_ids(self) -> FollowUp:
        ids = [option.id for option in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError("follow-up option ids must be unique")
        return self

    def option(self, option_id: str) -> FollowUpOption | None:
        """The option with this id, or None (callback data is untrusted input)."""
        return next((option for option in self.options if option.id == option_id), None)


class BreathingExercise(BaseModel):
    model_config = ConfigDict(extra="forbid")

    section: str
    intro: list[BreathStep] = Field(min_length=1)
    cycle: BreathCycle
    closing: list[BreathStep] = Field(min_length=1)
    followup: FollowUp

    @model_validator(mode="after")
    def _sane(self) -> BreathingExercise:
        if self.section not in article_sections().ids():
            raise ValueError(f"unknown article section: {self.section}")
        if not any("dizzy" in step.text.lower() for step in self.intro):
            raise ValueError("the intro must tell people to stop if they feel dizzy")
        total = self.total_seconds()
        if not MIN_TOTAL_SECONDS <= total <= MAX_TOTAL_SECONDS:
            raise ValueError(
                f"the break lasts {total:g} s; keep it between {MIN_TOTAL_SECONDS} and "
                f"{MAX_TOTAL_SECONDS} s"
            )
        return self

    def steps(self) -> list[BreathStep]:
        return [*self.intro, *self.cycle.steps(), *self.closing]

    def total_seconds(self) -> float:
        return sum(step.pause_seconds for step in self.steps())


@functools.cache
def breathing() -> BreathingExercise:
    """The exercise from ``content/breathing.yaml``, loaded and validated once."""
    return load_model("breathing.yaml", BreathingExercise)


def breathing_steps() -> list[BreathStep]:
    """Every message of the break in order; wait ``pause_seconds`` after sending each one."""
    return breathing().steps()


def followup() -> FollowUp:
    """ "Did the breathing break help?" with its options and the reply to each."""
    return breathing().followup
