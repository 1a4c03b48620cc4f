"""An automated accessibility audit: axe-core (WCAG 2.0/2.1 A and AA, and axe's best practices) on
the key pages of the site and the editors' desk, at 1280 px and at 360 px, over the real data.

A page fails on any violation axe rates serious or critical; every violation (minor and moderate
too) is kept in test-artifacts/axe/<test>.json. axe is injected into the page, so its contexts
bypass the site's Content-Security-Policy, which forbids inline scripts (the other browser tests
check that policy). The map's tiles never load in tests; the map's controls are audited.

At 360 px a page must also reflow (WCAG 2.1's 1.4.10, which axe does not check): nothing on it
scrolls sideways but the desk's tables, in their own scrolling regions.

The module has a stack of its own: it sends a correction and a new activity through the forms, and
signs an editor in to review them."""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
WIDTHS = {"1280": DESKTOP, "360": PHONE}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING = ("serious", "critical")
# the tiles are grey placeholders that never load here: nothing of the page's own to audit
EXCLUDE = ["#map .leaflet-tile-container"]
REPORTS = ROOT / "test-artifacts" / "axe"
DEV_EDITOR = "dev-editor"
SEARCH = "/search?q=tennis&where=10469&age=8"


class Site:
    """What the audited pages need, made once per module: an activity, its provider, a category,
    a parent's correction (its follow-up page) and a new activity sent through the forms, and an
    editor's signed-in browser state with the review pages of both."""

    activity_id: str
    provider_url: str
    category_url: str
    follow_url: str
    review_url: str
    review_new_url: str
    editor_state: dict


def send(page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    assert re.search(r"/submissions/[\w-]+$", page.url), f"not sent: {page.url}"


@pytest.fixture(scope="module")
def site(web, stack, browser) -> Site:
    site = Site()
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(web + SEARCH)
        site.activity_id = page.locator("ol.hits > li.hit").first.get_attribute("data-id")
        page.goto(f"{web}/activities/{site.activity_id}")
        site.provider_url = web + page.locator(".provider-line a").get_attribute("href")
        page.goto(web + "/categories/")
        site.category_url = web + page.locator(".category-tree h2 a").first.get_attribute("href")

        # a parent corrects the activity's schedule …
        page.goto(f"{web}/activities/{site.activity_id}/correct")
        title = page.locator("#title").input_value()
        page.locator("#sessions-0-weekday").select_option("wed")
        page.locator("#sessions-0-start").fill("15:00")
        page.locator("#sessions-0-end").fill("17:00")
        page.locator("#submitter_name").fill("An accessibility audit")
        send(page, "Send the correction")
        site.follow_url = page.url
        # … and adds an activity by the same school, with a new provider (the review lists lookalikes)
        page.goto(web + "/submit/activity")
        page.locator("#title").fill("Out of School Time tennis")
        page.locator("#category").select_option("sports")
        page.locator("#venue_name").fill("P.S. 121")
        page.locator("#venue_lat").fill("40.8705")
        page.locator("#venue_lon").fill("-73.8465")
        page.locator("#provider_name").fill("An accessibility audit's tennis club")
        send(page, "Send for review")

        password = (Path(stack.env["AFTERCLASSES_DATA_DIR"]) / "editor-password").read_text().strip()
        page.goto(web + "/desk/signin")
        page.locator("#username").fill(DEV_EDITOR)
        page.locator("#password").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        assert urlsplit(page.url).path == "/desk", page.url
        rows = page.locator("table.queue tbody tr")
        link = rows.filter(has_text="Correction").filter(has_text=title).get_by_role("link")
        site.review_url = web + link.get_attribute("href")
        link = rows.filter(has_text="New activity").filter(has_text="Out of School Time tennis").get_by_role("link")
        site.review_new_url = web + link.get_attribute("href")
        site.editor_state = context.storage_state()
    finally:
        context.close()
    return site


def new_activity_with_errors(page, web: str, site: Site) -> None:
    """The form sent back with its errors: the summary on top, each field marked with its message."""
    page.goto(web + "/submit/activity")
    page.locator("#title").fill("Chess for beginners")  # no category: required
    page.locator("#age_min").fill("12")
    page.locator("#age_max").fill("7")
    page.locator("#sessions-0-start").fill("17:00")  # no day
    page.locator("#price_amount").fill("-5")
    page.locator("#venue_lat").fill("95")
    page.locator("#venue_lon").fill("-73.85")
    page.locator("#submitter_email").fill("not-an-email")
    with page.expect_navigation():
        page.get_by_role("button", name="Send for review").click()
    assert page.locator(".error-summary li").count() >= 3, "the form shows its errors"
    assert page.locator("[aria-invalid=true]").count() >= 3


def opens(path: str):
    """Opens ``path`` on the site; ``{name}`` in it is the Site's attribute."""
    return lambda page, web, site: page.goto(path.format(web=web, **vars(site)))


# name → (how to open it, whether as the signed-in editor)
PAGES = {
    "home": (opens("{web}/"), False),
    "results": (opens("{web}" + SEARCH), False),
    "results-ru": (opens("{web}" + SEARCH + "&lang=ru"), False),
    "activity": (opens("{web}/activities/{activity_id}"), False),
    "provider": (opens("{provider_url}"), False),
    "categories": (opens("{web}/categories/"), False),
    "category": (opens("{category_url}"), False),
    "new-activity": (opens("{web}/submit/activity"), False),
    "new-activity-errors": (new_activity_with_errors, False),
    "correction": (opens("{web}/activities/{activity_id}/correct"), False),
    "submission": (opens("{follow_url}"), False),
    "desk-signin": (opens("{web}/desk/signin"), False),
    "desk-queue": (opens("{web}/desk"), True),
    "desk-review": (opens("{review_url}"), True),
    "desk-review-new": (opens("{review_new_url}"), True),
    "desk-history": (opens("{web}/desk/activities/{activity_id}/history"), True),
}


def audit(page, axe: Path) -> dict:
    """axe's results for the page as it is now (the map drawn, where there is one)."""
    page.wait_for_load_state("load")
    if page.locator("html.js #map").count():
        page.wait_for_selector("#map.map-ready")
    page.add_script_tag(path=str(axe))
    return page.evaluate("""([exclude, tags]) => axe.run({exclude: exclude.map(s => [s])},
        {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations', 'incomplete']})""", [EXCLUDE, TAGS])


def describe(violations: list[dict], limit: int = 8) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:limit]:
            target = " ".join(" >> ".join(t) if isinstance(t, list) else t for t in node["target"])
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {target}\n      {node['html'][:300]}\n      {summary[:400]}")
        if len(v["nodes"]) > limit:
            lines.append(f"    … and {len(v['nodes']) - limit} more")
    return "\n".join(lines)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_the_page_passes_the_accessibility_audit(name, width, web, site, axe, contexts, screenshot, request):
    open_page, as_editor = PAGES[name]
    phone = WIDTHS[width] is PHONE
    context = contexts.new(bypass_csp=True, viewport=WIDTHS[width], is_mobile=phone, has_touch=phone,
                           locale="ru-RU" if name.endswith("-ru") else "en-US",
                           storage_state=site.editor_state if as_editor else None)
    page = context.new_page()
    open_page(page, web, site)
    if name.endswith("-ru"):
        assert page.locator("html").get_attribute("lang") == "ru"
    if as_editor:
        assert urlsplit(page.url).path.startswith("/desk") and "/signin" not in page.url, page.url
    screenshot(page, f"{name}-{width}")

    results = audit(page, axe)
    REPORTS.mkdir(parents=True, exist_ok=True)
    report = REPORTS / f"{name}-{width}.json"
    # what axe could not decide alone ("incomplete": e.g. text over an image) is for a person to review
    report.write_text(json.dumps({"url": page.url, "axe": results["testEngine"]["version"],
                                  "violations": results["violations"], "incomplete": results["incomplete"]},
                                 indent=1, ensure_ascii=False))
    failing = [v for v in results["violations"] if v["impact"] in FAILING]
    if failing:
        pytest.fail(f"{name} at {width} px ({page.url}): {len(failing)} serious or critical accessibility "
                    f"violations (all of axe's findings in {report.relative_to(ROOT)}):\n{describe(failing)}",
                    pytrace=False)
    if phone:  # reflow: what sticks out on the right, for the message
        wide = page.evaluate("""() => [document.documentElement.scrollWidth,
            [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1
                && !e.closest('.table-scroll, .visually-hidden')).slice(0, 5).map(e => e.outerHTML.slice(0, 160))]""")
        assert wide[0] <= PHONE["width"], f"{name} scrolls sideways at 360 px ({wide[0]} px wide): {wide[1]}"
