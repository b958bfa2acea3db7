"""Timezone input and lookup: turning what a person types or shares into a zone we can store.

The Bot API never tells us a user's timezone, so onboarding asks for it. People answer in many
ways ("Berlin", "new york", "UTC+5:30", "GMT-3", a shared location), and a wrong guess means
reminders at the wrong hour for months. This module accepts the common answers, refuses what it
cannot understand (the caller then asks again), and always returns one canonical string that
:func:`zone_for` can load back later.

Stored forms:

* an IANA key such as ``"Europe/Berlin"`` (daylight saving handled by ``zoneinfo``);
* a whole-hour offset as IANA's ``"Etc/GMT-5"`` (mind the inverted sign: that is UTC+05:00);
* any other offset as ``"UTC+05:30"`` / ``"UTC-09:30"``, or plain ``"UTC"``.

What people type goes beyond that: "Paris France" (a city and its country), "EST" or "IST" (an
abbreviation, which for IST could be India, Israel or Ireland), "Москва" or "東京" (a city in its
own script), "GMT+2" (an offset, which keeps no daylight saving). :func:`read_timezone` answers
with a :class:`Reading`: the zone to store, the places to offer as buttons, or both. The names
beyond the tz data's own live in ``content/timezones.yaml``.

Everything expensive (the zone list, the city index, the location finder) is built once, lazily,
on first use, never at import time.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.base.content import load_model

__all__ = [
    "Choice",
    "Reading",
    "UnknownTimezone",
    "describe_zone",
    "format_offset",
    "is_fixed_offset",
    "parse_timezone",
    "place_name",
    "read_timezone",
    "same_offset_zones",
    "suggest_timezones",
    "timezone_from_location",
    "timezone_names",
    "zone_for",
]


class UnknownTimezone(ValueError):
    """A stored or requested timezone name that neither zoneinfo nor our fixed-offset form knows."""


# --------------------------------------------------------------------------------------------
# Loading stored names
# --------------------------------------------------------------------------------------------

_FIXED_RE = re.compile(r"UTC([+-])(\d{2}):(\d{2})")


@lru_cache(maxsize=4096)
def zone_for(name: str) -> tzinfo:
    """Return the tzinfo for a stored zone name; cached because the sweep calls it per prompt.

    Accepts IANA keys and the fixed-offset forms ``"UTC"`` and ``"UTC+05:30"``.
    Raises :class:`UnknownTimezone` for anything else.
    """
    if not isinstance(name, str) or not name:
        raise UnknownTimezone(f"unknown timezone: {name!r}")
    if name == "UTC":
        return UTC
    fixed = _FIXED_RE.fullmatch(name)
    if fixed:
        sign, hours, minutes = fixed.group(1), int(fixed.group(2)), int(fixed.group(3))
        if hours > 23 or minutes > 59:
            raise UnknownTimezone(f"unknown timezone: {name!r}")
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if sign == "-" else delta)
    if name in _NOT_A_ZONE or name.startswith(("posix/", "right/")):
        raise UnknownTimezone(f"unknown timezone: {name!r}")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise UnknownTimezone(f"unknown timezone: {name!r}") from exc


# Keys that zoneinfo can load but that must never be stored: "localtime" is whatever the host
# happens to use, "Factory" is a placeholder with no real offset, and the "right/" copies count
# leap seconds, which would put every reminder about half a minute off.
_NOT_A_ZONE = frozenset({"localtime", "Factory", "posixrules"})


def format_offset(offset: timedelta) -> str:
    """Render an offset the way people read it: ``UTC+05:30``, ``UTC-03:00``, ``UTC+00:00``."""
    total = int(offset.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def describe_zone(name: str, now_utc: datetime) -> str:
    """A short label for confirmations and settings, using the offset in force at ``now_utc``.

    IANA zones show their name and current offset ("Europe/Berlin (UTC+01:00)") so the person
    can see both where we think they are and what their clock says; pure offsets show only the
    offset, because "Etc/GMT-5" reads backwards to humans.
    """
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be timezone-aware")
    zone = zone_for(name)
    offset = now_utc.astimezone(zone).utcoffset() or timedelta(0)
    if name == "UTC":
        return "UTC"
    if isinstance(zone, timezone) or name.startswith("Etc/"):
        return format_offset(offset)
    return f"{name} ({format_offset(offset)})"


# --------------------------------------------------------------------------------------------
# Parsing what a person types
# --------------------------------------------------------------------------------------------

# Areas whose keys name real places; "US/...", "Etc/...", "SystemV/..." and friends do not.
_PLACE_AREAS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)

# Last components of legacy keys that are not places a person would type as a city.
_NOT_CITIES = frozenset({"act", "nsw", "lhi", "north", "south", "west", "east", "central"})

# Places people type that are not the city part of an IANA key: other big cities of a zone,
# old or local spellings, and countries (mapped to their main city). Countries spanning several
# zones with no clear majority (USA, Canada, Australia) are left out on purpose.
ALIASES: dict[str, str] = {
    # North America
    "nyc": "America/New_York",
    "ny": "America/New_York",
    "new york city": "America/New_York",
    "manhattan": "America/New_York",
    "brooklyn": "America/New_York",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "washington dc": "America/New_York",
    "dc": "America/New_York",
    "philadelphia": "America/New_York",
    "atlanta": "America/New_York",
    "miami": "America/New_York",
    "montreal": "America/Toronto",
    "ottawa": "America/Toronto",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "austin": "America/Chicago",
    "salt lake city": "America/Denver",
    "calgary": "America/Edmonton",
    "la": "America/Los_Angeles",
    "san francisco": "America/Los_Angeles",
    "sf": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "san diego": "America/Los_Angeles",
    "las vegas": "America/Los_Angeles",
    "hawaii": "Pacific/Honolulu",
    "alaska": "America/Anchorage",
    "mexico": "America/Mexico_City",
    "guadalajara": "America/Mexico_City",
    # South America
    "brazil": "America/Sao_Paulo",
    "rio": "America/Sao_Paulo",
    "rio de janeiro": "America/Sao_Paulo",
    "brasilia": "America/Sao_Paulo",
    "argentina": "America/Argentina/Buenos_Aires",
    "colombia": "America/Bogota",
    "peru": "America/Lima",
    "chile": "America/Santiago",
    # Europe
    "uk": "Europe/London",
    "united kingdom": "Europe/London",
    "england": "Europe/London",
    "britain": "Europe/London",
    "great britain": "Europe/London",
    "scotland": "Europe/London",
    "wales": "Europe/London",
    "manchester": "Europe/London",
    "edinburgh": "Europe/London",
    "glasgow": "Europe/London",
    "ireland": "Europe/Dublin",
    "germany": "Europe/Berlin",
    "deutschland": "Europe/Berlin",
    "munich": "Europe/Berlin",
    "munchen": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "cologne": "Europe/Berlin",
    "koln": "Europe/Berlin",
    "france": "Europe/Paris",
    "lyon": "Europe/Paris",
    "marseille": "Europe/Paris",
    "spain": "Europe/Madrid",
    "barcelona": "Europe/Madrid",
    "portugal": "Europe/Lisbon",
    "porto": "Europe/Lisbon",
    "italy": "Europe/Rome",
    "milan": "Europe/Rome",
    "milano": "Europe/Rome",
    "naples": "Europe/Rome",
    "florence": "Europe/Rome",
    "venice": "Europe/Rome",
    "netherlands": "Europe/Amsterdam",
    "holland": "Europe/Amsterdam",
    "rotterdam": "Europe/Amsterdam",
    "belgium": "Europe/Brussels",
    "switzerland": "Europe/Zurich",
    "geneva": "Europe/Zurich",
    "bern": "Europe/Zurich",
    "austria": "Europe/Vienna",
    "poland": "Europe/Warsaw",
    "krakow": "Europe/Warsaw",
    "czechia": "Europe/Prague",
    "czech republic": "Europe/Prague",
    "ukraine": "Europe/Kyiv",
    "kharkiv": "Europe/Kyiv",
    "odesa": "Europe/Kyiv",
    "odessa": "Europe/Kyiv",
    "lviv": "Europe/Kyiv",
    "greece": "Europe/Athens",
    "turkey": "Europe/Istanbul",
    "turkiye": "Europe/Istanbul",
    "ankara": "Europe/Istanbul",
    "russia": "Europe/Moscow",
    "st petersburg": "Europe/Moscow",
    "saint petersburg": "Europe/Moscow",
    "sweden": "Europe/Stockholm",
    "norway": "Europe/Oslo",
    "denmark": "Europe/Copenhagen",
    "finland": "Europe/Helsinki",
    # Africa and the Middle East
    "egypt": "Africa/Cairo",
    "nigeria": "Africa/Lagos",
    "abuja": "Africa/Lagos",
    "kenya": "Africa/Nairobi",
    "south africa": "Africa/Johannesburg",
    "cape town": "Africa/Johannesburg",
    "pretoria": "Africa/Johannesburg",
    "uae": "Asia/Dubai",
    "abu dhabi": "Asia/Dubai",
    "israel": "Asia/Jerusalem",
    "tel aviv": "Asia/Jerusalem",
    "iran": "Asia/Tehran",
    "saudi arabia": "Asia/Riyadh",
    # Asia and Oceania
    "india": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "bombay": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "chennai": "Asia/Kolkata",
    "madras": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata",
    "pune": "Asia/Kolkata",
    "nepal": "Asia/Kathmandu",
    "pakistan": "Asia/Karachi",
    "lahore": "Asia/Karachi",
    "islamabad": "Asia/Karachi",
    "bangladesh": "Asia/Dhaka",
    "china": "Asia/Shanghai",
    "beijing": "Asia/Shanghai",
    "peking": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai",
    "japan": "Asia/Tokyo",
    "osaka": "Asia/Tokyo",
    "kyoto": "Asia/Tokyo",
    "korea": "Asia/Seoul",
    "south korea": "Asia/Seoul",
    "taiwan": "Asia/Taipei",
    "thailand": "Asia/Bangkok",
    "vietnam": "Asia/Ho_Chi_Minh",
    "hanoi": "Asia/Ho_Chi_Minh",
    "philippines": "Asia/Manila",
    "indonesia": "Asia/Jakarta",
    "malaysia": "Asia/Kuala_Lumpur",
    "new zealand": "Pacific/Auckland",
    "nz": "Pacific/Auckland",
    "wellington": "Pacific/Auckland",
    "canberra": "Australia/Sydney",
}

_OFFSET_RE = re.compile(
    r"(?:(?:utc|gmt|z)\s*)?([+-])\s*(?:(\d{1,2}):(\d{2})|(\d{1,2})|(\d{3,4}))(?:\s*h(?:rs?|ours?)?)?"
)
_MAX_INPUT = 80
_PREFIX_ZONE_RE = re.compile(r"^(?:my\s+)?(?:time\s*zone|tz)\s*(?:is\s+)?[:=]?\s*")
_SUFFIX_TIME_RE = re.compile(r"\s+(?:time|time\s*zone|timezone)$")
_DROP_CHARS = str.maketrans({"'": "", "’": "", "`": "", "ة": "ه", "ى": "ي"})
_SPACE_RE = re.compile(r"[\s_.,\-]+")


def _fold(text: str) -> str:
    """Case-, accent- and separator-insensitive form used for every lookup key.

    Arabic's final forms fold too (ة as ه, ى as ي): people type either.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.casefold().translate(_DROP_CHARS)
    return _SPACE_RE.sub(" ", stripped).strip()


def _iana_key(text: str) -> str:
    """Lookup form for full IANA keys: :func:`_fold` per part, slashes kept ("-" reads as "_")."""
    parts = [_fold(part).replace(" ", "_") for part in text.split("/")]
    return "/".join(parts)


def _tzdata_files() -> Iterable[Path]:
    for directory in zoneinfo.TZPATH:
        yield Path(directory)
    try:  # the optional "tzdata" wheel, used where the system has no zone files
        import importlib.resources

        yield Path(str(importlib.resources.files("tzdata") / "zoneinfo"))
    except (ImportError, ModuleNotFoundError, TypeError):
        return


@dataclass(frozen=True, slots=True)
class _Tables:
    """What the tz data's own tables say, beyond the zone files themselves."""

    #: Link names to their targets ("Asia/Calcutta" -> "Asia/Kolkata").
    links: dict[str, str]
    #: The names tzdata lists as current.
    current: set[str]
    #: Folded country name -> ISO 3166 code, from iso3166.tab.
    countries: dict[str, str]
    #: ISO code -> its zones, in the order zone.tab lists them (main zone first).
    country_zones: dict[str, list[str]]
    #: Zone -> the codes of the countries it serves.
    zone_countries: dict[str, set[str]]


def _country_names(lines: Iterable[str]) -> dict[str, str]:
    """iso3166.tab's names, folded; "Britain (UK)" also as "britain", "&" also as "and"."""
    names: dict[str, str] = {}
    short: dict[str, set[str]] = {}
    for line in lines:
        fields = line.split("\t")
        if len(fields) < 2 or line.startswith("#"):
            continue
        code, name = fields[0].strip(), fields[1].strip()
        names[_fold(name)] = code
        names[_fold(name.replace("&", "and"))] = code
        if "(" in name:
            short.setdefault(_fold(name.split("(", 1)[0]), set()).add(code)
    for name, codes in short.items():
        if len(codes) == 1 and name not in names:  # "Korea" could be either: left out
            names[name] = codes.pop()
    return names


def _read_tables() -> _Tables:
    """Read the tz data's tables once; where they are missing everything still works, just less.

    Without them "Asia/Calcutta" is stored as typed (zoneinfo still loads it) and "City Country"
    is not checked against the country.
    """
    tables = _Tables({}, set(), {}, {}, {})
    for directory in _tzdata_files():
        source = directory / "tzdata.zi"
        if not source.is_file():
            continue
        for line in source.read_text(encoding="utf-8").splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[0] == "L":
                tables.links[fields[2]] = fields[1]
            elif len(fields) >= 2 and fields[0] == "Z":
                tables.current.add(fields[1])
        for table in ("zone.tab", "zone1970.tab"):
            path = directory / table
            if not path.is_file():
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                fields = line.split("\t")
                if len(fields) < 3 or line.startswith("#"):
                    continue
                zone = fields[2]
                tables.current.add(zone)
                for code in fields[0].split(","):
                    zones = tables.country_zones.setdefault(code, [])
                    if zone not in zones:
                        zones.append(zone)
                    tables.zone_countries.setdefault(zone, set()).add(code)
        iso = directory / "iso3166.tab"
        if iso.is_file():
            tables.countries.update(_country_names(iso.read_text(encoding="utf-8").splitlines()))
        break
    return tables


# --------------------------------------------------------------------------------------------
# The names in content/timezones.yaml
# --------------------------------------------------------------------------------------------


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NamedChoice(_Content):
    zone: str
    label: str = Field(min_length=1, max_length=32)


class TimezoneNames(_Content):
    """Abbreviations, ambiguous names, places in other scripts, countries (see the file)."""

    abbreviations: dict[str, str]
    ambiguous: dict[str, list[NamedChoice]]
    places: dict[str, str]
    countries: dict[str, str]
    country_choices: dict[str, list[str]]

    @field_validator("ambiguous")
    @classmethod
    def _two_or_more(cls, value: dict[str, list[NamedChoice]]) -> dict[str, list[NamedChoice]]:
        single = [name for name, choices in value.items() if len(choices) < 2]
        if single:
            raise ValueError(f"an ambiguous name needs two places or more: {single}")
        return value

    @field_validator("countries")
    @classmethod
    def _iso_codes(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [name for name, code in value.items() if not re.fullmatch(r"[A-Z]{2}", code)]
        if bad:
            raise ValueError(f"not an ISO 3166 code: {bad}")
        return value

    def zones(self) -> set[str]:
        """Every zone the file names (the content test loads each one)."""
        named = set(self.abbreviations.values()) | set(self.places.values())
        named |= {choice.zone for choices in self.ambiguous.values() for choice in choices}
        named |= {zone for zones in self.country_choices.values() for zone in zones}
        return named


@cache
def timezone_names() -> TimezoneNames:
    return load_model("timezones.yaml", TimezoneNames)


# --------------------------------------------------------------------------------------------
# The index
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    """A place to offer as a button: its zone and what the button says."""

    zone: str
    label: str


@dataclass(frozen=True, slots=True)
class Reading:
    """What a typed answer says about the person's timezone.

    ``zone`` is what to store (``None``: ask again). ``choices`` are places to offer as buttons:
    instead of a zone when the answer could mean several ("IST", "USA"), or beside it when the
    zone is a fixed offset ("GMT+2"), so the person can pick a zone that keeps daylight saving.
    """

    zone: str | None = None
    choices: tuple[Choice, ...] = ()

    @property
    def fixed(self) -> bool:
        return self.zone is not None and is_fixed_offset(self.zone)


#: At most this many places are offered at once.
MAX_CHOICES = 8


def place_name(zone: str) -> str:
    """The place part of a zone, as a button says it: "America/New_York" -> "New York"."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


class _Index:
    """Lookup tables for parse_timezone, built once from the installed zone list."""

    def __init__(self) -> None:
        available = {k for k in zoneinfo.available_timezones() if k not in _NOT_A_ZONE}
        tables = _read_tables()
        links, current = tables.links, tables.current

        def canonical(key: str) -> str:
            if key in current or key not in links:
                return key
            target = links[key]
            return target if target in available else key

        def usable(zone: str) -> bool:
            return zone == "UTC" or zone in available

        self.iana: dict[str, str] = {}
        self.cities: dict[str, str] = {}
        city_rank: dict[str, tuple[int, str]] = {}
        for key in sorted(available):
            if "/" not in key:
                continue  # "EST", "Japan", "GB": legacy names, handled by the tables above
            self.iana[_iana_key(key)] = canonical(key)
            area, _, _rest = key.partition("/")
            if area not in _PLACE_AREAS:
                continue
            city = _fold(key.rsplit("/", 1)[1])
            if not city or city in _NOT_CITIES:
                continue
            # A name tzdata lists as current beats a retired link with the same city part.
            rank = (0 if key in current or not current else 1, key)
            if city not in city_rank or rank < city_rank[city]:
                city_rank[city] = rank
                self.cities[city] = canonical(key)
        names = timezone_names()
        self.aliases = {
            _fold(alias): target for alias, target in ALIASES.items() if target in available
        }
        self.abbreviations = {
            _fold(abbr): target for abbr, target in names.abbreviations.items() if usable(target)
        }
        self.places = {
            _fold(place): target for place, target in names.places.items() if usable(target)
        }
        self.ambiguous = {
            _fold(name): tuple(Choice(c.zone, c.label) for c in choices if usable(c.zone))
            for name, choices in names.ambiguous.items()
        }
        self.countries = {**tables.countries}
        self.countries.update({_fold(name): code for name, code in names.countries.items()})
        self.zone_countries = tables.zone_countries
        self.country_zones = {
            code: [canonical(zone) for zone in zones if zone in available]
            for code, zones in tables.country_zones.items()
        }
        self.country_choices = {
            code: [zone for zone in zones if zone in available]
            for code, zones in names.country_choices.items()
        }
        #: Well-known places first, then every current zone: the order offsets are matched in.
        popular = [*DEFAULT_SUGGESTIONS, *_BY_REGION.values()]
        popular += [zone for zones in _BY_LANGUAGE.values() for zone in zones]
        popular += sorted(
            zone
            for zone in tables.zone_countries
            if zone.partition("/")[0] in _PLACE_AREAS - {"Antarctica", "Arctic"}
        )
        self.places_in_order = tuple(dict.fromkeys(z for z in popular if z in available))

    def one_zone(self, key: str) -> str | None:
        """The zone a single name stands for: abbreviation, place, alias or city."""
        for table in (self.abbreviations, self.places, self.aliases, self.cities):
            found = table.get(key)
            if found:
                return found
        return None


@cache
def _index() -> _Index:
    return _Index()


def _parse_offset(text: str) -> str | bool | None:
    """The stored form of a typed UTC offset; None if out of range, False if not an offset."""
    match = _OFFSET_RE.fullmatch(text)
    if not match:
        return False
    sign, colon_h, colon_m, bare_h, compact = match.groups()
    if colon_h is not None:
        hours, minutes = int(colon_h), int(colon_m)
    elif bare_h is not None:
        hours, minutes = int(bare_h), 0
    else:
        hours, minutes = int(compact[:-2]), int(compact[-2:])
    if minutes not in (0, 30, 45):
        return None
    total = hours * 60 + minutes
    if sign == "-":
        total = -total
    if not -12 * 60 <= total <= 14 * 60:
        return None
    if total == 0:
        return "UTC"
    if minutes == 0:
        # IANA's Etc zones use POSIX signs: Etc/GMT-5 is five hours *ahead* of UTC.
        return f"Etc/GMT{'-' if total > 0 else '+'}{abs(hours)}"
    return format_offset(timedelta(minutes=total))


def is_fixed_offset(name: str) -> bool:
    """A stored zone that keeps one offset all year: ``UTC``, ``Etc/GMT-5``, ``UTC+05:30``."""
    return name in ("UTC", "Etc/UTC") or name.startswith("Etc/") or bool(_FIXED_RE.fullmatch(name))


def _offset_at(name: str, now: datetime) -> timedelta:
    return now.astimezone(zone_for(name)).utcoffset() or timedelta(0)


def same_offset_zones(name: str, now: datetime) -> tuple[Choice, ...]:
    """Named places whose clocks show what ``name`` shows at ``now``, well-known ones first.

    Offered beside a fixed offset: a person who picks their place gets daylight saving too.
    """
    offset = _offset_at(name, now)
    found = [
        Choice(zone, place_name(zone))
        for zone in _index().places_in_order
        if _offset_at(zone, now) == offset
    ]
    return tuple(found[:6])


def _year_pattern(zone: str, year: int) -> tuple[timedelta, timedelta]:
    """A zone's offsets in January and July: two zones with the same pattern keep one clock."""
    return (
        _offset_at(zone, datetime(year, 1, 15, 12, tzinfo=UTC)),
        _offset_at(zone, datetime(year, 7, 15, 12, tzinfo=UTC)),
    )


def _country_reading(code: str, now: datetime) -> Reading:
    """A country named alone: its zone, or a button for each of its clocks."""
    index = _index()
    curated = index.country_choices.get(code)
    if curated:
        zones = curated
    else:
        zones, patterns = [], set()
        for zone in index.country_zones.get(code, ()):
            pattern = _year_pattern(zone, now.year)
            if pattern not in patterns:
                patterns.add(pattern)
                zones.append(zone)
    if not zones:
        return Reading()
    if len(zones) == 1:
        return Reading(zones[0])
    return Reading(choices=tuple(Choice(zone, place_name(zone)) for zone in zones[:MAX_CHOICES]))


def _named(key: str, now: datetime) -> Reading | None:
    """One name, whole: an abbreviation, an ambiguous one, a place, a city or a country."""
    index = _index()
    zone = index.one_zone(key)
    if zone is not None:
        return _zone_reading(zone, now)
    if key in index.ambiguous:
        return Reading(choices=index.ambiguous[key])
    if key in index.countries:
        return _country_reading(index.countries[key], now)
    return None


def _city_and_country(key: str, now: datetime) -> Reading | None:
    """ "paris france", "new york usa": a place followed by its country.

    The place must lie in that country ("Paris USA" is not Paris, France); otherwise, or when
    the place is unknown ("Leipzig Germany"), the country alone answers.
    """
    index = _index()
    words = key.split(" ")
    for cut in range(len(words) - 1, 0, -1):
        code = index.countries.get(" ".join(words[cut:]))
        if code is None:
            continue
        zone = index.one_zone(" ".join(words[:cut]))
        if zone is not None and (
            not index.zone_countries or code in index.zone_countries.get(zone, ())
        ):
            return _zone_reading(zone, now)
        return _country_reading(code, now)
    return None


def _zone_reading(zone: str, now: datetime) -> Reading:
    return Reading(zone, same_offset_zones(zone, now) if is_fixed_offset(zone) else ())


def read_timezone(text: str, now: datetime | None = None) -> Reading:
    """Read a typed answer: the zone to store, places to offer, or neither (ask again).

    Tries, in order: a UTC offset, a full IANA key, then the answer as one name (abbreviation,
    place, alias, city of an IANA key, country), as "City Country" ("Paris France", also with a
    comma), and as the part before a comma. "London time" and "timezone: Tokyo" work too.
    ``now`` decides which places match an offset today (daylight saving moves them).
    """
    if not isinstance(text, str):
        return Reading()
    now = now or datetime.now(UTC)
    raw = unicodedata.normalize("NFKC", text).strip().replace("−", "-")
    if not raw or len(raw) > _MAX_INPUT:
        return Reading()
    lowered = _PREFIX_ZONE_RE.sub("", raw.casefold(), count=1).strip()
    offset = _parse_offset(lowered.replace(" ", ""))
    if offset is None:
        return Reading()
    if offset:
        return _zone_reading(offset, now)
    index = _index()
    if "/" in lowered:
        zone = index.iana.get(_iana_key(lowered.replace(" ", "_")))
        return _zone_reading(zone, now) if zone else Reading()
    candidates = [lowered, _SUFFIX_TIME_RE.sub("", lowered)]
    for candidate in dict.fromkeys(candidates):
        key = _fold(candidate)
        if not key:
            continue
        found = _named(key, now) or _city_and_country(key, now)
        if found is not None:
            return found
    if "," in lowered:  # "Springfield, somewhere": the place before the comma
        found = _named(_fold(lowered.split(",", 1)[0]), now)
        if found is not None:
            return found
    return Reading()


def parse_timezone(text: str) -> str | None:
    """The zone a typed answer names on its own, or None (unknown, or it needs a choice)."""
    return read_timezone(text).zone


# --------------------------------------------------------------------------------------------
# Location lookup
# --------------------------------------------------------------------------------------------

_finder: Any = None
_finder_lock = threading.Lock()


def _get_finder() -> Any:
    """One TimezoneFinder per process: it maps its data files and costs ~0.3 s to create."""
    global _finder
    if _finder is None:
        with _finder_lock:
            if _finder is None:
                from timezonefinder import TimezoneFinder

                _finder = TimezoneFinder()
    return _finder


def timezone_from_location(latitude: float, longitude: float) -> str | None:
    """The IANA zone at a shared location, offline; None at sea or for impossible coordinates.

    The finder is not safe to share between threads, so lookups hold a lock (a lookup takes
    well under a millisecond and locations are shared rarely, so one instance is enough).
    A zone newer than the installed tz data is refused rather than stored unloadable.
    """
    try:
        lat, lng = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lng)):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0):
        return None
    finder = _get_finder()
    try:
        with _finder_lock:
            name = finder.timezone_at_land(lng=lng, lat=lat)
    except ValueError:
        return None
    if not name:
        return None
    try:
        zone_for(name)
    except UnknownTimezone:
        return None
    return name


# --------------------------------------------------------------------------------------------
# One-tap suggestions
# --------------------------------------------------------------------------------------------

SUGGESTION_COUNT = 6

# Spread around the world so that most people find their offset among the buttons.
DEFAULT_SUGGESTIONS: tuple[str, ...] = (
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
)

# Telegram sends an IETF language tag, often without a region ("de", "en", "pt-br").
_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": ("America/New_York", "Europe/London", "America/Chicago", "America/Los_Angeles"),
    "de": ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich"),
    "fr": ("Europe/Paris", "Europe/Brussels", "America/Toronto"),
    "es": (
        "Europe/Madrid",
        "America/Mexico_City",
        "America/Bogota",
        "America/Argentina/Buenos_Aires",
    ),
    "pt": ("Europe/Lisbon", "America/Sao_Paulo"),
    "it": ("Europe/Rome",),
    "nl": ("Europe/Amsterdam", "Europe/Brussels"),
    "pl": ("Europe/Warsaw",),
    "uk": ("Europe/Kyiv",),
    "ru": ("Europe/Moscow", "Asia/Almaty", "Europe/Kyiv"),
    "be": ("Europe/Minsk",),
    "tr": ("Europe/Istanbul",),
    "ar": ("Asia/Riyadh", "Africa/Cairo", "Asia/Dubai"),
    "fa": ("Asia/Tehran",),
    "he": ("Asia/Jerusalem",),
    "iw": ("Asia/Jerusalem",),
    "hi": ("Asia/Kolkata",),
    "bn": ("Asia/Dhaka", "Asia/Kolkata"),
    "ur": ("Asia/Karachi",),
    "ne": ("Asia/Kathmandu",),
    "ta": ("Asia/Kolkata", "Asia/Colombo"),
    "te": ("Asia/Kolkata",),
    "mr": ("Asia/Kolkata",),
    "ja": ("Asia/Tokyo",),
    "ko": ("Asia/Seoul",),
    "zh": ("Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong", "Asia/Singapore"),
    "id": ("Asia/Jakarta",),
    "ms": ("Asia/Kuala_Lumpur",),
    "th": ("Asia/Bangkok",),
    "vi": ("Asia/Ho_Chi_Minh",),
    "tl": ("Asia/Manila",),
    "fil": ("Asia/Manila",),
    "sv": ("Europe/Stockholm",),
    "no": ("Europe/Oslo",),
    "nb": ("Europe/Oslo",),
    "nn": ("Europe/Oslo",),
    "da": ("Europe/Copenhagen",),
    "fi": ("Europe/Helsinki",),
    "et": ("Europe/Tallinn",),
    "lv": ("Europe/Riga",),
    "lt": ("Europe/Vilnius",),
    "cs": ("Europe/Prague",),
    "sk": ("Europe/Bratislava",),
    "hu": ("Europe/Budapest",),
    "ro": ("Europe/Bucharest",),
    "bg": ("Europe/Sofia",),
    "el": ("Europe/Athens",),
    "sr": ("Europe/Belgrade",),
    "hr": ("Europe/Zagreb",),
    "sl": ("Europe/Ljubljana",),
    "ka": ("Asia/Tbilisi",),
    "hy": ("Asia/Yerevan",),
    "az": ("Asia/Baku",),
    "kk": ("Asia/Almaty",),
    "uz": ("Asia/Tashkent",),
    "sw": ("Africa/Nairobi",),
    "am": ("Africa/Addis_Ababa",),
    "ca": ("Europe/Madrid",),
    "eu": ("Europe/Madrid",),
    "ga": ("Europe/Dublin",),
    "is": ("Atlantic/Reykjavik",),
}

# A region subtag is a stronger hint than the language ("en-GB", "pt-BR", "zh-TW").
_BY_REGION: dict[str, str] = {
    "gb": "Europe/London",
    "uk": "Europe/London",
    "ie": "Europe/Dublin",
    "us": "America/New_York",
    "ca": "America/Toronto",
    "au": "Australia/Sydney",
    "nz": "Pacific/Auckland",
    "in": "Asia/Kolkata",
    "za": "Africa/Johannesburg",
    "ng": "Africa/Lagos",
    "ke": "Africa/Nairobi",
    "sg": "Asia/Singapore",
    "ph": "Asia/Manila",
    "pk": "Asia/Karachi",
    "br": "America/Sao_Paulo",
    "pt": "Europe/Lisbon",
    "mx": "America/Mexico_City",
    "ar": "America/Argentina/Buenos_Aires",
    "co": "America/Bogota",
    "cl": "America/Santiago",
    "pe": "America/Lima",
    "es": "Europe/Madrid",
    "de": "Europe/Berlin",
    "at": "Europe/Vienna",
    "ch": "Europe/Zurich",
    "fr": "Europe/Paris",
    "be": "Europe/Brussels",
    "nl": "Europe/Amsterdam",
    "it": "Europe/Rome",
    "tw": "Asia/Taipei",
    "hk": "Asia/Hong_Kong",
    "cn": "Asia/Shanghai",
    "jp": "Asia/Tokyo",
    "kr": "Asia/Seoul",
    "ae": "Asia/Dubai",
    "sa": "Asia/Riyadh",
    "eg": "Africa/Cairo",
}


def _loadable(name: str) -> bool:
    try:
        zone_for(name)
    except UnknownTimezone:
        return False
    return True


@lru_cache(maxsize=256)
def _suggestions(language: str, region: str) -> tuple[str, ...]:
    ordered: list[str] = []
    if region in _BY_REGION:
        ordered.append(_BY_REGION[region])
    ordered.extend(_BY_LANGUAGE.get(language, ()))
    ordered.extend(DEFAULT_SUGGESTIONS)
    result: list[str] = []
    for name in ordered:
        if name not in result and _loadable(name):
            result.append(name)
        if len(result) == SUGGESTION_COUNT:
            break
    return tuple(result)


def suggest_timezones(language_code: str | None) -> list[str]:
    """Six IANA zones for one-tap buttons, the likeliest for this Telegram language first."""
    language, region = "", ""
    if language_code:
        parts = re.split(r"[-_]", language_code.strip().casefold())
        language = parts[0]
        region = next((p for p in parts[1:] if len(p) == 2 and p.isalpha()), "")
    return list(_suggestions(language, region))
