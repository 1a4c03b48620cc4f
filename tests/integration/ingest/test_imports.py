"""Bulk imports: auto-approved, marked with their source, re-import safe, bad rows reported."""
import time

from afterclasses_ingest.bulk import import_mappings, shipped
from afterclasses_ingest.domain.imports import import_records
from afterclasses_ingest.importer import ImportRecord, RowError
from tests.factories import activity_fields
from tests.integration.ingest.conftest import as_editor, table_counts


def record(line, source_id, **activity):
    return ImportRecord(line, "dept", source_id, activity_fields(**activity), {"name": "City Sports"})


def test_the_real_datasets_import_and_reimport_changes_nothing(store, datasets_root):
    started = time.perf_counter()
    first = import_mappings(store, list(shipped().values()), datasets_root, progress=False, echo=lambda *_: None)
    assert time.perf_counter() - started < 30
    by_source = {r["source"]: r for r in first}
    assert by_source["nyc-dycd"]["rows"] == 1599 and by_source["moscow-sports"]["rows"] == 1761
    assert by_source["moscow-sports"]["created"] == 1761
    before = table_counts(store)
    again = import_mappings(store, list(shipped().values()), datasets_root, progress=False, echo=lambda *_: None)
    for report in again:
        assert report["created"] == 0 and report["updated"] == 0
        assert report["unchanged"] == by_source[report["source"]]["created"]
    after = table_counts(store)
    assert after["activities"] == before["activities"] and after["outbox"] == before["outbox"]
    assert after["audit"] == before["audit"]


def test_rows_that_cannot_be_imported_are_reported_with_line_and_reason(store):
    report = import_records(store, [
        record(2, "a"),
        RowError(3, "no title"),
        record(4, "b", age_min=10, age_max=5),
        record(5, "a"),
    ], source="dept", actor="import:dept")
    assert report.created == 1
    assert [e["line"] for e in report.errors] == [3, 4, 5]
    assert report.errors[0]["reason"] == "no title"
    assert "age_max" in report.errors[1]["reason"]
    assert "duplicate of line 2" in report.errors[2]["reason"]


def test_a_changed_source_row_makes_a_new_version_and_keeps_unrelated_corrections(client, store):
    import_records(store, [record(2, "a")], source="dept", actor="import:dept")
    with store.transaction() as tx:
        (activity,) = tx.activities_by_source("dept", ["a"]).values()
    # an editor corrects the entry; the department's unchanged file must not revert it
    edit = client.post("/v1/submissions", json={"kind": "edit", "activity_id": activity["id"],
                                                "changes": {"description": "Bring a racket."}}).json
    assert client.post(f"/v1/review/{edit['id']}/approve", headers=as_editor()).status_code == 200
    same = import_records(store, [record(2, "a")], source="dept", actor="import:dept")
    assert same.unchanged == 1
    assert client.get(f"/v1/catalog/activities/{activity['id']}").json["description"] == "Bring a racket."
    changed = import_records(store, [record(2, "a", age_max=13)], source="dept", actor="import:dept")
    assert changed.updated == 1
    entry = client.get(f"/v1/catalog/activities/{activity['id']}").json
    assert entry["version"] == 3 and entry["age_max"] == 13 and entry["source"] == "dept"
    history = client.get(f"/v1/catalog/activities/{activity['id']}/history", headers=as_editor()).json["changes"]
    assert any(h["field"] == "age_max" and h["actor"] == "import:dept" for h in history)


def test_an_import_is_an_approved_submission_with_its_report(client, store):
    report = import_records(store, [record(2, "a"), RowError(3, "bad")], source="dept", actor="import:dept")
    sub = client.get(f"/v1/submissions/{report.submission_id}").json
    assert sub["kind"] == "import" and sub["status"] == "approved"
    assert sub["report"]["created"] == 1 and sub["report"]["errors"] == [{"line": 3, "reason": "bad"}]
