"""The search API's provider and exclude parameters, and venue suggestions, over a real embedded index."""
import pytest

from afterclasses_search import create_app
from afterclasses_search.adapters.sqlite_fts import SqliteSearchIndex
from tests.factories import activity_doc, published

COURTS = {"name": "Central Park Courts", "address": "5th Ave", "lat": 40.78, "lon": -73.96, "district": "Manhattan",
          "city": "New York"}
SAVYOLKI = {"name": "ФОК «Савёлки»", "address": "Зеленоград, Озёрная аллея, 2", "lat": 55.98, "lon": 37.24,
            "district": "Савёлки", "city": "Москва"}


@pytest.fixture
def docs():
    return [activity_doc(title="Tennis", provider={"id": "league", "name": "League"}, venue=COURTS),
            activity_doc(title="Tennis", provider={"id": "club", "name": "Club"}, venue=COURTS),
            activity_doc(title="Футбол", category="sports.team.football", provider={"id": "school", "name": "ДЮСШ"},
                         venue=SAVYOLKI),
            activity_doc(title="Chess", category="sports.mind", provider={"id": "league", "name": "League"},
                         venue={"name": "Park Slope Library", "lat": None, "lon": None})]


@pytest.fixture
def client(search_settings, docs):
    index = SqliteSearchIndex(search_settings.index_dir)  # the indexer's side: a writer
    index.apply([published(d) for d in docs])
    index.close()
    app = create_app(search_settings)
    yield app.test_client()
    app.extensions["afterclasses"].index.close()


def titles(body):
    return sorted(r["title"] for r in body["results"])


def test_provider_filter_repeatable_means_any_of(client):
    assert client.get("/v1/search?provider=league").json["total"] == 2
    body = client.get("/v1/search?provider=league&provider=school").json
    assert body["total"] == 3 and titles(body) == ["Chess", "Tennis", "Футбол"]
    assert {r["provider"]["id"] for r in body["results"]} == {"league", "school"}
    assert client.get("/v1/search?provider=nobody").json["total"] == 0
    assert "provider" not in client.get("/v1/search").json["facets"]  # a filter, not a facet


def test_exclude_leaves_activities_out(client, docs):
    tennis, other_tennis, football, _ = docs
    body = client.get("/v1/search", query_string=[("q", "tennis"), ("exclude", tennis["id"])]).json
    assert [r["id"] for r in body["results"]] == [other_tennis["id"]]
    nearby = client.get("/v1/search", query_string=[("lat", 40.78), ("lon", -73.96), ("sort", "distance"),
                                                   ("exclude", tennis["id"]), ("exclude", football["id"])]).json
    assert nearby["total"] == 2 and tennis["id"] not in [r["id"] for r in nearby["results"]]


def test_venues_suggest_distinct_venues_best_first(client):
    body = client.get("/v1/venues?q=park").json
    assert body == {"venues": [COURTS]}  # the library has no point; two activities, one venue
    assert client.get("/v1/venues?q=САВЁЛ").json["venues"] == [SAVYOLKI]
    assert client.get("/v1/venues?q=савел&limit=1").json["venues"] == [SAVYOLKI]
    assert client.get("/v1/venues?q=озерная").json["venues"] == [SAVYOLKI]  # a word of the address
    assert client.get("/v1/venues?q=zzz").json == {"venues": []}
    assert client.get("/v1/venues", query_string={"q": "'; DROP TABLE docs; --"}).status_code == 200


def test_venues_default_and_largest_limit(search_settings):
    index = SqliteSearchIndex(search_settings.index_dir)
    index.apply([published(activity_doc(venue={"name": f"Gym {i:02d}", "lat": 40.7, "lon": -73.9}))
                 for i in range(25)])
    index.close()
    app = create_app(search_settings)
    client = app.test_client()
    assert len(client.get("/v1/venues?q=gym").json["venues"]) == 8
    assert len(client.get("/v1/venues?q=gym&limit=20").json["venues"]) == 20
    app.extensions["afterclasses"].index.close()


@pytest.mark.parametrize("query, field", [
    ("", "q"), ("q=", "q"), ("q=" + "x" * 101, "q"), ("q=park&limit=0", "limit"), ("q=park&limit=21", "limit"),
    ("q=park&limit=many", "limit"), ("q=park&radius=2", "radius"),
])
def test_bad_venue_parameters_get_422_naming_the_field(client, query, field):
    resp = client.get(f"/v1/venues?{query}")
    assert resp.status_code == 422 and resp.json["error"] == "invalid"
    assert field in resp.json["details"]


@pytest.mark.parametrize("query, field", [
    ("provider=", "provider"), ("exclude=", "exclude"), ("provider=" + "p" * 201, "provider"),
    ("&".join(["exclude=x"] * 101), "exclude"),
])
def test_bad_provider_and_exclude_get_422_naming_the_field(client, query, field):
    resp = client.get(f"/v1/search?{query}")
    assert resp.status_code == 422
    assert field in resp.json["details"]


def test_venues_answer_503_while_the_index_is_broken(client):
    index = client.application.extensions["afterclasses"].index
    index.close()
    index.file.write_bytes(b"this is not a database" * 100)
    resp = client.get("/v1/venues?q=park")
    assert resp.status_code == 503 and resp.json["error"] == "unavailable"
