"""How a link from the insight engine is said: one sentence shared by the recap and the PDF.

The numbers come from :mod:`bot.insights.engine` (the one engine the recap, its focus, the PDF
and ``gutback analyse`` use). A link is worded as a hypothesis worth testing with an experiment,
never as a finding: a diary can suggest a cause, only a randomised experiment can test one. The
sentence gives the plain averages a person can check (days with, days without) and the model's
difference with its interval, which allows for pain carrying over from day to day.
"""

from __future__ import annotations

from bot.base.numbers import one_decimal
from bot.base.wording import fill, t
from bot.insights.engine import Analysis, Link
from bot.insights.wording import recap_wording

#: How many links the recap and the PDF show at most (strongest evidence first).
TOP_LINKS = 3


def item_name(kind: str, item: str) -> str:
    """The check-in's own label for a factor, without a leading article: "Greasy or fried food".

    A factor the vocabulary has no label for (a medicine id the view added) reads as its id.
    """
    words = recap_wording()
    if kind == "symptom":
        label = t(f"symptom_{item}")
    elif kind == "food":
        label = t(f"group_{item}")
    elif kind == "stress":
        label = words.factor_high_stress
    elif kind == "sleep":
        label = words.factor_poor_sleep
    else:
        label = words.factor_names.get(item, item.replace("_", " "))
    for article in ("a ", "an "):
        if label.startswith(article):
            label = label[len(article) :]
    return label[:1].upper() + label[1:]


def link_subject(link: Link) -> str:
    """The item as it reads mid-sentence: "greasy or fried food", "bloating"."""
    name = item_name(link.kind, link.item)
    return name[:1].lower() + name[1:]


def describe(link: Link) -> str:
    """One plain sentence: both averages, the model's difference and its likely range."""
    words = recap_wording()
    template = words.link_next_day if link.lag else words.link_same_day
    higher = link.effect > 0
    low, high = (link.low, link.high) if higher else (-link.high, -link.low)
    return fill(
        template,
        what=link_subject(link),
        with_value=one_decimal(link.with_average),
        without_value=one_decimal(link.without_average),
        with_days=link.with_days,
        without_days=link.without_days,
        effect=one_decimal(abs(link.effect)),
        direction=words.link_higher if higher else words.link_lower,
        low=one_decimal(low),
        high=one_decimal(high),
    )


def links_section(analysis: Analysis) -> list[str]:
    """The recap's lines about links: a heading and the top links, or why there are none."""
    if not analysis.links:
        return status_lines(analysis)
    heading = recap_wording().links_heading
    return [heading, *(f"• {describe(link)}" for link in analysis.links[:TOP_LINKS])]


def status_lines(analysis: Analysis) -> list[str]:
    """What to say when no link is shown: too early (how many more days), or no clear pattern."""
    words = recap_wording()
    if analysis.links:
        return []
    if analysis.too_early:
        return [fill(words.links_too_early, count=analysis.more_days)]
    lines = [words.links_none]
    if analysis.waiting:
        first = analysis.waiting[0]
        lines.append(
            fill(
                words.links_waiting,
                what=link_subject_of(first.kind, first.item),
                count=first.more_days,
            )
        )
    return lines


def link_subject_of(kind: str, item: str) -> str:
    name = item_name(kind, item)
    return name[:1].lower() + name[1:]
