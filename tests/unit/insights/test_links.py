"""How a link is said: the averages a person can check, the model's difference and its range."""

from __future__ import annotations

from bot.insights.engine import Analysis, Link, Waiting
from bot.insights.links import describe, item_name, status_lines


def link(effect: float, low: float, high: float, lag: int = 0, kind: str = "food") -> Link:
    return Link(
        kind,
        "greasy" if kind == "food" else "high",
        lag,
        6.1,
        19,
        4.3,
        29,
        effect,
        low,
        high,
        0.0004,
        0.7,
    )


def test_a_link_gives_both_averages_the_difference_and_its_range_as_a_hypothesis() -> None:
    text = describe(link(1.8, 0.9, 2.7))
    assert "On days with greasy or fried food" in text
    assert "6.1" in text and "4.3" in text and "19 days and 29 days" in text
    assert "about 1.8 points higher" in text and "likely between 0.9 and 2.7" in text
    assert "Worth trying as an experiment" in text and "/experiment" in text
    assert "after" not in text.split(":")[0]


def test_a_lower_next_day_link_reads_as_lower_with_a_positive_range() -> None:
    text = describe(link(-1.2, -2.0, -0.4, lag=1))
    assert text.startswith("On days after greasy or fried food")
    assert "about 1.2 points lower" in text and "likely between 0.4 and 2.0" in text


def test_stress_and_medicines_have_plain_names() -> None:
    assert item_name("stress", "high").startswith("Stressful day")
    assert item_name("medicine", "omega3") == "Omega-3"
    assert item_name("medicine", "something_new") == "Something new"


def test_no_link_says_too_early_or_no_clear_pattern() -> None:
    early = status_lines(Analysis((), 10, 0, 4, ()))
    assert len(early) == 1 and "4 more days" in early[0]
    quiet = status_lines(Analysis((), 40, 30, 0, (Waiting("food", "alcohol", 7),)))
    assert "no clear pattern yet" in quiet[0]
    assert "Alcohol" in quiet[1] or "alcohol" in quiet[1]
    assert "7 more days" in quiet[1]
    assert status_lines(Analysis((link(1.8, 0.9, 2.7),), 40, 30, 0, ())) == []
