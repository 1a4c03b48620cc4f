"""A filled form as a submission body, and a live entry as a filled form: numbers parsed when
they parse, blanks left out, a correction reduced to what its writer changed."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re

from afterclasses.cleaning import clean_text
from afterclasses_web.forms.citizens import (
    CONTACT_KEYS,
    EDITABLE,
    SESSION_KEYS,
    VENUE_KEYS,
    ActivityFieldsForm,
    CorrectionForm,
    NewActivityForm,
    ProviderForm,
)


def _text(value) -> str | None:
    # browsers send a textarea's line breaks as CRLF; the catalog keeps LF (else every correction
    # of a multi-line description would look like a change)
    value = clean_text(value or "").replace("\r\n", "\n").strip()
    return value or None


def _number(value, any_decimals: bool = False):
    """A number when the text is one ("7", "7.5", "7,5"), else the text itself so that ingest
    reports it; None when blank. A decimal comma is taken with up to two decimals ("1,000" stays
    text: ambiguous), or with any number of them for ``any_decimals`` fields (coordinates)."""
    text = _text(value)
    if text is None:
        return None
    text = decimal_point(text, any_decimals)
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


_DECIMAL_COMMA = re.compile(r"^-?\d+,\d{1,2}\Z", re.ASCII)
_COORDINATE_COMMA = re.compile(r"^-?\d{1,3},\d+\Z", re.ASCII)


def decimal_point(text: str, any_decimals: bool = False) -> str:
    """ "7,5" (a Russian decimal comma) as "7.5"; anything else as it is (see :func:`_number`)."""
    return text.replace(",", ".") if (_COORDINATE_COMMA if any_decimals else _DECIMAL_COMMA).match(text) else text


def _tags_shown(tags: list[str] | None) -> str:
    return ", ".join(tags or [])


def _shown(number) -> str:
    """A stored number as a form shows it: 7.0 → "7", 40.866123 → "40.866123"."""
    if number is None:
        return ""
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


@dataclasses.dataclass
class Built:
    """A submission body, and which form row each sent session came from (blank rows are not sent)."""

    body: dict
    session_rows: list[int] = dataclasses.field(default_factory=list)


def activity_fields(form: ActivityFieldsForm) -> tuple[dict, list[int]]:
    """Every activity field as the form has it (None for blanks) and the rows of the sent sessions."""
    sessions, rows = [], []
    for i, row in enumerate(form.sessions):
        session = {k: _text(row[k].data) for k in SESSION_KEYS}
        if any(session.values()):
            sessions.append({k: v for k, v in session.items() if v is not None})
            rows.append(i)
    amount, currency, period = _number(form.price_amount.data), _text((form.price_currency.data or "").upper()), \
        _text(form.price_period.data)
    price = None
    if form.price_free.data or any(v is not None for v in (amount, currency, period)):
        price = {"free": bool(form.price_free.data), "amount": amount, "currency": currency, "period": period}
        price = {k: v for k, v in price.items() if v is not None}
    venue = {k: _number(form[f"venue_{k}"].data, any_decimals=True) if k in ("lat", "lon")
             else _text(form[f"venue_{k}"].data) for k in VENUE_KEYS}
    venue = {k: v for k, v in venue.items() if v is not None} or None
    fields = {
        "title": _text(form.title.data),
        "description": _text(form.description.data) or "",
        "category": _text(form.category.data),
        "tags": [t for t in map(_text, (form.tags.data or "").split(",")) if t],
        "age_min": _number(form.age_min.data),
        "age_max": _number(form.age_max.data),
        "gender": form.gender.data or "any",
        "sessions": sessions,
        "price": price,
        "language": _text(form.language.data),
        "accessibility": _text(form.accessibility.data),
        "venue": venue,
        "contact": {k: v for k in CONTACT_KEYS if (v := _text(form[f"contact_{k}"].data)) is not None} or None,
    }
    return fields, rows


def _provider(form) -> dict | None:
    provider = {k: _text(form[f"provider_{k}"].data) for k in ("name", "kind", "phone", "email", "website",
                                                                 "address")}
    return {k: v for k, v in provider.items() if v is not None} or None


def _from_writer(form) -> dict:
    """Who sends it and what they tell the editors (both optional)."""
    submitter = {"name": _text(form.submitter_name.data), "email": _text(form.submitter_email.data)}
    return {"submitter": {k: v for k, v in submitter.items() if v is not None} or None,
            "message": _text(form.message.data)}


def _without_none(body: dict) -> dict:
    return {k: v for k, v in body.items() if v is not None}


def new_activity_body(form: NewActivityForm, places=None) -> Built:
    fields, rows = activity_fields(form)
    fields["venue"] = placed(fields["venue"], None, places)
    provider_id = (form.provider_id.data or "").strip() or None
    body = {"kind": "activity", "activity": _without_none(fields), **_from_writer(form),
            **({"provider_id": provider_id} if provider_id else {"provider": _provider(form)})}
    return Built(_without_none(body), rows)


def provider_body(form: ProviderForm) -> Built:
    return Built(_without_none({"kind": "provider", "provider": _provider(form) or {},
                                **_from_writer(form)}))


def correction_body(form: CorrectionForm, activity_id: str, live: dict, places=None) -> Built:
    """An edit with what its writer changed from what the form showed them (a part of a place, a
    price or a contact on its own), everything else left to the live entry, so a change approved
    meanwhile is never undone. A form without digests (or tampered with) sends what differs from
    the live entry."""
    fields, rows = activity_fields(form)
    shown = _shown_digests(form.shown.data)
    changes = _changes_seen(fields, live, shown) if shown is not None else _changes_from_live(form, fields, live)
    if changes.get("venue"):
        changes["venue"] = placed(changes["venue"], live.get("venue"), places)
    base = (form.base_version.data or "").strip()
    return Built(_without_none({"kind": "edit", "activity_id": activity_id, "changes": changes,
                                "base_version": int(base) if base.isascii() and base.isdigit() and len(base) < 16
                                else None,
                                **_from_writer(form)}), rows)


def _changes_seen(fields: dict, live: dict, shown: dict) -> dict:
    changes = {}
    for k in EDITABLE:
        if k in PARTS and all(f"{k}.{part}" in shown for part in PARTS[k]):
            merged = _changed_parts(k, fields[k], live.get(k), shown)
            if merged is not _UNCHANGED:
                changes[k] = merged
        elif _digest(fields[k]) != shown.get(k):
            changes[k] = fields[k]
    return changes


def _changes_from_live(form: CorrectionForm, fields: dict, live: dict) -> dict:
    """What differs from the live entry, minding what the form cannot show."""
    fields = {**fields, "venue": _merged_venue(live.get("venue"), fields["venue"])}
    if (form.tags.data or "").strip() == _tags_shown(live.get("tags")):
        fields["tags"] = live.get("tags") or []  # the box untouched: a tag with a comma in it stays whole
    if fields["price"] is None and _same(live.get("price")) == {"free": False}:
        # "paid, amount unknown" shows as an empty price section: leaving it empty keeps it
        fields["price"] = live["price"]
    return {k: fields[k] for k in EDITABLE if _same(fields[k]) != _same(live.get(k))}


def placed(venue: dict | None, live: dict | None, places) -> dict | None:
    """A venue with a point: citizens rarely know coordinates, and a venue without one is never
    found near a place. The gazetteer's point of its ZIP code or district (``places``) is taken,
    flagged approximate, when the venue has none, or when its address or district changed while
    its approximate point stayed; an approximate point the new address cannot replace is dropped
    rather than left in the old area."""
    if venue is None or places is None:
        return venue
    live = live or {}
    point = (venue.get("lat"), venue.get("lon"))
    moved_text = (venue.get("address"), venue.get("district")) != (live.get("address"), live.get("district"))
    stale = venue.get("approximate") and moved_text and point == (live.get("lat"), live.get("lon"))
    if point[0] is not None and not stale:
        return venue
    found = places.venue_point(venue.get("address"), venue.get("district"))
    if found is not None:
        return {**venue, "lat": found.lat, "lon": found.lon, "approximate": True}
    return {**venue, "lat": None, "lon": None, "approximate": False} if stale else venue


def _merged_venue(live: dict | None, typed: dict | None) -> dict | None:
    """The venue as a whole (edits replace whole fields): what the form shows, and the flag the
    form does not show kept unless the point moved."""
    if typed is None:
        return None
    venue = {k: typed.get(k) for k in VENUE_KEYS}
    live = live or {}
    moved = (venue["lat"], venue["lon"]) != (live.get("lat"), live.get("lon"))
    venue["approximate"] = bool(typed.get("approximate")) if moved else bool(live.get("approximate"))
    return venue


def _digest(value) -> str:
    """A short digest of a field's value as corrections compare it (see :func:`_same`)."""
    text = json.dumps(_numbers_as_floats(_same(value)), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _numbers_as_floats(value):
    # a stored 7 and a typed 7.0 are the same age; sessions in another order, the same week
    if isinstance(value, dict):
        return {k: _numbers_as_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_numbers_as_floats(v) for v in value]
        return sorted(items, key=json.dumps) if all(isinstance(v, dict) for v in items) else items
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


# the fields edited in parts: an edit replaces a whole field, so a part its writer left alone is
# taken from the live entry (a phone corrected meanwhile by someone else stays corrected)
PARTS = {"venue": VENUE_KEYS, "price": ("free", "amount", "currency", "period"), "contact": CONTACT_KEYS}
_UNCHANGED = object()


def _changed_parts(field: str, typed: dict | None, live: dict | None, shown: dict):
    """The live ``field`` with the parts the writer changed from what they saw; None when that
    leaves nothing; ``_UNCHANGED`` when they changed no part."""
    typed, live = typed or {}, live or {}
    changed = [p for p in PARTS[field] if _digest(typed.get(p)) != shown[f"{field}.{p}"]]
    if not changed:
        return _UNCHANGED
    merged = {**live, **{p: typed.get(p) for p in changed}}
    if field == "venue":  # the point's flag follows the point: one the writer typed is theirs
        moved = "lat" in changed or "lon" in changed
        merged["approximate"] = False if moved else bool(live.get("approximate"))
    return merged if _same({k: v for k, v in merged.items() if k != "approximate"}) is not None else None


def shown_digests(live: dict) -> str:
    """The ``shown`` field of a correction form showing ``live``: a digest of each field, and of
    each part of the fields edited in parts, as the form itself reads them back — so an untouched
    field is unchanged whatever the form cannot show (a keyword with a comma, "paid" without an
    amount, an approximate point)."""
    fields, _ = activity_fields(CorrectionForm(formdata=None, data=_prefill_fields(live), meta={"csrf": False}))
    digests = {k: _digest(fields[k]) for k in EDITABLE}
    digests.update({f"{k}.{p}": _digest((fields[k] or {}).get(p)) for k, parts in PARTS.items() for p in parts})
    return json.dumps(digests, separators=(",", ":"))


def _shown_digests(text: str | None) -> dict | None:
    try:
        shown = json.loads(text or "")
    except (ValueError, RecursionError):  # not ours: a nesting no form makes
        return None
    return shown if isinstance(shown, dict) and set(EDITABLE) <= set(shown) else None


def _same(value):
    """A value in the form it is compared in: blanks, empty lists and empty objects are None."""
    if isinstance(value, dict):
        value = {k: _same(v) for k, v in value.items()}
        return {k: v for k, v in value.items() if v is not None} or None
    if isinstance(value, list):
        return [_same(v) for v in value] or None
    if isinstance(value, str):
        return value.strip() or None
    return value


def prefill(live: dict) -> dict:
    """Form data showing a live activity, with the version and the digests of what it shows."""
    return {**_prefill_fields(live), "base_version": str(live.get("version") or ""), "shown": shown_digests(live)}


def _prefill_fields(live: dict) -> dict:
    price, venue = live.get("price") or {}, live.get("venue") or {}
    data = {
        "title": live.get("title") or "",
        "category": live.get("category") or "",
        "description": live.get("description") or "",
        "age_min": _shown(live.get("age_min")),
        "age_max": _shown(live.get("age_max")),
        "gender": live.get("gender") or "any",
        "sessions": [{k: s.get(k) or "" for k in SESSION_KEYS} for s in live.get("sessions") or []],
        "price_free": bool(price.get("free")),
        "price_amount": _shown(price.get("amount")),
        "price_currency": price.get("currency") or "",
        "price_period": price.get("period") or "",
        "language": live.get("language") or "",
        "accessibility": live.get("accessibility") or "",
        "tags": _tags_shown(live.get("tags")),
    }
    data.update({f"venue_{k}": (_shown(venue.get(k)) if k in ("lat", "lon") else venue.get(k) or "")
                 for k in VENUE_KEYS})
    data.update({f"contact_{k}": (live.get("contact") or {}).get(k) or "" for k in CONTACT_KEYS})
    return data


