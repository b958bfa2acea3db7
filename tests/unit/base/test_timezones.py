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
    is_fixed_offset,
    parse_timezone,
    read_timezone,
    suggest_timezones,
    timezone_from_location,
    timezone_names,
    zone_for,
)
from bot.chat.buttons import simple_data

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
        # abbreviations with one meaning
        ("CET", "Europe/Berlin"),
        ("EST", "America/New_York"),
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
        "IST",  # India, Israel or Ireland: a choice, not a zone (read_timezone offers it)
        "USA",  # six clocks: a choice too
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
# read_timezone: what people type beyond a city or a key
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Paris France", "Europe/Paris"),
        ("Berlin Germany", "Europe/Berlin"),
        ("new york usa", "America/New_York"),
        ("New York, USA", "America/New_York"),
        ("London UK", "Europe/London"),
        ("london england", "Europe/London"),
        ("Sydney Australia", "Australia/Sydney"),
        ("Vancouver Canada", "America/Vancouver"),
        ("Buenos Aires Argentina", "America/Argentina/Buenos_Aires"),
        ("Rio de Janeiro Brazil", "America/Sao_Paulo"),
        ("Mumbai India", "Asia/Kolkata"),
        ("Kiev Ukraine", "Europe/Kyiv"),
        ("Tomsk Russia", "Asia/Tomsk"),
        ("Munich Germany time", "Europe/Berlin"),
        # a place we do not know, in a country with one clock: the country answers
        ("Leipzig Germany", "Europe/Berlin"),
        ("Bordeaux, France", "Europe/Paris"),
    ],
)
def test_a_city_and_its_country_without_a_comma(text: str, expected: str) -> None:
    reading = read_timezone(text, WINTER)
    assert (reading.zone, reading.choices) == (expected, ())


def test_a_city_in_another_country_gets_that_countrys_clocks_to_choose_from() -> None:
    """ "Paris USA" is not Paris, France: the person picks one of the US clocks."""
    reading = read_timezone("Paris USA", WINTER)
    assert reading.zone is None
    assert "America/Chicago" in [choice.zone for choice in reading.choices]
    assert "Europe/Paris" not in [choice.zone for choice in reading.choices]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EST", "America/New_York"),
        ("edt", "America/New_York"),
        ("PST", "America/Los_Angeles"),
        ("PDT", "America/Los_Angeles"),
        ("CET", "Europe/Berlin"),
        ("CEST", "Europe/Berlin"),
        ("EET", "Europe/Athens"),
        ("MSK", "Europe/Moscow"),
        ("JST", "Asia/Tokyo"),
        ("AEST", "Australia/Sydney"),
        ("NZDT", "Pacific/Auckland"),
        ("SAST", "Africa/Johannesburg"),
        ("EST time", "America/New_York"),
        ("my timezone is PST", "America/Los_Angeles"),
    ],
)
def test_abbreviations_with_one_meaning(text: str, expected: str) -> None:
    reading = read_timezone(text, WINTER)
    assert (reading.zone, reading.choices) == (expected, ())


@pytest.mark.parametrize(
    ("text", "zones"),
    [
        ("IST", {"Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"}),
        ("ist", {"Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"}),
        ("CST", {"America/Chicago", "Asia/Shanghai", "America/Havana"}),
        ("BST", {"Europe/London", "Asia/Dhaka"}),
        ("MST", {"America/Denver", "America/Phoenix"}),
        ("AST", {"America/Halifax", "America/Puerto_Rico", "Asia/Riyadh"}),
    ],
)
def test_ambiguous_abbreviations_ask_which_place(text: str, zones: set[str]) -> None:
    reading = read_timezone(text, WINTER)
    assert reading.zone is None
    assert {choice.zone for choice in reading.choices} == zones
    assert parse_timezone(text) is None


def test_ist_buttons_name_the_countries() -> None:
    labels = [choice.label for choice in read_timezone("IST", WINTER).choices]
    assert labels == ["India", "Israel", "Ireland"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Москва", "Europe/Moscow"),
        ("москва", "Europe/Moscow"),
        ("Санкт-Петербург", "Europe/Moscow"),
        ("Київ", "Europe/Kyiv"),
        ("東京", "Asia/Tokyo"),
        ("北京", "Asia/Shanghai"),
        ("上海", "Asia/Shanghai"),
        ("香港", "Asia/Hong_Kong"),
        ("서울", "Asia/Seoul"),
        ("القاهرة", "Africa/Cairo"),
        ("القاهره", "Africa/Cairo"),  # typed with ه for the final ة
        ("الرياض", "Asia/Riyadh"),
        ("تهران", "Asia/Tehran"),
        ("Αθήνα", "Europe/Athens"),
        ("ΑΘΗΝΑ", "Europe/Athens"),
        ("ירושלים", "Asia/Jerusalem"),
        ("मुंबई", "Asia/Kolkata"),
        ("ঢাকা", "Asia/Dhaka"),
        ("กรุงเทพ", "Asia/Bangkok"),
        ("İstanbul", "Europe/Istanbul"),
        ("Hà Nội", "Asia/Ho_Chi_Minh"),
        ("Москва Россия", "Europe/Moscow"),
    ],
)
def test_the_largest_cities_in_their_own_script(text: str, expected: str) -> None:
    assert read_timezone(text, WINTER).zone == expected


@pytest.mark.parametrize(
    ("text", "stored", "now", "some_places"),
    [
        ("GMT+2", "Etc/GMT-2", WINTER, {"Africa/Cairo", "Africa/Johannesburg", "Europe/Kyiv"}),
        ("GMT+2", "Etc/GMT-2", SUMMER, {"Europe/Berlin", "Europe/Paris"}),
        ("+5:30", "UTC+05:30", WINTER, {"Asia/Kolkata"}),
        ("UTC-5", "Etc/GMT+5", WINTER, {"America/New_York"}),
        ("GMT", "UTC", WINTER, {"Europe/London", "Europe/Lisbon"}),
        ("Etc/GMT-1", "Etc/GMT-1", WINTER, {"Europe/Berlin"}),
    ],
)
def test_an_offset_is_stored_and_the_places_on_that_clock_today_are_offered(
    text: str, stored: str, now: datetime, some_places: set[str]
) -> None:
    reading = read_timezone(text, now)
    assert reading.zone == stored and reading.fixed
    offered = [choice.zone for choice in reading.choices]
    assert some_places <= set(offered)
    assert 1 <= len(offered) <= 6
    for zone in offered:
        assert not is_fixed_offset(zone)
        assert offset_of(zone, now) == offset_of(stored, now)


def test_an_offset_nobody_lives_at_is_stored_without_places() -> None:
    reading = read_timezone("-12", WINTER)
    assert (reading.zone, reading.choices) == ("Etc/GMT+12", ())


@pytest.mark.parametrize("text", ["Europe/Berlin", "Berlin", "EST", "Paris France", "東京"])
def test_named_zones_are_not_fixed_offsets(text: str) -> None:
    reading = read_timezone(text, WINTER)
    assert reading.zone is not None and not reading.fixed and reading.choices == ()


@pytest.mark.parametrize(
    ("text", "some_zones"),
    [
        ("USA", {"America/New_York", "America/Los_Angeles", "Pacific/Honolulu"}),
        ("united states", {"America/Chicago"}),
        ("Canada", {"America/Toronto", "America/Vancouver"}),
        ("Ecuador", {"America/Guayaquil", "Pacific/Galapagos"}),
    ],
)
def test_a_country_with_several_clocks_asks_which(text: str, some_zones: set[str]) -> None:
    reading = read_timezone(text, WINTER)
    assert reading.zone is None
    assert some_zones <= {choice.zone for choice in reading.choices}


def test_a_country_whose_zones_keep_one_clock_is_one_zone() -> None:
    """Germany lists Berlin and Büsingen; they never differ, so no question."""
    assert read_timezone("Leipzig Deutschland", WINTER).zone == "Europe/Berlin"


def test_every_zone_offered_or_named_in_the_content_loads_and_fits_a_button() -> None:
    """Each zone a button may carry passes the button's own check (parse_timezone(zone) == zone)
    and fits Telegram's 64 bytes of callback data."""
    names = timezone_names()
    offered = set(names.zones())
    for text in ("USA", "Canada", "Ecuador", "Paris USA", "GMT+2", "+5:30", "GMT", "+8"):
        offered |= {choice.zone for choice in read_timezone(text, WINTER).choices}
    for zone in sorted(offered - {"UTC"}):
        zone_for(zone)
        assert parse_timezone(zone) == zone, zone
        assert len(simple_data("tz", zone).encode()) <= 64


def test_every_name_in_the_content_is_understood() -> None:
    names = timezone_names()
    for name, zone in {**names.abbreviations, **names.places}.items():
        assert read_timezone(name, WINTER).zone == zone, name
    for name, choices in names.ambiguous.items():
        reading = read_timezone(name, WINTER)
        assert [c.zone for c in reading.choices] == [c.zone for c in choices], name


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
