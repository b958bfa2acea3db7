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
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "UnknownTimezone",
    "describe_zone",
    "format_offset",
    "parse_timezone",
    "suggest_timezones",
    "timezone_from_location",
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

# Abbreviations that name one set of rules wherever they are used. "EST", "CST", "IST", "BST",
# "PST" and "MST" each mean different places to different people, so they are refused and the
# person is asked for a city instead.
_ABBREVIATIONS = {
    "utc": "UTC",
    "gmt": "UTC",
    "ut": "UTC",
    "z": "UTC",
    "zulu": "UTC",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "eet": "Europe/Athens",
    "eest": "Europe/Athens",
    "wet": "Europe/Lisbon",
    "msk": "Europe/Moscow",
    "jst": "Asia/Tokyo",
    "kst": "Asia/Seoul",
    "hkt": "Asia/Hong_Kong",
    "sgt": "Asia/Singapore",
    "nzst": "Pacific/Auckland",
    "nzdt": "Pacific/Auckland",
    "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
    "awst": "Australia/Perth",
    "hst": "Pacific/Honolulu",
    "akst": "America/Anchorage",
    "akdt": "America/Anchorage",
}

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
_DROP_CHARS = str.maketrans({"'": "", "’": "", "`": ""})
_SPACE_RE = re.compile(r"[\s_.,\-]+")


def _fold(text: str) -> str:
    """Case-, accent- and separator-insensitive form used for every lookup key."""
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


def _read_links() -> tuple[dict[str, str], set[str]]:
    """Link names to their targets, and the names that tzdata itself lists as current.

    Used only to store "Asia/Kolkata" when someone types the retired "Asia/Calcutta". Where the
    data files are missing we store what was typed, which zoneinfo still loads.
    """
    links: dict[str, str] = {}
    current: set[str] = set()
    for directory in _tzdata_files():
        source = directory / "tzdata.zi"
        if not source.is_file():
            continue
        for line in source.read_text(encoding="utf-8").splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[0] == "L":
                links[fields[2]] = fields[1]
            elif len(fields) >= 2 and fields[0] == "Z":
                current.add(fields[1])
        for table in ("zone1970.tab", "zone.tab"):
            path = directory / table
            if path.is_file():
                for line in path.read_text(encoding="utf-8").splitlines():
                    fields = line.split("\t")
                    if len(fields) >= 3 and not line.startswith("#"):
                        current.add(fields[2])
        break
    return links, current


class _Index:
    """Lookup tables for parse_timezone, built once from the installed zone list."""

    def __init__(self) -> None:
        available = {k for k in zoneinfo.available_timezones() if k not in _NOT_A_ZONE}
        links, current = _read_links()

        def canonical(key: str) -> str:
            if key in current or key not in links:
                return key
            target = links[key]
            return target if target in available else key

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
        self.aliases = {
            _fold(alias): target for alias, target in ALIASES.items() if target in available
        }
        self.abbreviations = {
            abbr: target
            for abbr, target in _ABBREVIATIONS.items()
            if target == "UTC" or target in available
        }


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


def parse_timezone(text: str) -> str | None:
    """Turn a typed answer into the zone string to store, or None if we cannot tell.

    Tries, in order: a UTC offset, a full IANA key, an unambiguous abbreviation, our alias table,
    and the city part of every IANA key. "Paris, France" and "London time" work too.
    """
    if not isinstance(text, str):
        return None
    raw = unicodedata.normalize("NFKC", text).strip().replace("−", "-")
    if not raw or len(raw) > _MAX_INPUT:
        return None
    lowered = _PREFIX_ZONE_RE.sub("", raw.casefold(), count=1).strip()
    offset = _parse_offset(lowered.replace(" ", ""))
    if offset is not False:
        return offset
    index = _index()
    if "/" in lowered:
        return index.iana.get(_iana_key(lowered.replace(" ", "_")))
    candidates = [lowered, _SUFFIX_TIME_RE.sub("", lowered)]
    if "," in lowered:
        candidates.append(lowered.split(",", 1)[0])
    for candidate in candidates:
        key = _fold(candidate)
        if not key:
            continue
        for table in (index.abbreviations, index.aliases, index.cities):
            found = table.get(key)
            if found:
                return found
    return None


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
