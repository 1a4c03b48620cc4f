"""Venue suggestions' derivations, shared by both index adapters, and the embedded cache."""
import json

from afterclasses_search.adapters.columns import (
    VENUE_PREFIX_MAX,
    Venues,
    venue_key,
    venue_name_key,
    venue_of,
    venue_prefix,
    venue_prefixes,
)

VENUE = {"name": "ФОК «Савёлки»", "address": "Озёрная  аллея, 2", "district": "Савёлки", "city": "Москва",
         "lat": 55.98, "lon": 37.24, "approximate": False}


def test_the_key_holds_the_six_fields_and_only_venues_with_a_point_and_a_name_or_address():
    key = venue_key({"venue": VENUE})
    assert json.loads(key) == ["ФОК «Савёлки»", "Озёрная  аллея, 2", "Савёлки", "Москва", 55.98, 37.24]
    assert venue_of(key) == {k: VENUE[k] for k in ("name", "address", "district", "city", "lat", "lon")}
    assert venue_key({"venue": {**VENUE, "lat": None, "lon": None}}) is None
    assert venue_key({"venue": {**VENUE, "name": None, "address": None}}) is None
    assert venue_key({"venue": None}) is None
    assert venue_key({"venue": {**VENUE, "name": None}}) is not None


def test_prefixes_start_at_every_word_folded_with_spaces_collapsed():
    assert venue_prefixes(VENUE) == sorted([
        "фок «савелки»", "савелки»", "озерная аллея, 2", "аллея, 2", "2"])
    assert venue_name_key(VENUE) == "фок «савелки»"
    assert venue_name_key({"name": "«Яуза»"}) == "яуза»"
    assert venue_name_key({"name": None}) == ""


def test_a_typed_prefix_is_folded_and_loses_leading_punctuation():
    assert venue_prefix("  «САВЁЛ") == "савел"
    assert venue_prefix("central   pa") == "central pa"
    assert venue_prefix("--") == venue_prefix(" ") == ""
    assert len(venue_prefix("x" * 500)) == VENUE_PREFIX_MAX


def test_long_names_are_cut_but_still_matched_by_the_longest_prefix_the_api_takes():
    long = {"name": "a" * 300, "lat": 1.0, "lon": 1.0}
    assert max(map(len, venue_prefixes(long))) == VENUE_PREFIX_MAX
    venues = Venues()
    venues.load([(1, 1, venue_key({"venue": long}))])
    assert venues.match("a" * 100, 8) == [venue_of(venue_key({"venue": long}))]


def test_the_cache_counts_activities_per_venue_and_follows_changes():
    one = venue_key({"venue": {"name": "Arena One", "lat": 1.0, "lon": 1.0}})
    two = venue_key({"venue": {"name": "Arena Two", "lat": 2.0, "lon": 2.0}})
    other = venue_key({"venue": {"name": "Big Arena", "lat": 3.0, "lon": 3.0}})
    venues = Venues()
    venues.load([(1, 1, one), (2, 1, two), (3, 1, two), (4, 1, other), (5, 1, other), (6, 1, other)])

    def names(q):
        return [v["name"] for v in venues.match(q, 8)]

    assert names("arena") == ["Arena Two", "Arena One", "Big Arena"]  # whole name first, then more activities
    assert names("arena o") == ["Arena One"]
    venues.load([(2, 2, one), (3, 2, None)])  # one moved, one withdrawn: One has 2, Two none
    assert names("arena") == ["Arena One", "Big Arena"]
    assert venues.seq == 2
    venues.load([(1, 3, None), (2, 3, None)])
    assert names("arena") == ["Big Arena"]
    venues.load([(7, 4, two)])  # a venue that had gone comes back
    assert names("arena") == ["Arena Two", "Big Arena"]
    assert venues.match("arena", 1) == [venue_of(two)]
    assert venues.match("arena", 0) == []
