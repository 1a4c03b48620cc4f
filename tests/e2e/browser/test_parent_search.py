"""A parent finds tennis near home for an 8-year-old, in a real browser over the real data:
with JavaScript, without it, on a phone, by keyboard only, and in Russian."""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NYJTL = "New York Junior Tennis League"
PHONE = {"width": 360, "height": 740}


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def total(page) -> int:
    """The number of activities the results heading announces ("7 activities near …")."""
    text = page.locator("#results-h").inner_text()
    found = re.search(r"(\d[\d,\s]*)\s+activit", text)
    assert found, f"no count in the results heading: {text!r}"
    return int(re.sub(r"\D", "", found.group(1)))


def km(text: str) -> float:
    """ "450 m" → 0.45, "4.4 km" → 4.4 (the page's own rendering of distance_km)."""
    found = re.match(r"\s*([\d,.]+)\s*(k?m)\b", text)
    assert found, f"not a distance: {text!r}"
    value = float(found.group(1).replace(",", ""))
    return value if found.group(2) == "km" else value / 1000


def fill_search(page, what: str, where: str, age: str) -> None:
    page.locator("#q").fill(what)
    page.locator("#where").fill(where)
    page.locator("#age").fill(age)


def submit(page) -> None:
    with page.expect_navigation():
        page.locator("form.search-form button[type=submit]").click()
    page.wait_for_selector("#results-h")


def assert_tennis_near_10469(page) -> None:
    params = query(page)
    assert params.get("q") == ["tennis"] and params.get("where") == ["10469"] and params.get("age") == ["8"], page.url
    assert "ZIP 10469" in page.locator("#results-h .near").inner_text()
    hits = page.locator("ol.hits > li.hit")
    assert hits.count() >= 1
    first = hits.first
    assert first.locator(".hit-provider").inner_text().strip() == NYJTL
    assert "P.S. 121" in first.locator(".hit-venue").inner_text()
    assert km(first.locator(".distance").inner_text()) < 1
    distances = [km(t) for t in hits.locator(".distance").all_inner_texts()]
    assert len(distances) == hits.count(), "every result near a ZIP shows its distance"
    assert all(d <= 10 for d in distances), distances  # the default radius


def narrowing_facet(page, current: int):
    """A District facet link whose count is smaller than the current total (and not zero)."""
    for link in page.locator(".facet-district a").all():
        count = int(link.locator(".count").inner_text())
        if 0 < count < current:
            return link, count
    pytest.fail(f"no District facet narrows {current} results: {page.locator('.facet-district').inner_text()}")


def map_markers(page):
    """Leaflet's markers and clusters in #map, once search.js has drawn the map."""
    page.wait_for_selector("#map.map-ready")
    markers = page.locator("#map .leaflet-marker-icon")
    markers.first.wait_for()
    return markers


def test_the_browser_reaches_no_host_but_127_0_0_1(contexts):
    """The guard every test relies on: a request elsewhere is refused before it leaves the browser
    (and would fail the test that made it)."""
    page = contexts.new_page()
    page.goto("about:blank")
    outcome = page.evaluate("fetch('http://blocked.invalid/x').then(() => 'sent', () => 'refused')")
    assert outcome == "refused" and contexts.refused == ["http://blocked.invalid/x"]
    contexts.refused.clear()


def test_a_parent_finds_tennis_near_home_narrows_goes_back_and_opens_an_activity(web, page, contexts, screenshot):
    page.goto(web + "/")
    page.wait_for_selector("form.search-form")
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "home")

    page.locator("#q").fill("tennis")
    with page.expect_response(lambda r: "/suggest/where?" in r.url and r.ok):
        page.locator("#where").press_sequentially("10469", delay=30)
    suggestion = page.locator('#where-suggestions option[value="10469"]')
    suggestion.wait_for(state="attached")
    assert "Bronx" in (suggestion.get_attribute("label") or "")
    page.locator("#age").fill("8")
    screenshot(page, "form-filled")

    submit(page)
    assert_tennis_near_10469(page)
    before = total(page)
    assert before == page.locator("ol.hits > li.hit").count() or before > 20
    points = json.loads(page.locator("#map").get_attribute("data-points"))
    assert len(points) == min(before, 20) and all(p["lat"] is not None for p in points)
    assert map_markers(page).count() >= 1  # markers or clusters of them
    assert page.locator("#map .leaflet-tile-pane").count() == 1
    results_url = page.url
    first_title = page.locator("ol.hits > li.hit .hit-title a").first.inner_text().strip()
    screenshot(page, "results")

    link, expected = narrowing_facet(page, before)
    district = parse_qs(urlsplit(link.get_attribute("href")).query)["district"][-1]
    with page.expect_navigation():
        link.click()
    page.wait_for_selector("#results-h")
    assert page.url != results_url
    assert query(page).get("district") == [district] and query(page).get("q") == ["tennis"]
    assert total(page) == expected < before
    assert page.locator(".facet-district a[aria-current=true]").inner_text().startswith(district)
    screenshot(page, "narrowed-by-district")

    page.go_back()
    page.wait_for_url(lambda url: url == results_url)
    page.wait_for_selector("#results-h")
    assert total(page) == before
    assert "district" not in query(page)
    map_markers(page)
    screenshot(page, "back")

    with page.expect_navigation():
        page.locator("ol.hits > li.hit .hit-title a").first.click()
    page.wait_for_url(re.compile(r"/activities/[\w-]+$"))
    assert page.locator("h1").inner_text().strip() == first_title
    assert NYJTL in page.locator(".provider-line").inner_text()
    assert "P.S. 121" in page.locator(".facts .venue").inner_text()
    assert map_markers(page).count() == 1
    assert page.locator("#map").bounding_box()["width"] >= 400, "the activity's map has room beside the facts"
    assert page.locator(".schedule h2").is_visible()
    screenshot(page, "activity")

    assert contexts.tile_requests, "the maps asked the configured tile server (127.0.0.1) for tiles"


def test_after_back_the_sort_and_distance_controls_say_what_the_results_are(web, page, screenshot):
    start = web + "/search?q=tennis&where=10469&age=8"
    page.goto(start)
    with page.expect_navigation():
        page.locator("#radius_km").select_option("2")  # applies at once (search.js)
    with page.expect_navigation():
        page.locator("#sort").select_option("newest")
    assert query(page).get("sort") == ["newest"] and query(page).get("radius_km") == ["2"]
    page.go_back()
    page.wait_for_selector("#results-h")
    assert query(page).get("sort", ["best"]) == ["best"] and query(page).get("radius_km") == ["2"]
    assert page.locator("#sort").input_value() == "best" and page.locator("#radius_km").input_value() == "2"
    page.go_back()
    page.wait_for_url(start)
    assert page.locator("#sort").input_value() == "best" and page.locator("#radius_km").input_value() == "10"
    screenshot(page, "back-twice")


def test_nothing_near_a_place_says_so_and_the_map_still_shows_the_area(web, page, screenshot):
    page.goto(web + "/search?q=tennis&where=10469&age=8&day=sun")  # the city's programmes list no days
    assert total(page) == 0
    assert page.locator("p.empty").is_visible()
    page.wait_for_selector("#map.map-ready")
    assert page.locator("#map path.leaflet-interactive").count() == 1  # the search circle
    assert page.locator("#map .leaflet-marker-icon").count() == 0
    screenshot(page, "empty-results")


def test_the_same_search_works_without_javascript(web, contexts, screenshot):
    page = contexts.new_page(java_script_enabled=False)
    page.goto(web + "/")
    assert page.locator("button.locate").is_hidden()  # the JS-only control stays out of the way
    fill_search(page, "tennis", "10469", "8")
    screenshot(page, "form-filled")
    submit(page)
    assert_tennis_near_10469(page)
    before = total(page)
    assert page.locator("#map .leaflet-marker-icon").count() == 0
    # (Playwright's text locators skip <noscript>; CSS reaches it)
    assert "The map needs JavaScript" in page.locator(".map-panel noscript p").inner_text()
    assert page.locator(".map-panel noscript p").is_visible()
    screenshot(page, "results")

    # the sort form applies by its button when no script submits it on change
    page.locator("#sort").select_option("distance")
    with page.expect_navigation():
        page.locator(".sort-form button[type=submit]").click()
    assert query(page).get("sort") == ["distance"] and query(page).get("where") == ["10469"]
    distances = [km(t) for t in page.locator("ol.hits .distance").all_inner_texts()]
    assert distances == sorted(distances) and total(page) == before
    screenshot(page, "sorted-by-distance")

    link, expected = narrowing_facet(page, before)
    with page.expect_navigation():
        link.click()
    assert "district" in query(page) and query(page).get("sort") == ["distance"]
    assert total(page) == expected < before
    screenshot(page, "narrowed-by-district")

    with page.expect_navigation():
        page.locator(".facet-district a[aria-current=true]").click()  # the same link unselects
    assert "district" not in query(page) and total(page) == before

    with page.expect_navigation():
        page.locator("ol.hits > li.hit .hit-title a").first.click()
    assert re.search(r"/activities/[\w-]+$", page.url)
    assert NYJTL in page.locator(".provider-line").inner_text()
    assert page.locator("#map .leaflet-marker-icon").count() == 0
    screenshot(page, "activity")


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways on a phone: {width}px wide"


def test_on_a_phone_nothing_scrolls_sideways_and_the_form_is_usable(web, contexts, screenshot):
    page = contexts.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(web + "/")
    no_horizontal_scroll(page)
    for field in ("#q", "#where", "#age", "form.search-form button[type=submit]"):
        box = page.locator(field).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (field, box)
        assert box["height"] >= 24, f"{field} is too small to tap: {box}"
    screenshot(page, "home")
    fill_search(page, "tennis", "10469", "8")
    submit(page)
    assert_tennis_near_10469(page)
    no_horizontal_scroll(page)
    map_markers(page)
    screenshot(page, "results")
    with page.expect_navigation():
        page.locator("ol.hits > li.hit .hit-title a").first.click()
    page.wait_for_selector("h1")
    no_horizontal_scroll(page)
    map_markers(page)
    assert page.locator("#map").bounding_box()["width"] >= PHONE["width"] - 64, "the map spans the phone's width"
    screenshot(page, "activity")


def focused(page) -> str:
    return page.evaluate("""() => { const e = document.activeElement;
        return e.id ? '#' + e.id : e.tagName.toLowerCase() + (e.classList.length ? '.' + e.classList[0] : ''); }""")


def test_keyboard_only_skip_link_first_then_the_search_fields_and_enter_submits(web, page, screenshot):
    page.goto(web + "/")
    page.keyboard.press("Tab")
    assert focused(page) == "a.skip"
    assert page.locator("a.skip").bounding_box()["x"] >= 0, "the focused skip link is on screen"
    screenshot(page, "skip-link-focused")
    page.keyboard.press("Enter")
    assert focused(page) == "#main"
    visited = []
    for key, text in (("Tab", "tennis"), ("Tab", "10469"), ("Tab", "8")):
        page.keyboard.press(key)
        if focused(page) == "button.locate":  # "Use my location", where the browser offers geolocation
            visited.append(focused(page))
            page.keyboard.press("Tab")
        visited.append(focused(page))
        page.keyboard.type(text)
    assert [v for v in visited if v != "button.locate"] == ["#q", "#where", "#age"], visited
    screenshot(page, "typed-by-keyboard")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("#results-h")
    assert_tennis_near_10469(page)
    screenshot(page, "results")


def test_russian_browser_gets_russian_pages_and_can_switch(web, contexts, screenshot):
    page = contexts.new_page(locale="ru-RU")
    page.goto(web + "/")
    assert page.locator("html").get_attribute("lang") == "ru"
    current = page.locator(".lang-switch [aria-current=true]")
    assert current.get_attribute("lang") == "ru" and current.inner_text() == "Русский"
    screenshot(page, "home-ru")

    page.goto(web + "/search?q=футбол")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("ol.hits > li.hit").count() > 0
    screenshot(page, "results-ru")

    with page.expect_navigation():
        page.locator(".lang-switch a[lang=en]").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert query(page).get("lang") == ["en"] and query(page).get("q") == ["футбол"]
    page.goto(web + "/")  # the choice is remembered over the browser's Accept-Language
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "home-switched-to-en")


def test_use_my_location_and_search_this_area(web, contexts, screenshot):
    # the browser says the parent stands by P.S. 121 in the Bronx
    page = contexts.new_page(geolocation={"latitude": 40.8705, "longitude": -73.8465}, permissions=["geolocation"])
    page.goto(web + "/")
    page.locator("#q").fill("tennis")
    locate = page.locator("button.locate")
    locate.wait_for(state="visible")  # shown only where the browser can locate
    with page.expect_navigation():
        locate.click()
    page.wait_for_selector("#results-h")
    params = query(page)
    assert params["q"] == ["tennis"] and "where" not in params
    assert abs(float(params["lat"][0]) - 40.8705) < 1e-3 and abs(float(params["lon"][0]) + 73.8465) < 1e-3
    first = page.locator("ol.hits > li.hit").first
    assert "P.S. 121" in first.locator(".hit-venue").inner_text() and km(first.locator(".distance").inner_text()) < 1
    screenshot(page, "my-location")

    # the parent zooms the map out; "search this area" searches what the map shows
    map_markers(page)
    page.locator("#map .leaflet-control-zoom-out").click()
    area = page.locator("button.search-area")
    area.wait_for(state="visible")
    screenshot(page, "map-moved")
    with page.expect_navigation():
        area.click()
    page.wait_for_selector("#results-h")
    params = query(page)
    assert {"lat", "lon", "radius_km"} <= set(params) and float(params["radius_km"][0]) > 0
    assert page.locator("ol.hits > li.hit").count() > 0
    screenshot(page, "searched-this-area")
