"""A parent suggests a correction through the web form, an editor signs in at the desk and approves
it, and the change shows on the activity page and in search — in a real browser, on the real data.

The module has a stack of its own: the approval changes the catalog the search tests read."""
from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NYJTL = "New York Junior Tennis League"
DEV_EDITOR = "dev-editor"
NEAR_HOME_ON_WEDNESDAYS = "/search?q=tennis&where=10469&age=8&day=wed"


def hits(page, url: str) -> list[str]:
    """The activity ids a results page lists."""
    page.goto(url)
    page.wait_for_selector("#results-h")
    return page.locator("ol.hits > li.hit").evaluate_all("items => items.map(i => i.dataset.id)")


def eventually(page, url: str, check, what: str, timeout: float = 30) -> None:
    """Reloads ``url`` until ``check(page)`` holds: an approval reaches the index within seconds."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        if check(page):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} at {url}")
        page.wait_for_timeout(500)


def test_a_parents_correction_is_approved_by_an_editor_and_shows_on_the_site(web, stack, contexts, screenshot):
    parent = contexts.new_page()
    # the parent finds the Junior Tennis League's programme at P.S. 121 (no schedule published yet)
    parent.goto(web + "/search?q=tennis&where=10469&age=8")
    first = parent.locator("ol.hits > li.hit").first
    assert first.locator(".hit-provider").inner_text().strip() == NYJTL
    activity_id = first.get_attribute("data-id")
    assert activity_id not in hits(parent, web + NEAR_HOME_ON_WEDNESDAYS)
    activity_url = f"{web}/activities/{activity_id}"
    parent.goto(activity_url)
    title = parent.locator("h1").inner_text().strip()
    assert parent.locator(".schedule table").count() == 0
    screenshot(parent, "activity-before")

    with parent.expect_navigation():
        parent.get_by_role("link", name="Suggest a correction").click()
    assert urlsplit(parent.url).path == f"/activities/{activity_id}/correct"
    assert parent.locator("#title").input_value() == title  # the form shows the live entry
    parent.locator("#sessions-0-weekday").select_option("wed")
    parent.locator("#sessions-0-start").fill("15:00")
    parent.locator("#sessions-0-end").fill("17:00")
    parent.locator("#submitter_name").fill("A parent at P.S. 121")
    screenshot(parent, "correction-form")
    with parent.expect_navigation():
        parent.get_by_role("button", name="Send the correction").click()
    assert re.search(r"/submissions/[\w-]+$", parent.url), parent.url
    follow_url = parent.url
    assert parent.locator(".status").inner_text().strip() == "Waiting for review"
    screenshot(parent, "submitted")

    # an editor signs in (the development account's password is in the data dir) and reviews it
    editor = contexts.new_page()
    password = (Path(stack.env["AFTERCLASSES_DATA_DIR"]) / "editor-password").read_text().strip()
    editor.goto(web + "/desk")
    assert urlsplit(editor.url).path == "/desk/signin"  # anonymous: sent to sign in first
    editor.locator("#username").fill(DEV_EDITOR)
    editor.locator("#password").fill(password)
    screenshot(editor, "desk-signin")
    with editor.expect_navigation():
        editor.get_by_role("button", name="Sign in").click()
    assert urlsplit(editor.url).path == "/desk"
    row = editor.locator("table.queue tbody tr", has_text="Correction").filter(has_text=title)
    assert row.count() == 1
    screenshot(editor, "desk-queue")
    with editor.expect_navigation():
        row.get_by_role("link").click()
    assert re.search(r"/desk/submissions/[\w-]+$", editor.url)
    changed = editor.locator("table.diff tr.changed")
    assert changed.count() == 1, f"only the schedule changes: {changed.all_inner_texts()}"
    assert "Wednesday 15:00–17:00" in changed.locator("td.new").inner_text()
    editor.locator("#note").fill("Checked with the League by phone.")
    screenshot(editor, "desk-review")
    with editor.expect_navigation():
        editor.locator("form.approve-form button[type=submit]").click()
    # on to the next submission waiting, or the queue when it was the last one
    assert urlsplit(editor.url).path == "/desk" or "/desk/submissions/" in editor.url
    assert "Approved" in editor.locator(".flash").first.inner_text()
    screenshot(editor, "desk-approved")

    # the parent's follow-up page says so; the activity page and the search show the new schedule
    parent.goto(follow_url)
    assert parent.locator(".status").inner_text().strip() == "Approved"
    assert "Checked with the League" in parent.locator(".note").inner_text()
    screenshot(parent, "submission-approved")
    eventually(parent, activity_url, lambda p: p.locator(".schedule table").count() == 1,
               "the activity page to show the approved schedule")
    assert "15:00–17:00" in parent.locator(".schedule tr", has_text="Wednesday").inner_text()
    screenshot(parent, "activity-after")
    eventually(parent, web + NEAR_HOME_ON_WEDNESDAYS,
               lambda p: p.locator(f'ol.hits > li.hit[data-id="{activity_id}"]').count() == 1,
               "the search to find it on Wednesdays")
    hit = parent.locator(f'ol.hits > li.hit[data-id="{activity_id}"]')
    assert "Wed 15:00–17:00" in hit.locator(".schedule").inner_text()
    screenshot(parent, "search-after")
