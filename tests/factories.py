"""Builders of valid catalog data for tests; override any field with keyword arguments."""
from __future__ import annotations

import itertools
import uuid

from afterclasses.contracts import new_event

_seq = itertools.count(1)


def activity_fields(**overrides) -> dict:
    fields = {
        "title": "Junior tennis",
        "description": "Tennis lessons for beginners.",
        "category": "sports.racket.tennis",
        "tags": ["tennis"],
        "age_min": 7,
        "age_max": 12,
        "sessions": [{"weekday": "mon", "start": "15:00", "end": "16:30"}],
        "price": {"free": True},
        "language": "en",
        "venue": {"name": "P.S. 1", "address": "1 Main St", "lat": 40.70, "lon": -73.90, "district": "Bronx"},
    }
    fields.update(overrides)
    return fields


def activity_doc(**overrides) -> dict:
    """A published activity document as ``catalog.entries`` carries it."""
    n = next(_seq)
    doc = {
        "id": str(uuid.uuid4()),
        "version": 1,
        "status": "published",
        "title": f"Junior tennis {n}",
        "description": "",
        "category": "sports.racket.tennis",
        "tags": [],
        "age_min": 7.0,
        "age_max": 12.0,
        "gender": "any",
        "sessions": [{"weekday": "mon", "start": "15:00", "end": "16:30"}],
        "price": {"free": True, "amount": None, "currency": None, "period": None},
        "language": "en",
        "accessibility": None,
        "venue": {"name": "P.S. 1", "address": None, "lat": 40.70, "lon": -73.90, "district": "Bronx",
                  "city": None, "approximate": False},
        "verified_at": None,
        "provider": {"id": "p1", "name": "Junior Tennis League", "kind": None, "phone": None, "email": None,
                     "website": None, "address": None},
        "source": None,
        "source_id": None,
        "rating": None,
        "updated_at": "2026-11-01T10:00:00+00:00",
    }
    for key, value in overrides.items():
        if key == "venue":
            doc["venue"] = {**doc["venue"], **value}
        else:
            doc[key] = value
    return doc


def published(doc: dict, event_type: str = "activity.published"):
    return new_event(event_type, doc["id"], doc)


def withdrawn(doc_id: str, version: int):
    return new_event("activity.withdrawn", doc_id, {"id": doc_id, "version": version, "status": "withdrawn"})
