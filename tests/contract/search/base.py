"""The search-index contract: every adapter of the port passes these."""
from __future__ import annotations

import abc

import pytest

from afterclasses.ports.search import SearchIndex, SearchQuery
from tests.factories import activity_doc, published, withdrawn

SAFE_QUERIES = ['hip-hop', 'C++', '"', 'dance OR', 'AND', 'NOT', '*', '(', 'a"b', "O'Neil", 'NEAR(', '-', '^x',
                'col:umn', '{x}', '\\', '%', '   ', 'tennis AND', '"unterminated tennis', 'ё', '🎾']


def facet(result, name):
    return {f.value: f.count for f in result.facets[name]}


def ids(result):
    return [h.doc["id"] for h in result.hits]


class SearchIndexContract(abc.ABC):
    @abc.abstractmethod
    def make_index(self, tmp_path) -> SearchIndex:
        """A fresh, empty index."""

    @pytest.fixture
    def index(self, tmp_path):
        idx = self.make_index(tmp_path)
        yield idx
        idx.close()

    def load(self, index, *docs):
        index.apply([published(d) for d in docs])
        return docs

    # --- projection ------------------------------------------------------------------
    def test_apply_is_idempotent_and_never_regresses(self, index):
        doc = activity_doc(title="Chess club", category="sports.mind")
        newer = {**doc, "version": 2, "title": "Chess and checkers club"}
        assert index.apply([published(doc), published(newer, "activity.updated")]) == 2
        assert index.apply([published(doc), published(newer, "activity.updated")]) == 0  # replay
        assert index.get(doc["id"])["title"] == "Chess and checkers club"
        assert index.count() == 1
        assert index.search(SearchQuery(q="checkers")).total == 1

    def test_a_search_repeated_after_a_change_sees_the_change(self, index):
        doc, = self.load(index, activity_doc(title="Chess club", category="sports.mind"))
        assert index.search(SearchQuery(q="chess")).total == 1
        index.apply([published({**doc, "version": 2, "title": "Go club", "description": "Board games"},
                               "activity.updated")])
        assert index.search(SearchQuery(q="chess")).total == 1  # still: the category says chess
        index.apply([published({**doc, "version": 3, "title": "Go club", "category": "sports.other"},
                               "activity.updated")])
        assert index.search(SearchQuery(q="chess")).total == 0
        assert index.search(SearchQuery(q="go club")).total == 1

    def test_withdrawn_entries_disappear_and_stay_gone_on_replay(self, index):
        doc, = self.load(index, activity_doc(title="Swimming"))
        index.apply([withdrawn(doc["id"], 2)])
        index.apply([published(doc)])  # a late duplicate of version 1
        assert index.get(doc["id"]) is None
        assert index.search(SearchQuery(q="swimming")).total == 0
        assert index.count() == 0

    # --- text ------------------------------------------------------------------------
    def test_russian_stemming(self, index):
        self.load(index, activity_doc(title="Футбол", category="sports.team.football", language="ru"))
        assert index.search(SearchQuery(q="футболом")).total == 1

    def test_yo_and_ye_fold_both_ways(self, index):
        self.load(index, activity_doc(title="Секция", venue={"district": "Савёлки"}),
                  activity_doc(title="Секция", venue={"district": "Теплый Стан"}))
        assert index.search(SearchQuery(q="Савелки")).total == 1
        assert index.search(SearchQuery(q="Савёлки")).total == 1
        assert index.search(SearchQuery(q="Тёплый стан")).total == 1

    def test_english_stemming_and_provider_name(self, index):
        self.load(index, activity_doc(title="After school", description="Swimming lessons"))
        assert index.search(SearchQuery(q="swim")).total == 1
        assert index.search(SearchQuery(q="tennis league")).total == 1  # provider's name

    @pytest.mark.parametrize("q", SAFE_QUERIES)
    def test_any_text_is_a_safe_query(self, index, q):
        self.load(index, activity_doc(title="Hip-hop dance"), activity_doc(title="C++ for kids"))
        result = index.search(SearchQuery(q=q))
        assert result.total >= 0

    def test_hyphens_and_symbols_still_find_the_words(self, index):
        self.load(index, activity_doc(title="Hip-hop dance"), activity_doc(title="Ballet"))
        assert index.search(SearchQuery(q="hip-hop")).total == 1
        assert index.search(SearchQuery(q="hiphop")).total == 1
        assert index.search(SearchQuery(q="dance OR")).total == 1

    def test_a_typo_still_finds(self, index):
        self.load(index, activity_doc(title="Gymnastics", category="sports.gymnastics"))
        assert index.search(SearchQuery(q="gymnastcs")).total == 1

    def test_a_typo_finds_the_common_word_before_a_rare_lookalike(self, index):
        tennis = [activity_doc(title=f"Tennis club {i}", description="Tennis lessons.") for i in range(4)]
        odd = activity_doc(title="Twenty-first century school", description="After-school programme.")
        self.load(index, *tennis, odd)
        result = index.search(SearchQuery(q="tenis"))
        assert set(ids(result)[:4]) == {d["id"] for d in tennis}

    # --- geo -------------------------------------------------------------------------
    def test_radius_filter_and_distance(self, index):
        near, far, nowhere = self.load(
            index,
            activity_doc(venue={"lat": 40.8661, "lon": -73.8510}),
            activity_doc(venue={"lat": 40.90, "lon": -73.85}),  # ~3.8 km north
            activity_doc(venue={"lat": None, "lon": None}),
        )
        result = index.search(SearchQuery(lat=40.8661, lon=-73.8510, radius_km=2))
        assert ids(result) == [near["id"]]
        assert result.hits[0].distance_km == pytest.approx(0, abs=0.01)
        everything = index.search(SearchQuery(lat=40.8661, lon=-73.8510, sort="distance"))
        assert ids(everything) == [near["id"], far["id"], nowhere["id"]]
        assert everything.hits[1].distance_km == pytest.approx(3.76, abs=0.05)
        assert everything.hits[2].distance_km is None

    # --- filters and facets ----------------------------------------------------------
    def test_age_means_the_child_fits_the_range(self, index):
        kids, adults, open_, any_ = self.load(
            index,
            activity_doc(age_min=5, age_max=11),
            activity_doc(age_min=18, age_max=None),
            activity_doc(age_min=6, age_max=None),
            activity_doc(age_min=None, age_max=None),
        )
        assert set(ids(index.search(SearchQuery(age=8)))) == {kids["id"], open_["id"], any_["id"]}
        assert set(ids(index.search(SearchQuery(age=7.5)))) == {kids["id"], open_["id"], any_["id"]}
        assert adults["id"] in ids(index.search(SearchQuery(age=30)))

    def test_category_filter_at_any_level_and_counts_roll_up(self, index):
        self.load(index, activity_doc(category="sports.racket.tennis"), activity_doc(category="sports.team.football"),
                  activity_doc(category="arts.music"))
        assert index.search(SearchQuery(categories=("sports",))).total == 2
        assert index.search(SearchQuery(categories=("sports.racket",))).total == 1
        assert index.search(SearchQuery(categories=("sports.racket.tennis", "arts"))).total == 2
        counts = facet(index.search(SearchQuery()), "category")
        assert counts["sports"] == 2 and counts["sports.racket"] == 1 and counts["arts.music"] == 1

    def test_facets_are_disjunctive(self, index):
        self.load(index,
                  activity_doc(venue={"district": "Bronx"}, price={"free": True}),
                  activity_doc(venue={"district": "Bronx"}, price={"free": False, "amount": 10, "currency": "USD"}),
                  activity_doc(venue={"district": "Queens"}, price={"free": True}))
        result = index.search(SearchQuery(districts=("Bronx",)))
        assert result.total == 2
        assert facet(result, "district") == {"Bronx": 2, "Queens": 1}  # own selection ignored
        assert facet(result, "free") == {"true": 1, "false": 1}  # other facets respect it
        both = index.search(SearchQuery(districts=("Bronx",), free=True))
        assert both.total == 1
        assert facet(both, "district") == {"Bronx": 1, "Queens": 1}
        assert facet(both, "free") == {"true": 1, "false": 1}

    def test_day_and_age_band_facets(self, index):
        self.load(index,
                  activity_doc(sessions=[{"weekday": "mon", "start": "15:00", "end": "16:00"},
                                         {"weekday": "wed", "start": "15:00", "end": "16:00"}], age_min=4, age_max=6),
                  activity_doc(sessions=[{"weekday": "sat", "start": "10:00", "end": "12:00"}], age_min=14, age_max=17))
        result = index.search(SearchQuery(days=("wed",)))
        assert result.total == 1
        assert facet(result, "day")["mon"] == 1 and facet(result, "day")["sat"] == 1
        assert facet(result, "age_band") == {"0-2": 0, "3-5": 1, "6-9": 1, "10-13": 0, "14-17": 0, "18+": 0}
        assert index.search(SearchQuery(age_bands=("14-17",))).total == 1

    # --- paging ----------------------------------------------------------------------
    def test_pages_and_a_page_past_the_end(self, index):
        self.load(index, *[activity_doc() for _ in range(25)])
        first = index.search(SearchQuery(per_page=10))
        second = index.search(SearchQuery(per_page=10, page=3))
        assert first.total == 25 and len(first.hits) == 10 and len(second.hits) == 5
        everything = ids(index.search(SearchQuery(per_page=100)))
        assert len(set(everything)) == 25
        past = index.search(SearchQuery(page=99))
        assert past.total == 25 and past.hits == []

    @pytest.mark.parametrize("sort", ["best", "newest", "distance"])
    @pytest.mark.parametrize("per_page", [1, 7, 10])
    def test_walking_every_page_shows_each_entry_exactly_once(self, index, sort, per_page):
        # many equal scores and equal points: ties must not reshuffle between pages
        docs = self.load(index, *[activity_doc(venue={"lat": 40.7 + (i % 3) * 0.01, "lon": -73.9})
                                  for i in range(23)])
        seen = []
        for page in range(1, 23 // per_page + 2):
            seen += ids(index.search(SearchQuery(sort=sort, page=page, per_page=per_page, lat=40.7, lon=-73.9)))
        assert sorted(seen) == sorted(d["id"] for d in docs)

    def test_district_selection_folds_case_and_yo(self, index):
        self.load(index, activity_doc(venue={"district": "Савёлки"}), activity_doc(venue={"district": "Bronx"}))
        for spelling in ("Савёлки", "Савелки", "савелки"):
            result = index.search(SearchQuery(districts=(spelling,)))
            assert result.total == 1
            assert [f.value for f in result.facets["district"] if f.selected] == ["Савёлки"]

    def test_programmes_only_for_adults_rank_below_childrens(self, index):
        adults, kids = self.load(index, activity_doc(title="Chess", age_min=18, age_max=None),
                                 activity_doc(title="Chess", age_min=7, age_max=12))
        assert ids(index.search(SearchQuery(q="chess"))) == [kids["id"], adults["id"]]

    def test_what_an_activity_is_outranks_who_runs_it(self, index):
        run_by, is_ = self.load(
            index,
            activity_doc(title="After school", category="education.after-school",
                         provider={"id": "p", "name": "Junior Tennis League"}),
            activity_doc(title="Теннис", category="sports.racket.tennis", provider={"id": "q", "name": "ДЮСШ"}),
        )
        assert ids(index.search(SearchQuery(q="tennis"))) == [is_["id"], run_by["id"]]

    def test_best_match_prefers_text_then_distance(self, index):
        title_match, body_match = self.load(
            index,
            activity_doc(title="Tennis", venue={"lat": 40.71, "lon": -73.90}),
            activity_doc(title="Sports club", description="some tennis too", category="sports",
                         provider={"id": "p", "name": "Club"}, venue={"lat": 40.70, "lon": -73.90}),
        )
        assert ids(index.search(SearchQuery(q="tennis")))[0] == title_match["id"]

    # --- provider and exclude filters --------------------------------------------------
    def test_provider_filter_keeps_any_of_the_given_providers(self, index):
        p1, p2, p3, none = self.load(
            index,
            activity_doc(provider={"id": "p1", "name": "League"}, venue={"district": "Bronx"}),
            activity_doc(provider={"id": "p2", "name": "Club"}, venue={"district": "Queens"}),
            activity_doc(provider={"id": "p3", "name": "School"}, venue={"district": "Bronx"}),
            activity_doc(provider=None, venue={"district": "Bronx"}),
        )
        assert ids(index.search(SearchQuery(providers=("p1",)))) == [p1["id"]]
        both = index.search(SearchQuery(providers=("p1", "p2")))
        assert set(ids(both)) == {p1["id"], p2["id"]} and both.total == 2
        assert facet(both, "district") == {"Bronx": 1, "Queens": 1}  # a plain filter: facets count within it
        assert index.search(SearchQuery(providers=("nobody",))).total == 0
        assert index.search(SearchQuery(providers=("P1",))).total == 0  # ids are exact
        assert index.search(SearchQuery(providers=("p3",), districts=("Bronx",))).total == 1
        assert index.search(SearchQuery()).total == 4
        assert none["id"] not in ids(index.search(SearchQuery(providers=("p1", "p2", "p3"))))

    def test_provider_filter_follows_updates_and_withdrawals(self, index):
        doc, = self.load(index, activity_doc(provider={"id": "p1", "name": "League"}))
        index.apply([published({**doc, "version": 2, "provider": {"id": "p2", "name": "Club"}}, "activity.updated")])
        assert index.search(SearchQuery(providers=("p1",))).total == 0
        assert index.search(SearchQuery(providers=("p2",))).total == 1
        index.apply([withdrawn(doc["id"], 3)])
        assert index.search(SearchQuery(providers=("p2",))).total == 0

    def test_exclude_leaves_out_the_given_activities(self, index):
        here, near, far = self.load(
            index,
            activity_doc(venue={"lat": 40.8661, "lon": -73.8510, "district": "Bronx"}),
            activity_doc(venue={"lat": 40.8700, "lon": -73.8510, "district": "Bronx"}),
            activity_doc(venue={"lat": 40.90, "lon": -73.85, "district": "Queens"}),
        )
        similar = index.search(SearchQuery(lat=40.8661, lon=-73.8510, sort="distance", exclude=(here["id"],)))
        assert ids(similar) == [near["id"], far["id"]] and similar.total == 2
        assert facet(similar, "district") == {"Bronx": 1, "Queens": 1}
        assert index.search(SearchQuery(exclude=(here["id"], far["id"], "no-such-id"))).total == 1
        assert index.search(SearchQuery(exclude=("no-such-id",))).total == 3
        assert index.search(SearchQuery(exclude=(near["id"],), providers=("p1",), q="tennis")).total == 2

    # --- venue suggestions -----------------------------------------------------------
    def test_venues_match_a_word_start_of_the_name_or_address(self, index):
        self.load(index,
                  activity_doc(venue={"name": "Central Park Courts", "address": "5th Ave", "lat": 40.78, "lon": -73.96,
                                      "district": "Manhattan", "city": "New York"}),
                  activity_doc(venue={"name": "P.S. 121", "address": "2750 Throop Ave", "lat": 40.86, "lon": -73.85}),
                  activity_doc(venue={"name": "Парк «Савёлки»", "address": "Озёрная аллея, 2", "lat": 55.98,
                                      "lon": 37.24}))
        assert self.names(index, "central") == ["Central Park Courts"]
        assert self.names(index, "PARK") == ["Central Park Courts"]
        assert self.names(index, "парк") == ["Парк «Савёлки»"]
        assert self.names(index, "central pa") == ["Central Park Courts"]  # a prefix across words
        assert self.names(index, "throop") == ["P.S. 121"]  # the address's words too
        assert self.names(index, "p.s") == ["P.S. 121"]
        assert self.names(index, "савел") == self.names(index, "САВЁЛ") == ["Парк «Савёлки»"]
        assert self.names(index, "озерн") == ["Парк «Савёлки»"]
        assert self.names(index, "«савёлки") == ["Парк «Савёлки»"]  # leading punctuation is no word
        assert self.names(index, "entral") == []  # not inside a word
        assert self.names(index, "ark") == []
        assert self.names(index, "central park courts and more") == []
        for nothing in (" ", "--", "«", "\"", "%", "*"):
            assert index.venues(nothing, 8) == []
        venue, = index.venues("central", 8)
        assert venue == {"name": "Central Park Courts", "address": "5th Ave", "district": "Manhattan",
                         "city": "New York", "lat": 40.78, "lon": -73.96}

    def test_venues_are_distinct_whole_name_prefix_first_then_most_activities(self, index):
        school = {"name": "Tennis School", "address": "1 Main St", "lat": 40.70, "lon": -73.90}
        court = {"name": "Riverside Tennis Court", "address": "2 River Rd", "lat": 40.71, "lon": -73.91}
        center = {"name": "Sports Center", "address": "3 Tennis Ave", "lat": 40.72, "lon": -73.92}
        self.load(index, activity_doc(venue=school),
                  *[activity_doc(venue=court) for _ in range(3)],
                  *[activity_doc(venue=center) for _ in range(2)])
        assert self.names(index, "tennis") == ["Tennis School", "Riverside Tennis Court", "Sports Center"]
        assert self.names(index, "tennis", limit=2) == ["Tennis School", "Riverside Tennis Court"]
        assert self.names(index, "tennis", limit=1) == ["Tennis School"]
        assert len(index.venues("tennis", 20)) == 3

    def test_venues_only_of_published_activities_with_a_point(self, index):
        gone, moved, _, _ = self.load(
            index,
            activity_doc(venue={"name": "Gym One", "lat": 40.70, "lon": -73.90}),
            activity_doc(venue={"name": "Gym Two", "lat": 40.71, "lon": -73.90}),
            activity_doc(venue={"name": "Gym Three", "lat": None, "lon": None}),
            activity_doc(venue={"name": None, "address": None, "lat": 40.72, "lon": -73.90}),
        )
        assert self.names(index, "gym") == ["Gym One", "Gym Two"]
        index.apply([withdrawn(gone["id"], 2)])
        index.apply([published({**moved, "version": 2, "venue": {**moved["venue"], "name": "Pool"}},
                               "activity.updated")])
        assert self.names(index, "gym") == []
        assert self.names(index, "pool") == ["Pool"]

    def test_venues_of_several_activities_count_each_once_and_follow_updates(self, index):
        big = {"name": "Arena North", "lat": 40.70, "lon": -73.90}
        small = {"name": "Arena South", "lat": 40.71, "lon": -73.90}
        a, b, _ = self.load(index, activity_doc(venue=big), activity_doc(venue=big), activity_doc(venue=small))
        assert self.names(index, "arena") == ["Arena North", "Arena South"]
        # replays change nothing; moving both activities away makes the other venue the first
        index.apply([published(a), published(b)])
        assert self.names(index, "arena") == ["Arena North", "Arena South"]
        index.apply([published({**a, "version": 2, "venue": {**a["venue"], "name": "Elsewhere"}}, "activity.updated"),
                     published({**b, "version": 2, "venue": {**b["venue"], "name": "Elsewhere"}}, "activity.updated")])
        assert self.names(index, "arena") == ["Arena South"]
        assert self.names(index, "elsewhere") == ["Elsewhere"]

    @staticmethod
    def names(index, prefix, limit=8):
        return [v["name"] for v in index.venues(prefix, limit)]
