"""The article's tips as validated data, and the choice of one tip that fits what a person reported.

Tips live in ``content/tips.yaml`` so that wording changes never touch Python. The chooser is a
small, explainable scorer rather than anything clever: every recent signal (bloating on three days,
a stressful week, poor sleep) becomes a tag with a strength, and a tip scores the sum of the
strengths of its tags. People should be able to guess why they got a tip, and the same tip must not
come back within two weeks, or the bot starts to feel like a nag.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.base.content import HedgedAdvice, PlainAdvice, article_sections, load_model, repeated
from bot.base.vocabulary import FOOD_GROUPS, SYMPTOMS

#: Tags that describe a situation rather than a symptom or a food group.
SITUATION_TAGS = ("stress_high", "sleep_poor", "pain_high", "pain_morning", "general")

#: Every tag a tip may carry.
ALLOWED_TAGS = frozenset(SYMPTOMS) | frozenset(FOOD_GROUPS) | frozenset(SITUATION_TAGS)

TipKind = Literal["food", "supplement", "restriction", "lifestyle", "clinical"]

#: Kinds that must always travel with a caution (clinical_safety.md section 6).
KINDS_NEEDING_CAUTION = frozenset({"supplement", "restriction"})

#: A tip is not offered again until this many days after it was last shown.
NO_REPEAT_DAYS = 14

MAX_TEXT_CHARS = 300  # about three short sentences on a phone screen
MAX_CAUTION_CHARS = 320


class Tip(BaseModel):
    """One short piece of advice with the article section it comes from and when it fits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    text: HedgedAdvice = Field(min_length=20, max_length=MAX_TEXT_CHARS)
    section: str
    tags: tuple[str, ...] = Field(min_length=1)
    kind: TipKind
    caution: PlainAdvice | None = Field(default=None, max_length=MAX_CAUTION_CHARS)

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(tags) - ALLOWED_TAGS)
        if unknown:
            raise ValueError(f"unknown tags: {', '.join(unknown)}")
        if len(set(tags)) != len(tags):
            raise ValueError("duplicate tags")
        return tags

    @model_validator(mode="after")
    def _caution_when_needed(self) -> Tip:
        if self.kind in KINDS_NEEDING_CAUTION and not (self.caution and self.caution.strip()):
            raise ValueError(f"tip {self.id!r}: a {self.kind} tip needs a caution")
        return self


class TipLabels(BaseModel):
    """The small bits of wording around a tip; kept in YAML with the tips."""

    model_config = ConfigDict(extra="forbid")

    caution: str
    source: str

    @model_validator(mode="after")
    def _placeholders(self) -> TipLabels:
        if "{caution}" not in self.caution:
            raise ValueError("labels.caution must contain {caution}")
        if "{title}" not in self.source:
            raise ValueError("labels.source must contain {title}")
        return self


class TipLibrary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: TipLabels
    tips: list[Tip] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> TipLibrary:
        ids = [tip.id for tip in self.tips]
        duplicates = repeated(ids)
        if duplicates:
            raise ValueError(f"duplicate tip ids: {', '.join(duplicates)}")
        known = article_sections().ids()
        wrong = sorted(
            f"{tip.id} -> {tip.section}" for tip in self.tips if tip.section not in known
        )
        if wrong:
            raise ValueError(f"tips name unknown article sections: {', '.join(wrong)}")
        return self

    def by_id(self) -> dict[str, Tip]:
        return {tip.id: tip for tip in self.tips}


@functools.cache
def tips() -> TipLibrary:
    """All tips, loaded and validated once."""
    return load_model("tips.yaml", TipLibrary)


def tip_by_id(tip_id: str) -> Tip | None:
    """The tip with this id, or None (an id stored long ago may have been retired)."""
    return tips().by_id().get(tip_id)


@dataclass(frozen=True)
class Signals:
    """What a person reported over the last few days (3-7), as the chooser needs it.

    ``symptom_counts`` and ``food_counts`` count check-ins (or days) on which each symptom id or
    food group id was reported. ``avg_stress`` and ``avg_sleep`` are on the check-in's 1-5 scales
    (sleep 1 = very badly). ``last_pain`` is the latest 0-10 score and ``pain_trend`` the change in
    pain per day over the window (positive = getting worse). ``morning_pain_worse`` is True when
    morning scores run higher than evening ones. Anything unknown stays None / empty.
    """

    symptom_counts: Mapping[str, int] = field(default_factory=dict)
    food_counts: Mapping[str, int] = field(default_factory=dict)
    avg_stress: float | None = None
    avg_sleep: float | None = None
    last_pain: int | None = None
    pain_trend: float | None = None
    morning_pain_worse: bool = False

    def strengths(self) -> dict[str, float]:
        """Each tag this person's recent days speak for, with a strength from 0 to 1."""
        found: dict[str, float] = {}
        for symptom, count in self.symptom_counts.items():
            if symptom in SYMPTOMS and count > 0:
                found[symptom] = _count_strength(count)
        for group, count in self.food_counts.items():
            if group in FOOD_GROUPS and count > 0:
                found[group] = _count_strength(count)
        if self.avg_stress is not None and self.avg_stress >= 3.5:
            found["stress_high"] = _clip((self.avg_stress - 2.5) / 2.5)
        if self.avg_sleep is not None and self.avg_sleep <= 2.5:
            found["sleep_poor"] = _clip((3.5 - self.avg_sleep) / 2.5)
        pain = 0.0
        if self.last_pain is not None and self.last_pain >= 6:
            pain = (self.last_pain - 4) / 6
        if self.pain_trend is not None and self.pain_trend >= 0.5:
            pain += 0.3
        if pain > 0:
            found["pain_high"] = _clip(pain)
        if self.morning_pain_worse:
            found["pain_morning"] = 0.6
        return found


def _count_strength(count: int) -> float:
    """One report is a hint, three or more in a few days is a clear signal."""
    return _clip(count / 3)


def _clip(value: float) -> float:
    return max(0.0, min(1.0, value))


def _score(tip: Tip, strengths: Mapping[str, float]) -> float:
    return sum(strengths.get(tag, 0.0) for tag in tip.tags)


def _recently_shown(tip: Tip, recently_shown: Mapping[str, date], today: date) -> bool:
    shown = recently_shown.get(tip.id)
    return shown is not None and (today - shown).days < NO_REPEAT_DAYS


def choose_tip(
    signals: Signals,
    recently_shown: Mapping[str, date],
    today: date,
    *,
    allow_restriction: bool = True,
    rng: random.Random | None = None,
    library: TipLibrary | None = None,
) -> Tip | None:
    """The tip that best fits ``signals`` among those not shown in the last 14 days.

    ``recently_shown`` maps tip id to the date it was last shown. ``allow_restriction=False``
    removes every tip that asks someone to cut a food (used for people who show signs of
    disordered eating). Ties are broken with ``rng`` so the same inputs and seed give the same tip.
    With no matching signal the choice falls back to general tips, then to anything left; None
    means everything was shown recently. ``library`` defaults to ``content/tips.yaml``.
    """
    rng = rng or random.Random()
    pool = [
        tip
        for tip in (library or tips()).tips
        if (allow_restriction or tip.kind != "restriction")
        and not _recently_shown(tip, recently_shown, today)
    ]
    if not pool:
        return None
    strengths = signals.strengths()
    scored = [(_score(tip, strengths), tip) for tip in pool]
    best = max(score for score, _ in scored)
    if best > 0:
        candidates = [tip for score, tip in scored if score >= best - 1e-9]
    else:
        candidates = [tip for tip in pool if "general" in tip.tags] or pool
    candidates.sort(key=lambda tip: tip.id)
    return rng.choice(candidates)


def format_tip(tip: Tip, library: TipLibrary | None = None) -> str:
    """The message: the tip, its caution when it has one, and where in the article it is from."""
    labels = (library or tips()).labels
    parts = [tip.text]
    if tip.caution:
        parts.append(labels.caution.format(caution=tip.caution))
    parts.append(labels.source.format(title=article_sections().title(tip.section)))
    return "\n\n".join(parts)
