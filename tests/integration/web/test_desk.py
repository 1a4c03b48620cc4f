"""The editors' desk over the real ingest and search apps: sign-in, the queue, diffs, decisions,
history, sign-out and expired sessions."""
from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import update

from afterclasses_ingest import accounts
from afterclasses_ingest.adapters.tables import api_tokens
from afterclasses_ingest.domain.handlers import utcnow
from tests.factories import activity_fields
from tests.integration.web.conftest import csrf_token
from tests.integration.web.helpers import publish

PASSWORD = "a long enough password"


# --- helpers ---------------------------------------------------------------------------------

@pytest.fixture
def carol(stack):
    accounts.add_editor(stack.ingest.store, "carol", PASSWORD)
    return "carol"


def text(resp) -> str:
    return htmllib.unescape(resp.get_data(as_text=True))


def sign_in(client, username="carol", password=PASSWORD, next_=None):
    url = "/desk/signin" + (f"?next={quote(next_, safe='')}" if next_ is not None else "")
    page = client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                  "username": username, "password": password})


def signed_in(stack, username="carol"):
    client = stack.client()
    assert sign_in(client, username).status_code == 302
    return client


def desk_token(client) -> str:
    with client.session_transaction() as s:
        return s["desk"]["token"]


def submit(stack, body: dict) -> str:
    resp = stack.ingest_app.test_client().post("/v1/submissions", json=body)
    assert resp.status_code == 202, resp.get_json()
    return resp.get_json()["id"]


def submit_activity(stack, **fields) -> str:
    return submit(stack, {"kind": "activity", "activity": activity_fields(**fields),
                          "provider": {"name": "Junior Tennis League"}, "submitter": {"name": "Pat"}})


def live_activity(stack, **fields) -> str:
    """A published, indexed activity (approved by alice); its id."""
    return publish(stack, **fields)


def submit_edit(stack, activity_id: str, **changes) -> str:
    return submit(stack, {"kind": "edit", "activity_id": activity_id, "changes": changes})


def post_form(client, page_url: str, action: str, data: dict):
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(action, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def location(resp) -> tuple[str, str, dict]:
    parts = urlsplit(resp.headers["Location"])
    return parts.netloc, parts.path, parse_qs(parts.query)


# --- signing in ----------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("get", "/desk"), ("get", "/desk?page=2"), ("get", "/desk/submissions/{sid}"),
    ("get", "/desk/activities/{aid}/history"),
])
def test_desk_pages_send_anonymous_visitors_to_sign_in(stack, client, method, path):
    path = path.format(sid="0b1c", aid="9f2e")
    resp = getattr(client, method)(path)
    assert resp.status_code == 302
    host, where, query = location(resp)
    assert host in ("", "localhost") and where == "/desk/signin" and query["next"] == [path]


def test_a_decision_without_a_session_comes_back_to_the_submission(stack, client):
    sid = submit_activity(stack)
    resp = client.post(f"/desk/submissions/{sid}/approve", data={"note": "x"})
    assert location(resp)[1:] == ("/desk/signin", {"next": [f"/desk/submissions/{sid}"]})
    assert stack.ingest_app.test_client().get(f"/v1/submissions/{sid}").get_json()["status"] == "pending"


def test_an_editor_signs_in_and_sees_the_queue_oldest_first(stack, client, carol):
    first = submit_activity(stack, title="Chess for beginners")
    second = submit(stack, {"kind": "provider", "provider": {"name": "Bronx Chess Club"}})
    resp = sign_in(client, "Carol")
    assert resp.status_code == 302 and location(resp)[1] == "/desk"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/desk")
    html = text(page)
    assert page.status_code == 200
    assert "Signed in as carol" in html and "2 submissions are waiting, oldest first" in html
    assert html.index("Chess for beginners") < html.index("Bronx Chess Club")
    assert f"/desk/submissions/{first}" in html and f"/desk/submissions/{second}" in html
    assert "New activity" in html and "New provider" in html and "Pat" in html and "anonymous" in html
    assert '<th scope="col">' in html and re.search(r'class="waiting">\s*\d+ (second|minute)', html)


def test_the_queue_is_paginated(stack, carol):
    for n in range(21):
        submit(stack, {"kind": "provider", "provider": {"name": f"Club number {n:02d}"}})
    client = signed_in(stack)
    first = text(client.get("/desk"))
    assert "Club number 19" in first and "Club number 20" not in first and "Page 1 of 2" in first
    second = text(client.get("/desk?page=2"))
    assert "Club number 20" in second and "Club number 00" not in second


@pytest.mark.parametrize("username, password", [("carol", "not the password"), ("nobody", PASSWORD)])
def test_a_wrong_username_or_password_is_refused(stack, client, carol, username, password):
    resp = sign_in(client, username, password)
    assert resp.status_code == 422 and "Wrong username or password." in text(resp)
    with client.session_transaction() as s:
        assert "desk" not in s
    assert client.get("/desk").status_code == 302


def test_sign_in_needs_the_forms_csrf_token(stack, client, carol):
    resp = client.post("/desk/signin", data={"username": "carol", "password": PASSWORD})
    assert resp.status_code == 400 and client.get("/desk").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example"])
def test_next_never_leaves_the_site(stack, client, carol, target):
    resp = sign_in(client, next_=target)
    assert resp.status_code == 302
    host, path, _ = location(resp)
    assert host in ("", "localhost") and path == "/desk"
    assert "evil" not in resp.headers["Location"]


def test_next_on_the_site_is_honoured(stack, client, carol):
    sid = submit_activity(stack)
    resp = sign_in(client, next_=f"/desk/submissions/{sid}")
    assert location(resp)[1] == f"/desk/submissions/{sid}"


def test_failed_sign_ins_are_rate_limited(stack, client, carol):
    limit = int(stack.web_app.extensions["afterclasses_web"].settings.signin_rate_limit.split()[0])
    for _ in range(limit):
        assert sign_in(client, password="wrong password").status_code == 422
    assert sign_in(client).status_code == 429


def test_successful_sign_ins_do_not_use_up_the_limit(stack, carol):
    limit = int(stack.web_app.extensions["afterclasses_web"].settings.signin_rate_limit.split()[0])
    for _ in range(limit + 1):
        assert sign_in(stack.client()).status_code == 302


# --- reviewing -----------------------------------------------------------------------------

def test_a_correction_shows_side_by_side_with_the_live_entry(stack, carol):
    activity_id = live_activity(stack, title="Junior tennis")
    sid = submit_edit(stack, activity_id, title="Junior tennis and squash",
                      venue={"name": "P.S. 1", "address": "7 New Road", "lat": 40.70, "lon": -73.90,
                             "district": "Bronx"},
                      sessions=[{"weekday": "wed", "start": "16:00", "end": "17:30"}])
    html = text(signed_in(stack).get(f"/desk/submissions/{sid}"))
    assert "Correction:" in html and "Junior tennis" in html
    assert '<th scope="col">Live value</th>' in html and '<th scope="col">Proposed value</th>' in html
    changed = [c.strip() for c in re.findall(r"<tr class=\"changed\">\s*<th scope=\"row\">([^<]+)<", html)]
    assert changed == ["Title", "Days and times", "Place"]
    assert re.search(r'<tr>\s*<th scope="row">Category</th>', html)  # unchanged: shown, not marked
    # nested values readably, no JSON
    assert "Address: 1 Main St" in html and "Address: 7 New Road" in html
    assert "Monday 15:00–16:30" in html and "Wednesday 16:00–17:30" in html
    assert "Tennis (sports.racket.tennis)" in html  # the category by its name, and its slug
    assert "{'" not in html and '{"' not in html
    assert f"/desk/activities/{activity_id}/history" in html and f"/activities/{activity_id}" in html


def test_a_new_activity_shows_all_its_fields_and_its_provider(stack, carol):
    sid = submit_activity(stack, title="Chess for beginners",
                          price={"free": False, "amount": 40, "currency": "USD", "period": "month"})
    html = text(signed_in(stack).get(f"/desk/submissions/{sid}"))
    assert "New activity:" in html and "Chess for beginners" in html
    assert "$40 per month" in html and "Monday 15:00–16:30" in html and "From age" in html
    assert "Junior Tennis League" in html and "A new provider" in html
    assert 'class="changed"' not in html


def test_approving_a_correction_puts_it_on_the_site_and_in_search(stack, client, carol):
    activity_id = live_activity(stack, title="Junior tennis")
    sid = submit_edit(stack, activity_id, title="Quokka tennis club")
    client = signed_in(stack)
    resp = post_form(client, f"/desk/submissions/{sid}", f"/desk/submissions/{sid}/approve",
                     {"note": "checked with the club"})
    assert resp.status_code == 302 and location(resp)[1] == "/desk"
    queue = text(client.get("/desk"))
    assert "Approved the correction of “Junior tennis”." in queue and f'href="/activities/{activity_id}"' in queue
    ingest = stack.ingest_app.test_client()
    sub = ingest.get(f"/v1/submissions/{sid}").get_json()
    assert sub["status"] == "approved" and sub["note"] == "checked with the club"
    stack.sync()
    assert "Quokka tennis club" in text(client.get(f"/activities/{activity_id}"))
    found = text(client.get("/search?q=quokka"))
    assert "Quokka tennis club" in found and f"/activities/{activity_id}" in found


def test_an_editor_who_checked_the_entry_says_so_and_the_page_reads_verified_today(stack, carol):
    activity_id = live_activity(stack, title="Junior tennis")
    client = signed_in(stack)
    stack.sync()
    assert "Last verified" not in text(client.get(f"/activities/{activity_id}"))
    sid = submit_edit(stack, activity_id, title="Junior tennis at P.S. 121")
    review = text(client.get(f"/desk/submissions/{sid}"))
    assert "I checked this activity with its provider" in review
    resp = post_form(client, f"/desk/submissions/{sid}", f"/desk/submissions/{sid}/approve",
                     {"note": "phoned the club", "verified": "y"})
    assert resp.status_code == 302
    # the flash names the entry as it was, and says it was a correction of it
    assert "Approved the correction of “Junior tennis”." in text(client.get("/desk"))
    stack.sync()
    page = text(client.get(f"/activities/{activity_id}"))
    assert "Junior tennis at P.S. 121" in page and "Last verified today." in page


def test_approving_without_the_verified_box_leaves_the_entry_unverified(stack, carol):
    activity_id = live_activity(stack, title="Junior tennis")
    sid = submit_edit(stack, activity_id, title="Junior tennis at P.S. 121")
    client = signed_in(stack)
    assert post_form(client, f"/desk/submissions/{sid}", f"/desk/submissions/{sid}/approve", {}).status_code == 302
    stack.sync()
    assert "Last verified" not in text(client.get(f"/activities/{activity_id}"))


def test_the_review_shows_who_wrote_it_and_their_message_as_text(stack, carol):
    activity_id = live_activity(stack, title="Junior tennis")
    sid = submit(stack, {"kind": "edit", "activity_id": activity_id,
                         "message": "It closed in May <script>alert(1)</script>",
                         "submitter": {"name": "Pat", "email": "pat@example.org"}})
    html = signed_in(stack).get(f"/desk/submissions/{sid}").get_data(as_text=True)
    assert "Message from the writer" in html and "It closed in May &lt;script&gt;" in html
    assert 'href="mailto:pat%40example.org"' in html
    # an address that tries to add recipients or text to the editor's mail stays one address
    sly = submit(stack, {"kind": "edit", "activity_id": activity_id, "message": "Hi",
                         "submitter": {"name": "x@y.z?cc=attacker@evil.example&subject=hi"}})
    html = signed_in(stack).get(f"/desk/submissions/{sly}").get_data(as_text=True)
    assert 'href="mailto:x%40y.z%3Fcc%3Dattacker%40evil.example%26subject%3Dhi"' in html
    assert "0 fields changed" in html


def test_a_correction_saying_it_closed_takes_the_activity_off_the_site(stack, carol):
    activity_id = live_activity(stack, title="Quokka tennis club")
    sid = submit(stack, {"kind": "edit", "activity_id": activity_id, "message": "It closed in May."})
    client = signed_in(stack)
    assert "The activity no longer runs: take it off the site" in text(client.get(f"/desk/submissions/{sid}"))
    resp = post_form(client, f"/desk/submissions/{sid}", f"/desk/submissions/{sid}/approve",
                     {"withdraw": "y", "note": "The club confirmed."})
    assert resp.status_code == 302
    assert "“Quokka tennis club” is off the site" in text(client.get("/desk"))
    stack.sync()
    assert client.get(f"/activities/{activity_id}").status_code == 404
    assert "Quokka tennis club" not in text(client.get("/search?q=quokka"))


def test_approving_a_new_activity_links_to_it(stack, carol):
    sid = submit_activity(stack, title="Chess for beginners")
    client = signed_in(stack)
    assert post_form(client, f"/desk/submissions/{sid}", f"/desk/submissions/{sid}/approve", {}).status_code == 302
    activity_id = stack.ingest_app.test_client().get(f"/v1/submissions/{sid}").get_json()["result_id"]
    assert f'href="/activities/{activity_id}"' in text(client.get("/desk"))
    stack.sync()
    assert "Chess for beginners" in text(client.get(f"/activities/{activity_id}"))


def test_rejecting_needs_a_note_and_the_submitter_sees_it(stack, carol):
    sid = submit_activity(stack, title="Spam")
    client = signed_in(stack)
    empty = post_form(client, f"/desk/submissions/{sid}", f"/desk/submissions/{sid}/reject", {"reject_note": " "})
    assert empty.status_code == 400 and "Say why" in text(empty)
    resp = post_form(client, f"/desk/submissions/{sid}", f"/desk/submissions/{sid}/reject",
                     {"reject_note": "Not an activity for children."})
    assert resp.status_code == 302 and location(resp)[1] == "/desk"
    assert "Rejected “Spam”" in text(client.get("/desk"))
    sub = stack.ingest_app.test_client().get(f"/v1/submissions/{sid}").get_json()
    assert sub["status"] == "rejected" and sub["note"] == "Not an activity for children."


def test_a_decision_needs_the_forms_csrf_token(stack, carol):
    sid = submit_activity(stack)
    client = signed_in(stack)
    resp = client.post(f"/desk/submissions/{sid}/approve", data={"note": "forged"})
    assert resp.status_code == 400 and "The form expired" in text(resp)
    assert stack.ingest_app.test_client().get(f"/v1/submissions/{sid}").get_json()["status"] == "pending"


def test_the_second_of_two_editors_is_told_it_is_already_decided(stack, carol):
    accounts.add_editor(stack.ingest.store, "dave", PASSWORD)
    sid = submit_activity(stack, title="Chess for beginners")
    first, second = signed_in(stack, "carol"), signed_in(stack, "dave")
    page = second.get(f"/desk/submissions/{sid}")  # dave opens it too, before carol decides
    assert post_form(first, f"/desk/submissions/{sid}", f"/desk/submissions/{sid}/approve", {}).status_code == 302
    late = second.post(f"/desk/submissions/{sid}/approve",
                       data={"csrf_token": csrf_token(page.get_data(as_text=True)), "note": "me too"})
    assert late.status_code == 302 and location(late)[1] == f"/desk/submissions/{sid}"
    html = text(second.get(f"/desk/submissions/{sid}"))
    assert "already decided by another editor" in html
    assert "Already decided: approved" in html and "by carol" in html
    assert "/approve" not in html  # no forms on a decided submission
    rejected = second.post(f"/desk/submissions/{sid}/reject",
                           data={"csrf_token": csrf_token(page.get_data(as_text=True)), "reject_note": "no"})
    assert rejected.status_code == 302
    assert stack.ingest_app.test_client().get(f"/v1/submissions/{sid}").get_json()["status"] == "approved"


def test_a_double_click_on_approve_is_not_blamed_on_another_editor(stack, carol):
    sid = submit_activity(stack, title="Chess for beginners")
    client = signed_in(stack, "carol")
    page = client.get(f"/desk/submissions/{sid}")
    token = csrf_token(page.get_data(as_text=True))
    for _ in range(2):  # the second click arrives after the first was decided
        client.post(f"/desk/submissions/{sid}/approve", data={"csrf_token": token, "note": ""})
    html = text(client.get(f"/desk/submissions/{sid}"))
    assert "You had already decided this submission (approved)" in html
    assert "another editor" not in html


def test_a_stale_correction_is_approved_only_with_the_force_box(stack, carol):
    activity_id = live_activity(stack, title="Junior tennis")
    first = submit_edit(stack, activity_id, title="First title")
    second = submit_edit(stack, activity_id, title="Second title")
    client = signed_in(stack)
    assert post_form(client, f"/desk/submissions/{first}", f"/desk/submissions/{first}/approve", {}).status_code == 302
    page = text(client.get(f"/desk/submissions/{second}"))
    assert "the entry changed after this correction was written" in page.lower()
    assert 'name="force"' in page and "First title" in page and "Second title" in page
    refused = post_form(client, f"/desk/submissions/{second}", f"/desk/submissions/{second}/approve", {})
    assert refused.status_code == 409
    html = text(refused)
    assert "review the differences below; to approve it anyway, tick the box" in html.lower()
    assert 'name="force"' in html and 'aria-invalid="true"' in html
    forced = post_form(client, f"/desk/submissions/{second}", f"/desk/submissions/{second}/approve",
                       {"force": "y"})
    assert forced.status_code == 302
    live = stack.ingest_app.test_client().get(f"/v1/catalog/activities/{activity_id}").get_json()
    assert live["title"] == "Second title" and live["version"] == 3


def test_history_shows_who_changed_what(stack, carol):
    activity_id = live_activity(stack, title="Junior tennis", age_max=12)
    sid = submit_edit(stack, activity_id, title="Junior tennis, 7-14", age_max=14)
    client = signed_in(stack)
    post_form(client, f"/desk/submissions/{sid}", f"/desk/submissions/{sid}/approve", {})
    page = client.get(f"/desk/activities/{activity_id}/history")
    html = text(page)
    assert page.status_code == 200 and "History of “Junior tennis, 7-14”" in html
    for header in ("When", "Who", "Field", "Old value", "New value"):
        assert f'<th scope="col">{header}</th>' in html
    assert "editor:carol" in html and "editor:alice" in html  # alice published it, carol corrected it
    assert re.search(r'<th scope="row" data-label="Field">To age</th>\s*<td[^>]*>\s*<span class="line">12</span>'
                     r'.*?<span class="line">14</span>', html, re.S)
    assert html.index("Junior tennis, 7-14") < html.index("Whole entry (created)")  # newest first
    assert client.get("/desk/activities/nope/history").status_code == 404


def test_unknown_submissions_are_404(stack, carol):
    client = signed_in(stack)
    assert client.get("/desk/submissions/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/desk/submissions/queue").status_code == 404  # not ingest's queue in disguise


# --- signing out and expiry ------------------------------------------------------------------

def test_sign_out_revokes_the_token_in_ingest(stack, carol):
    client = signed_in(stack)
    token = desk_token(client)
    resp = post_form(client, "/desk", "/desk/signout", {})
    assert resp.status_code == 302 and location(resp)[1] == "/desk/signin"
    with client.session_transaction() as s:
        assert "desk" not in s
    ingest = stack.ingest_app.test_client()
    assert ingest.get("/v1/review/queue", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/desk").status_code == 302


def test_signing_in_again_revokes_the_previous_session(stack, carol):
    accounts.add_editor(stack.ingest.store, "dave", PASSWORD)
    client = signed_in(stack)
    old = desk_token(client)
    resp = post_form(client, "/desk", "/desk/signin", {"username": "dave", "password": PASSWORD})
    assert resp.status_code == 302 and "Signed in as dave" in text(client.get("/desk"))
    ingest = stack.ingest_app.test_client()
    assert ingest.get("/v1/review/queue", headers={"Authorization": f"Bearer {old}"}).status_code == 401


def test_an_expired_session_sends_the_editor_to_sign_in_and_back(stack, carol):
    sid = submit_activity(stack)
    client = signed_in(stack)
    with stack.ingest.store.transaction() as tx:
        tx.conn.execute(update(api_tokens).where(api_tokens.c.editor == "carol")
                        .values(expires_at=utcnow() - dt.timedelta(minutes=1)))
    resp = client.get(f"/desk/submissions/{sid}")
    assert resp.status_code == 302
    assert location(resp)[1:] == ("/desk/signin", {"next": [f"/desk/submissions/{sid}"]})
    with client.session_transaction() as s:
        assert "desk" not in s
    page = client.get(resp.headers["Location"])
    assert "Your session has ended" in text(page)
    again = client.post(resp.headers["Location"], data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                       "username": "carol", "password": PASSWORD})
    assert location(again)[1] == f"/desk/submissions/{sid}"
    assert client.get(location(again)[1]).status_code == 200


def test_a_decision_leads_to_the_next_submission_waiting(stack, carol):
    first, second = submit_activity(stack, title="First club"), submit_activity(stack, title="Second club")
    client = signed_in(stack)
    resp = post_form(client, f"/desk/submissions/{first}", f"/desk/submissions/{first}/approve", {})
    assert location(resp)[1] == f"/desk/submissions/{second}"  # the oldest still waiting
    page = text(client.get(f"/desk/submissions/{second}"))
    assert "Approved “First club”." in page and "Second club" in page
    resp = post_form(client, f"/desk/submissions/{second}", f"/desk/submissions/{second}/reject",
                     {"reject_note": "Duplicate."})
    assert location(resp)[1] == "/desk"  # none left


def test_desk_pages_are_never_cached(stack, carol):
    client = signed_in(stack)
    assert client.get("/desk").headers["Cache-Control"] == "no-store"


def test_sign_out_while_ingest_is_down_keeps_the_session_and_says_so(stack, carol, monkeypatch):
    from afterclasses_web.clients import ServiceDown

    client = signed_in(stack)

    def down(token):
        raise ServiceDown("ingest", "ConnectionError")

    monkeypatch.setattr(stack.web_app.extensions["afterclasses_web"].ingest, "sign_out", down)
    resp = post_form(client, "/desk", "/desk/signout", {})
    assert location(resp)[1] == "/desk"
    page = text(client.get("/desk"))
    assert "You are still signed in" in page and "Sign out" in page


def test_the_queue_shows_one_kind_at_a_time(stack, carol):
    submit_activity(stack, title="Chess for beginners")
    activity_id = live_activity(stack, title="Junior tennis")
    submit_edit(stack, activity_id, title="Quokka tennis club")
    client = signed_in(stack)
    everything = text(client.get("/desk"))
    assert "Chess for beginners" in everything and "Junior tennis" in everything
    corrections = text(client.get("/desk?kind=edit"))
    assert "Junior tennis" in corrections and "Chess for beginners" not in corrections
    assert "1 submission is waiting" in corrections
    assert "Chess for beginners" in text(client.get("/desk?kind=nonsense"))  # an unknown kind shows all


def test_a_new_activity_shows_similar_live_ones_nearby(stack, carol):
    publish(stack, title="Junior tennis", venue={"name": "P.S. 1", "lat": 40.70, "lon": -73.90})
    publish(stack, title="Junior tennis far away", venue={"name": "Far", "lat": 41.70, "lon": -73.90})
    sid = submit_activity(stack, title="Junior tennis", venue={"name": "P.S. 1", "lat": 40.7001, "lon": -73.9001})
    html = text(signed_in(stack).get(f"/desk/submissions/{sid}"))
    assert "Similar live activities nearby" in html
    section = html[html.index("lookalikes-h"):html.index("changes-h")]
    assert "Junior tennis" in section and "far away" not in section


def test_a_signed_in_editor_sees_the_history_link_on_an_activity_page(stack, carol):
    activity_id = live_activity(stack, title="Junior tennis")
    link = f'href="/desk/activities/{activity_id}/history"'
    assert link not in text(stack.client().get(f"/activities/{activity_id}"))
    assert link in text(signed_in(stack).get(f"/activities/{activity_id}"))


# --- a decision is never lost ------------------------------------------------------------------

def _checked(html: str, name: str) -> bool:
    box = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    return bool(box) and "checked" in box.group(0)


def _note(html: str, name: str) -> str:
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', html, re.S)
    assert found, f"no {name} textarea"
    return found.group(1)


def test_a_decision_while_ingest_is_down_keeps_the_note_to_send_again(stack, carol, monkeypatch):
    from afterclasses_web.clients import ServiceDown

    sid = submit_activity(stack, title="Chess for beginners")
    client = signed_in(stack)
    token = csrf_token(client.get(f"/desk/submissions/{sid}").get_data(as_text=True))

    def down(*args, **kwargs):
        raise ServiceDown("ingest", "ConnectionError")

    ingest = stack.web_app.extensions["afterclasses_web"].ingest
    with monkeypatch.context() as m:
        m.setattr(ingest, "call", down)
        rejected = client.post(f"/desk/submissions/{sid}/reject",
                               data={"csrf_token": token, "reject_note": "Duplicate of the chess club."})
        approved = client.post(f"/desk/submissions/{sid}/approve",
                               data={"csrf_token": token, "note": "Called them.", "verified": "y"})
    for resp in (rejected, approved):
        assert resp.status_code == 503 and "not answering" in text(resp)
    assert _note(text(rejected), "reject_note") == "Duplicate of the chess club."
    assert f'action="/desk/submissions/{sid}/reject"' in text(rejected)
    html = text(approved)
    assert _note(html, "note") == "Called them." and _checked(html, "verified")
    assert f'action="/desk/submissions/{sid}/approve"' in html
    # another site's post (no valid token) is not sent back filled in; "approve anyway" is never kept
    with monkeypatch.context() as m:
        m.setattr(ingest, "call", down)
        forged = client.post(f"/desk/submissions/{sid}/approve", data={"csrf_token": "bogus", "note": "Planted."})
        forced = client.post(f"/desk/submissions/{sid}/approve",
                             data={"csrf_token": token, "note": "Called them.", "force": "y"})
    assert forged.status_code == 503 and "Planted." not in text(forged)
    assert forced.status_code == 503 and not _checked(text(forced), "force")
    # ingest is back: "try again" sends the same decision
    resend = {"csrf_token": csrf_token(html), "note": "Called them.", "verified": "y"}
    assert client.post(f"/desk/submissions/{sid}/approve", data=resend).status_code == 302
    sub = stack.ingest_app.test_client().get(f"/v1/submissions/{sid}").get_json()
    assert sub["status"] == "approved" and sub["note"] == "Called them."


def _lapse(stack, editor="carol"):
    with stack.ingest.store.transaction() as tx:
        tx.conn.execute(update(api_tokens).where(api_tokens.c.editor == editor)
                        .values(expires_at=utcnow() - dt.timedelta(minutes=1)))


@pytest.mark.parametrize("action, data", [
    ("approve", {"note": "Checked with the school.", "verified": "y", "force": "y"}),
    ("reject", {"reject_note": "Not for children."}),
])
def test_a_decision_after_the_sign_in_lapsed_is_there_after_signing_in_again(stack, carol, action, data):
    sid = submit_activity(stack)
    client = signed_in(stack)
    token = csrf_token(client.get(f"/desk/submissions/{sid}").get_data(as_text=True))
    _lapse(stack)
    resp = client.post(f"/desk/submissions/{sid}/{action}", data={"csrf_token": token, **data})
    assert location(resp)[1:] == ("/desk/signin", {"next": [f"/desk/submissions/{sid}"]})
    again = sign_in(client, next_=f"/desk/submissions/{sid}")
    assert location(again)[1] == f"/desk/submissions/{sid}"
    html = text(client.get(f"/desk/submissions/{sid}"))
    assert "was not saved" in html
    name = "note" if action == "approve" else "reject_note"
    assert _note(html, name) == data[name]
    if action == "approve":
        assert _checked(html, "verified")
    assert stack.ingest_app.test_client().get(f"/v1/submissions/{sid}").get_json()["status"] == "pending"
    # used once, and only for that submission
    assert _note(text(client.get(f"/desk/submissions/{sid}")), name) == ""


def test_a_lapsed_decision_is_not_offered_to_another_editor_or_planted_by_another_site(stack, carol):
    accounts.add_editor(stack.ingest.store, "dave", PASSWORD)
    sid = submit_activity(stack)
    client = signed_in(stack)
    token = csrf_token(client.get(f"/desk/submissions/{sid}").get_data(as_text=True))
    _lapse(stack)
    client.post(f"/desk/submissions/{sid}/reject", data={"csrf_token": token, "reject_note": "carol's note"})
    assert sign_in(client, "dave").status_code == 302
    assert _note(text(client.get(f"/desk/submissions/{sid}")), "reject_note") == ""
    # a form without this session's token is never kept
    _lapse(stack, "dave")
    client.post(f"/desk/submissions/{sid}/reject", data={"csrf_token": "forged", "reject_note": "planted"})
    assert sign_in(client, "dave").status_code == 302
    assert _note(text(client.get(f"/desk/submissions/{sid}")), "reject_note") == ""


def test_an_expired_form_or_ingest_down_is_no_failed_sign_in(stack, client, carol, monkeypatch):
    from afterclasses_web.clients import ServiceDown

    limit = int(stack.web_app.extensions["afterclasses_web"].settings.signin_rate_limit.split()[0])
    for _ in range(limit):
        assert client.post("/desk/signin", data={"csrf_token": "old", "username": "carol",
                                                 "password": PASSWORD}).status_code == 400

    def down(username, password):
        raise ServiceDown("ingest", "ConnectionError")

    with monkeypatch.context() as m:
        m.setattr(stack.web_app.extensions["afterclasses_web"].ingest, "sign_in", down)
        for _ in range(limit):
            assert sign_in(client).status_code == 503
    assert sign_in(client).status_code == 302
