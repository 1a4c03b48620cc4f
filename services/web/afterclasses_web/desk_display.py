"""How the desk shows submissions and an entry's history to an editor: field labels, a stored value
as lines a person reads (never JSON), and the side-by-side rows of a review. Pure: no requests."""
from __future__ import annotations

import datetime as dt

from flask_babel import format_datetime, gettext, lazy_gettext

from afterclasses_web.i18n import current_lang
from afterclasses_web.pages import DAY_NAMES_LONG, WEEKDAYS, category_label, number, price

KINDS = {"activity": lazy_gettext("New activity"), "provider": lazy_gettext("New provider"),
         "edit": lazy_gettext("Correction"), "import": lazy_gettext("Import")}
STATUSES = {"pending": lazy_gettext("waiting for review"), "approved": lazy_gettext("approved"),
            "rejected": lazy_gettext("rejected"), "importing": lazy_gettext("importing")}
# the activity's fields in the order the desk shows them (ActivityFieldsSchema's order)
ACTIVITY_FIELDS = ("title", "description", "category", "tags", "age_min", "age_max", "gender", "sessions",
                   "price", "language", "accessibility", "venue", "contact", "verified_at")
PROVIDER_FIELDS = ("name", "kind", "phone", "email", "website", "address")
LABELS = {
    "title": lazy_gettext("Title"), "description": lazy_gettext("Description"),
    "category": lazy_gettext("Category"), "tags": lazy_gettext("Keywords"), "age_min": lazy_gettext("From age"),
    "age_max": lazy_gettext("To age"), "gender": lazy_gettext("For"), "sessions": lazy_gettext("Days and times"),
    "price": lazy_gettext("Price"), "language": lazy_gettext("Language"),
    "accessibility": lazy_gettext("Accessibility"), "venue": lazy_gettext("Place"),
    "contact": lazy_gettext("Contact"),
    "verified_at": lazy_gettext("Last verified"), "name": lazy_gettext("Name"), "kind": lazy_gettext("Kind"),
    "phone": lazy_gettext("Phone"), "email": lazy_gettext("E-mail"), "website": lazy_gettext("Website"),
    "address": lazy_gettext("Address"), "district": lazy_gettext("District"), "city": lazy_gettext("City"),
    "lat": lazy_gettext("Latitude"), "lon": lazy_gettext("Longitude"),
    "approximate": lazy_gettext("Point is approximate"), "free": lazy_gettext("Free"),
    "amount": lazy_gettext("Amount"), "currency": lazy_gettext("Currency"), "period": lazy_gettext("Period"),
    "*": lazy_gettext("Whole entry (created)"), "status": lazy_gettext("Status"),
}
GENDERS = {"any": lazy_gettext("boys and girls"), "boys": lazy_gettext("boys only"),
           "girls": lazy_gettext("girls only")}

def submission_title(item: dict) -> str:
    payload = item.get("payload") or {}
    if item["kind"] == "activity":
        return (payload.get("activity") or {}).get("title") or ""
    if item["kind"] == "provider":
        return (payload.get("provider") or {}).get("name") or ""
    if item["kind"] == "edit":
        return item.get("target_title") or payload.get("activity_id") or ""
    return item.get("id", "")


def new_provider(detail: dict) -> dict | None:
    """The provider a new activity brings along (shown under the activity), if any."""
    payload = detail.get("payload") or {}
    if detail["kind"] != "activity":
        return None
    if payload.get("provider"):
        return {"rows": [_row(k, None, payload["provider"].get(k), False) for k in PROVIDER_FIELDS]}
    if payload.get("provider_id"):
        return {"id": payload["provider_id"]}
    return None


def _row(field: str, old, new, changed: bool) -> dict:
    return {"field": field, "label": label(field), "old": value_lines(field, old), "new": value_lines(field, new),
            "changed": changed}


def comparison(detail: dict, live: dict | None) -> list[dict]:
    """The rows of the review table: for a correction every field with its live and proposed value
    (changed rows flagged); for a new entry its fields as proposed."""
    payload = detail.get("payload") or {}
    if detail["kind"] == "edit":
        changed = {d["field"]: d for d in detail.get("diff") or []}
        current = live or {}
        fields = [f for f in ACTIVITY_FIELDS if f in current or f in changed]
        fields += [f for f in changed if f not in fields]
        rows = []
        for f in fields:
            old = changed[f]["old"] if f in changed else current.get(f)
            new = changed[f]["new"] if f in changed else current.get(f)
            rows.append(_row(f, old, new, f in changed))
        return rows
    if detail["kind"] == "activity":
        doc = payload.get("activity") or {}
        return [_row(f, None, doc.get(f), True) for f in ACTIVITY_FIELDS if f in doc]
    if detail["kind"] == "provider":
        doc = payload.get("provider") or {}
        return [_row(f, None, doc.get(f), True) for f in PROVIDER_FIELDS if f in doc]
    return [_row(d["field"], d["old"], d["new"], True) for d in detail.get("diff") or []]


def label(field: str) -> str:
    return str(LABELS.get(field, field))


def when(value) -> str:
    try:
        return format_datetime(dt.datetime.fromisoformat(value), "medium")
    except (TypeError, ValueError):
        return str(value)


def value_lines(field: str, value) -> list[str]:
    """A stored value as lines a person reads (no JSON): sessions one a line, a place as its parts,
    a price as "$40 per month", the category by its name. [] for an empty value."""
    if value is None or value == "" or value == [] or value == {}:
        return []
    if field == "sessions" and isinstance(value, list):
        def key(s):
            return (WEEKDAYS.index(s["weekday"]) if s.get("weekday") in WEEKDAYS else 9, s.get("start") or "")

        return [f"{DAY_NAMES_LONG.get(s.get('weekday'), s.get('weekday'))} {s.get('start')}–{s.get('end')}"
                for s in sorted((s for s in value if isinstance(s, dict)), key=key)]
    if field == "price" and isinstance(value, dict):
        shown = price({"price": value})
        return [shown] if shown else _dict_lines(value)
    if field == "venue" and isinstance(value, dict):
        lines = [f"{label(k)}: {value[k]}" for k in ("name", "address", "district", "city") if value.get(k)]
        if value.get("lat") is not None:
            point = f"{value['lat']}, {value.get('lon')}"  # every digit: a moved point must show
            if value.get("approximate"):
                point += " " + gettext("(approximate: the area's point, not the address)")
            lines.append(gettext("Point: %(point)s", point=point))
        return lines
    if field == "category":
        name = category_label(value, current_lang())
        return [f"{name} ({value})" if name != value else str(value)]
    if field == "gender":
        return [str(GENDERS.get(value, value))]
    if field in ("age_min", "age_max") and isinstance(value, int | float):
        return [number(value)]
    if field == "tags" and isinstance(value, list):
        return [", ".join(str(t) for t in value)]
    if field in ("verified_at", "at"):
        return [when(value)]
    if field == "status":
        return [str(STATUSES.get(value, value))]
    if isinstance(value, bool):
        return [gettext("yes") if value else gettext("no")]
    if isinstance(value, dict):
        return _dict_lines(value)
    if isinstance(value, list):
        return [", ".join(value_lines("", v)) for v in value]
    if isinstance(value, float):
        return [number(value)]
    return [str(value)]


def _dict_lines(value: dict) -> list[str]:
    """A whole object (e.g. a new entry in the history) as "Field: value" lines, in the desk's order."""
    order = [*ACTIVITY_FIELDS, *PROVIDER_FIELDS]
    keys = sorted(value, key=lambda k: (order.index(k) if k in order else len(order), k))
    lines = []
    for k in keys:
        shown = value_lines(k, value[k])
        if shown:
            lines.append(f"{label(k)}: {'; '.join(shown)}")
    return lines
