"""The library of swap experiments: which swaps can be tested, and their words.

The experiments that can be offered, with their plain-words plan and what is measured, live in
``content/experiments.yaml`` and are validated here against the swap library. Content only: the
check-in's side (is one running today? where does its question go?) is
:mod:`bot.diary.adherence`, the ``/experiment`` conversation is :mod:`bot.experiments`.
"""

from __future__ import annotations

import functools

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.base.content import HedgedAdvice, PlainAdvice, load_model, repeated
from bot.base.vocabulary import FOOD_GROUPS, SYMPTOMS, unknown_in
from bot.knowledge.swaps import swap_by_id

#: Button data is at most 64 bytes and carries the swap id plus the owner's stamp.
MAX_SWAP_ID = 28


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExperimentSpec(_Strict):
    """One swap that can be tested as an experiment."""

    swap: str = Field(max_length=MAX_SWAP_ID)
    group: str
    button: str = Field(min_length=2, max_length=32)
    title: str = Field(min_length=5, max_length=80)
    plan: HedgedAdvice = Field(min_length=40, max_length=400)
    stick: str = Field(min_length=5, max_length=80)
    symptom: str = "bloating"
    restriction: bool = False
    after: PlainAdvice | None = Field(default=None, max_length=400)

    @field_validator("group")
    @classmethod
    def _known_group(cls, group: str) -> str:
        unknown_in([group], FOOD_GROUPS, "food groups")
        return group

    @field_validator("symptom")
    @classmethod
    def _known_symptom(cls, symptom: str) -> str:
        unknown_in([symptom], SYMPTOMS, "symptoms")
        return symptom


class ExperimentWording(_Strict):
    offer_short_intro: str
    offer_short_line: str
    offer_short_fit: str
    offer_short_end: str
    offer_more_button: str = Field(max_length=32)
    offer_intro: str
    offer_line: str
    offer_fit: str
    offer_none: str
    started: str
    started_caution: str
    started_toast: str = Field(max_length=200)
    already_running: str
    already_running_toast: str = Field(max_length=200)
    progress: str
    progress_adherence: str
    progress_no_adherence: str
    stop_button: str = Field(max_length=32)
    stop_ask: str
    stop_yes_button: str = Field(max_length=32)
    stop_keep_button: str = Field(max_length=32)
    stopped: str
    kept_going: str
    ended_toast: str = Field(max_length=200)
    not_for_you_toast: str = Field(max_length=200)
    on_its_way: str
    verdict_title: str
    verdict_pain: str
    verdict_pain_days: str
    verdict_symptom: str
    verdict_symptom_few: str
    verdict_adherence: str
    verdict_no_adherence: str
    reason_better: str
    reason_no_change: str
    reason_worse: str
    reason_mixed: str
    reason_few_before: str
    reason_few_during: str
    reason_low_adherence: str
    caveat: str
    next: str
    # Design 2, the randomised trial: the weeks, their messages, the result.
    stick_baseline: str
    stick_usual: str
    stick_swap: str
    week_baseline: str
    week_usual: str
    week_swap: str
    week_message: str
    progress_week: str
    trial_title: str
    trial_pain: str
    trial_effect: str
    trial_symptom: str
    trial_better: str
    trial_no_change: str
    trial_worse: str
    trial_unclear: str
    trial_few_days: str
    trial_more: str
    trial_caveat: str
    more_button: str = Field(max_length=32)
    more_started: str
    more_toast: str = Field(max_length=200)


class ExperimentLibrary(_Strict):
    experiments: tuple[ExperimentSpec, ...] = Field(min_length=4)
    wording: ExperimentWording

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentLibrary:
        ids = [spec.swap for spec in self.experiments]
        duplicates = repeated(ids)
        if duplicates:
            raise ValueError(f"swaps offered twice: {', '.join(duplicates)}")
        unknown = sorted(swap_id for swap_id in ids if swap_by_id(swap_id) is None)
        if unknown:
            raise ValueError(f"experiments name unknown swaps: {', '.join(unknown)}")
        if sum(not spec.restriction for spec in self.experiments) < 4:
            raise ValueError("at least four experiments must be open to everyone")
        return self

    def by_swap(self) -> dict[str, ExperimentSpec]:
        return {spec.swap: spec for spec in self.experiments}


@functools.cache
def experiment_library() -> ExperimentLibrary:
    """The experiments and their wording, loaded and validated once."""
    return load_model("experiments.yaml", ExperimentLibrary)


def spec_for(swap_id: str) -> ExperimentSpec | None:
    return experiment_library().by_swap().get(swap_id)


def experiment_wording() -> ExperimentWording:
    return experiment_library().wording


def title_of(swap_id: str) -> str:
    """How an experiment is named to the person (its id, should the content drop it one day)."""
    spec = spec_for(swap_id)
    return spec.title if spec is not None else swap_id


# --- the check-in's side ----------------------------------------------------------------------
