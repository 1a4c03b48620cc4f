"""The web front's guards: what citizens type is text on every page that shows it, no POST is
acted on without a valid CSRF token (and the refused page keeps the input), and the CSP forbids
inline scripts."""
from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import time

import pytest
from flask import url_for
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.integration.web.conftest import InProcessStack, csrf_token
from tests.integration.web.test_submissions import (
    decide,
    field_error,
    field_value,
    form_values,
    live_activity,
    new_activity_form,
    queue,
    submission_id,
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = SCRIPT + IMG
EXPIRED = "Your form expired or came from another site"


def assert_inert(html: str, where: str) -> None:
    assert SCRIPT not in html, f"raw <script> on {where}"
    assert "<img src=x" not in html and IMG not in html, f"raw <img onerror> on {where}"
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", html, re.I), f"javascript: link on {where}"


# --- what citizens type is text ------------------------------------------------------------

def test_script_payloads_in_every_text_field_render_as_text(stack, client):
    text_fields = ["title", "description", "tags", "accessibility", "venue_name", "venue_address",
                   "venue_district", "venue_city", "provider_name", "provider_address", "submitter_name"]
    form = new_activity_form(client, **{name: f"{name} {PAYLOAD}" for name in text_fields},
                             provider_website="javascript:alert(1)", contact_website="javascript:alert(2)")
    sub_id = submission_id(client.post("/submit/activity", data=form))
    activity_id = decide(stack, sub_id, "approve", f"note {PAYLOAD}")["result_id"]
    stack.sync()

    doc = stack.search_app.test_client().get(f"/v1/activities/{activity_id}").get_json()
    assert doc["title"] == f"title {PAYLOAD}" and doc["provider"]["website"] == "javascript:alert(1)"
    pages = {
        "activity": f"/activities/{activity_id}",
        "results": "/search?category=sports.mind",
        "search by text": "/search?q=alert",
        "provider": f"/providers/{doc['provider']['id']}",
        "confirmation": f"/submissions/{sub_id}",
        "correction form": f"/activities/{activity_id}/correct",
    }
    for where, url in pages.items():
        page = client.get(url)
        html = page.get_data(as_text=True)
        assert page.status_code == 200, (where, page.status_code)
        assert_inert(html, where)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, f"the payload is not shown as text on {where}"
    activity = client.get(pages["activity"]).get_data(as_text=True)
    for name in ("description", "accessibility", "venue_name", "venue_address", "provider_address"):
        assert f"{name} &lt;script&gt;" in activity, name
    assert "javascript:alert(1)" in activity and "javascript:alert(2)" in activity  # shown, as text


def test_payloads_sent_back_with_errors_stay_text(stack, client):
    # phones are checked as numbers: a payload there is a field error, sent back as text
    form = new_activity_form(client, title=PAYLOAD, submitter_email=PAYLOAD, provider_email=PAYLOAD,
                             language=PAYLOAD, venue_lat=PAYLOAD, category=PAYLOAD, provider_phone=PAYLOAD,
                             contact_phone=PAYLOAD,
                             **{"sessions-0-start": PAYLOAD})
    page = client.post("/submit/activity", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert_inert(html, "the form with errors")
    assert field_value(html, "submitter_email") == PAYLOAD and field_value(html, "venue_lat") == PAYLOAD
    assert field_value(html, "contact_phone") == PAYLOAD and "Not a phone number" in field_error(html, "contact_phone")
    assert queue(stack) == []


# --- CSRF ----------------------------------------------------------------------------------

def _refused_with_input_kept(page, title: str) -> str:
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert EXPIRED in html
    assert field_value(html, "title") == title and field_value(html, "venue_name") == "P.S. 121"
    return html


def test_a_post_without_a_token_is_refused_and_keeps_the_input(stack, client):
    form = new_activity_form(client, title="Chess without a token")
    del form["csrf_token"]
    html = _refused_with_input_kept(client.post("/submit/activity", data=form), "Chess without a token")
    assert queue(stack) == []
    # the page came back with a fresh token: sending it again works
    again = form_values(html)
    assert again["csrf_token"] == csrf_token(html)
    submission_id(client.post("/submit/activity", data=again))
    assert len(queue(stack)) == 1


def test_a_token_signed_with_another_secret_is_refused(stack, client):
    form = new_activity_form(client, title="Forged")
    raw = hashlib.sha1(os.urandom(64)).hexdigest()
    form["csrf_token"] = URLSafeTimedSerializer("not-our-secret", salt="wtf-csrf-token").dumps(raw)
    _refused_with_input_kept(client.post("/submit/activity", data=form), "Forged")
    assert queue(stack) == []


def test_a_token_from_another_visitor_is_refused(stack, client):
    theirs = csrf_token(stack.client().get("/submit/activity").get_data(as_text=True))
    form = new_activity_form(client, title="Borrowed", csrf_token=theirs)
    _refused_with_input_kept(client.post("/submit/activity", data=form), "Borrowed")
    assert queue(stack) == []


def test_an_expired_token_is_refused_and_explained(stack, client, monkeypatch):
    now = time.time()
    with monkeypatch.context() as m:  # the form was loaded three hours ago (the limit is two)
        m.setattr(TimestampSigner, "get_timestamp", lambda self: int(now) - 3 * 3600)
        form = new_activity_form(client, title="Left open over lunch")
    html = _refused_with_input_kept(client.post("/submit/activity", data=form), "Left open over lunch")
    assert queue(stack) == []
    submission_id(client.post("/submit/activity", data=form_values(html)))


def test_a_correction_without_a_token_is_refused(stack, client):
    activity_id = live_activity(stack)
    values = form_values(client.get(f"/activities/{activity_id}/correct").get_data(as_text=True))
    values.update(csrf_token="", age_max="14")
    page = client.post(f"/activities/{activity_id}/correct", data=values)
    assert page.status_code == 400 and EXPIRED in page.get_data(as_text=True)
    assert field_value(page.get_data(as_text=True), "age_max") == "14"
    assert queue(stack) == []


@pytest.fixture
def roomy(ingest_settings, search_settings, web_settings):
    """A stack whose rate limits do not get in the way of posting to every route."""
    stack = InProcessStack(ingest_settings, search_settings, dataclasses.replace(
        web_settings, submit_rate_limit="1000 per minute", signin_rate_limit="1000 per minute"))
    yield stack
    stack.close()


def test_every_post_route_refuses_a_post_without_a_token(roomy, monkeypatch):
    """Every POST route of the app, including forms added later: none acts on a POST without a
    token. Refusing is a 400 (the form again), or, for a route that needs a signed-in editor,
    401/403 or a redirect to sign in; in no case does a write reach an API."""
    stack, client = roomy, roomy.client()
    activity_id = live_activity(stack)
    sub = stack.ingest_app.test_client().post("/v1/submissions", json={
        "kind": "provider", "provider": {"name": "Club"}}).get_json()["id"]
    known = {"activity_id": activity_id, "submission_id": sub, "id": sub}

    writes = []
    web = stack.web_app.extensions["afterclasses_web"]
    for api in (web.ingest, web.search):
        call = api.call

        def recording(method, path, *args, _call=call, **kwargs):
            if method.upper() not in ("GET", "HEAD", "OPTIONS"):
                writes.append((method, path))
            return _call(method, path, *args, **kwargs)

        monkeypatch.setattr(api, "call", recording)

    routes = [rule for rule in stack.web_app.url_map.iter_rules() if "POST" in (rule.methods or ())]
    assert {r.endpoint for r in routes} >= {"submit.new_activity", "submit.new_provider", "submit.correct_activity"}
    for rule in routes:
        with stack.web_app.test_request_context():
            url = url_for(rule.endpoint, **{arg: known.get(arg, "x") for arg in rule.arguments})
        for data in ({"title": "No token", "name": "No token", "note": "No token"},
                     {"title": "Bad token", "csrf_token": "not-a-token"}):
            page = client.post(url, data=data)
            location = page.headers.get("Location", "")
            refused = page.status_code in (400, 401, 403) or (
                page.status_code in (302, 303) and re.search(r"sign|login", location, re.I))
            assert refused, (rule.rule, data, page.status_code, location)
    assert writes == []
    assert len(queue(stack)) == 1  # only the submission made above, directly


# --- Content-Security-Policy ---------------------------------------------------------------

def test_csp_forbids_inline_scripts_and_pages_have_none(stack, client):
    activity_id = live_activity(stack)
    stack.sync()
    for url in ("/submit/activity", "/submit/provider", f"/activities/{activity_id}/correct",
                f"/activities/{activity_id}"):
        page = client.get(url)
        policy = dict(
            (d.strip().split(" ", 1) + [""])[:2] for d in page.headers["Content-Security-Policy"].split(";"))
        scripts = policy.get("script-src", policy.get("default-src", ""))
        assert scripts, policy
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "*" not in scripts.split()
        assert "data:" not in scripts and "'unsafe-hashes'" not in scripts
        assert policy.get("object-src") == "'none'" and "form-action" in policy
        html = page.get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):  # code only from files; JSON-LD is data
            assert "src=" in tag or 'type="application/ld+json"' in tag, (url, tag)
        assert not re.search(r"\son[a-z]+\s*=", re.sub(r"<script\b.*?</script>", "", html, flags=re.S)), url


# --- Host header ---------------------------------------------------------------------------

def test_only_the_sites_own_host_names_are_answered(ingest_settings, search_settings, web_settings):
    stack = InProcessStack(ingest_settings, search_settings, dataclasses.replace(
        web_settings, web_trusted_hosts="afterclasses.example, .afterclasses.example"))
    try:
        client = stack.client()
        page = client.get("/submit/provider", base_url="http://afterclasses.example")
        sub_id = submission_id(client.post("/submit/provider", base_url="http://afterclasses.example", data={
            **form_values(page.get_data(as_text=True)), "provider_name": "Club"}))
        url = f"/submissions/{sub_id}"
        ours = client.get(url, base_url="http://www.afterclasses.example:8000").get_data(as_text=True)
        assert f"http://www.afterclasses.example:8000{url}" in ours  # the address to keep
        evil = client.get(url, headers={"Host": "evil.example"})
        assert evil.status_code == 400 and "evil.example" not in evil.get_data(as_text=True)
    finally:
        stack.close()


def test_outside_development_the_host_names_are_required(web_settings):
    from afterclasses_web import create_app

    production = dataclasses.replace(web_settings, env="production")
    with pytest.raises(RuntimeError, match="AFTERCLASSES_WEB_TRUSTED_HOSTS"):
        create_app(production)
    app = create_app(dataclasses.replace(production, web_trusted_hosts="afterclasses.example"))
    assert app.config["TRUSTED_HOSTS"] == ["afterclasses.example"]
