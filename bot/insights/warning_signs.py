"""Warning signs recorded in a period, and their readable names (for the recap and the report).

Read from ``safety_events`` by flag and tier only, never text. Its own module so that the weekly
recap does not import the PDF report to list them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.insights.wording import report_wording
from bot.store.models import SafetyEvent, UTCDateTime


@dataclass(frozen=True, slots=True)
class WarningSign:
    on: date  # local date
    flag_id: str
    tier: str


@functools.cache
def _signs_statement() -> Select[tuple[datetime, str, str]]:
    """Built once with bound parameters: the recap runs it for every person every week."""
    return (
        select(SafetyEvent.created_at, SafetyEvent.flag_id, SafetyEvent.tier)
        .where(
            SafetyEvent.user_id == bindparam("user_id", type_=Integer),
            SafetyEvent.created_at >= bindparam("since", type_=UTCDateTime()),
            SafetyEvent.created_at < bindparam("until", type_=UTCDateTime()),
        )
        .order_by(SafetyEvent.created_at, SafetyEvent.id)
    )


async def warning_signs(
    session: AsyncSession, user_id: int, zone: ZoneInfo, start: date, end: date
) -> tuple[WarningSign, ...]:
    """Warning signs recorded on local dates ``start``..``end`` (flag and tier, never text)."""
    # A day either side in UTC covers every local date; the exact cut is made locally.
    since = datetime.combine(start - timedelta(days=1), time(), tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=2), time(), tzinfo=UTC)
    # Plain columns, not ORM objects: this runs for every recap and the rows are only read.
    events = await session.execute(
        _signs_statement(), {"user_id": user_id, "since": since, "until": until}
    )
    signs = (
        WarningSign(created_at.astimezone(zone).date(), flag_id, tier)
        for created_at, flag_id, tier in events
    )
    return tuple(sign for sign in signs if start <= sign.on <= end)


def flag_name(flag_id: str) -> str:
    """A warning sign's id as words: ``gi_black_stool`` -> "Gut: black stool"."""
    words = report_wording()
    parts = flag_id.split("_")
    prefix = words.flag_prefixes.get(parts[0]) if len(parts) > 1 else None
    rest = parts[1:] if prefix else parts
    text = " ".join(words.flag_words.get(part, part) for part in rest)
    return f"{prefix} {text}" if prefix else text[:1].upper() + text[1:]


def tier_name(tier: str) -> str:
    return report_wording().tiers.get(tier, tier)
