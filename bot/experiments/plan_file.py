"""`gutback analyse DIARY.csv --experiment PLAN.json`: the trial verdict on a plan kept elsewhere.

``PLAN.json`` is ``{"outcome": "pain", "days": {"YYYY-MM-DD": "usual" | "swap", ...}}``; the diary
is a CSV in the ``/export`` format (a ``date`` column and a ``pain`` column; other columns are
ignored, a missing ``pain`` column or an empty cell reads as not recorded). The days are judged
by the bot's own rules (:mod:`bot.insights.trial`): washout after each change of arm, pain on swap
+ trend with AR(1) errors, "better" only when a drop of a point or more is clearly likely.

Bad input raises :class:`PlanError` with one line fit to show the person; nothing here prints.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.base.wording import t
from bot.insights import trial

ARMS: tuple[trial.Arm, ...] = ("usual", "swap")
OUTCOMES = ("pain",)


class PlanError(ValueError):
    """A plan or diary file that cannot be read; the message is one line for the person."""


@dataclass(frozen=True, slots=True)
class Plan:
    outcome: str
    arms: dict[date, trial.Arm]


def _day(text: object, where: str) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise PlanError(f"{where}: {str(text)[:40]!r} is not a date like 2026-01-31") from None


def read_plan(text: str) -> Plan:
    """The plan from ``PLAN.json``'s text (strictly: unknown arms or outcomes are errors)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise PlanError(f"the plan is not valid JSON (line {error.lineno})") from None
    if not isinstance(document, dict):
        raise PlanError('the plan must be a JSON object with "outcome" and "days"')
    outcome = document.get("outcome", "pain")
    if outcome not in OUTCOMES:
        raise PlanError(f'the plan\'s outcome must be "pain", not {str(outcome)[:40]!r}')
    days = document.get("days")
    if not isinstance(days, dict) or not days:
        raise PlanError('the plan needs "days": {"YYYY-MM-DD": "usual" or "swap", ...}')
    arms: dict[date, trial.Arm] = {}
    for key, arm in days.items():
        when = _day(key, "the plan's days")
        if arm not in ARMS:
            raise PlanError(f'the plan says {str(arm)[:40]!r} on {key}: use "usual" or "swap"')
        arms[when] = arm
    return Plan(outcome, arms)


def read_pain(text: str) -> dict[date, float]:
    """Each day's back pain from a diary CSV in the ``/export`` format."""
    rows = csv.DictReader(io.StringIO(text))
    if rows.fieldnames is None or "date" not in rows.fieldnames:
        raise PlanError('the diary must be a CSV with a "date" column, as /export writes it')
    pain: dict[date, float] = {}
    for number, row in enumerate(rows, start=2):
        when = _day(row.get("date"), f"diary line {number}")
        cell = (row.get("pain") or "").strip()
        if not cell:
            continue
        try:
            value = float(cell)
        except ValueError:
            raise PlanError(f"diary line {number}: pain {cell[:20]!r} is not a number") from None
        if not 0 <= value <= 10:
            raise PlanError(f"diary line {number}: pain {cell[:20]!r} is not between 0 and 10")
        pain[when] = value
    return pain


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def analyse(plan: Plan, pain: dict[date, float]) -> dict[str, Any]:
    """The answer's ``experiment`` part: verdict, effect (swap minus usual) and its interval."""
    outcome = trial.judge(trial.analysed_plan_days(plan.arms, pain))
    effect = outcome.effect
    return {
        "outcome": plan.outcome,
        "verdict": outcome.verdict,
        "reason": outcome.reason,
        "effect": _rounded(effect.estimate) if effect else None,
        "interval": [_rounded(effect.low), _rounded(effect.high)] if effect else None,
        "interval_level": trial.INTERVAL,
        "probability_drop_of_1": _rounded(effect.p_drop) if effect else None,
        "usual_days": outcome.usual_days,
        "swap_days": outcome.swap_days,
        "usual_average": _rounded(outcome.usual_mean),
        "swap_average": _rounded(outcome.swap_mean),
        "washout_days": trial.WASHOUT_DAYS,
    }


def analyse_files(diary_csv: str, plan_json: str) -> dict[str, Any]:
    """Both files' text in, the ``experiment`` answer out (:class:`PlanError` on bad input)."""
    return analyse(read_plan(plan_json), read_pain(diary_csv))


def plan_lines(answer: dict[str, Any]) -> list[str]:
    """The ``experiment`` answer as sentences, for ``gutback analyse`` without ``--json``."""
    lines = [
        t(
            "analyse_plan_verdict",
            outcome=answer["outcome"],
            verdict=t(f"analyse_verdict_{answer['verdict']}"),
        )
    ]
    if answer["effect"] is not None:
        low, high = answer["interval"]
        lines.append(
            t(
                "analyse_plan_effect",
                effect=f"{answer['effect']:+.1f}",
                low=f"{low:+.1f}",
                high=f"{high:+.1f}",
                chance=f"{answer['probability_drop_of_1']:.0%}",
            )
        )
    lines.append(
        t(
            "analyse_plan_days",
            swap_days=answer["swap_days"],
            usual_days=answer["usual_days"],
            washout=answer["washout_days"],
        )
    )
    return lines
