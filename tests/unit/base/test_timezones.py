"""Timezone input: what people type or share becomes a zone that loads and shows the right clock."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from bot.base.timezones import (
    ALIASES,
    DEFAULT_SUGGESTIONS,
    UnknownTimezone,
    describe_zone,
    parse_timezone,
    suggest_timezones,
    timezone_from_location,
    zone_for,
)

WINTER = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
SUMMER = datetime(2025, 7, 15, 12, 0, tzinfo=UTC)


def offset_of(name: str, when: datetime = WINTER) -> timedelta:
    return when.astimezone(zone_for(name)).utcoffset()


# --------------------------------------------------------------------------------------------
# zone_for
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "winter", "summer"),
    [
        ("Europe/Berlin", timedelta(hours=1), timedelta(hours=2)),
        ("America/New_York", timedelta(hours=-5), timedelta(hours=-4)),
        ("Asia/Kathmandu", timedelta(hours=5, minutes=45), timedelta(hours=5, minutes=45)),
        ("UTC+05:30", timedelta(hours=5, minutes=30), timedelta(hours=5, minutes=30)),
        ("UTC-03:00", timedelta(hours=-3), timedelta(hours=-3)),
        ("UTC-09:30", timedelta(hours=-9, minutes=-30), timedelta(hours=-9, minutes=-30)),
        ("UTC", timedelta(0), timedelta(0)),
        ("Etc/GMT-5", timedelta(hours=5), timedelta(hours=5)),
    ],
)
def test_zone_for_loads_stored_names(name: str, winter: timedelta, summer: timedelta) -> None:
    assert offset_of(name, WINTER) == winter
    assert offset_of(name, SUMMER) == summer


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Mars/Olympus_Mons",
        "UTC+5:30",
        "UTC+25:00",
        "../../etc/passwd",
        "localtime",
        "right/Europe/Berlin",
    ],
)
def test_zone_for_refuses_unknown_names(name: str) -> None:
    with pytest.raises(UnknownTimezone):
        zone_for(name)


def test_unknown_timezone_is_a_value_error() -> None:
    """Callers that only know ValueError (config loading, handlers) still catch it."""
    with pytest.raises(ValueError):
        zone_for("Mars/Olympus_Mons")


# --------------------------------------------------------------------------------------------
# parse_timezone
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # IANA names, any case, spaces or underscores
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("America/New York", "America/New_York"),
        ("america/new_york", "America/New_York"),
        (" Asia/Kolkata ", "Asia/Kolkata"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("Etc/GMT-5", "Etc/GMT-5"),
        # retired spellings are stored under today's name
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("Europe/Kiev", "Europe/Kyiv"),
        ("US/Eastern", "America/New_York"),
        # cities that are part of an IANA key
        ("London", "Europe/London"),
        ("berlin", "Europe/Berlin"),
        ("New York", "America/New_York"),
        ("Kathmandu", "Asia/Kathmandu"),
        ("Auckland", "Pacific/Auckland"),
        ("Sydney", "Australia/Sydney"),
        ("Los Angeles", "America/Los_Angeles"),
        ("Chicago", "America/Chicago"),
        ("Toronto", "America/Toronto"),
        ("Paris", "Europe/Paris"),
        ("Madrid", "Europe/Madrid"),
        ("Rome", "Europe/Rome"),
        ("Moscow", "Europe/Moscow"),
        ("Dubai", "Asia/Dubai"),
        ("Singapore", "Asia/Singapore"),
        ("Tokyo", "Asia/Tokyo"),
        ("Hong Kong", "Asia/Hong_Kong"),
        ("São Paulo", "America/Sao_Paulo"),
        ("sao paulo", "America/Sao_Paulo"),
        ("Mexico City", "America/Mexico_City"),
        ("Johannesburg", "Africa/Johannesburg"),
        ("Cairo", "Africa/Cairo"),
        ("Lagos", "Africa/Lagos"),
        ("Nairobi", "Africa/Nairobi"),
        ("Istanbul", "Europe/Istanbul"),
        ("Kyiv", "Europe/Kyiv"),
        ("Warsaw", "Europe/Warsaw"),
        ("Amsterdam", "Europe/Amsterdam"),
        ("Dublin", "Europe/Dublin"),
        ("Lisbon", "Europe/Lisbon"),
        ("Honolulu", "Pacific/Honolulu"),
        ("Anchorage", "America/Anchorage"),
        ("Kiritimati", "Pacific/Kiritimati"),
        ("Port-au-Prince", "America/Port-au-Prince"),
        ("st. john's", "America/St_Johns"),
        # places that are not IANA keys
        ("NYC", "America/New_York"),
        ("LA", "America/Los_Angeles"),
        ("San Francisco", "America/Los_Angeles"),
        ("Munich", "Europe/Berlin"),
        ("MÜNCHEN", "Europe/Berlin"),
        ("Delhi", "Asia/Kolkata"),
        ("Mumbai", "Asia/Kolkata"),
        ("Bangalore", "Asia/Kolkata"),
        ("Beijing", "Asia/Shanghai"),
        ("Germany", "Europe/Berlin"),
        ("india", "Asia/Kolkata"),
        # decorated answers
        ("Paris, France", "Europe/Paris"),
        ("London time", "Europe/London"),
        ("timezone: Tokyo", "Asia/Tokyo"),
        # unambiguous abbreviations
        ("CET", "Europe/Berlin"),
        ("GMT", "UTC"),
        ("utc", "UTC"),
        # offsets: whole hours as Etc/GMT with IANA's inverted sign, others as UTC±hh:mm
        ("+5:30", "UTC+05:30"),
        ("UTC+5:30", "UTC+05:30"),
        ("utc +05:30", "UTC+05:30"),
        ("GMT-3", "Etc/GMT+3"),
        ("+0545", "UTC+05:45"),
        ("+530", "UTC+05:30"),
        ("utc+14", "Etc/GMT-14"),
        ("-9:30", "UTC-09:30"),
        ("−3", "Etc/GMT+3"),  # a real minus sign, as phones type it
        ("+1", "Etc/GMT-1"),
        ("-12", "Etc/GMT+12"),
        ("+12:45", "UTC+12:45"),
        ("UTC+0", "UTC"),
        ("+00:00", "UTC"),
    ],
)
def test_parse_timezone_understands(text: str, expected: str) -> None:
    stored = parse_timezone(text)
    assert stored == expected
    describe_zone(stored, WINTER)  # every stored answer loads back


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "asdf",
        "🙂",
        "🇩🇪",
        "+25:00",
        "+14:30",
        "-12:30",
        "+5:15",
        "+5:60",
        "UTC+99",
        "EST",  # US Eastern or Australian Eastern?
        "IST",  # India, Ireland or Israel?
        "Narnia",
        "Europe/Atlantis",
        "localtime",
        "Factory",
        "x" * 500,
        "8:00",
    ],
)
def test_parse_timezone_refuses(text: str) -> None:
    assert parse_timezone(text) is None


@pytest.mark.parametrize(
    ("text", "hours", "minutes"),
    [("+5", 5, 0), ("GMT-3", -3, 0), ("+5:45", 5, 45), ("-9:30", -9, -30), ("utc+14", 14, 0)],
)
def test_parsed_offsets_keep_the_typed_direction(text: str, hours: int, minutes: int) -> None:
    """IANA's Etc/GMT signs are inverted; the clock the person gets must not be."""
    assert offset_of(parse_timezone(text)) == timedelta(hours=hours, minutes=minutes)


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_every_alias_resolves_to_a_loadable_zone(alias: str) -> None:
    assert parse_timezone(alias) == ALIASES[alias]
    zone_for(ALIASES[alias])


# --------------------------------------------------------------------------------------------
# suggestions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language_code", "first"),
    [
        ("de", "Europe/Berlin"),
        ("en-GB", "Europe/London"),
        ("en_gb", "Europe/London"),
        ("en-US", "America/New_York"),
        ("hi", "Asia/Kolkata"),
        ("pt-BR", "America/Sao_Paulo"),
        ("pt-br", "America/Sao_Paulo"),
        ("pt", "Europe/Lisbon"),
        ("ja", "Asia/Tokyo"),
        ("zh-TW", "Asia/Taipei"),
        ("ne", "Asia/Kathmandu"),
        ("uk", "Europe/Kyiv"),
    ],
)
def test_suggestions_start_with_the_likeliest_zone(language_code: str, first: str) -> None:
    suggestions = suggest_timezones(language_code)
    assert suggestions[0] == first
    assert len(suggestions) == 6
    assert len(set(suggestions)) == 6
    for name in suggestions:
        zone_for(name)


def test_pt_br_also_offers_portugal_and_the_world() -> None:
    suggestions = suggest_timezones("pt-BR")
    assert suggestions[:2] == ["America/Sao_Paulo", "Europe/Lisbon"]
    assert "Europe/London" in suggestions


@pytest.mark.parametrize("language_code", [None, "", "xx", "tlh-KLINGON"])
def test_unknown_language_gets_the_worldwide_list(language_code: str | None) -> None:
    assert suggest_timezones(language_code) == list(DEFAULT_SUGGESTIONS[:6])


def test_suggestions_are_not_shared_mutable_state() -> None:
    suggest_timezones("de").clear()
    assert len(suggest_timezones("de")) == 6


# --------------------------------------------------------------------------------------------
# location
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latitude", "longitude", "expected"),
    [
        (52.52, 13.405, "Europe/Berlin"),
        (40.71, -74.0, "America/New_York"),
        (27.7, 85.3, "Asia/Kathmandu"),
        (-36.85, 174.76, "Pacific/Auckland"),
        (0.0, -160.0, None),  # open Pacific
        (91.0, 0.0, None),
        (0.0, 181.0, None),
        (math.nan, 0.0, None),
    ],
)
def test_timezone_from_location(latitude: float, longitude: float, expected: str | None) -> None:
    assert timezone_from_location(latitude, longitude) == expected


def test_location_lookup_from_several_threads() -> None:
    points = [(52.52, 13.405), (40.71, -74.0), (27.7, 85.3), (0.0, -160.0)] * 10
    expected = ["Europe/Berlin", "America/New_York", "Asia/Kathmandu", None] * 10
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda p: timezone_from_location(*p), points))
    assert found == expected


# --------------------------------------------------------------------------------------------
# describe_zone
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "now", "label"),
    [
        ("Europe/Berlin", WINTER, "Europe/Berlin (UTC+01:00)"),
        ("Europe/Berlin", SUMMER, "Europe/Berlin (UTC+02:00)"),
        ("America/New_York", WINTER, "America/New_York (UTC-05:00)"),
        ("Asia/Kathmandu", WINTER, "Asia/Kathmandu (UTC+05:45)"),
        ("Pacific/Kiritimati", WINTER, "Pacific/Kiritimati (UTC+14:00)"),
        ("Etc/GMT-5", WINTER, "UTC+05:00"),
        ("Etc/GMT+3", WINTER, "UTC-03:00"),
        ("UTC-09:30", WINTER, "UTC-09:30"),
        ("UTC", WINTER, "UTC"),
    ],
)
def test_describe_zone(name: str, now: datetime, label: str) -> None:
    assert describe_zone(name, now) == label


def test_describe_zone_needs_an_aware_clock() -> None:
    with pytest.raises(ValueError):
        describe_zone("Europe/Berlin", datetime(2025, 1, 1))
