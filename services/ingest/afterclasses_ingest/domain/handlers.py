"""Use cases of ingest: submit, review (approve / reject), and the audit trail.

Each runs in one transaction of the store: the catalog row, its audit rows and its outgoing
``catalog.entries`` event commit together (transactional outbox), so a crash loses nothing and
publishes nothing that was not stored.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from marshmallow import ValidationError

from afterclasses.cleaning import says_something
from afterclasses.contracts import CATALOG_ENTRIES, new_event
from afterclasses.contracts.schemas import ActivityFieldsSchema
from afterclasses_ingest.adapters.store import CatalogStore, Tx, iso, utc
from afterclasses_ingest.domain.model import (
    APPROVED,
    EDITED_IN_PARTS,
    PENDING,
    REJECTED,
    Change,
    Conflict,
    DomainError,
    NotFound,
    activity_document,
    apply_changes,
    content_hash,
    diff,
    rebase,
    split_activity,
)

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id() -> str:
    return str(uuid.uuid4())


# --- reading ----------------------------------------------------------------------------

def provider_doc(row: dict | None) -> dict | None:
    return {"id": row["id"], **row["fields"]} if row else None


def live_fields(tx: Tx, activity: dict) -> dict:
    """The editable fields of a stored activity, venue included."""
    venue = tx.get_venue(activity["venue_id"])
    return {**activity["fields"], "venue": venue["fields"] if venue else None}


def activity_doc(tx: Tx, activity: dict) -> dict:
    """The full document of a stored activity, as the event carries it."""
    fields, venue = split_activity(live_fields(tx, activity))
    provider = tx.get_provider(activity["provider_id"]) if activity["provider_id"] else None
    return activity_document(
        id=activity["id"], version=activity["version"], status=activity["status"], fields=fields,
        venue=venue, provider=provider_doc(provider),
        source=activity["source"], source_id=activity["source_id"], updated_at=iso(activity["updated_at"]),
    )


def get_activity(store: CatalogStore, activity_id: str) -> dict:
    with store.reading() as tx:
        row = tx.get_activity(activity_id)
        if row is None:
            raise NotFound(f"No activity {activity_id}.")
        return activity_doc(tx, row)


def get_provider(store: CatalogStore, provider_id: str) -> dict:
    with store.reading() as tx:
        doc = provider_doc(tx.get_provider(provider_id))
        if doc is None:
            raise NotFound(f"No provider {provider_id}.")
        return doc


def history(store: CatalogStore, entity: str, entity_id: str) -> list[dict]:
    with store.reading() as tx:
        return [
            {"at": iso(r["at"]), "actor": r["actor"], "field": r["field"], "old": r["old"],
             "new": r["new"], "submission_id": r["submission_id"]}
            for r in tx.audit_for(entity, entity_id)
        ]


# --- writing helpers shared by review and import ----------------------------------------

def outbox_row(event_type: str, key: str, payload: dict, now: dt.datetime) -> dict:
    env = new_event(event_type, key, payload)
    return {"topic": CATALOG_ENTRIES, "key": key, "value": env.encode(), "created_at": now, "published": False}


def venue_ids(tx: Tx, venues_: list[dict | None], now: dt.datetime) -> list[str | None]:
    """Ids of these venues, inserting those not stored yet (venues dedupe by content)."""
    keys = [content_hash(v) if v else None for v in venues_]
    known = {k: r["id"] for k, r in tx.venues_by_key({k for k in keys if k}).items()}
    new_rows = []
    for key, venue in zip(keys, venues_):
        if key and key not in known:
            known[key] = new_id()
            new_rows.append({"id": known[key], "fields": venue, "content_key": key, "created_at": now})
    tx.insert_venues(new_rows)
    return [known[k] if k else None for k in keys]


def audit_row(now, actor, entity, entity_id, field, old, new, submission_id) -> dict:
    return {"at": now, "actor": actor, "entity": entity, "entity_id": entity_id, "field": field,
            "old": old, "new": new, "submission_id": submission_id}


def create_provider(tx: Tx, fields: dict, *, actor: str, now: dt.datetime, submission_id: str | None,
                    source: str | None = None, source_key: str | None = None, provider_id: str | None = None) -> dict:
    row = {"id": provider_id or new_id(), "fields": fields, "name": fields["name"], "source": source,
           "source_key": source_key, "version": 1, "created_at": now, "updated_at": now}
    tx.insert_providers([row])
    tx.add_audit([audit_row(now, actor, "provider", row["id"], "*", None, fields, submission_id)])
    tx.add_outbox([outbox_row("provider.published", row["id"], provider_doc(row), now)])
    return row


def validate_activity(fields: dict) -> dict:
    """Re-check merged fields against the contract (an edit applied to a changed entry)."""
    return ActivityFieldsSchema().load(fields)


# --- submissions --------------------------------------------------------------------------

def submit(store: CatalogStore, kind: str, payload: dict, submitted_by: str | None, now: Clock = utcnow,
           key: str | None = None) -> dict:
    """Store a validated submission as pending. Edits record the live version they start from.
    With an idempotency ``key`` already used for the same submission, the one stored then (nothing
    new); used for a different one, a :class:`DomainError` (never a silent loss of the new one)."""
    with store.transaction() as tx:
        if key is not None and (earlier := tx.submission_by_key(key)) is not None:
            if (earlier["kind"], earlier["payload"], earlier["submitted_by"]) != (kind, payload, submitted_by):
                raise DomainError("This Idempotency-Key was used for a different submission.",
                                  {"Idempotency-Key": ["Already used for a different submission."]})
            return submission_view(earlier)
        target_id = base_version = None
        if kind == "edit":
            live = tx.get_activity(payload["activity_id"])
            if live is None or live["status"] != "published":
                raise DomainError("Unknown activity.", {"activity_id": ["No such published activity."]})
            merged = apply_changes(live_fields(tx, live), payload["changes"])
            try:
                validate_activity(merged)
            except ValidationError as exc:
                raise DomainError("The edit makes the activity invalid.", {"changes": exc.messages}) from None
            if not diff(live_fields(tx, live), merged) and not says_something(payload.get("message")):
                raise DomainError("The edit changes nothing.", {"changes": ["Nothing differs from the live entry."]})
            base_version = payload.get("base_version") or live["version"]
            if base_version > live["version"]:
                raise DomainError("Unknown version.", {"base_version": ["Newer than the live entry."]})
            target_id = live["id"]
        if kind == "activity" and payload.get("provider_id") is not None \
                and tx.get_provider(payload["provider_id"]) is None:
            raise DomainError("Unknown provider.", {"provider_id": ["No such provider."]})
        row = {"id": new_id(), "kind": kind, "status": PENDING, "target_id": target_id,
               "base_version": base_version, "payload": payload, "submitted_by": submitted_by,
               "created_at": now(), "idempotency_key": key}
        tx.insert_submission(row)
        return submission_view(row)


def submission_view(row: dict) -> dict:
    return {
        "id": row["id"], "kind": row["kind"], "status": row["status"], "target_id": row.get("target_id"),
        "created_at": iso(row["created_at"]), "decided_at": iso(row.get("decided_at")),
        "note": row.get("note"), "result_id": row.get("result_id"), "report": row.get("report"),
    }


def get_submission(store: CatalogStore, submission_id: str) -> dict:
    with store.reading() as tx:
        row = tx.get_submission(submission_id)
        if row is None:
            raise NotFound(f"No submission {submission_id}.")
        return submission_view(row)


# --- review -------------------------------------------------------------------------------

def _edit_changes(tx: Tx, sub: dict, current: dict) -> dict:
    """An edit's changes against the live entry as it is now (:func:`rebase`): what each of its
    parted fields was when it was sent is the old value of that field's first change since."""
    sent_against = {}
    for row in tx.audit_for("activity", sub["target_id"], since=utc(sub["created_at"]), fields=EDITED_IN_PARTS):
        sent_against.setdefault(row["field"], row["old"])  # the rows come oldest first
    return rebase(sub["payload"]["changes"], sent_against, current)


def _changes(tx: Tx, sub: dict) -> tuple[list[Change], dict | None]:
    """What approving ``sub`` would change, against the live entry as it is now."""
    payload = sub["payload"]
    if sub["kind"] == "edit":
        live = tx.get_activity(sub["target_id"])
        current = live_fields(tx, live)
        return diff(current, apply_changes(current, _edit_changes(tx, sub, current))), live
    if sub["kind"] == "activity":
        return diff({}, payload["activity"]), None
    if sub["kind"] == "provider":
        return diff({}, payload["provider"]), None
    return [], None


def review_item(tx: Tx, sub: dict) -> dict:
    changes, live = _changes(tx, sub)
    item = submission_view(sub)
    item.update({
        "payload": sub["payload"],
        "submitted_by": sub["submitted_by"],
        "decided_by": sub["decided_by"],
        "diff": [{"field": c.field, "old": c.old, "new": c.new} for c in changes],
    })
    if live is not None:
        item["target_title"] = live["title"]  # the queue names the entry an edit corrects
        item["live_version"] = live["version"]
        item["base_version"] = sub["base_version"]
        item["stale"] = live["version"] != sub["base_version"]  # the entry changed since
    return item


def review_queue(store: CatalogStore, page: int, per_page: int, kind: str | None = None) -> dict:
    """Pending submissions (of one ``kind``, or all), oldest first, each with its diff against
    the live entry."""
    with store.reading() as tx:
        rows = tx.pending(per_page, (page - 1) * per_page, kind)
        return {"total": tx.count_pending(kind), "page": page, "per_page": per_page,
                "items": [review_item(tx, r) for r in rows]}


def review_detail(store: CatalogStore, submission_id: str) -> dict:
    with store.reading() as tx:
        sub = tx.get_submission(submission_id)
        if sub is None:
            raise NotFound(f"No submission {submission_id}.")
        return review_item(tx, sub)


def approve(store: CatalogStore, submission_id: str, editor: str, note: str | None, now: Clock = utcnow,
            force: bool = False, verified: bool = False, withdraw: bool = False) -> dict:
    """Apply a pending submission to the catalog. ``verified``: the editor checked the activity
    with its provider or another source, so it reads "verified today" (``verified_at``).
    ``withdraw`` (a correction only): the activity no longer runs, so it leaves the site (its
    event is ``activity.withdrawn``); what else the correction changes is kept in its history.

    :raise NotFound: no such submission.
    :raise Conflict: already decided (e.g. by another editor a moment ago), or an edit written
        against an older version of the entry and ``force`` not given.
    :raise DomainError: the edit no longer applies to the live entry.
    """
    at = now()
    with store.transaction() as tx:
        sub = tx.get_submission(submission_id)
        if sub is None:
            raise NotFound(f"No submission {submission_id}.")
        if sub["status"] != PENDING:
            raise Conflict(f"Submission already {sub['status']}.", {"status": sub["status"]})
        if withdraw and sub["kind"] != "edit":
            raise DomainError("Only a correction of a live activity can withdraw it.",
                              {"withdraw": ["Only for a correction."]})
        if sub["kind"] == "edit" and not force:
            live = tx.get_activity(sub["target_id"])
            if live is not None and live["version"] != sub["base_version"]:
                raise Conflict("The entry changed since this edit was written: review its diff against the "
                               "live entry, then approve with force.",
                               {"base_version": sub["base_version"], "live_version": live["version"]})
        result_id = {"activity": new_id, "provider": new_id}.get(sub["kind"], lambda: sub["target_id"])()
        # the conditional update is the guard: of two editors approving at once, one wins
        if not tx.decide_submission(submission_id, APPROVED, editor, note, at, result_id):
            raise Conflict("Submission was decided by someone else.")
        actor = f"editor:{editor}"
        if sub["kind"] == "activity":
            _create_activity(tx, result_id, sub, actor, at, verified)
        elif sub["kind"] == "provider":
            create_provider(tx, sub["payload"]["provider"], actor=actor, now=at, submission_id=sub["id"],
                            provider_id=result_id)
        elif sub["kind"] == "edit":
            _apply_edit(tx, sub, actor, at, verified, withdraw)
        tx.add_audit([audit_row(at, actor, "submission", sub["id"], "status", PENDING, APPROVED, sub["id"])])
        return {**submission_view({**sub, "status": APPROVED, "decided_at": at, "note": note}), "result_id": result_id}


def reject(store: CatalogStore, submission_id: str, editor: str, note: str, now: Clock = utcnow) -> dict:
    at = now()
    with store.transaction() as tx:
        sub = tx.get_submission(submission_id)
        if sub is None:
            raise NotFound(f"No submission {submission_id}.")
        if sub["status"] != PENDING or not tx.decide_submission(submission_id, REJECTED, editor, note, at):
            raise Conflict(f"Submission already {sub['status']}.", {"status": sub["status"]})
        actor = f"editor:{editor}"
        tx.add_audit([audit_row(at, actor, "submission", sub["id"], "status", PENDING, REJECTED, sub["id"])])
        return submission_view({**sub, "status": REJECTED, "decided_at": at, "note": note})


def _create_activity(tx: Tx, activity_id: str, sub: dict, actor: str, at: dt.datetime, verified: bool) -> None:
    payload = sub["payload"]
    provider_id = payload.get("provider_id")
    if payload.get("provider"):
        provider_id = create_provider(tx, payload["provider"], actor=actor, now=at, submission_id=sub["id"])["id"]
    activity = {**payload["activity"], "verified_at": at.isoformat()} if verified else payload["activity"]
    fields, venue = split_activity(activity)
    (venue_id,) = venue_ids(tx, [venue], at)
    row = {"id": activity_id, "provider_id": provider_id, "venue_id": venue_id, "fields": fields,
           "title": fields["title"], "status": "published", "version": 1, "source": None, "source_id": None,
           "source_hash": None, "created_at": at, "updated_at": at}
    tx.insert_activities([row])
    tx.add_audit([audit_row(at, actor, "activity", activity_id, "*", None, activity, sub["id"])])
    tx.add_outbox([outbox_row("activity.published", activity_id, activity_doc(tx, row), at)])


def _apply_edit(tx: Tx, sub: dict, actor: str, at: dt.datetime, verified: bool, withdraw: bool) -> None:
    live = tx.get_activity(sub["target_id"], for_update=True)
    if live is None or live["status"] != "published":
        raise Conflict("The activity is no longer published.")
    current = live_fields(tx, live)
    merged = apply_changes(current, _edit_changes(tx, sub, current))
    if verified:
        merged["verified_at"] = at.isoformat()
    try:
        merged = validate_activity(merged)
    except ValidationError as exc:
        raise DomainError("The edit no longer applies to the live entry.", {"changes": exc.messages}) from None
    changes = diff(current, merged)
    if not changes and not withdraw:
        return  # approved, but the live entry already says the same: nothing to publish
    fields, venue = split_activity(merged)
    (venue_id,) = venue_ids(tx, [venue], at)
    values = {"fields": fields, "title": fields["title"], "venue_id": venue_id, "version": live["version"] + 1,
              "updated_at": at}
    audit = [audit_row(at, actor, "activity", live["id"], c.field, c.old, c.new, sub["id"]) for c in changes]
    if withdraw:
        values["status"] = "withdrawn"
        audit.append(audit_row(at, actor, "activity", live["id"], "status", live["status"], "withdrawn", sub["id"]))
    tx.update_activity(live["id"], values)
    tx.add_audit(audit)
    if withdraw:
        event_type, payload = "activity.withdrawn", {"id": live["id"], "version": values["version"],
                                                     "status": "withdrawn"}
    else:
        event_type, payload = "activity.updated", activity_doc(tx, {**live, **values})
    tx.add_outbox([outbox_row(event_type, live["id"], payload, at)])


__all__ = ["approve", "reject", "submit", "review_queue", "review_detail", "get_submission",
           "get_activity", "history", "utc"]
