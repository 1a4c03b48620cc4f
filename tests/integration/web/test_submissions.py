"""Citizens' forms over the real ingest API: new activity, new organisation, correction, the page
that follows a submission; ingest's field errors inline, honeypot, rate limit."""
from __future__ import annotations

import dataclasses
import html as htmllib
import io
import re
from html.parser import HTMLParser

import pytest

from afterclasses_web.clients import ServiceDown
from tests.factories import activity_fields
from tests.integration.web.conftest import EDITOR_TOKEN, InProcessStack, csrf_token

EDITOR = {"Authorization": f"Bearer {EDITOR_TOKEN}"}


# --- helpers ---------------------------------------------------------------------------------

class _FormReader(HTMLParser):
    """What a browser would send for the page's form with method=post: every named control's value."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = self._textarea = None
        self._first_option = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value", "on")
            else:
                self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
                self.values.setdefault(self._select, self._first_option)
            if "selected" in a:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_values(html: str) -> dict[str, str]:
    reader = _FormReader()
    reader.feed(html[html.index('<form class="form-grid"'):])
    values = reader.values
    for key, value in values.items():  # a newline right after <textarea> is not content
        values[key] = value.removeprefix("\r").removeprefix("\n") if value.startswith(("\r\n", "\n")) else value
    return values


def field_error(html: str, field_id: str) -> str:
    """The inline message of a field, checking that the input points at it."""
    found = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    assert found, f"no inline error for {field_id}"
    control = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(field_id)}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in control, control
    assert re.search(rf'aria-describedby="[^"]*\b{re.escape(field_id)}-error\b', control), control
    assert f'href="#{field_id}"' in html, f"the error summary does not link to {field_id}"
    return htmllib.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def field_value(html: str, field_id: str) -> str | None:
    control = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    value = control and re.search(r'value="([^"]*)"', control.group(0))
    return htmllib.unescape(value.group(1)) if value else None


def queue(stack) -> list[dict]:
    return stack.ingest_app.test_client().get("/v1/review/queue", headers=EDITOR).get_json()["items"]


def review(stack, submission_id: str) -> dict:
    return stack.ingest_app.test_client().get(f"/v1/review/{submission_id}", headers=EDITOR).get_json()


def decide(stack, submission_id: str, action: str, note: str) -> dict:
    reply = stack.ingest_app.test_client().post(f"/v1/review/{submission_id}/{action}", json={"note": note},
                                                headers=EDITOR)
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()


def live_activity(stack, **fields) -> str:
    """An approved activity (ingest only; search needs no index for the correction form)."""
    body = {"kind": "activity", "activity": activity_fields(**fields), "provider": {"name": "Junior Tennis League"}}
    sub = stack.ingest_app.test_client().post("/v1/submissions", json=body).get_json()
    return decide(stack, sub["id"], "approve", "ok")["result_id"]


def new_activity_form(client, **values) -> dict:
    """A filled new-activity form as the browser would send it (with the page's CSRF token)."""
    page = client.get("/submit/activity").get_data(as_text=True)
    form = form_values(page)
    assert form["csrf_token"] == csrf_token(page)
    form.update({"title": "Chess for beginners", "category": "sports.mind", "age_min": "7", "age_max": "12",
                 "sessions-0-weekday": "wed", "sessions-0-start": "16:00", "sessions-0-end": "17:30",
                 "price_amount": "40", "price_currency": "USD", "price_period": "month",
                 "venue_name": "P.S. 121", "venue_address": "2750 Throop Ave", "venue_lat": "40.866",
                 "venue_lon": "-73.851", "language": "en", "tags": "chess, strategy ,",
                 "provider_name": "Bronx Chess Club", "provider_phone": "+1 718 555 0100",
                 "submitter_name": "Ann", "submitter_email": "ann@example.org"})
    form.update(values)
    return form


def submission_id(resp) -> str:
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    return resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


# --- new activity ----------------------------------------------------------------------------

def test_new_activity_round_trip(stack, client):
    resp = client.post("/submit/activity", data=new_activity_form(client))
    sub_id = submission_id(resp)
    assert resp.headers["Location"].endswith(f"/submissions/{sub_id}")

    page = client.get(resp.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Thank you" in html and "Waiting for review" in html
    assert f"/submissions/{sub_id}</a>" in html  # the address to keep, shown as a link

    item = review(stack, sub_id)
    assert item["kind"] == "activity" and item["status"] == "pending"
    assert item["submitted_by"] == "ann@example.org"
    activity = item["payload"]["activity"]
    assert activity["title"] == "Chess for beginners" and activity["category"] == "sports.mind"
    assert (activity["age_min"], activity["age_max"]) == (7, 12)
    assert activity["sessions"] == [{"weekday": "wed", "start": "16:00", "end": "17:30"}]
    assert activity["price"] == {"free": False, "amount": 40, "currency": "USD", "period": "month"}
    assert activity["venue"]["lat"] == 40.866 and activity["venue"]["name"] == "P.S. 121"
    assert activity["tags"] == ["chess", "strategy"]
    assert item["payload"]["provider"]["name"] == "Bronx Chess Club"


def test_the_form_is_labelled_for_everyone(client):
    html = client.get("/submit/activity").get_data(as_text=True)
    ids = re.findall(r'<(?:input(?![^>]*type="hidden")|select|textarea)[^>]*\bid="([^"]+)"', html)
    controls = [i for i in ids if i != "csrf_token"]
    assert "title" in controls and "sessions-0-weekday" in controls and "provider_website" in controls
    for control in controls:
        assert f'<label for="{control}"' in html, f"{control} has no label"
    assert html.count("<legend>") >= 6  # the groups are fieldsets with legends
    nav = client.get("/").get_data(as_text=True)
    assert 'href="/submit/activity"' in nav
    russian = client.get("/submit/activity?lang=ru").get_data(as_text=True)
    assert ">Спорт › Ракеточные виды › Теннис</option>" in russian  # categories in the page's language


def test_ingest_field_errors_are_shown_next_to_their_fields_and_input_is_kept(stack, client):
    form = new_activity_form(client, age_min="12", age_max="7", venue_lat="95", category="sports.nope",
                             price_currency="dollars",
                             # the first row left empty: the message must land on the row typed in
                             **{"sessions-0-weekday": "", "sessions-0-start": "", "sessions-0-end": "",
                                "sessions-1-weekday": "mon", "sessions-1-start": "17:00",
                                "sessions-1-end": "16:00"})
    page = client.post("/submit/activity", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "There is a problem" in html
    assert "-90 and 90" in field_error(html, "venue_lat")
    assert "Unknown category 'sports.nope'" in field_error(html, "category")
    assert "later than the start" in field_error(html, "sessions-1-end")
    assert "currency code" in field_error(html, "price_currency")
    assert "youngest age" in field_error(html, "age_max")  # across fields, in the same round
    # what was typed is still there
    assert field_value(html, "title") == "Chess for beginners"
    assert field_value(html, "venue_lat") == "95" and field_value(html, "age_min") == "12"
    assert field_value(html, "sessions-1-start") == "17:00"
    assert '<option selected value="sports.nope">' in html
    assert '<option selected value="mon">' in html
    assert queue(stack) == []

    # the last mistake fixed, it goes through
    fixed = {**form_values(html), "venue_lat": "40.866", "category": "sports.mind", "price_currency": "USD",
             "sessions-1-end": "18:00", "age_max": "14"}
    submission_id(client.post("/submit/activity", data=fixed))
    assert len(queue(stack)) == 1


def test_a_missing_title_is_said_with_every_other_mistake_in_one_round(stack, client):
    page = client.post("/submit/activity", data=new_activity_form(client, title="  ", category="", age_min="abc",
                                                                  provider_name="", provider_phone="555"))
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Give the activity a title." in field_error(html, "title")
    assert field_error(html, "category") and field_error(html, "age_min")
    assert "Give the organisation's name." in field_error(html, "provider_name")
    assert field_value(html, "venue_name") == "P.S. 121"
    assert queue(stack) == []


def test_ingest_down_keeps_the_input(stack, client, monkeypatch):
    def down(body, key=None):
        raise ServiceDown("ingest", "ConnectionError")

    monkeypatch.setattr(stack.web_app.extensions["afterclasses_web"].ingest, "submit", down)
    page = client.post("/submit/activity", data=new_activity_form(client))
    html = page.get_data(as_text=True)
    assert page.status_code == 503
    assert "We kept what you typed" in html and field_value(html, "title") == "Chess for beginners"


# --- new organisation ----------------------------------------------------------------------

def test_new_provider_round_trip_and_errors(stack, client):
    page = client.get("/submit/provider").get_data(as_text=True)
    form = {**form_values(page), "provider_name": "Bronx Chess Club", "provider_kind": "non-profit",
            "provider_email": "not-an-address", "provider_website": "https://chess.example.org"}
    bad = client.post("/submit/provider", data=form)
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "e-mail address" in field_error(html, "provider_email")
    assert field_value(html, "provider_email") == "not-an-address"

    form = {**form_values(html), "provider_email": "club@example.org"}
    sub_id = submission_id(client.post("/submit/provider", data=form))
    item = review(stack, sub_id)
    assert item["kind"] == "provider"
    assert item["payload"]["provider"] == {"name": "Bronx Chess Club", "kind": "non-profit",
                                           "email": "club@example.org", "website": "https://chess.example.org",
                                           "phone": None, "address": None}
    assert "New organisation" in client.get(f"/submissions/{sub_id}").get_data(as_text=True)

    # approved, it has its page before any activity of its own is listed
    provider_id = decide(stack, sub_id, "approve", "ok")["result_id"]
    follow = client.get(f"/submissions/{sub_id}").get_data(as_text=True)
    assert f'href="/providers/{provider_id}"' in follow
    page = client.get(f"/providers/{provider_id}")
    assert page.status_code == 200
    assert "Bronx Chess Club" in page.get_data(as_text=True) and "No activities are listed yet" in page.get_data(
        as_text=True)
    assert client.get("/providers/no-such-provider").status_code == 404


# --- corrections ---------------------------------------------------------------------------

def test_correction_form_is_prefilled_and_sends_only_what_changed(stack, client):
    activity_id = live_activity(stack, title="Junior tennis", age_max=12, tags=["tennis", "juniors"],
                                price={"free": False, "amount": 25.5, "currency": "USD", "period": "session"},
                                venue={"name": "P.S. 1", "address": "1 Main St", "lat": 40.712345, "lon": -73.9,
                                       "district": "Bronx"})
    page = client.get(f"/activities/{activity_id}/correct")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    values = form_values(html)
    assert values["title"] == "Junior tennis" and values["category"] == "sports.racket.tennis"
    assert values["age_min"] == "7" and values["age_max"] == "12"
    assert values["sessions-0-weekday"] == "mon" and values["sessions-0-start"] == "15:00"
    assert values["sessions-1-weekday"] == "" and values["sessions-2-weekday"] == ""  # rows to add to
    assert values["price_amount"] == "25.5" and values["price_period"] == "session" and "price_free" not in values
    assert values["venue_lat"] == "40.712345" and values["tags"] == "tennis, juniors"
    assert values["description"] == "Tennis lessons for beginners."

    values.update({"age_max": "14", "sessions-1-weekday": "thu", "sessions-1-start": "15:00",
                   "sessions-1-end": "16:00"})
    sub_id = submission_id(client.post(f"/activities/{activity_id}/correct", data=values))
    item = review(stack, sub_id)
    assert item["kind"] == "edit" and item["target_id"] == activity_id
    assert set(item["payload"]["changes"]) == {"age_max", "sessions"}
    assert item["payload"]["changes"]["sessions"][1] == {"weekday": "thu", "start": "15:00", "end": "16:00"}
    assert {d["field"] for d in item["diff"]} == {"age_max", "sessions"}


def test_a_correction_written_before_another_was_approved_is_stale_not_a_silent_revert(stack, client):
    activity_id = live_activity(stack, title="Race 0", age_max=12)
    values = form_values(client.get(f"/activities/{activity_id}/correct").get_data(as_text=True))
    assert values["base_version"] == "1"
    # meanwhile another citizen renames it and an editor approves that
    other = stack.ingest_app.test_client().post("/v1/submissions", json={
        "kind": "edit", "activity_id": activity_id, "changes": {"title": "Race 0 renamed"}}).get_json()
    decide(stack, other["id"], "approve", "ok")
    # the first form still shows the old title; it changes only the age
    values["age_max"] = "13"
    item = review(stack, submission_id(client.post(f"/activities/{activity_id}/correct", data=values)))
    assert item["base_version"] == 1 and item["stale"] is True  # the editor is warned and sees the title diff
    refused = stack.ingest_app.test_client().post(f"/v1/review/{item['id']}/approve", json={}, headers=EDITOR)
    assert refused.status_code == 409  # approving needs "force" once the diff has been seen
    # it carries only what its writer changed: approved anyway, the other rename stays
    assert item["payload"]["changes"] == {"age_max": 13.0}
    forced = stack.ingest_app.test_client().post(f"/v1/review/{item['id']}/approve", json={"force": True},
                                                 headers=EDITOR)
    assert forced.status_code == 200
    entry = stack.ingest_app.test_client().get(f"/v1/catalog/activities/{activity_id}").get_json()
    assert (entry["title"], entry["age_max"]) == ("Race 0 renamed", 13.0)


def test_a_correction_sent_while_ingest_is_down_keeps_what_was_typed(stack, client, monkeypatch):
    activity_id = live_activity(stack, title="Junior tennis")
    values = form_values(client.get(f"/activities/{activity_id}/correct").get_data(as_text=True))
    values["description"] = "Now with a ball machine."

    def down(*args, **kwargs):
        raise ServiceDown("ingest", "ConnectTimeout")

    monkeypatch.setattr(stack.web_app.extensions["afterclasses_web"].ingest, "activity", down)
    page = client.post(f"/activities/{activity_id}/correct", data=values)
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "send it again in a minute" in html and "Now with a ball machine." in html


def test_a_base_version_newer_than_the_entry_is_refused(stack):
    activity_id = live_activity(stack, title="Race 0")
    reply = stack.ingest_app.test_client().post("/v1/submissions", json={
        "kind": "edit", "activity_id": activity_id, "changes": {"title": "X"}, "base_version": 9})
    assert reply.status_code == 422 and "base_version" in reply.get_json()["details"]


def test_moving_the_venue_sends_the_whole_venue(stack, client):
    activity_id = live_activity(stack)
    values = form_values(client.get(f"/activities/{activity_id}/correct").get_data(as_text=True))
    values.update(venue_address="2 Main St")
    item = review(stack, submission_id(client.post(f"/activities/{activity_id}/correct", data=values)))
    assert item["payload"]["changes"] == {"venue": {"name": "P.S. 1", "address": "2 Main St", "lat": 40.7,
                                                    "lon": -73.9, "district": "Bronx", "city": None,
                                                    "approximate": False}}


def test_what_the_form_cannot_show_is_left_alone(stack, client):
    # ... nor a keyword with a comma in it, which the keywords box cannot tell from two
    activity_id = live_activity(stack, price={"free": False}, gender="girls", tags=["arts, crafts", "clay"],
                                venue={"name": "Park", "lat": 40.7, "lon": -73.9, "approximate": True})
    values = form_values(client.get(f"/activities/{activity_id}/correct").get_data(as_text=True))
    assert values["gender"] == "girls" and values["tags"] == "arts, crafts, clay"
    values["title"] = "Renamed"
    item = review(stack, submission_id(client.post(f"/activities/{activity_id}/correct", data=values)))
    assert item["payload"]["changes"] == {"title": "Renamed"}


def test_a_correction_that_changes_nothing_shows_ingests_message(stack, client):
    activity_id = live_activity(stack, description="Line one.\nLine two.", accessibility="Step-free.")
    values = form_values(client.get(f"/activities/{activity_id}/correct").get_data(as_text=True))
    values["description"] = values["description"].replace("\n", "\r\n")  # as browsers send it
    page = client.post(f"/activities/{activity_id}/correct", data=values)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Change at least one field, or tell the editors what is wrong." in html
    assert queue(stack) == []


def test_a_parent_who_knows_it_closed_but_not_the_fix_sends_a_message_alone(stack, client):
    activity_id = live_activity(stack, title="Junior tennis")
    page = client.get(f"/activities/{activity_id}/correct").get_data(as_text=True)
    assert 'id="message"' in page and "that is enough to send" in page
    values = form_values(page)
    values["message"] = "It closed in May; the gym is being rebuilt.\r\nSee the sign on the door."
    sub_id = submission_id(client.post(f"/activities/{activity_id}/correct", data=values))
    item = review(stack, sub_id)
    assert item["payload"]["message"] == "It closed in May; the gym is being rebuilt.\nSee the sign on the door."
    assert item["payload"]["changes"] == {} and item["diff"] == []
    # with neither a change nor a message there is nothing to send, and the form says both ways out
    values = form_values(client.get(f"/activities/{activity_id}/correct").get_data(as_text=True))
    page = client.post(f"/activities/{activity_id}/correct", data=values)
    assert page.status_code == 422
    assert "Change at least one field, or tell the editors what is wrong." in page.get_data(as_text=True)


def test_a_new_activity_carries_its_writers_message_and_an_overlong_one_is_its_field_error(stack, client):
    sub_id = submission_id(client.post("/submit/activity", data=new_activity_form(
        client, message="From the club's flyer, December 2026.")))
    assert review(stack, sub_id)["payload"]["message"] == "From the club's flyer, December 2026."
    page = client.post("/submit/activity", data=new_activity_form(client, title="Chess club", message="x" * 2001))
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "Longer than maximum length 2000." in field_error(html, "message")
    assert field_value(html, "title") == "Chess club"


def test_a_correction_breaking_a_rule_is_explained_at_the_field(stack, client):
    activity_id = live_activity(stack)
    values = form_values(client.get(f"/activities/{activity_id}/correct").get_data(as_text=True))
    html = client.post(f"/activities/{activity_id}/correct", data={**values, "language": "English"}).get_data(
        as_text=True)
    assert "two-letter language code" in field_error(html, "language")
    # a rule across fields, checked by ingest on the entry as the edit would leave it
    html = client.post(f"/activities/{activity_id}/correct", data={**values, "age_min": "15"}).get_data(as_text=True)
    assert "youngest age" in field_error(html, "age_max")
    assert field_value(html, "age_min") == "15"
    assert queue(stack) == []


def test_correcting_an_unknown_activity_is_404(client):
    assert client.get("/activities/no-such-activity/correct").status_code == 404
    assert client.get("/submissions/no-such-submission").status_code == 404


# --- spam ----------------------------------------------------------------------------------

def test_a_filled_honeypot_pretends_success_and_sends_nothing(stack, client):
    page = client.get("/submit/activity").get_data(as_text=True)
    trap = re.search(r'<input[^>]*name="website_url"[^>]*>', page).group(0)
    assert 'tabindex="-1"' in trap and 'autocomplete="off"' in trap
    assert re.search(r'<div class="visually-hidden" aria-hidden="true">\s*<label for="website_url">', page)

    resp = client.post("/submit/activity", data=new_activity_form(client, website_url="http://cheap.example"))
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/submit/thanks")
    assert "Thank you" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert queue(stack) == []


@pytest.fixture
def limited(ingest_settings, search_settings, web_settings):
    stack = InProcessStack(ingest_settings, search_settings,
                           dataclasses.replace(web_settings, submit_rate_limit="2 per minute"))
    yield stack
    stack.close()


def test_the_rate_limit_answers_429_and_keeps_the_input(limited):
    client = limited.client()
    for _ in range(2):
        submission_id(client.post("/submit/activity", data=new_activity_form(client)))
    page = client.post("/submit/activity", data=new_activity_form(client, title="Third in a minute"))
    html = page.get_data(as_text=True)
    assert page.status_code == 429
    assert "sent a lot in a short time" in html and field_value(html, "title") == "Third in a minute"
    assert csrf_token(html)
    # one budget for every form; reading the forms stays free
    other = client.post("/submit/provider", data={**form_values(client.get("/submit/provider").get_data(as_text=True)),
                                                  "provider_name": "Club"})
    assert other.status_code == 429
    assert client.get("/submit/activity").status_code == 200
    assert len(queue(limited)) == 2


def test_a_form_sent_back_with_mistakes_costs_no_submission(limited):
    client = limited.client()
    for _ in range(5):  # typos: sent back, nothing stored
        assert client.post("/submit/activity", data=new_activity_form(client, age_min="abc")).status_code == 422
    for _ in range(2):
        submission_id(client.post("/submit/activity", data=new_activity_form(client)))
    assert client.post("/submit/activity", data=new_activity_form(client)).status_code == 429


def test_attempts_of_any_outcome_are_limited_too(ingest_settings, search_settings, web_settings):
    stack = InProcessStack(ingest_settings, search_settings,
                           dataclasses.replace(web_settings, submit_attempt_rate_limit="3 per minute"))
    try:
        client = stack.client()
        statuses = [client.post("/submit/activity", data=new_activity_form(client, age_min="abc")).status_code
                    for _ in range(4)]
        assert statuses == [422, 422, 422, 429]
    finally:
        stack.close()


# --- following a submission ---------------------------------------------------------------

def test_the_follow_page_shows_the_editors_decision(stack, client):
    approved = submission_id(client.post("/submit/activity", data=new_activity_form(client)))
    rejected = submission_id(client.post("/submit/activity", data=new_activity_form(client, title="Dup")))

    result = decide(stack, approved, "approve", "Thanks, checked by phone.")
    decide(stack, rejected, "reject", "Already listed as “Chess for beginners”.")

    html = client.get(f"/submissions/{approved}").get_data(as_text=True)
    assert "Approved" in html and "Thanks, checked by phone." in html
    assert f'href="/activities/{result["result_id"]}"' in html
    html = client.get(f"/submissions/{rejected}").get_data(as_text=True)
    assert "Not accepted" in html and "Already listed as “Chess for beginners”." in html
    assert "Waiting for review" not in html


def test_the_follow_page_of_a_correction_names_the_activity_and_leads_back_to_it(stack, client):
    activity_id = live_activity(stack, title="Junior tennis")
    values = form_values(client.get(f"/activities/{activity_id}/correct").get_data(as_text=True))
    values["age_max"] = "14"
    sub_id = submission_id(client.post(f"/activities/{activity_id}/correct", data=values))
    decide(stack, sub_id, "reject", "The League says 12.")
    html = client.get(f"/submissions/{sub_id}").get_data(as_text=True)
    assert f'<a href="/activities/{activity_id}">Junior tennis</a>' in html
    assert f'href="/activities/{activity_id}/correct"' in html


def test_invisible_characters_are_dropped_from_what_is_sent(stack, client):
    form = new_activity_form(client, title="Chess\x00 club\u202e", submitter_name="Ann\u200b", submitter_email="")
    item = review(stack, submission_id(client.post("/submit/activity", data=form)))
    assert item["payload"]["activity"]["title"] == "Chess club"
    assert item["submitted_by"] == "Ann"


def test_a_double_click_or_a_retry_stores_one_submission(stack, client):
    form = new_activity_form(client)
    assert len(form["submission_key"]) >= 16
    first = submission_id(client.post("/submit/activity", data=form))
    again = submission_id(client.post("/submit/activity", data=form))  # the same form sent twice
    assert first == again and len(queue(stack)) == 1
    fresh = new_activity_form(client)  # a new form is a new submission
    assert fresh["submission_key"] != form["submission_key"]
    assert submission_id(client.post("/submit/activity", data=fresh)) != first


def test_the_same_form_changed_and_sent_again_is_a_submission_of_its_own(stack, client):
    """Back, edit, send: the page comes back with the same hidden key, but a changed body must not
    be answered with the first submission (the edit would be lost without a word)."""
    form = new_activity_form(client)
    first = submission_id(client.post("/submit/activity", data=form))
    form["title"] = "Chess for beginners and their parents"
    second = submission_id(client.post("/submit/activity", data=form))
    assert second != first
    assert sorted(i["payload"]["activity"]["title"] for i in queue(stack)) == [
        "Chess for beginners", "Chess for beginners and their parents"]


def test_a_correction_shows_every_session_of_a_busy_activity(stack, client):
    """The contract allows 100 weekly sessions; the form must show them all (a form limited to
    fewer crashed, and a correction would have deleted the rest)."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    sessions = [{"weekday": days[i % 7], "start": f"{8 + i // 7:02d}:00", "end": f"{8 + i // 7:02d}:45"}
                for i in range(40)]
    activity_id = live_activity(stack, title="Pool lanes", sessions=sessions)
    page = client.get(f"/activities/{activity_id}/correct")
    assert page.status_code == 200
    values = form_values(page.get_data(as_text=True))
    assert values["sessions-39-start"] == sessions[39]["start"] and values["sessions-40-weekday"] == ""
    values["title"] = "Pool lanes (25 m)"
    item = review(stack, submission_id(client.post(f"/activities/{activity_id}/correct", data=values)))
    assert set(item["payload"]["changes"]) == {"title"}


def test_invisible_characters_are_dropped_from_keywords(stack, client):
    form = new_activity_form(client, tags="chess\u202e, go\x00")
    item = review(stack, submission_id(client.post("/submit/activity", data=form)))
    assert item["payload"]["activity"]["tags"] == ["chess", "go"]


def test_a_venue_without_coordinates_is_placed_at_its_zip_or_district(stack, client):
    """Citizens rarely know coordinates; without a point an activity is never found near a place."""
    form = new_activity_form(client, venue_lat="", venue_lon="", venue_address="291 West 231st Street, Bronx, NY 10463",
                             venue_district="Kingsbridge")
    venue = review(stack, submission_id(client.post("/submit/activity", data=form)))["payload"]["activity"]["venue"]
    zip_10463 = stack.web_app.extensions["afterclasses_web"].places.resolve("10463")
    assert (venue["lat"], venue["lon"], venue["approximate"]) == (zip_10463.lat, zip_10463.lon, True)
    form = new_activity_form(client, venue_lat="", venue_lon="", venue_address="ул. Арбат, 10", venue_district="Арбат")
    venue = review(stack, submission_id(client.post("/submit/activity", data=form)))["payload"]["activity"]["venue"]
    assert venue["approximate"] and 55.7 < venue["lat"] < 55.8 and 37.5 < venue["lon"] < 37.7
    # an unknown place: no guess
    form = new_activity_form(client, venue_lat="", venue_lon="", venue_address="1 Nowhere Lane", venue_district="")
    venue = review(stack, submission_id(client.post("/submit/activity", data=form)))["payload"]["activity"]["venue"]
    assert venue.get("lat") is None and not venue["approximate"]


def test_a_currency_in_lower_case_is_taken(stack, client):
    form = new_activity_form(client, price_currency="usd")
    price = review(stack, submission_id(client.post("/submit/activity", data=form)))["payload"]["activity"]["price"]
    assert price["currency"] == "USD"


def test_a_file_posted_in_place_of_a_field_is_not_a_crash(stack, client):
    form = new_activity_form(client)
    form["title"] = (io.BytesIO(b"x"), "title.txt")  # multipart: a file part named like a field
    resp = client.post("/submit/activity", data=form, content_type="multipart/form-data")
    assert resp.status_code == 422 and not queue(stack)


def test_an_absurd_price_is_a_field_error(stack, client):
    html = client.post("/submit/activity", data=new_activity_form(client, price_amount="1e27")).get_data(as_text=True)
    assert "less than or equal to 10000000" in field_error(html, "price_amount")


def test_two_corrections_of_one_contact_each_keep_the_others_part(stack, client):
    """Edits replace whole fields: a correction adding an e-mail must not put back the phone that
    another correction, approved meanwhile, changed."""
    activity_id = live_activity(stack, title="Tennis", contact={"phone": "(718) 231-3239"},
                                venue={"name": "P.S. 121", "address": "2750 Throop Ave", "lat": 40.866, "lon": -73.851})
    page = client.get(f"/activities/{activity_id}/correct").get_data(as_text=True)
    first, second = form_values(page), form_values(page)  # two people open the form at once
    first.update({"contact_phone": "(718) 231-3240", "venue_address": "2750 Throop Avenue"})
    decide(stack, submission_id(client.post(f"/activities/{activity_id}/correct", data=first)), "approve", "ok")
    second.update({"contact_email": "info@nyjtl.org", "venue_name": "P.S. 121 The Throop School"})
    item = review(stack, submission_id(client.post(f"/activities/{activity_id}/correct", data=second)))
    changes = item["payload"]["changes"]
    assert changes["contact"] == {"phone": "(718) 231-3240", "email": "info@nyjtl.org", "website": None}
    assert (changes["venue"]["address"], changes["venue"]["name"]) == ("2750 Throop Avenue",
                                                                       "P.S. 121 The Throop School")
    assert {d["field"] for d in item["diff"]} == {"contact", "venue"}


def test_what_the_form_cannot_show_is_not_reverted_by_a_stale_correction(stack, client):
    activity_id = live_activity(stack, title="Chess", price={"free": False}, tags=["chess, checkers", "board games"],
                                venue={"name": "Hall", "lat": 40.87, "lon": -73.85, "approximate": True})
    values = form_values(client.get(f"/activities/{activity_id}/correct").get_data(as_text=True))
    editor_edit = stack.ingest_app.test_client().post("/v1/submissions", json={
        "kind": "edit", "activity_id": activity_id, "changes": {
            "price": {"free": False, "amount": 40, "currency": "USD", "period": "month"}, "tags": ["chess"],
            "venue": {"name": "Hall", "lat": 40.866, "lon": -73.851, "approximate": False}}}).get_json()
    decide(stack, editor_edit["id"], "approve", "ok")
    values["title"] = "Chess club"
    item = review(stack, submission_id(client.post(f"/activities/{activity_id}/correct", data=values)))
    assert item["payload"]["changes"] == {"title": "Chess club"}


def test_a_new_address_moves_an_approximate_point_and_never_a_precise_one(stack, client):
    places = stack.web_app.extensions["afterclasses_web"].places
    bronx, queens = places.resolve("10469"), places.resolve("11434")
    guessed = live_activity(stack, title="Guessed", venue={"address": "Bronx, NY 10469", "lat": bronx.lat,
                                                           "lon": bronx.lon, "approximate": True})
    values = form_values(client.get(f"/activities/{guessed}/correct").get_data(as_text=True))
    values["venue_address"] = "Jamaica, Queens, NY 11434"
    venue = review(stack, submission_id(client.post(f"/activities/{guessed}/correct", data=values)))[
        "payload"]["changes"]["venue"]
    assert (venue["lat"], venue["lon"], venue["approximate"]) == (queens.lat, queens.lon, True)
    exact = live_activity(stack, title="Exact", venue={"address": "2750 Throop Ave, 10469", "lat": 40.866,
                                                       "lon": -73.851})
    values = form_values(client.get(f"/activities/{exact}/correct").get_data(as_text=True))
    values["venue_address"] = "2750 Throop Avenue, Bronx, NY 10469"
    venue = review(stack, submission_id(client.post(f"/activities/{exact}/correct", data=values)))[
        "payload"]["changes"]["venue"]
    assert (venue["lat"], venue["lon"], venue["approximate"]) == (40.866, -73.851, False)


def test_a_tampered_form_is_a_form_not_a_crash(stack, client):
    activity_id = live_activity(stack, title="Tennis")
    values = form_values(client.get(f"/activities/{activity_id}/correct").get_data(as_text=True))
    values.update({"shown": "[" * 5000, "base_version": "²", "title": "Tennis club"})
    item = review(stack, submission_id(client.post(f"/activities/{activity_id}/correct", data=values)))
    assert item["payload"]["changes"] == {"title": "Tennis club"}


def test_over_the_limit_an_unknown_activity_is_its_404_page(limited):
    client = limited.client()
    for _ in range(2):
        submission_id(client.post("/submit/activity", data=new_activity_form(client)))
    page = client.post("/activities/00000000-0000-0000-0000-000000000000/correct", data={"title": "x"})
    assert page.status_code == 404


def test_an_activity_added_from_its_organisations_page_is_theirs(stack, client):
    page = client.get("/submit/provider").get_data(as_text=True)
    sub_id = submission_id(client.post("/submit/provider", data={**form_values(page),
                                                                  "provider_name": "Bronx Chess Club"}))
    provider_id = decide(stack, sub_id, "approve", "ok")["result_id"]
    link = re.search(r'href="([^"]*/submit/activity\?provider=[^"]+)"',
                     client.get(f"/providers/{provider_id}").get_data(as_text=True)).group(1).replace("&amp;", "&")
    page = client.get(link).get_data(as_text=True)
    assert "Bronx Chess Club" in page and 'id="provider_name"' not in page  # no second organisation to type
    form = {**form_values(page), "title": "Chess for beginners", "category": "sports.mind"}
    item = review(stack, submission_id(client.post("/submit/activity", data=form)))
    assert item["payload"]["provider_id"] == provider_id and item["payload"].get("provider") is None
    # an id that names no organisation: the usual fields
    page = client.get("/submit/activity?provider=00000000-0000-0000-0000-000000000000").get_data(as_text=True)
    assert 'id="provider_name"' in page


def _known_organisation(stack, client) -> str:
    """An organisation in the catalog ("Bronx Chess Club"); its id."""
    page = client.get("/submit/provider").get_data(as_text=True)
    sub_id = submission_id(client.post("/submit/provider", data={**form_values(page),
                                                                  "provider_name": "Bronx Chess Club"}))
    return decide(stack, sub_id, "approve", "ok")["result_id"]


def _for_known_organisation(html: str, provider_id: str) -> None:
    """The page names the organisation, keeps its id, and asks for no other one."""
    assert "Bronx Chess Club" in html and 'id="provider_name"' not in html
    assert form_values(html)["provider_id"] == provider_id


def test_ingest_down_keeps_an_activity_for_a_known_organisation(stack, client, monkeypatch):
    provider_id = _known_organisation(stack, client)
    page = client.get(f"/submit/activity?provider={provider_id}").get_data(as_text=True)
    form = {**form_values(page), "title": "Chess for beginners", "category": "sports.mind", "venue_name": "P.S. 121"}

    def down(*args, **kwargs):  # refused or timed out: the client says ServiceDown either way
        raise ServiceDown("ingest", "ConnectTimeout")

    with monkeypatch.context() as m:
        m.setattr(stack.web_app.extensions["afterclasses_web"].ingest, "call", down)
        resp = client.post("/submit/activity", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert "We kept what you typed" in html
    assert field_value(html, "title") == "Chess for beginners" and field_value(html, "venue_name") == "P.S. 121"
    _for_known_organisation(html, provider_id)
    # back up: the page sent again is the submission, for that organisation
    item = review(stack, submission_id(client.post("/submit/activity", data=form_values(html))))
    assert item["payload"]["provider_id"] == provider_id


def test_over_the_limit_an_activity_for_a_known_organisation_still_names_it(limited):
    client = limited.client()
    provider_id = _known_organisation(limited, client)
    submission_id(client.post("/submit/activity", data=new_activity_form(client)))  # the second of two
    page = client.get(f"/submit/activity?provider={provider_id}").get_data(as_text=True)
    resp = client.post("/submit/activity", data={**form_values(page), "title": "Third in a minute"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 429 and field_value(html, "title") == "Third in a minute"
    _for_known_organisation(html, provider_id)


def test_a_description_pasted_far_over_ingests_limit_is_its_field_error_and_kept(stack, client):
    pasted = "я" * 150_000  # ~900 KB url-encoded: under the web's limit, over ingest's 10,000 characters
    resp = client.post("/submit/activity", data=new_activity_form(client, description=pasted))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r"10\D?000", field_error(html, "description"))  # ingest's limit, beside the field
    assert form_values(html)["description"] == pasted and field_value(html, "title") == "Chess for beginners"
    # beyond anything a person pastes: refused before it is read
    assert client.post("/submit/activity", data=new_activity_form(client, description="я" * 400_000)
                       ).status_code == 413
    assert queue(stack) == []
