"""Warning signs recorded in a period, and how the recap and the report speak of them.

Read from ``safety_events`` by flag and tier only, never text. Its own module so that the weekly
recap does not import the PDF report to list them. One answer is one moment, however many flags
it named (its rows share one instant). The recap names a moment discreetly, since its first lines
show on a lock screen; the PDF names each sign in plain words (:mod:`bot.safety.mentions`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.diary.view import FIRST_EXTRA_SOURCE, extra_rows
from bot.safety.mentions import most_urgent, recap_phrase, report_phrase
from bot.safety.rules import tier_rank
from bot.store.models import SafetyEvent, UTCDateTime

#: ``safety_events.source`` of the pain alert (:func:`bot.safety.events.pain_alert_message`).
COMPUTED_SOURCE = "pain"


@dataclass(frozen=True, slots=True)
class WarningSign:
    on: date  # local date
    flag_id: str
    tier: str
    #: When it was answered; signs of one answer share it.
    at: datetime | None = None
    #: Where it came from: what the person said, or ``"pain"`` for an alert the bot computed
    #: from the pain scores (shown as such, never as something the person reported).
    source: str = ""

    @property
    def computed(self) -> bool:
        return self.source == COMPUTED_SOURCE


@dataclass(frozen=True, slots=True)
class Moment:
    """One answer: the signs it named and the most urgent tier among them."""

    on: date
    tier: str
    flag_ids: tuple[str, ...]


def moments(signs: tuple[WarningSign, ...]) -> list[Moment]:
    """Signs grouped by the answer they came with, in order."""
    groups: list[list[WarningSign]] = []
    for sign in signs:
        if groups and sign.at is not None and groups[-1][-1].at == sign.at:
            groups[-1].append(sign)
        else:
            groups.append([sign])
    return [
        Moment(
            group[0].on,
            most_urgent([sign.tier for sign in group]),
            tuple(dict.fromkeys(sign.flag_id for sign in group)),
        )
        for group in groups
    ]


def by_urgency(found: list[Moment]) -> list[Moment]:
    """Most urgent first (a crisis before a same-day sign), then by date."""
    return sorted(found, key=lambda moment: (tier_rank(moment.tier), moment.on))


def recap_words(moment: Moment) -> str:
    """A moment for the weekly recap: "2 warning signs (emergency advice given)"."""
    return recap_phrase(moment.tier, len(moment.flag_ids))


def report_words(moment: Moment) -> str:
    """A moment for the PDF: its signs in plain words and the advice given."""
    return report_phrase(moment.flag_ids, moment.tier)


#: Table columns, not the ORM's attributes: plain Core statements (no per-row ORM loading).
_EVENTS = SafetyEvent.__table__.c


def _where() -> list[Any]:
    return [
        _EVENTS.user_id == bindparam("user_id", type_=Integer),
        _EVENTS.created_at >= bindparam("since", type_=UTCDateTime()),
        _EVENTS.created_at < bindparam("until", type_=UTCDateTime()),
    ]


@functools.cache
def _signs_statement() -> Select[tuple[datetime, str, str, str]]:
    """Built once with bound parameters: the recap runs it for every person every week."""
    return (
        select(_EVENTS.created_at, _EVENTS.flag_id, _EVENTS.tier, _EVENTS.source)
        .where(*_where())
        .order_by(_EVENTS.created_at, _EVENTS.id)
    )


#: The source number of warning-sign rows read with the diary (:func:`signs_with_the_diary`).
SIGNS_SOURCE = FIRST_EXTRA_SOURCE


@functools.cache
def signs_with_the_diary() -> Select[Any]:
    """The same rows as :func:`warning_signs` reads, in the diary statement's columns.

    The recap reads them in the diary's round trip (:func:`bot.diary.view.diary_statement`'s
    ``more``): flag in ``question``, tier in ``text``, where it came from in ``tag``. Its bound
    parameters are :func:`signs_params`.
    """
    return extra_rows(
        SIGNS_SOURCE,
        at=_EVENTS.created_at,
        row_id=_EVENTS.id,
        where=_where(),
        question=_EVENTS.flag_id,
        text=_EVENTS.tier,
        tag=_EVENTS.source,
    )


def signs_params(start: date, end: date) -> dict[str, datetime]:
    """The UTC instants that cover local dates ``start``..``end`` in every timezone.

    A day either side in UTC covers every local date; the exact cut is made locally.
    """
    return {
        "since": datetime.combine(start - timedelta(days=1), time(), tzinfo=UTC),
        "until": datetime.combine(end + timedelta(days=2), time(), tzinfo=UTC),
    }


def signs_from_rows(rows: Any, zone: ZoneInfo, start: date, end: date) -> tuple[WarningSign, ...]:
    """Warning signs on local dates ``start``..``end`` from (created_at, flag, tier, source)
    rows in time order."""
    signs = (
        WarningSign(created_at.astimezone(zone).date(), flag_id, tier, created_at, source)
        for created_at, flag_id, tier, source in rows
    )
    return tuple(sign for sign in signs if start <= sign.on <= end)


async def warning_signs(
    session: AsyncSession, user_id: int, zone: ZoneInfo, start: date, end: date
) -> tuple[WarningSign, ...]:
    """Warning signs recorded on local dates ``start``..``end`` (flag and tier, never text)."""
    # Plain columns, not ORM objects: this runs for every recap and the rows are only read.
    events = await session.execute(
        _signs_statement(), {"user_id": user_id, **signs_params(start, end)}
    )
    return signs_from_rows(events, zone, start, end)
