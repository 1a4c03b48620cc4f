"""Submissions through the HTTP API: validation at the edge, nothing half-stored."""
import pytest

from tests.factories import activity_fields
from tests.integration.ingest.conftest import as_editor, table_counts


def submit(client, **activity):
    return client.post("/v1/submissions", json={"kind": "activity", "activity": activity_fields(**activity),
                                                "provider": {"name": "Tennis League"}})


def test_a_valid_submission_is_pending_and_can_be_followed(client):
    resp = submit(client)
    assert resp.status_code == 202
    follow = client.get(resp.headers["Location"])
    assert follow.status_code == 200 and follow.json["status"] == "pending"


@pytest.mark.parametrize("body, where", [
    ({"kind": "activity", "activity": {k: v for k, v in activity_fields().items() if k != "title"}},
     ["activity", "title"]),
    ({"kind": "activity", "activity": activity_fields(age_min=12, age_max=7)}, ["activity", "age_max"]),
    ({"kind": "activity", "activity": activity_fields(venue={"lat": 95, "lon": 10})}, ["activity", "venue", "lat"]),
    ({"kind": "activity", "activity": activity_fields(venue={"name": "x", "floor": 3})},
     ["activity", "venue", "floor"]),
    ({"kind": "activity", "activity": activity_fields(sessions=[{"weekday": "mon", "start": "10:00", "end": "11:00",
                                                                  "room": 1}])}, ["activity", "sessions", "0", "room"]),
    ({"kind": "activity", "activity": activity_fields(verified_at="2026-01-05T10:00:00")},
     ["activity", "verified_at"]),
    ({"kind": "activity", "activity": activity_fields(category="sports.quidditch")}, ["activity", "category"]),
    ({"kind": "activity", "activity": activity_fields(), "extra": 1}, ["extra"]),
    ({"kind": "edit", "activity_id": "nope", "changes": {}}, ["changes"]),
    ({"kind": "unknown"}, ["kind"]),
])
def test_bad_input_gets_422_with_field_messages_and_stores_nothing(client, store, body, where):
    before = table_counts(store)
    resp = client.post("/v1/submissions", json=body)
    assert resp.status_code == 422, resp.json
    assert resp.json["error"] == "invalid"
    node = resp.json["details"]
    for key in where:
        node = node[int(key)] if isinstance(node, dict) and key.isdigit() and int(key) in node else node[key]
    assert node  # a message for that very field
    assert table_counts(store) == before


def test_a_body_that_is_not_json_is_a_400(client, store):
    before = table_counts(store)
    resp = client.post("/v1/submissions", data="{oops", content_type="application/json")
    assert resp.status_code == 400 and resp.json["error"] == "invalid_json"
    assert table_counts(store) == before


def test_an_edit_of_an_unknown_activity_is_refused(client, store):
    before = table_counts(store)
    resp = client.post("/v1/submissions", json={"kind": "edit", "activity_id": "nope", "changes": {"title": "x"}})
    assert resp.status_code == 422 and "activity_id" in resp.json["details"]
    assert table_counts(store) == before


def test_fractional_ages_are_kept(client):
    sub = submit(client, age_min=7.5, age_max=9).json
    detail = client.get(f"/v1/review/{sub['id']}", headers=as_editor()).json
    assert {"field": "age_min", "old": None, "new": 7.5} in detail["diff"]


def test_a_body_that_is_not_json_says_so(client):
    resp = client.post("/v1/submissions", data="not json", content_type="application/json")
    assert resp.status_code == 400 and resp.json["error"] == "invalid_json"


@pytest.mark.parametrize("body", [
    '{"kind": "activity", "activity": {"title": "Chess \\ud800 club", "category": "sports"}}',
    "[" * 100_000 + "]" * 100_000,
    '{"kind": "activity", "activity": {"title": "Chess \\u0000 club", "category": "sports"}}',  # PostgreSQL
    '{"kind": "activity", "activity": {"title": "Chess", "category": "sports"}, "submitter": {"name": "\\u0000"}}',
    "[" * 900 + "]" * 900,
])
def test_bodies_no_store_can_hold_are_refused_at_the_door(client, store, body):
    before = table_counts(store)
    resp = client.post("/v1/submissions", data=body, content_type="application/json")
    assert resp.status_code == 400 and resp.json["error"] == "invalid_json"
    assert table_counts(store) == before


def test_an_overlong_submitter_email_is_a_field_error(client, store):
    body = {"kind": "provider", "provider": {"name": "Club"},
            "submitter": {"email": "a" * 250 + "@example.org"}}
    resp = client.post("/v1/submissions", json=body)
    assert resp.status_code == 422 and "email" in resp.json["details"]["submitter"]


@pytest.mark.parametrize("body, field", [
    ({"kind": []}, "kind"), ({"kind": {}}, "kind"), (None, "_schema"),
    ({"kind": "activity", "activity": activity_fields(), "provider_id": ""}, "provider_id"),
])
def test_odd_shapes_get_422(client, store, body, field):
    before = table_counts(store)
    resp = client.post("/v1/submissions", json=body)
    assert resp.status_code == 422 and field in resp.json["details"]
    assert table_counts(store) == before


def test_reads_do_not_wait_for_a_writer(ingest_settings):
    """The embedded store takes SQLite's write lock at BEGIN; a reader must not queue behind it."""
    from afterclasses_ingest import create_app

    app = create_app(ingest_settings)
    client, store = app.test_client(), app.extensions["afterclasses"].store
    sid = submit(client).json["id"]
    with store.transaction():  # a long write holds the lock
        assert client.get(f"/v1/submissions/{sid}").status_code == 200
        assert client.get("/readyz").status_code == 200


def test_the_same_idempotency_key_stores_one_submission(client, store):
    body = {"kind": "provider", "provider": {"name": "Bronx Chess Club"}}
    first = client.post("/v1/submissions", json=body, headers={"Idempotency-Key": "form-1234abcd"})
    again = client.post("/v1/submissions", json=body, headers={"Idempotency-Key": "form-1234abcd"})
    other = client.post("/v1/submissions", json=body, headers={"Idempotency-Key": "form-5678efgh"})
    assert first.status_code == again.status_code == other.status_code == 202
    assert first.json["id"] == again.json["id"] != other.json["id"]
    assert table_counts(store)["submissions"] == 2
    bad = client.post("/v1/submissions", json=body, headers={"Idempotency-Key": "x y"})
    assert bad.status_code == 400 and table_counts(store)["submissions"] == 2


def test_an_idempotency_key_reused_for_another_submission_is_refused(client, store):
    """A retry is the same body; a different body under the same key is a client's mistake, never
    silently answered with the first submission (which would lose the second)."""
    first = client.post("/v1/submissions", json={"kind": "provider", "provider": {"name": "Bronx Chess Club"}},
                        headers={"Idempotency-Key": "form-1234abcd"})
    changed = client.post("/v1/submissions", json={"kind": "provider", "provider": {"name": "Bronx Go Club"}},
                          headers={"Idempotency-Key": "form-1234abcd"})
    assert first.status_code == 202
    assert changed.status_code == 422 and "Idempotency-Key" in changed.json["details"]
    assert table_counts(store)["submissions"] == 1


def test_cross_field_mistakes_are_reported_with_the_other_field_errors(client, store):
    fields = activity_fields(age_min=12, age_max=7, venue={"name": "P.S. 1", "lat": 95, "lon": -73.9},
                             sessions=[{"weekday": "mon", "start": "17:00", "end": "16:00"}, {"weekday": "xx"}])
    resp = client.post("/v1/submissions", json={"kind": "activity", "activity": fields, "provider_id": None,
                                                 "provider": {"name": "Club"}})
    details = resp.json["details"]["activity"]
    assert resp.status_code == 422
    assert "age_max" in details and "lat" in details["venue"]  # one round, not two
    assert "end" in details["sessions"]["0"] and "weekday" in details["sessions"]["1"]


def test_invisible_characters_are_dropped_and_no_submitter_verifies(client, store):
    fields = activity_fields(title="Chess\u202e club", tags=["go\u200b"])
    sub = client.post("/v1/submissions", json={"kind": "activity", "activity": fields,
                                               "provider": {"name": "C\ufeffC"}})
    assert sub.status_code == 202
    payload = client.get(f"/v1/review/{sub.json['id']}", headers=as_editor()).json["payload"]
    assert payload["activity"]["title"] == "Chess club" and payload["activity"]["tags"] == ["go"]
    assert payload["provider"]["name"] == "CC"
    for when in ("9999-01-01T00:00:00+00:00", "2026-01-05T10:00:00+00:00"):
        claimed = client.post("/v1/submissions", json={"kind": "activity", "provider": {"name": "C"},
                                                       "activity": activity_fields(verified_at=when)})
        assert claimed.status_code == 422 and "verified_at" in claimed.json["details"]["activity"]
    activity_id = client.post(f"/v1/review/{sub.json['id']}/approve", json={}, headers=as_editor()).json["result_id"]
    edit = client.post("/v1/submissions", json={"kind": "edit", "activity_id": activity_id,
                                                "changes": {"verified_at": "2026-01-05T10:00:00+00:00"}})
    assert edit.status_code == 422 and edit.json["details"]["changes"]["verified_at"]


def test_a_message_to_the_editors_goes_with_a_correction_or_alone(client):
    new = client.post("/v1/submissions", json={"kind": "activity", "activity": activity_fields(),
                                               "provider": {"name": "Club"}}).json
    activity_id = client.post(f"/v1/review/{new['id']}/approve", json={}, headers=as_editor()).json["result_id"]
    with_fix = client.post("/v1/submissions", json={"kind": "edit", "activity_id": activity_id,
                                                    "changes": {"age_max": 12}, "message": "From their flyer."})
    # a parent who knows it closed but not what to change says so, and the editors see it
    alone = client.post("/v1/submissions", json={"kind": "edit", "activity_id": activity_id,
                                                 "message": "It closed in May; the gym is being rebuilt."})
    assert with_fix.status_code == alone.status_code == 202
    detail = client.get(f"/v1/review/{alone.json['id']}", headers=as_editor()).json
    assert detail["payload"]["message"].startswith("It closed in May") and detail["diff"] == []
    assert client.get(f"/v1/review/{with_fix.json['id']}", headers=as_editor()).json["payload"]["message"] \
        == "From their flyer."
    # nothing an editor could read: blanks, a lone accent, Hangul fillers, tag characters
    for blank in ("  ", "\u0301", "\u115f\u3164", "\U000e0041\U000e0042"):
        empty = client.post("/v1/submissions", json={"kind": "edit", "activity_id": activity_id, "message": blank})
        assert empty.status_code == 422 and "changes" in empty.json["details"], repr(blank)
    long = client.post("/v1/submissions", json={"kind": "edit", "activity_id": activity_id, "message": "x" * 2001})
    assert long.status_code == 422 and "message" in long.json["details"]


def test_a_body_far_beyond_any_submission_is_refused_before_parsing(client, store):
    before = table_counts(store)
    body = b'{"kind": "provider", "provider": {"name": "' + b"x" * (5 << 20) + b'"}}'
    resp = client.post("/v1/submissions", data=body, content_type="application/json")
    assert resp.status_code == 413 and resp.json["error"]
    assert table_counts(store) == before
