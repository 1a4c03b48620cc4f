"""Pure rules: diffs, documents, content hashes. Plain dicts in, plain dicts out."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

SUBMISSION_KINDS = ("activity", "provider", "edit")
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class DomainError(Exception):
    """A rule was broken; ``status`` hints the HTTP answer (404 unknown, 409 conflict, 422 invalid)."""

    status = 422

    def __init__(self, message: str, details: Any = None):
        super().__init__(message)
        self.message, self.details = message, details


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


@dataclasses.dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(value: Any) -> str:
    """A stable fingerprint of a JSON-like value (re-imports compare these)."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def diff(old: dict, new: dict) -> list[Change]:
    """Field-level changes from ``old`` to ``new`` (top-level keys; nested values compared whole)."""
    keys = sorted(set(old) | set(new))
    return [Change(k, old.get(k), new.get(k)) for k in keys if canonical_json(old.get(k)) != canonical_json(new.get(k))]


def apply_changes(live: dict, changes: dict) -> dict:
    """The entry after an edit: ``changes`` replace whole top-level fields."""
    return {**live, **changes}


# fields whose parts (a venue's name and address, a price's amount and period, a contact's phone
# and e-mail) two people may correct independently
EDITED_IN_PARTS = ("venue", "price", "contact")


def rebase(changes: dict, sent_against: dict, live: dict) -> dict:
    """An edit's ``changes`` onto the ``live`` entry, given what each field of the edit's parts was
    when the edit was sent (``sent_against``, for the fields changed since). Only the parts the
    edit changed are taken, the rest stays live: a correction of the address approved after a
    correction of the place's name keeps the new name (a three-way merge, part by part)."""
    rebased = dict(changes)
    for field, before in sent_against.items():
        ours, now = changes.get(field), live.get(field)
        if field in EDITED_IN_PARTS and all(isinstance(v, dict) for v in (ours, before, now)):
            rebased[field] = {**now, **{k: v for k, v in ours.items()
                                        if canonical_json(v) != canonical_json(before.get(k))}}
    return rebased


def activity_document(
    *, id: str, version: int, status: str, fields: dict, venue: dict | None, provider: dict | None,
    source: str | None, source_id: str | None, updated_at: str,
) -> dict:
    """The activity as published on ``catalog.entries`` (ActivityDocSchema)."""
    return {
        **fields,
        "venue": venue,
        "id": id,
        "version": version,
        "status": status,
        "provider": provider,
        "source": source,
        "source_id": source_id,
        "updated_at": updated_at,
    }


def split_activity(fields: dict) -> tuple[dict, dict | None]:
    """Separate the venue (stored in its own table) from the other activity fields."""
    rest = dict(fields)
    return rest, rest.pop("venue", None)


def normalise_name(name: str) -> str:
    """A dedupe key for names: case, spacing and ё/е do not make a new provider."""
    return " ".join(name.lower().replace("ё", "е").split())
