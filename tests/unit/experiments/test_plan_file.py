"""``--experiment PLAN.json`` on diary files in the ``/export`` format, and on malformed files."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest

from bot.experiments.plan_file import PlanError, analyse_files
from bot.privacy.export_and_delete import csv_header

START = date(2026, 3, 2)
WEEK = [1, 0, -1, 0, 0, -1, 1]  # weekday habits, alike in every week


def export_csv(pain: dict[date, float | None]) -> str:
    """A diary CSV with the export's own columns (pain filled, the rest empty)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, csv_header())
    writer.writeheader()
    for day, value in sorted(pain.items()):
        writer.writerow({"date": day.isoformat(), "pain": "" if value is None else value})
    return buffer.getvalue()


def alternating_plan(weeks: str) -> dict[str, str]:
    """A plan of whole weeks, e.g. "USSUUS" (U usual, S swap)."""
    return {
        (START + timedelta(days=7 * w + d)).isoformat(): "swap" if arm == "S" else "usual"
        for w, arm in enumerate(weeks)
        for d in range(7)
    }


def test_a_swap_that_lowers_pain_by_three_points_is_better_with_its_interval() -> None:
    days = alternating_plan("USSUUSSU")
    pain = {
        date.fromisoformat(day): 6 + WEEK[i % 7] - (3 if arm == "swap" else 0)
        for i, (day, arm) in enumerate(sorted(days.items()))
    }
    answer = analyse_files(export_csv(pain), json.dumps({"outcome": "pain", "days": days}))
    assert answer["verdict"] == "better"
    low, high = answer["interval"]
    assert low < answer["effect"] < high < -1
    assert answer["effect"] == pytest.approx(-3, abs=0.5)
    assert answer["usual_days"] == answer["swap_days"] == 4 * 7 - 2 * 2  # washout after changes


def test_no_difference_is_no_change_and_unscored_days_read_as_not_recorded() -> None:
    days = alternating_plan("USSUUSSU")
    pain: dict[date, float | None] = {
        date.fromisoformat(day): 5 + WEEK[i % 7] for i, day in enumerate(sorted(days))
    }
    pain[START + timedelta(days=10)] = None
    answer = analyse_files(export_csv(pain), json.dumps({"days": days}))
    assert answer["verdict"] == "no_change"
    assert answer["usual_days"] + answer["swap_days"] == 8 * 7 - 4 * 2 - 1


def test_a_diary_without_pain_scores_is_not_enough() -> None:
    days = alternating_plan("USUS")
    text = "date,stress,some_new_column\n2026-03-02,3,x\n"
    answer = analyse_files(text, json.dumps({"outcome": "pain", "days": days}))
    assert (answer["verdict"], answer["reason"], answer["effect"]) == (
        "not_enough",
        "few_days",
        None,
    )


@pytest.mark.parametrize(
    ("diary", "plan", "says"),
    [
        ("date,pain\n2026-03-02,4\n", "{not json", "not valid JSON"),
        ("date,pain\n2026-03-02,4\n", '["usual"]', "JSON object"),
        ("date,pain\n2026-03-02,4\n", '{"days": {}}', '"days"'),
        (
            "date,pain\n2026-03-02,4\n",
            '{"outcome": "mood", "days": {"2026-03-02": "usual"}}',
            "outcome",
        ),
        ("date,pain\n2026-03-02,4\n", '{"days": {"2 March": "usual"}}', "not a date"),
        ("date,pain\n2026-03-02,4\n", '{"days": {"2026-03-02": "both"}}', '"usual" or "swap"'),
        ("day,pain\n2026-03-02,4\n", '{"days": {"2026-03-02": "usual"}}', '"date" column'),
        ("date,pain\nyesterday,4\n", '{"days": {"2026-03-02": "usual"}}', "diary line 2"),
        ("date,pain\n2026-03-02,bad\n", '{"days": {"2026-03-02": "usual"}}', "not a number"),
        ("date,pain\n2026-03-02,11\n", '{"days": {"2026-03-02": "usual"}}', "between 0 and 10"),
    ],
)
def test_a_malformed_file_gets_one_clear_line(diary: str, plan: str, says: str) -> None:
    with pytest.raises(PlanError) as raised:
        analyse_files(diary, plan)
    message = str(raised.value)
    assert says in message
    assert "\n" not in message
