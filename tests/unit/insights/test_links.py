"""Gut-to-back links: planted patterns are found with the right numbers and lag, noise is not."""

from __future__ import annotations

import random
from datetime import date, timedelta

from bot.base.vocabulary import FOOD_GROUPS, SYMPTOMS
from bot.diary.view import DiaryDay
from bot.insights.links import Link, describe, links

START = date(2026, 3, 1)


def day(
    pain: int | None, symptoms: set[str] = frozenset(), foods: set[str] = frozenset()
) -> DiaryDay:
    entry = DiaryDay(symptoms=set(symptoms), foods=set(foods))
    if pain is not None:
        entry.answered["pain"] = pain
    return entry


def find(found: list[Link], item: str, lag: int) -> Link | None:
    return next((link for link in found if link.item == item and link.lag == lag), None)


def test_a_same_day_link_is_found_first_with_its_averages() -> None:
    greasy = {n for n in range(21) if n % 3 == 0}
    days = {
        START + timedelta(days=n): day(
            7 if n in greasy else 3, foods={"greasy"} if n in greasy else set()
        )
        for n in range(21)
    }
    found = links(days)
    top = found[0]
    assert (top.kind, top.item, top.lag) == ("food", "greasy", 0)
    assert (top.with_average, top.without_average) == (7.0, 3.0)
    assert (top.with_days, top.without_days) == (len(greasy), 21 - len(greasy))
    assert top.difference == 4.0
    assert [abs(k.difference) for k in found] == sorted(
        (abs(k.difference) for k in found), reverse=True
    )
    text = describe(top)
    assert (
        "7.0" in text and "3.0" in text and f"{len(greasy)} days against {21 - len(greasy)}" in text
    )
    assert "greasy" in text and "after" not in text


def test_a_next_day_link_is_found_with_lag_one() -> None:
    bloated = {n for n in range(28) if n % 4 == 0}
    days = {
        START + timedelta(days=n): day(
            8 if n - 1 in bloated else 2, symptoms={"bloating"} if n in bloated else set()
        )
        for n in range(28)
    }
    found = links(days)
    link = find(found, "bloating", 1)
    assert link is not None and found[0] == link
    # Day 0 has no day before it in the diary, so 27 days can be compared.
    with_days = sum(1 for n in range(1, 28) if n - 1 in bloated)
    assert (link.with_days, link.without_days) == (with_days, 27 - with_days)
    assert (link.with_average, link.without_average) == (8.0, 2.0)
    same_day = find(found, "bloating", 0)
    assert same_day is None or abs(same_day.difference) < abs(link.difference)
    assert "after bloating" in describe(link)


def test_a_day_after_a_gap_is_not_compared_at_lag_one() -> None:
    # Reflux on days 0-3, none on days 10-13; days 4-9 were never written about.
    days = {START + timedelta(days=n): day(2, symptoms={"reflux"}) for n in range(4)}
    days |= {START + timedelta(days=n): day(9) for n in range(10, 14)}
    found = links(days)
    next_day = find(found, "reflux", 1)
    # Day 0 and day 10 have no diary day before them, so each side loses one day.
    assert next_day is not None
    assert (next_day.with_days, next_day.without_days) == (3, 3)
    same_day = find(found, "reflux", 0)
    assert same_day is not None and (same_day.with_days, same_day.without_days) == (4, 4)


def test_fewer_than_three_days_on_a_side_shows_nothing() -> None:
    def diary(alcohol_days: int) -> dict[date, DiaryDay]:
        return {
            START + timedelta(days=n): day(10, foods={"alcohol"}) if n < alcohol_days else day(1)
            for n in range(12)
        }

    assert find(links(diary(2)), "alcohol", 0) is None
    found = find(links(diary(3)), "alcohol", 0)
    assert found is not None and found.with_days == 3
    assert find(links(diary(3), min_days=4), "alcohol", 0) is None
    # Alcohol every day leaves nothing to compare with.
    assert find(links(diary(12)), "alcohol", 0) is None


def test_days_without_pain_do_not_count() -> None:
    days = {START + timedelta(days=n): day(None, foods={"sugary"}) for n in range(10)}
    days |= {START + timedelta(days=n): day(5) for n in range(10, 20)}
    assert find(links(days), "sugary", 0) is None


def test_pure_noise_shows_no_strong_link() -> None:
    rng = random.Random(20260301)
    days = {
        START + timedelta(days=n): day(
            rng.randint(0, 10),
            symptoms={s for s in SYMPTOMS if rng.random() < 0.3},
            foods={g for g in FOOD_GROUPS if rng.random() < 0.3},
        )
        for n in range(200)
    }
    found = links(days)
    assert found, "noise still gives small differences"
    assert max(abs(link.difference) for link in found) < 2.0


def test_an_empty_diary_has_no_links() -> None:
    assert links({}) == []
