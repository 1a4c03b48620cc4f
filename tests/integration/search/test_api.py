"""The search API over a real embedded index: parameters, errors, shapes."""
import pytest

from afterclasses_search import create_app
from afterclasses_search.adapters.sqlite_fts import SqliteSearchIndex
from tests.factories import activity_doc, published


@pytest.fixture
def app(search_settings):
    index = SqliteSearchIndex(search_settings.index_dir)  # the indexer's side: a writer
    index.apply([published(activity_doc(title="Tennis", venue={"lat": 40.8661, "lon": -73.8510})),
                 published(activity_doc(title="Футбол", category="sports.team.football",
                                        venue={"lat": 55.98, "lon": 37.15, "district": "Савёлки"}))])
    index.close()
    app = create_app(search_settings)
    yield app
    app.extensions["afterclasses"].index.close()


@pytest.fixture
def client(app):
    return app.test_client()


def test_search_returns_results_with_distance_and_facets(client):
    body = client.get("/v1/search?q=tennis&lat=40.8661&lon=-73.8510&radius_km=2").json
    assert body["total"] == 1
    assert body["results"][0]["title"] == "Tennis" and body["results"][0]["distance_km"] == 0.0
    assert set(body["facets"]) == {"category", "age_band", "day", "free", "district"}


def test_multi_valued_parameters_and_languages(client):
    body = client.get("/v1/search?category=sports.racket&category=sports.team&lang=ru").json
    assert body["total"] == 2
    labels = {f["value"]: f["label"] for f in body["facets"]["category"]}
    assert labels["sports"] == "Спорт"


@pytest.mark.parametrize("lang, monday, free", [("ru", "Понедельник", "бесплатно"), ("en", "Monday", "free")])
def test_day_and_price_facets_are_labelled_in_the_language_asked(client, lang, monday, free):
    facets = client.get(f"/v1/search?lang={lang}").json["facets"]
    assert [(f["value"], f["label"]) for f in facets["day"]][0] == ("mon", monday)
    assert {f["value"]: f["label"] for f in facets["free"]}["true"] == free


@pytest.mark.parametrize("query, field", [
    ("lat=95&lon=0", "lat"), ("lat=40", "lon"), ("radius_km=2", "radius_km"), ("sort=cheapest", "sort"),
    ("age=-1", "age"), ("day=someday", "day"), ("page=0", "page"), ("per_page=1000", "per_page"),
    ("radius=2", "radius"), ("free=maybe", "free"), ("age_band=7-8", "age_band"),
])
def test_bad_parameters_get_422_naming_the_field(client, query, field):
    resp = client.get(f"/v1/search?{query}")
    assert resp.status_code == 422
    assert field in resp.json["details"]


@pytest.mark.parametrize("q", ['hip-hop', 'C++', '"', 'AND', 'dance OR', "'; DROP TABLE docs; --"])
def test_any_text_answers_200(client, q):
    assert client.get("/v1/search", query_string={"q": q}).status_code == 200


def test_a_page_past_the_end_is_empty(client):
    body = client.get("/v1/search?page=500").json
    assert body["total"] == 2 and body["results"] == []


def test_one_activity_and_an_unknown_one(client, app):
    some = client.get("/v1/search?q=tennis").json["results"][0]
    assert client.get(f"/v1/activities/{some['id']}").json["title"] == "Tennis"
    resp = client.get("/v1/activities/nope")
    assert resp.status_code == 404 and resp.json["error"] == "not_found"


def test_a_broken_index_answers_503_with_a_reason(client, app, search_settings):
    index = app.extensions["afterclasses"].index
    index.close()
    index.file.write_bytes(b"this is not a database" * 100)
    resp = client.get("/v1/search?q=tennis")
    assert resp.status_code == 503 and resp.json["error"] == "unavailable"
    assert "database" in resp.json["message"]
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200


def test_before_the_indexer_made_an_index_the_api_answers_503_and_recovers(tmp_path):
    from afterclasses_search.settings import SearchSettings

    settings = SearchSettings(data_dir=tmp_path / "empty")
    client = create_app(settings).test_client()
    resp = client.get("/v1/search")
    assert resp.status_code == 503 and "indexer" in resp.json["message"]
    SqliteSearchIndex(settings.index_dir).apply([published(activity_doc())])
    assert client.get("/v1/search").json["total"] == 1
