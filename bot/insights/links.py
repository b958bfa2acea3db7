"""Gut-to-back links: is back pain higher on days with (or the day after) a food or a symptom?

Each candidate is a digestion symptom or a food group, compared at two lags: the same day (lag 0)
and the next day (lag 1, "the day after greasy food"). Only days with a pain score count, and for
lag 1 only days whose previous day has an entry at all, because a day nobody wrote about says
nothing about what was eaten. A link needs ``min_days`` days on each side so that one bad day
cannot make a pattern. These are patterns to watch, never proof of a cause.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from bot.base.numbers import one_decimal, score
from bot.base.vocabulary import FOOD_GROUPS, SYMPTOMS
from bot.base.wording import t
from bot.diary.questions import PAIN
from bot.diary.view import DiaryDay

LAGS = (0, 1)
#: A difference smaller than this does not show at one decimal and is not worth a sentence.
#: A link is shown only with at least this many days with the item and without it.
MIN_DAYS_EACH_SIDE = 3
MIN_DIFFERENCE = 0.05  # a difference that shows at one decimal
_CANDIDATES = tuple(("symptom", s) for s in SYMPTOMS) + tuple(("food", g) for g in FOOD_GROUPS)


@dataclass(frozen=True, slots=True)
class Link:
    """Mean back pain when the item was present (``lag`` days before) against when it was not."""

    kind: str  # "symptom" or "food"
    item: str
    lag: int  # 0: the same day, 1: the day after
    with_average: float
    with_days: int
    without_average: float
    without_days: int

    @property
    def difference(self) -> float:
        return self.with_average - self.without_average


def _pain(day: DiaryDay) -> float | None:
    return score(day.value(PAIN))


def links(days: Mapping[date, DiaryDay], *, min_days: int = MIN_DAYS_EACH_SIDE) -> list[Link]:
    """Every link with enough support, the largest absolute difference first (all history)."""
    found: list[Link] = []
    one_day = timedelta(days=1)
    scored = [(when, pain) for when, day in days.items() if (pain := _pain(day)) is not None]
    for lag in LAGS:
        # (pain, the day whose items count) for every scored day that has a day to look at.
        pairs = [
            (pain, source)
            for when, pain in scored
            if (source := days.get(when - one_day * lag)) is not None
        ]
        for kind, item in _CANDIDATES:
            with_sum = without_sum = 0.0
            with_n = without_n = 0
            for pain, source in pairs:
                if item in (source.symptoms if kind == "symptom" else source.foods):
                    with_sum += pain
                    with_n += 1
                else:
                    without_sum += pain
                    without_n += 1
            if with_n < min_days or without_n < min_days:
                continue
            link = Link(
                kind, item, lag, with_sum / with_n, with_n, without_sum / without_n, without_n
            )
            if abs(link.difference) >= MIN_DIFFERENCE:
                found.append(link)
    found.sort(key=lambda k: (-abs(k.difference), k.lag, k.kind, k.item))
    return found


def item_name(kind: str, item: str) -> str:
    """The check-in's own label for a symptom or food group, without a leading article."""
    label = t(f"symptom_{item}") if kind == "symptom" else t(f"group_{item}")
    for article in ("a ", "an "):
        if label.startswith(article):
            label = label[len(article) :]
    return label[:1].upper() + label[1:]


def link_subject(link: Link) -> str:
    """The item as it reads mid-sentence: "greasy or fried food", "bloating"."""
    name = item_name(link.kind, link.item)
    return name[:1].lower() + name[1:]


def describe(link: Link) -> str:
    """One plain sentence with both averages and the day counts behind them."""
    from bot.insights.wording import recap_wording

    words = recap_wording()
    template = words.link_next_day if link.lag else words.link_same_day
    return template.format(
        what=link_subject(link),
        with_value=one_decimal(link.with_average),
        without_value=one_decimal(link.without_average),
        with_days=link.with_days,
        without_days=link.without_days,
    )
