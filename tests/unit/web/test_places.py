"""The gazetteer behind the "where" box: every kind of place resolves, spelled loosely."""
import pytest

from afterclasses.places import fold, load_places
from tests.conftest import DATASETS


@pytest.fixture(scope="module")
def places():
    return load_places(DATASETS)


@pytest.mark.parametrize("text, kind, name", [
    ("10469", "zip", "10469"),
    ("zip 10469", "zip", "10469"),
    ("Kingsbridge Heights", "neighbourhood", "Kingsbridge Heights"),
    ("kingsbridge heights", "neighbourhood", "Kingsbridge Heights"),
    ("Bronx", "borough", "Bronx"),
    ("Савёлки", "district", "Савёлки"),
    ("савелки", "district", "Савёлки"),
    ("Китай-город", "metro", "Китай-город"),
    ("китай город", "metro", "Китай-город"),
    ("Kitay-gorod", "metro", "Китай-город"),
    ("м. Китай-город", "metro", "Китай-город"),
    ("метро Китай-город", "metro", "Китай-город"),
    ("Arbat", "district", "Арбат"),
    ("Ramenki", "district", "Раменки"),
])
def test_places_resolve_however_they_are_typed(places, text, kind, name):
    place = places.resolve(text)
    assert (place.kind, place.name) == (kind, name)


def test_zip_10469_is_in_the_bronx_near_ps_121(places):
    place = places.resolve("10469")
    assert place.detail == "Bronx"
    assert abs(place.lat - 40.8685) < 0.01 and abs(place.lon + 73.8467) < 0.01


def test_suggestions_match_word_prefixes_whole_names_first(places):
    names = [p.name for p in places.suggest("park", 10)]
    assert names[0].lower().startswith("park")
    assert not any(n.startswith("park-cemetery") for n in names)  # NTA leftovers are not places
    assert [p.name for p in places.suggest("heights", 20)]  # a later word matches too
    assert {p.kind for p in places.suggest("арб")} == {"district", "metro"}


def test_unknown_and_empty_text(places):
    assert places.resolve("Atlantis") is None
    assert places.resolve("   ") is None and places.suggest("") == []
    assert places.suggest("%%%") == []


def test_metro_stations_are_one_place_per_station_and_line(places):
    kitay = [p for p in places.suggest("китай", 20) if p.kind == "metro"]
    assert len({(p.name, p.detail) for p in kitay}) == len(kitay)


def test_fold():
    assert fold("  Ёлки-Палки, д.5 ") == "елки палки д 5"


def test_every_place_is_listed_once_though_kept_under_two_names(places):
    listed = list(places)
    assert len(listed) == len(set(listed)) == len(places)
    assert sum(1 for p in listed if p.name == "Арбат" and p.kind == "district") == 1


@pytest.mark.parametrize("address, district, name", [
    ("291 West 231st Street, Bronx, NY 10463", "Kingsbridge", "10463"),
    ("29150 Main St, 10469-1234", None, "10469"),  # a five-digit house number comes first
    ("10469 Boston Rd, Bronx", None, None),  # a house number is no ZIP code
    ("Suite 10001, 5 Ave", None, None),
    ("5 Ave, NY 10469, Apt 11201", None, "10469"),  # after the state
    ("2750 Throop Ave, Bronx, NY 10469, USA", None, "10469"),
    ("ул. Арбат, 10", "район Арбат", "Арбат"),
    ("2750 Throop Ave", "Kingsbridge Heights", "Kingsbridge Heights"),
    ("ул. Арбат, 10, 119002", "Арбат", "Арбат"),  # a Moscow postcode is no US ZIP
    ("1 Nowhere Lane", "Nowhere", None),
    (None, None, None),
])
def test_a_venue_without_a_point_is_placed_at_its_zip_or_district_never_guessed(places, address, district, name):
    place = places.venue_point(address, district)
    assert (place.name if place else None) == name


def test_a_metro_prefix_still_suggests_the_station(places):
    assert "Китай-город" in [p.name for p in places.suggest("м. Китай")]
