"""The finder's pages over the real APIs: search state in the URL, places, facets, the map data."""
from __future__ import annotations

import json
import re

import pytest

from tests.integration.web.helpers import publish


def test_home_page_has_the_search_form(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'role="search"' in html and 'name="where"' in html and 'name="age"' in html


def test_a_zip_code_resolves_to_a_point_and_results_show_distance(stack, client):
    near = publish(stack, title="Tennis at Throop", venue={"name": "P.S. 121", "lat": 40.8705, "lon": -73.8465})
    publish(stack, title="Tennis in Moscow", venue={"name": "Лужники", "lat": 55.7158, "lon": 37.5537})
    page = client.get("/search?q=tennis&where=10469&age=8")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ZIP 10469 (Bronx)" in html
    assert "Tennis at Throop" in html and "Tennis in Moscow" not in html  # 10 km by default
    assert re.search(r'class="distance">\s*2\d0 m', html)
    points = json.loads(re.search(r'data-points="([^"]*)"', html).group(1).replace("&#34;", '"'))
    assert [p["id"] for p in points] == [near]


def test_unknown_place_says_so_and_searches_everywhere(stack, client):
    publish(stack, title="Chess club", category="science.math")
    html = client.get("/search?where=Atlantis").get_data(as_text=True)
    assert "We don" in html and "Atlantis" in html
    assert "Chess club" in html


def test_facet_links_toggle_values_in_the_url(stack, client):
    publish(stack, title="Tennis A", sessions=[{"weekday": "mon", "start": "15:00", "end": "16:00"}])
    publish(stack, title="Tennis B", sessions=[{"weekday": "sat", "start": "10:00", "end": "11:00"}])
    html = client.get("/search?q=tennis").get_data(as_text=True)
    link = re.search(r'href="([^"]*day=sat[^"]*)"', html).group(1).replace("&amp;", "&")
    narrowed = client.get(link).get_data(as_text=True)
    assert "Tennis B" in narrowed and "Tennis A" not in narrowed
    # the selected value links back to the page without it
    back = re.search(r'<a href="([^"]*)" aria-current="true" class="selected">', narrowed).group(1)
    assert "day=sat" not in back


def test_bad_values_are_ignored_or_explained_not_a_crash(stack, client):
    for query in ("age=abc", "page=-3", "lat=999&lon=5", "sort=evil", "radius_km=nan", "day=funday",
                  "category=%3Cscript%3E", "where=" + "x" * 5000):
        page = client.get("/search?" + query)
        assert page.status_code in (200, 400), (query, page.status_code)


def test_activity_page_has_schedule_contacts_and_json_ld(stack, client):
    activity_id = publish(stack, title="Junior tennis", sessions=[{"weekday": "wed", "start": "16:00", "end": "17:30"}])
    html = client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert "Wednesday" in html and "16:00–17:30" in html
    assert "+1 718 555 0100" in html
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert ld["@type"] == "Course" and ld["name"] == "Junior tennis"


def test_unknown_activity_is_404(client):
    assert client.get("/activities/nope").status_code == 404


def test_search_down_is_a_503_page(stack, client, monkeypatch):
    from afterclasses_web.clients import ServiceDown

    def down(*a, **k):
        raise ServiceDown("search", "ConnectionError")

    monkeypatch.setattr(stack.web_app.extensions["afterclasses_web"].search, "search", down)
    page = client.get("/search?q=x")
    assert page.status_code == 503 and "not answering" in page.get_data(as_text=True)


def test_russian_from_accept_language_and_switch(client):
    html = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert '<html lang="ru">' in html
    assert '<html lang="en">' in client.get("/?lang=en").get_data(as_text=True)


def test_a_day_filter_that_finds_nothing_says_how_many_match_without_it(stack, client):
    publish(stack, title="Tennis A", sessions=[])
    publish(stack, title="Tennis B", sessions=[])
    html = client.get("/search?q=tennis&day=sat").get_data(as_text=True)
    assert "0 activities" in html and "publish their weekly schedule" in html
    assert "2 activities match without the filters" in html
    link = re.search(r'<a href="([^"]*)">show them</a>', html).group(1).replace("&amp;", "&")
    assert "day=" not in link and "Tennis A" in client.get(link).get_data(as_text=True)


def test_a_category_kept_from_an_earlier_search_that_hides_everything_is_offered_away(stack, client):
    publish(stack, title="Chess for beginners", category="sports.mind")
    html = client.get("/search?q=chess&category=education").get_data(as_text=True)
    assert "0 activities" in html and "1 activity matches without the filters" in html
    assert "weekly schedule" not in html
    link = re.search(r'<a href="([^"]*)">show them</a>', html).group(1).replace("&amp;", "&")
    assert "category=" not in link and "q=chess" in link
    assert "Chess for beginners" in client.get(link).get_data(as_text=True)


def test_a_subcategory_narrows_its_parent_and_the_parent_widens_again(stack, client):
    publish(stack, title="Shelter help", category="family.housing")
    publish(stack, title="Parenting class", category="family")
    wide = client.get("/search?category=family").get_data(as_text=True)
    assert "Shelter help" in wide and "Parenting class" in wide
    link = re.search(r'<a href="([^"]*category=family.housing[^"]*)"', wide).group(1).replace("&amp;", "&")
    assert link.count("category=") == 1  # the subcategory replaces its parent
    narrow = client.get(link).get_data(as_text=True)
    assert "Shelter help" in narrow and "Parenting class" not in narrow
    # a shared link with both asks for the narrower one; so does a subcategory on its parent's page
    assert "Parenting class" not in client.get("/search?category=family&category=family.housing").get_data(as_text=True)
    on_page = client.get("/categories/family?category=family.housing").get_data(as_text=True)
    assert "Shelter help" in on_page and "Parenting class" not in on_page
    back = re.search(r'<a href="([^"]*)"[^>]*>\s*<span class="box" aria-hidden="true"></span>Family', narrow).group(1)
    assert client.get(back.replace("&amp;", "&")).get_data(as_text=True).count('class="hit"') == 2


def test_a_page_past_the_last_says_so(stack, client):
    publish(stack, title="Tennis A")
    html = client.get("/search?q=tennis&page=7").get_data(as_text=True)
    assert "past the last one" in html and "Back to the first page" in html


def test_home_page_chips_are_categories_that_have_activities(stack, client):
    publish(stack, title="Chess", category="science.math")
    html = client.get("/").get_data(as_text=True)
    chips = re.findall(r'class="chip" href="/categories/([\w.-]+)"', html)
    assert chips == ["science.math"]
    categories = client.get("/categories/").get_data(as_text=True)
    assert "/categories/science.math" in categories and "/categories/sports" not in categories


@pytest.mark.parametrize("query", ["_anchor=evil", "_method=POST", "_scheme=javascript&_external=1", "slug=arts",
                                   "activity_id=x", "provider_id=y", "endpoint=z"])
def test_parameters_that_look_like_url_for_arguments_are_just_ignored(stack, client, query):
    activity_id = publish(stack, title="Tennis A")
    for path in ("/search", "/categories/sports", f"/activities/{activity_id}", f"/activities/{activity_id}/correct",
                 "/providers/nope", "/"):
        page = client.get(f"{path}?{query}")
        assert page.status_code in (200, 404), (path, query, page.status_code)
        html = page.get_data(as_text=True)
        assert "#evil" not in html and "javascript:" not in html  # kept as a parameter, never obeyed


def test_invisible_characters_never_reach_the_page(stack, client):
    html = client.get("/search?q=ten%00nis%E2%80%AE&where=104%0069").get_data(as_text=True)
    assert "\x00" not in html and "\u202e" not in html
    assert "ZIP 10469" in html


def test_an_activity_page_gives_its_own_contact_before_its_organisations(stack, client):
    activity_id = publish(stack, title="Tennis at P.S. 121", contact={"phone": "(718) 231-3239"},
                          provider={"name": "Junior Tennis League", "phone": "(917) 526-9857"})
    html = client.get(f"/activities/{activity_id}").get_data(as_text=True)
    contacts = html[html.index('id="contacts-h"'):]
    assert contacts.index("(718) 231-3239") < contacts.index("(917) 526-9857")
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert ld["provider"]["telephone"] == "(718) 231-3239"
    assert ld["url"] == f"http://localhost/activities/{activity_id}"
    # and the correction form shows it, to be corrected like any field
    form = client.get(f"/activities/{activity_id}/correct").get_data(as_text=True)
    assert re.search(r'id="contact_phone"[^>]*value="\(718\) 231-3239"', form)


def test_an_activity_page_says_how_fresh_it_is(stack, client):
    verified = publish(stack, title="Checked", verified=True)
    unverified = publish(stack, title="Unchecked")
    assert "Last verified today." in client.get(f"/activities/{verified}").get_data(as_text=True)
    assert "Not verified yet; last changed today." in client.get(f"/activities/{unverified}").get_data(as_text=True)


@pytest.mark.parametrize("age", ["200", "-3", "abc", "nan"])
def test_an_age_the_search_api_refuses_is_explained_not_ignored(stack, client, age):
    publish(stack, title="Chess club", category="science.math")
    page = client.get(f"/search?age={age}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Chess club" in html  # the results for any age
    assert f"The child's age “{age}” was not understood" in html


def test_an_age_out_of_range_is_explained_with_the_apis_range(stack, client):
    for lang in ("en", "ru"):
        html = client.get(f"/search?age=200&lang={lang}").get_data(as_text=True)
        notice = re.search(r'<p class="notice" role="status">(.*?)</p>', html, re.S).group(1)
        assert "200" in notice and "0" in notice and "120" in notice, lang  # the search API's range


def test_nothing_found_without_filters_suggests_other_words_not_fewer_filters(stack, client):
    publish(stack, title="Chess club", category="science.math")
    html = client.get("/search?q=piano").get_data(as_text=True)
    assert "Nothing matches this search." in html and "Try other words." in html
    assert "filters" not in html.split('class="empty"')[1].split("</p>")[0]


def test_a_category_page_is_titled_with_the_category(stack, client):
    assert "<title>Sports · Afterclasses</title>" in client.get("/categories/sports").get_data(as_text=True)
    assert "<title>Спорт · Afterclasses</title>" in client.get("/categories/sports?lang=ru").get_data(as_text=True)


def test_an_age_with_a_decimal_comma_is_the_same_age(stack, client):
    publish(stack, title="Chess club", category="science.math", age_min=7.5, age_max=12)
    assert "Chess club" in client.get("/search?age=7,5&lang=ru").get_data(as_text=True)
    assert "Chess club" not in client.get("/search?age=7,4").get_data(as_text=True)
