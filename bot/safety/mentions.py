"""How an answered warning sign is spoken of later: the follow-up, the recap and the PDF.

Each says something different, on purpose. The follow-up names the day of the answer in the
person's timezone on the day it arrives ("Earlier today", "Yesterday evening", "On Tuesday").
The weekly recap's first lines show on a lock screen, so it never names a sign or a crisis:
"something worrying; I hope you got help", "2 warning signs (emergency advice given)". The PDF,
which the person shows a clinician, names each sign in plain words ("Numbness around the bottom,
groin or genitals"), never an internal id. Words in ``content/safety_wording.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.base.timezones import zone_for
from bot.safety.rules import safety_wording, tier_rank
from bot.safety.screen import fill

#: The PDF names at most this many signs of one moment, then "and N more".
REPORT_NAMES = 2
#: An answer given from this hour on is "yesterday evening" the next day.
EVENING = 17
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def follow_up_text(answered_at: datetime, now: datetime, timezone_name: str | None) -> str:
    """ "Did you get help?", naming the day of the answer as it is where the person is now."""
    words = safety_wording().follow_up
    zone = zone_for(timezone_name or "UTC")
    then = answered_at.astimezone(zone)
    today = now.astimezone(zone).date()
    if then.date() == today:
        when = words.today
    elif then.date() == today - timedelta(days=1):
        when = words.yesterday_evening if then.hour >= EVENING else words.yesterday
    else:
        when = words.weekday.format(weekday=_WEEKDAYS[then.weekday()])
    return fill(words.text.replace("{when}", when), timezone_name)


def plain_name(flag_id: str) -> str:
    """A sign in plain words for the PDF; never the id, even for a flag not named yet."""
    mentions = safety_wording().mentions
    return mentions.plain_names.get(flag_id, mentions.unnamed)


def recap_phrase(tier: str, count: int) -> str:
    """One moment in the weekly recap, discreetly: what kind of advice, never which sign."""
    mentions = safety_wording().mentions
    if tier == "T0":
        return mentions.recap_crisis
    advice = mentions.recap_advice.get(tier, mentions.recap_advice["T4"])  # type: ignore[call-overload]
    template = mentions.recap_one if count == 1 else mentions.recap_many
    return template.format(count=count, advice=advice)


def report_phrase(flag_ids: Sequence[str], tier: str) -> str:
    """One moment in the PDF: its signs in plain words and the advice given."""
    mentions = safety_wording().mentions
    names = list(dict.fromkeys(plain_name(flag_id) for flag_id in flag_ids))
    shown = names[:REPORT_NAMES]
    if len(names) > len(shown):
        shown.append(mentions.report_more.format(count=len(names) - len(shown)))
    advice = mentions.report_advice.get(tier, mentions.report_advice["T4"])  # type: ignore[call-overload]
    return mentions.report_line.format(names="; ".join(shown), advice=advice)


def most_urgent(tiers: Sequence[str]) -> str:
    return min(tiers, key=tier_rank)
