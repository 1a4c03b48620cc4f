"""The editors' review API: auth, queue, diffs, decisions, audit, concurrency."""
import threading

import pytest

from afterclasses.contracts import decode
from afterclasses.eventlog.memory import MemoryEventLog
from afterclasses_ingest.relay import relay_once
from tests.factories import activity_fields
from tests.integration.ingest.conftest import CITIZEN, as_editor, table_counts


def new_submission(client, **activity):
    resp = client.post("/v1/submissions", json={"kind": "activity", "activity": activity_fields(**activity),
                                                "provider": {"name": "Tennis League"}})
    assert resp.status_code == 202
    return resp.json["id"]


def approve(client, sid, note=None):
    return client.post(f"/v1/review/{sid}/approve", json={"note": note}, headers=as_editor())


@pytest.mark.parametrize("method, path", [
    ("get", "/v1/review/queue"), ("get", "/v1/review/{sid}"), ("post", "/v1/review/{sid}/approve"),
    ("post", "/v1/review/{sid}/reject"), ("get", "/v1/catalog/activities/x/history"),
])
def test_anonymous_and_non_editor_tokens_are_refused(client, store, method, path):
    sid = new_submission(client)
    url = path.format(sid=sid)
    before = table_counts(store)
    assert getattr(client, method)(url, json={"note": "n"}).status_code == 401
    assert getattr(client, method)(url, json={"note": "n"}, headers=as_editor("forged")).status_code == 401
    resp = getattr(client, method)(url, json={"note": "n"}, headers=as_editor(CITIZEN))
    assert resp.status_code == 403 and resp.json["error"] == "forbidden"
    assert table_counts(store) == before
    assert client.get(f"/v1/submissions/{sid}").json["status"] == "pending"


def test_queue_is_oldest_first(client):
    first, second = new_submission(client, title="First"), new_submission(client, title="Second")
    queue = client.get("/v1/review/queue", headers=as_editor()).json
    assert [i["id"] for i in queue["items"]] == [first, second] and queue["total"] == 2


def test_queue_filters_by_kind(client):
    activity = new_submission(client, title="First")
    provider = client.post("/v1/submissions", json={"kind": "provider", "provider": {"name": "Club"}}).json["id"]
    only = client.get("/v1/review/queue?kind=provider", headers=as_editor()).json
    assert [i["id"] for i in only["items"]] == [provider] and only["total"] == 1
    assert client.get("/v1/review/queue?kind=activity", headers=as_editor()).json["items"][0]["id"] == activity
    assert client.get("/v1/review/queue?kind=spam", headers=as_editor()).status_code == 422


def test_approval_writes_the_entry_its_audit_and_its_event_together(client, app):
    sid = new_submission(client)
    resp = approve(client, sid, "looks right")
    assert resp.status_code == 200 and resp.json["status"] == "approved"
    activity_id = resp.json["result_id"]
    entry = client.get(f"/v1/catalog/activities/{activity_id}").json
    assert entry["version"] == 1 and entry["provider"]["name"] == "Tennis League"
    history = client.get(f"/v1/catalog/activities/{activity_id}/history", headers=as_editor()).json["changes"]
    assert history[0]["actor"] == "editor:alice" and history[0]["field"] == "*"
    log = MemoryEventLog()
    relay_once(app.extensions["afterclasses"].store, log)
    events = [decode(r.value) for r in log.consumer(None, ["catalog.entries"]).poll(10, timeout=0.1)]
    assert [e.type for e in events] == ["provider.published", "activity.published"]
    assert events[1].payload["id"] == activity_id and events[1].key == activity_id


def test_an_editor_who_checked_an_entry_stamps_it_verified_and_no_one_else_does(client):
    sid = new_submission(client)
    unchecked = approve(client, sid).json["result_id"]
    assert client.get(f"/v1/catalog/activities/{unchecked}").json["verified_at"] is None
    checked = client.post(f"/v1/review/{new_submission(client)}/approve", json={"verified": True},
                          headers=as_editor()).json["result_id"]
    stamped = client.get(f"/v1/catalog/activities/{checked}").json["verified_at"]
    assert stamped is not None
    # a correction approved as checked stamps the live entry too, beside its own change
    edit = client.post("/v1/submissions", json={"kind": "edit", "activity_id": unchecked,
                                                "changes": {"age_max": 14}}).json
    resp = client.post(f"/v1/review/{edit['id']}/approve", json={"verified": True}, headers=as_editor())
    assert resp.status_code == 200
    entry = client.get(f"/v1/catalog/activities/{unchecked}").json
    assert entry["age_max"] == 14 and entry["verified_at"] is not None and entry["version"] == 2
    assert client.post(f"/v1/review/{sid}/approve", json={"verified": "maybe"},
                       headers=as_editor()).status_code == 422


def test_an_edit_is_shown_as_a_diff_and_audited_field_by_field(client):
    activity_id = approve(client, new_submission(client)).json["result_id"]
    edit = client.post("/v1/submissions", json={"kind": "edit", "activity_id": activity_id,
                                                "changes": {"age_max": 14, "title": "Junior tennis, 7-14"}}).json
    detail = client.get(f"/v1/review/{edit['id']}", headers=as_editor()).json
    assert detail["diff"] == [{"field": "age_max", "old": 12.0, "new": 14.0},
                              {"field": "title", "old": "Junior tennis", "new": "Junior tennis, 7-14"}]
    assert detail["stale"] is False
    assert approve(client, edit["id"]).status_code == 200
    entry = client.get(f"/v1/catalog/activities/{activity_id}").json
    assert entry["version"] == 2 and entry["age_max"] == 14
    history = client.get(f"/v1/catalog/activities/{activity_id}/history", headers=as_editor()).json["changes"]
    assert [(h["field"], h["old"], h["new"]) for h in history[1:]] == [
        ("age_max", 12, 14), ("title", "Junior tennis", "Junior tennis, 7-14")]


def test_an_edit_that_would_break_the_entry_is_refused(client):
    activity_id = approve(client, new_submission(client)).json["result_id"]
    resp = client.post("/v1/submissions", json={"kind": "edit", "activity_id": activity_id,
                                                "changes": {"age_min": 15}})
    assert resp.status_code == 422 and "changes" in resp.json["details"]


def test_reject_needs_a_note_and_records_it(client):
    sid = new_submission(client)
    assert client.post(f"/v1/review/{sid}/reject", json={}, headers=as_editor()).status_code == 422
    resp = client.post(f"/v1/review/{sid}/reject", json={"note": "duplicate"}, headers=as_editor())
    assert resp.status_code == 200
    assert client.get(f"/v1/submissions/{sid}").json["note"] == "duplicate"
    assert approve(client, sid).status_code == 409


def test_two_editors_approving_at_once_make_one_entry(app, store):
    sid = new_submission(app.test_client())
    before = table_counts(store)
    results, barrier = [], threading.Barrier(4)

    def go():
        barrier.wait()
        results.append(approve(app.test_client(), sid).status_code)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409, 409, 409]
    after = table_counts(store)
    assert after["activities"] == before["activities"] + 1
    assert after["outbox"] == before["outbox"] + 2  # the provider and the activity, once each


def test_history_of_an_unknown_activity_is_404(client):
    assert client.get("/v1/catalog/activities/nope/history", headers=as_editor()).status_code == 404


def test_a_stale_edit_needs_force_after_the_editor_saw_the_diff(client):
    activity_id = approve(client, new_submission(client)).json["result_id"]
    first = client.post("/v1/submissions", json={"kind": "edit", "activity_id": activity_id,
                                                 "changes": {"title": "First title"}}).json
    second = client.post("/v1/submissions", json={"kind": "edit", "activity_id": activity_id,
                                                  "changes": {"title": "Second title"}}).json
    assert approve(client, first["id"]).status_code == 200
    detail = client.get(f"/v1/review/{second['id']}", headers=as_editor()).json
    assert detail["stale"] is True
    assert detail["diff"] == [{"field": "title", "old": "First title", "new": "Second title"}]
    refused = approve(client, second["id"])
    assert refused.status_code == 409 and refused.json["details"]["live_version"] == 2
    forced = client.post(f"/v1/review/{second['id']}/approve", json={"force": True}, headers=as_editor())
    assert forced.status_code == 200
    assert client.get(f"/v1/catalog/activities/{activity_id}").json["title"] == "Second title"


def test_two_corrections_of_one_place_waiting_together_each_keep_their_part(client):
    """Both written against version 1: approving the second after the first applies only the parts
    the second changed, so the first's new name and period stay (never a silent revert)."""
    activity_id = approve(client, new_submission(
        client, venue={"name": "Bronx Park courts", "address": "1 Park Ave", "lat": 40.86, "lon": -73.87},
        price={"free": False, "amount": 25, "currency": "USD", "period": "session"})).json["result_id"]
    live = client.get(f"/v1/catalog/activities/{activity_id}").json
    venue = {k: live["venue"][k] for k in ("name", "address", "lat", "lon")}

    def edit(**changes):
        return client.post("/v1/submissions", json={"kind": "edit", "activity_id": activity_id,
                                                    "changes": changes}).json["id"]

    renamed = edit(venue={**venue, "name": "Bronx Park tennis courts"}, price={**live["price"], "period": "month"})
    moved = edit(venue={**venue, "address": "2 Park Ave"}, price={**live["price"], "amount": 30})
    assert approve(client, renamed).status_code == 200
    detail = client.get(f"/v1/review/{moved}", headers=as_editor()).json
    assert detail["stale"]
    # the editor's diff already says what approving will do: only this correction's parts
    by_field = {d["field"]: d for d in detail["diff"]}
    assert by_field["venue"]["new"]["name"] == "Bronx Park tennis courts"
    assert by_field["price"]["new"]["period"] == "month"
    resp = client.post(f"/v1/review/{moved}/approve", json={"force": True}, headers=as_editor())
    assert resp.status_code == 200, resp.json
    entry = client.get(f"/v1/catalog/activities/{activity_id}").json
    assert (entry["venue"]["name"], entry["venue"]["address"]) == ("Bronx Park tennis courts", "2 Park Ave")
    assert (entry["price"]["amount"], entry["price"]["period"]) == (30, "month")


def test_a_correction_saying_it_closed_withdraws_the_activity(client, app):
    activity_id = approve(client, new_submission(client)).json["result_id"]
    closed = client.post("/v1/submissions", json={"kind": "edit", "activity_id": activity_id,
                                                  "message": "It closed in May."}).json["id"]
    new = new_submission(client)
    assert client.post(f"/v1/review/{new}/approve", json={"withdraw": True},
                       headers=as_editor()).status_code == 422  # only a correction withdraws
    resp = client.post(f"/v1/review/{closed}/approve", json={"withdraw": True, "note": "Phoned."}, headers=as_editor())
    assert resp.status_code == 200
    entry = client.get(f"/v1/catalog/activities/{activity_id}").json
    assert entry["status"] == "withdrawn" and entry["version"] == 2
    history = client.get(f"/v1/catalog/activities/{activity_id}/history", headers=as_editor()).json["changes"]
    assert history[-1]["field"] == "status" and history[-1]["new"] == "withdrawn"
    log = MemoryEventLog()
    relay_once(app.extensions["afterclasses"].store, log)
    events = [decode(r.value) for r in log.consumer(None, ["catalog.entries"]).poll(20, timeout=0.1)]
    assert events[-1].type == "activity.withdrawn" and events[-1].payload == {
        "id": activity_id, "version": 2, "status": "withdrawn"}
    # no one corrects what is gone
    again = client.post("/v1/submissions", json={"kind": "edit", "activity_id": activity_id, "changes": {"age_max": 9}})
    assert again.status_code == 422
