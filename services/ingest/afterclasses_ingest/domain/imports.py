"""Bulk imports of a city department's catalog: one auto-approved submission per run.

Rows are matched to the catalog by ``(source, source_id)``. A row whose source record is the
same as last time (same fingerprint) changes nothing — no new version, no event — so
re-importing a file is a no-op, and an editor's later correction of an imported entry is kept
until the department's own record changes. Bad rows are reported with their line and reason;
they never stop the import.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable

from marshmallow import ValidationError

from afterclasses.contracts.schemas import ActivityFieldsSchema, ProviderFieldsSchema
from afterclasses_ingest.adapters.store import CatalogStore, Tx
from afterclasses_ingest.domain.handlers import (
    audit_row,
    new_id,
    outbox_row,
    provider_doc,
    utcnow,
    venue_ids,
)
from afterclasses_ingest.domain.model import (
    APPROVED,
    activity_document,
    content_hash,
    diff,
    normalise_name,
    split_activity,
)

IMPORTING = "importing"
_activity_schema = ActivityFieldsSchema()
_provider_schema = ProviderFieldsSchema()


@dataclasses.dataclass
class ImportReport:
    source: str
    submission_id: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = dataclasses.field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.errors)

    def as_dict(self) -> dict:
        return {"source": self.source, "submission_id": self.submission_id, "rows": self.rows,
                "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "errors": self.errors}


@dataclasses.dataclass
class _Row:
    line: int
    source_id: str
    activity: dict
    provider: dict | None
    fingerprint: str


def import_records(store: CatalogStore, records: Iterable, *, source: str, actor: str,
                   batch_size: int = 1000, progress: Callable[[int], None] | None = None,
                   now: Callable[[], dt.datetime] = utcnow) -> ImportReport:
    """Import ``records`` (``ImportRecord`` or ``RowError`` items, as the importer yields them)."""
    report = ImportReport(source=source, submission_id=new_id())
    started = now()
    with store.transaction() as tx:
        # "importing" until the report is written: an interrupted run stays visibly unfinished
        tx.insert_submission({"id": report.submission_id, "kind": "import", "status": IMPORTING,
                              "payload": {"source": source}, "submitted_by": actor, "created_at": started,
                              "decided_at": started, "decided_by": actor, "note": "auto-approved import"})
    seen: dict[str, int] = {}
    batch: list[_Row] = []
    for record in records:
        row = _validate(record, report, seen)
        if progress is not None:
            progress(1)
        if row is not None:
            batch.append(row)
        if len(batch) >= batch_size:
            _write(store, batch, report, actor, now())
            batch = []
    if batch:
        _write(store, batch, report, actor, now())
    with store.transaction() as tx:
        tx.set_submission_report(report.submission_id, report.as_dict(), status=APPROVED)
    return report


def _validate(record, report: ImportReport, seen: dict[str, int]) -> _Row | None:
    if not hasattr(record, "activity"):  # a RowError from the reader
        report.errors.append({"line": record.line, "reason": record.reason})
        return None
    if record.source_id in seen:
        report.errors.append({"line": record.line,
                              "reason": f"duplicate of line {seen[record.source_id]} (same source id)"})
        return None
    try:
        activity = _activity_schema.load(record.activity)
        provider = _provider_schema.load(record.provider) if record.provider else None
    except ValidationError as exc:
        report.errors.append({"line": record.line, "reason": f"invalid: {exc.messages}"})
        return None
    seen[record.source_id] = record.line
    return _Row(record.line, record.source_id, activity, provider,
                content_hash({"activity": activity, "provider": provider}))


def _write(store: CatalogStore, rows: list[_Row], report: ImportReport, actor: str, at: dt.datetime) -> None:
    """One transaction per batch: catalog rows, audit rows and events commit together."""
    with store.transaction() as tx:
        existing = tx.activities_by_source(report.source, [r.source_id for r in rows])
        rows = [r for r in rows if not _unchanged(existing.get(r.source_id), r, report)]
        if not rows:
            return
        providers = _providers(tx, rows, report, actor, at)
        venues = venue_ids(tx, [r.activity.get("venue") for r in rows], at)
        inserts, audits, events = [], [], []
        for row, venue_id in zip(rows, venues):
            fields, venue = split_activity(row.activity)
            provider = providers.get(normalise_name(row.provider["name"])) if row.provider else None
            live = existing.get(row.source_id)
            values = {"provider_id": provider["id"] if provider else None, "venue_id": venue_id,
                      "fields": fields, "title": fields["title"], "source_hash": row.fingerprint, "updated_at": at}
            if live is None:
                values.update(id=new_id(), status="published", version=1, source=report.source,
                              source_id=row.source_id, created_at=at)
                inserts.append(values)
                audits.append(audit_row(at, actor, "activity", values["id"], "*", None, row.activity,
                                        report.submission_id))
                event_type, report.created = "activity.published", report.created + 1
            else:
                old = {**live["fields"], "venue": (tx.get_venue(live["venue_id"]) or {}).get("fields")}
                values.update(version=live["version"] + 1)
                tx.update_activity(live["id"], values)
                values.update(id=live["id"], status=live["status"], source=live["source"], source_id=live["source_id"])
                audits += [audit_row(at, actor, "activity", live["id"], c.field, c.old, c.new, report.submission_id)
                           for c in diff(old, row.activity)]
                event_type, report.updated = "activity.updated", report.updated + 1
            if values["status"] == "published":
                doc = activity_document(
                    id=values["id"], version=values["version"], status=values["status"], fields=fields,
                    venue=venue, provider=provider_doc(provider), source=report.source, source_id=row.source_id,
                    updated_at=at.isoformat())
                events.append(outbox_row(event_type, values["id"], doc, at))
        tx.insert_activities(inserts)
        tx.add_audit(audits)
        tx.add_outbox(events)


def _unchanged(live: dict | None, row: _Row, report: ImportReport) -> bool:
    if live is not None and live["source_hash"] == row.fingerprint:
        report.unchanged += 1
        return True
    return False


def _providers(tx: Tx, rows: list[_Row], report: ImportReport, actor: str, at: dt.datetime) -> dict[str, dict]:
    """Providers of these rows by dedupe key, creating those not seen before.

    An existing provider is not overwritten: departments' files repeat one organisation on many
    rows with per-site phone numbers, and last-row-wins would flip it on every import."""
    wanted: dict[str, dict] = {}
    for r in rows:
        if r.provider:
            wanted.setdefault(normalise_name(r.provider["name"]), r.provider)
    known = tx.providers_by_key(report.source, wanted)
    new_rows, audits, events = [], [], []
    for key, fields in wanted.items():
        live = known.get(key)
        if live is None:
            live = {"id": new_id(), "fields": fields, "name": fields["name"], "source": report.source,
                    "source_key": key, "version": 1, "created_at": at, "updated_at": at}
            new_rows.append(live)
            audits.append(audit_row(at, actor, "provider", live["id"], "*", None, fields, report.submission_id))
            events.append(outbox_row("provider.published", live["id"], provider_doc(live), at))
            known[key] = live
    tx.insert_providers(new_rows)
    tx.add_audit(audits)
    tx.add_outbox(events)
    return known
