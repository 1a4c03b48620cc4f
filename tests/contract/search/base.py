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
