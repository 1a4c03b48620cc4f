"""The results page's own logic over a fake search API: paging, what the search form keeps, the
calls it makes; the web's error pages and readiness."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from afterclasses_web import create_app
from afterclasses_web.settings import WebSettings
from tests.conftest import DATASETS
from tests.unit.web.fakes import FakeIngestClient, FakeSearchClient, search_reply


def hit(n: int) -> dict:
    return {"id": f"a{n}", "title": f"Tennis {n}", "category": "sports.racket.tennis", "age_min": 6, "age_max": 12,
            "venue": {"name": "Court", "lat": 40.87, "lon": -73.85}, "distance_km": 0.4}


@pytest.fixture
def search():
    return FakeSearchClient(search_reply(1, [hit(1)]))


@pytest.fixture
def ingest():
    return FakeIngestClient()


@pytest.fixture
def client(tmp_path, search, ingest):
    settings = WebSettings(data_dir=str(tmp_path), datasets_dir=str(DATASETS), web_secret_key="unit",
                           tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png")
    return create_app(settings, search=search, ingest=ingest).test_client()


def sent(call: list[tuple[str, str]]) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in call:
        params.setdefault(key, []).append(value)
    return params


def search_form(html: str) -> str:
    return re.search(r'<form class="search-form".*?</form>', html, re.S).group(0)


def test_paging_ends_at_the_last_page_it_offers(client, search):
    search.replies = [search_reply(100_000, [hit(i) for i in range(20)])]
    html = client.get("/search?q=tennis&page=500").get_data(as_text=True)
    assert "Page 500 of 500" in html and 'rel="next"' not in html and 'rel="prev"' in html
    assert sent(search.calls[-1])["page"] == ["500"]
    client.get("/search?q=tennis&page=9999")
    assert sent(search.calls[-1])["page"] == ["500"]


def test_the_search_form_keeps_the_chosen_distance(client):
    form = search_form(client.get("/search?q=tennis&where=10469&radius_km=2").get_data(as_text=True))
    assert '<input type="hidden" name="radius_km" value="2">' in form
    # "search this area" (a point and a radius, no place typed) keeps both
    form = search_form(client.get("/search?lat=40.87&lon=-73.85&radius_km=1.5").get_data(as_text=True))
    assert 'name="lat" value="40.87"' in form and 'name="radius_km" value="1.5"' in form
    # the default distance, or no point at all: nothing to keep
    assert 'name="radius_km"' not in search_form(client.get("/search?where=10469").get_data(as_text=True))
    assert 'name="radius_km"' not in search_form(client.get("/search?q=tennis&radius_km=2").get_data(as_text=True))


def test_days_that_find_nothing_stay_ticked_and_the_count_without_them_is_cheap(client, search):
    search.replies = [search_reply(0), search_reply(42, [hit(1)])]
    html = client.get("/search?q=tennis&day=sat").get_data(as_text=True)
    assert re.search(r'name="day" value="sat" checked', html), "the parent's day is still ticked"
    assert "42 activities match without the filters" in html
    first, without = (sent(c) for c in search.calls)
    assert first["day"] == ["sat"] and "day" not in without and without["per_page"] == ["1"]


def test_a_childs_age_is_shown_as_typed(client):
    html = client.get("/search?q=tennis&age=7.5").get_data(as_text=True)
    assert 'name="age" type="number" min="0" max="120" step="any" inputmode="decimal" value="7.5"' in html


def test_invisible_characters_are_dropped_from_facet_values(client, search):
    client.get("/search?district=Bronx%E2%80%AE&district=%E2%80%8B")
    assert sent(search.calls[-1])["district"] == ["Bronx"]


def test_a_wrong_method_says_which_are_allowed(client):
    resp = client.post("/search")
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"]
    assert "<html" in resp.get_data(as_text=True)  # the site's page, not a bare error


def test_what_suggestions_vary_with_the_language(client):
    resp = client.get("/suggest/what?q=ten", headers={"Accept-Language": "ru"})
    assert "Accept-Language" in resp.headers["Vary"]
    assert resp.get_json()["suggestions"][0]["value"] == "Теннис"


def test_the_web_is_ready_while_search_answers_even_without_ingest(client, search, ingest):
    ingest.down = True
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json()["dependencies"]["ingest"] == {"up": False, "reason": "ingest: ConnectionError",
                                                         "optional": True}
    search.down = True
    assert client.get("/readyz").status_code == 503


def test_a_search_link_keeps_its_query_when_the_language_changes(client):
    html = client.get("/search?q=tennis&where=10469").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" lang="ru" hreflang="ru">', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query) == {"q": ["tennis"], "where": ["10469"], "lang": ["ru"]}


def test_what_suggestions_understand_russian_on_an_english_page(client):
    found = client.get("/suggest/what?q=футб", headers={"Accept-Language": "en"}).get_json()["suggestions"]
    assert found and found[0]["category"].endswith("football") and found[0]["value"] == "Football (soccer)"


def test_an_answer_the_page_does_not_expect_is_a_400_page_not_a_crash(client, search):
    from afterclasses_web.clients import Reply

    search.replies = [Reply(414, {})]  # gunicorn's answer to an overlong request line
    assert client.get("/search?district=" + "!" * 200).status_code == 400


def test_an_id_that_is_no_uuid_is_404_before_any_call(client, search):
    assert client.get("/activities/" + "!" * 300).status_code == 404
    assert client.get("/providers/queue").status_code == 404
    assert not search.calls


def test_a_category_page_is_titled_with_its_name_in_the_pages_language(client):
    assert "<title>Sports · Afterclasses</title>" in client.get("/categories/sports").get_data(as_text=True)
    assert "<title>Спорт · " in client.get("/categories/sports?lang=ru").get_data(as_text=True)
    assert "<title>Sports · “tennis” · " in client.get("/categories/sports?q=tennis&lang=en").get_data(as_text=True)


def empty_message(html: str) -> str:
    return " ".join(re.search(r'<p class="empty">(.*?)</p>', html, re.S).group(1).split())


def test_nothing_found_without_filters_does_not_mention_filters(client, search):
    search.replies = [search_reply(0)]
    said = empty_message(client.get("/search?q=piano").get_data(as_text=True))
    assert "Try other words." in said and "filter" not in said and "distance" not in said
    # a category's page: its own category is no filter to remove
    assert "filter" not in empty_message(client.get("/categories/sports?q=piano").get_data(as_text=True))


def test_nothing_found_offers_what_would_widen_the_search(client, search):
    search.replies = [search_reply(0)]
    html = client.get("/search?q=piano&where=10469&free=true").get_data(as_text=True)
    said = empty_message(html)
    assert "Try fewer filters." in said and "Try other words." in said
    link = re.search(r'<a href="([^"]+)">Search at any distance from ZIP 10469', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query)["radius_km"] == ["0"]
    # already at any distance: a larger one would find nothing more
    assert "any distance" not in empty_message(client.get("/search?q=piano&where=10469&radius_km=0")
                                               .get_data(as_text=True))


@pytest.mark.parametrize("age", ["200", "-3", "abc"])
def test_an_age_the_search_api_refuses_is_explained_and_the_results_are_for_any_age(client, search, age):
    from afterclasses_web.clients import Reply

    refused = Reply(422, {"error": "bad_request", "details": {
        "age": ["Must be greater than or equal to 0 and less than or equal to 120."]}})
    search.replies = [refused, search_reply(1, [hit(1)])]
    page = client.get(f"/search?q=tennis&age={age}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Tennis 1" in html
    assert f"The child's age “{age}” was not understood" in html
    assert "less than or equal to 120" in html  # the API's own range
    asked, again = (sent(c) for c in search.calls)
    assert asked["age"] == [age] and "age" not in again  # the API judges the age as typed
    assert 'name="age" type="number" min="0" max="120" step="any" inputmode="decimal" value=""' in html


def test_an_unknown_place_with_search_down_is_a_503_at_once(client, search):
    search.down = True
    assert client.get("/search?where=Atlantis").status_code == 503
    assert search.attempts == 1  # the venue lookup only: no second wait for the search itself
    # the where box's suggestions still answer, from the gazetteer
    found = client.get("/suggest/where?q=Kingsbridge").get_json()["suggestions"]
    assert found and found[0]["value"].startswith("Kingsbridge")


def test_use_my_location_has_a_live_region_for_what_became_of_it(client):
    form = search_form(client.get("/").get_data(as_text=True))
    status = re.search(r'<span class="locate-status" role="status" aria-live="polite"(.*?)></span>', form, re.S)
    assert status, "an (empty) live region next to the button"
    assert 'data-denied="Your browser did not share your location.' in status.group(1)
    assert 'data-failed="Your location could not be found.' in status.group(1)


def test_the_search_form_and_filters_come_folded_so_a_phone_shows_results_first(client):
    html = client.get("/search?q=tennis").get_data(as_text=True)
    assert re.search(r'<details class="search-box">', html) and re.search(r'<details class="facets-box">', html)
    assert html.index('class="hits"') < html.index('class="facets-box"')  # results first without CSS too


@pytest.mark.parametrize("path", ["/", "/search?q=tennis", "/submit/activity", "/desk/signin"])
def test_every_page_loads_the_script_that_focuses_an_error_summary(client, path):
    html = client.get(path).get_data(as_text=True)
    assert html.count('<script src="/static/search.js" defer></script>') == 1, path
