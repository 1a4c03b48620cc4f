"""The citizens' forms (Flask-WTF) and their translation to and from ingest's submissions API.

WTForms checks only what needs no knowledge of the catalog: the CSRF token and that there is a
title. Every other rule belongs to ingest (``afterclasses.contracts.schemas``): a form becomes a
submission body as typed (numbers parsed when they parse, blanks left out) and ingest's 422
``details`` are put back next to the fields they name (:func:`attach_errors`), so a rule changed
in ingest never needs a change here.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import secrets

from flask import request
from flask_babel import get_locale, gettext, lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice

from afterclasses import taxonomy
from afterclasses.cleaning import clean_text
from afterclasses.contracts.schemas import MAX_SESSIONS
from afterclasses_web.pages import DAY_NAMES_LONG, PERIODS, WEEKDAYS

_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
HONEYPOT = "website_url"  # a name spam bots like to fill; humans never see the field
VENUE_KEYS = ("name", "address", "district", "city", "lat", "lon")
CONTACT_KEYS = ("phone", "email", "website")
SESSION_KEYS = ("weekday", "start", "end")
# the activity fields a correction may replace (whole top-level fields, as ingest's edits do)
EDITABLE = ("title", "description", "category", "tags", "age_min", "age_max", "gender", "sessions", "price",
            "language", "accessibility", "venue", "contact")

EXPIRED = lazy_gettext("Your form expired or came from another site; we kept what you typed — "
                       "check it and send again.")
TOO_MANY = lazy_gettext("You have sent a lot in a short time. We kept what you typed: please wait a while "
                        "and send it again.")
# (ingest may have stored it before the answer was lost: sending again is safe, see idempotency_key)
DOWN = lazy_gettext("We could not confirm your submission right now. We kept what you typed: please send it "
                    "again in a minute (it will not be stored twice).")

# ingest's messages are English; these are worded for people (and translated). Any other message
# is shown as ingest wrote it.
_MESSAGES = {
    "Missing data for required field.": lazy_gettext("This is required."),
    "Field may not be null.": lazy_gettext("This is required."),
    "Not a valid number.": lazy_gettext("Enter a number, e.g. 7 or 7.5."),
    "Not a valid email address.": lazy_gettext("Enter an e-mail address like name@example.com."),
    "Use HH:MM.": lazy_gettext("Enter a time like 15:30."),
    "Must be later than start.": lazy_gettext("Must be later than the start."),
    "Must not be less than age_min.": lazy_gettext("Must not be less than the youngest age."),
    "Use an ISO 4217 code.": lazy_gettext("Use a three-letter currency code, e.g. USD or RUB."),
    "Use an ISO 639-1 code, e.g. en.": lazy_gettext("Use a two-letter language code, e.g. en or ru."),
    "A free activity has no amount.": lazy_gettext("A free activity has no amount."),
    "Give the currency of the amount.": lazy_gettext("Give the currency of the amount."),
    "Give both lat and lon, or neither.": lazy_gettext("Give both latitude and longitude, or neither."),
    "Name at least one field to change.": lazy_gettext("Change at least one field."),
    "Nothing differs from the live entry.": lazy_gettext("Nothing differs from what the site shows now."),
    "Must be greater than or equal to -90 and less than or equal to 90.":
        lazy_gettext("A latitude is between -90 and 90."),
    "Must be greater than or equal to -180 and less than or equal to 180.":
        lazy_gettext("A longitude is between -180 and 180."),
}


# the same rule said about one field in particular
_FIELD_MESSAGES = {
    ("title", "Missing data for required field."): lazy_gettext("Give the activity a title."),
    ("title", "Field may not be null."): lazy_gettext("Give the activity a title."),
    ("provider_name", "Missing data for required field."): lazy_gettext("Give the organisation's name."),
}


def ingest_message(message, field: str | None = None) -> str:
    text = str(message)
    return str(_FIELD_MESSAGES.get((field, text)) or _MESSAGES.get(text, text))


# --- the forms -----------------------------------------------------------------------------

_DASH = lazy_gettext("Choose…")


def _choices(pairs, blank=_DASH) -> list[SelectChoice]:
    """Options for a select, the first one blank unless ``blank`` is None."""
    head = [("", blank)] if blank is not None else []
    return [SelectChoice(value, label) for value, label in [*head, *pairs]]


class SessionRow(Form):
    """One weekly session. A plain ``Form``: the page's one CSRF token covers the rows."""

    weekday = SelectField(lazy_gettext("Day"), choices=_choices((d, DAY_NAMES_LONG[d]) for d in WEEKDAYS),
                          validate_choice=False)
    start = StringField(lazy_gettext("From"), render_kw={"type": "time"})
    end = StringField(lazy_gettext("To"), render_kw={"type": "time"})


def _submitter_and_honeypot():
    return (
        StringField(lazy_gettext("Your name"), render_kw={"autocomplete": "name"}),
        EmailField(lazy_gettext("Your e-mail"), render_kw={"autocomplete": "email"}),
        StringField(lazy_gettext("Leave this field empty"), render_kw={"tabindex": "-1", "autocomplete": "off"}),
    )


def _provider_fields(required: bool):
    # ``required`` only marks the field: ingest says a missing name with every other mistake
    return (
        StringField(lazy_gettext("Name of the organisation"), render_kw={"autocomplete": "organization",
                                                                        **({"required": True} if required else {})}),
        SelectField(lazy_gettext("Kind of organisation"), validate_choice=False, choices=_choices([
            ("public", lazy_gettext("Public (city, school)")), ("private", lazy_gettext("Private")),
            ("non-profit", lazy_gettext("Non-profit"))])),
        StringField(lazy_gettext("Phone"), render_kw={"type": "tel", "autocomplete": "tel"}),
        EmailField(lazy_gettext("E-mail")),
        StringField(lazy_gettext("Website"), render_kw={"type": "url", "inputmode": "url"}),
        StringField(lazy_gettext("Address")),
    )


class TextForm(FlaskForm):
    """A form of typed text only: it reads the posted fields, never an uploaded file or a JSON body
    (a file part named like a field would reach the fields as an object they cannot handle)."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            if formdata is _Auto:
                return request.form if request.method in ("POST", "PUT", "PATCH", "DELETE") else None
            return formdata


class SubmissionForm(TextForm):
    """What every citizens' form has: CSRF (FlaskForm's), a honeypot, an idempotency key, and
    room for the errors ingest reports that belong to no single field."""

    # made when the form is first shown and posted back with it: a double click, or a retry after
    # "we could not send it", stores the submission once (ingest's Idempotency-Key)
    submission_key = HiddenField(default=lambda: secrets.token_urlsafe(18))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.general_errors: list[str] = []
        self.group_errors: dict[str, list[str]] = {}

    def idempotency_key(self, body: dict) -> str | None:
        """ingest's Idempotency-Key for ``body``: the form's key and the body's digest, so a double
        click or a retry stores the submission once, while the same form changed and sent again
        (Back, edit, send) is a submission of its own."""
        key = self.submission_key.data or ""
        if not _KEY.match(key):
            return None
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        return f"{key[:40]}-{digest[:16]}"

    @property
    def is_spam(self) -> bool:
        return bool(self[HONEYPOT].data)  # even spaces: a person never sees the field

    @property
    def csrf_failed(self) -> bool:
        return bool(self.meta.csrf and self.csrf_token.errors)


class ActivityFieldsForm(SubmissionForm):
    """The fields of an activity (new or corrected)."""

    # required, but said by ingest with every other mistake of the form in one round
    title = StringField(lazy_gettext("Title"), render_kw={"required": True})
    category = SelectField(lazy_gettext("Category"), validate_choice=False)
    description = TextAreaField(lazy_gettext("Description"), render_kw={"rows": 6})
    age_min = StringField(lazy_gettext("From age"), render_kw={"inputmode": "decimal"})
    age_max = StringField(lazy_gettext("To age"), render_kw={"inputmode": "decimal"})
    gender = SelectField(lazy_gettext("For"), default="any", validate_choice=False, choices=_choices([
        ("any", lazy_gettext("Boys and girls")), ("boys", lazy_gettext("Boys only")),
        ("girls", lazy_gettext("Girls only"))], blank=None))
    # as many rows as the catalog allows sessions: a correction must be able to show every one
    sessions = FieldList(FormField(SessionRow), min_entries=4, max_entries=MAX_SESSIONS)
    price_free = BooleanField(lazy_gettext("It is free"))
    price_amount = StringField(lazy_gettext("Amount"), render_kw={"inputmode": "decimal"})
    price_currency = StringField(lazy_gettext("Currency"), render_kw={"size": 4, "autocapitalize": "characters"})
    price_period = SelectField(lazy_gettext("Payment period"), validate_choice=False,
                               choices=_choices((k, v) for k, v in PERIODS.items()))
    venue_name = StringField(lazy_gettext("Place name"))
    venue_address = StringField(lazy_gettext("Street address"), render_kw={"autocomplete": "street-address"})
    venue_district = StringField(lazy_gettext("District or neighbourhood"))
    venue_city = StringField(lazy_gettext("City"))
    venue_lat = StringField(lazy_gettext("Latitude"), render_kw={"inputmode": "decimal"})
    venue_lon = StringField(lazy_gettext("Longitude"), render_kw={"inputmode": "decimal"})
    # the people who run this activity, when not the organisation's own (a site's phone)
    contact_phone = StringField(lazy_gettext("Phone"), render_kw={"type": "tel", "autocomplete": "off"})
    contact_email = EmailField(lazy_gettext("E-mail"), render_kw={"autocomplete": "off"})
    contact_website = StringField(lazy_gettext("Website"), render_kw={"type": "url", "inputmode": "url"})
    language = StringField(lazy_gettext("Language of the lessons"), render_kw={"size": 3})
    accessibility = TextAreaField(lazy_gettext("Accessibility"), render_kw={"rows": 3})
    tags = StringField(lazy_gettext("Keywords"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = category_choices(self.category.data)

    def pad_sessions(self, blank: int = 2) -> None:
        """Leave ``blank`` empty rows to fill (there is no script to add rows)."""
        empty = sum(1 for row in self.sessions if not any((row[k].data or "").strip() for k in SESSION_KEYS))
        for _ in range(max(0, blank - empty)):
            if len(self.sessions) >= self.sessions.max_entries:
                break
            self.sessions.append_entry()


class NewActivityForm(ActivityFieldsForm):
    (provider_name, provider_kind, provider_phone, provider_email, provider_website,
     provider_address) = _provider_fields(required=False)
    submitter_name, submitter_email, website_url = _submitter_and_honeypot()


class CorrectionForm(ActivityFieldsForm):
    submitter_name, submitter_email, website_url = _submitter_and_honeypot()
    # the live version the form showed: a change approved meanwhile makes this correction stale
    # for the editor, instead of silently undoing that change
    base_version = HiddenField()
    # a digest of each field as the form showed it: a correction sends only what its writer
    # changed, never a field someone else changed since (sending it would revert their change)
    shown = HiddenField()


class ProviderForm(SubmissionForm):
    (provider_name, provider_kind, provider_phone, provider_email, provider_website,
     provider_address) = _provider_fields(required=True)
    submitter_name, submitter_email, website_url = _submitter_and_honeypot()


def category_choices(current: str | None = None) -> list[SelectChoice]:
    """The taxonomy, each category with its path ("Sports › Racket sports › Tennis") in the page's
    language. A value the taxonomy does not know is kept as typed (ingest says what is wrong)."""
    lang = str(get_locale() or "en")
    cats = taxonomy.categories()
    pairs = [(slug, " › ".join(cats[s].label(lang) for s in taxonomy.ancestors(slug))) for slug in cats]
    if current and current not in cats:
        pairs.append((current, current))
    return _choices(pairs, blank=gettext("Choose a category"))


# --- form -> submission body ----------------------------------------------------------------

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
    if (_COORDINATE_COMMA if any_decimals else _DECIMAL_COMMA).match(text):  # "7,5", "55,7558" as typed in Russian
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


_DECIMAL_COMMA = re.compile(r"^-?\d+,\d{1,2}$")
_COORDINATE_COMMA = re.compile(r"^-?\d{1,3},\d+$")


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


def activity_fields(form: ActivityFieldsForm, places=None) -> tuple[dict, list[int]]:
    """Every activity field as the form has it (None for blanks) and the rows of the sent sessions.
    A venue without a point gets the approximate one of its ZIP code or district from ``places``
    (the gazetteer): citizens rarely know coordinates, and a venue without a point is never found
    near a place."""
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
    if venue and places is not None and venue.get("lat") is None and venue.get("lon") is None:
        place = places.venue_point(venue.get("address"), venue.get("district"))
        if place is not None:
            venue.update(lat=place.lat, lon=place.lon, approximate=True)
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


def _submitter(form) -> dict | None:
    submitter = {"name": _text(form.submitter_name.data), "email": _text(form.submitter_email.data)}
    return {k: v for k, v in submitter.items() if v is not None} or None


def _without_none(body: dict) -> dict:
    return {k: v for k, v in body.items() if v is not None}


def new_activity_body(form: NewActivityForm, places=None) -> Built:
    fields, rows = activity_fields(form, places)
    body = {"kind": "activity", "activity": _without_none(fields), "provider": _provider(form),
            "submitter": _submitter(form)}
    return Built(_without_none(body), rows)


def provider_body(form: ProviderForm) -> Built:
    return Built(_without_none({"kind": "provider", "provider": _provider(form) or {},
                                "submitter": _submitter(form)}))


def correction_body(form: CorrectionForm, activity_id: str, live: dict, places=None) -> Built:
    """An edit with only the top-level fields that differ from the live entry."""
    fields, rows = activity_fields(form, places)
    fields["venue"] = _merged_venue(live.get("venue"), fields["venue"])
    if (form.tags.data or "").strip() == _tags_shown(live.get("tags")):
        fields["tags"] = live.get("tags") or []  # the box untouched: a tag with a comma in it stays whole
    if fields["price"] is None and _same(live.get("price")) == {"free": False}:
        # "paid, amount unknown" shows as an empty price section: leaving it empty keeps it
        fields["price"] = live["price"]
    shown = _shown_digests(form.shown.data)
    if shown is not None:  # what the writer changed from what they saw
        changes = {k: fields[k] for k in EDITABLE if _digest(fields[k]) != shown.get(k)}
    else:  # a form from before digests (or tampered with): what differs from the live entry
        changes = {k: fields[k] for k in EDITABLE if _same(fields[k]) != _same(live.get(k))}
    base = (form.base_version.data or "").strip()
    return Built(_without_none({"kind": "edit", "activity_id": activity_id, "changes": changes,
                                "base_version": int(base) if base.isdigit() and len(base) < 16 else None,
                                "submitter": _submitter(form)}), rows)


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
    # a stored 7 and a typed 7.0 are the same age
    if isinstance(value, dict):
        return {k: _numbers_as_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_floats(v) for v in value]
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def shown_digests(live: dict) -> str:
    """The ``shown`` field of a correction form showing ``live``."""
    return json.dumps({k: _digest(live.get(k)) for k in EDITABLE}, separators=(",", ":"))


def _shown_digests(text: str | None) -> dict | None:
    try:
        shown = json.loads(text or "")
    except ValueError:
        return None
    return shown if isinstance(shown, dict) and set(shown) == set(EDITABLE) else None


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
    """Form data showing a live activity."""
    price, venue = live.get("price") or {}, live.get("venue") or {}
    data = {
        "base_version": str(live.get("version") or ""),
        "shown": shown_digests(live),
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


# --- ingest's 422 -> the form ---------------------------------------------------------------

# where a path of ingest's ``details`` (below the submission's top level) is shown
_FIELD_PATHS = {
    **{("activity", k): k for k in ("title", "category", "description", "tags", "age_min", "age_max", "gender",
                                    "language", "accessibility")},
    **{("activity", "venue", k): f"venue_{k}" for k in VENUE_KEYS},
    **{("activity", "price", k): f"price_{k}" for k in ("free", "amount", "currency", "period")},
    **{("activity", "contact", k): f"contact_{k}" for k in CONTACT_KEYS},
    **{("provider", k): f"provider_{k}" for k in ("name", "kind", "phone", "email", "website", "address")},
    **{("submitter", k): f"submitter_{k}" for k in ("name", "email")},
}
# groups of fields (fieldsets) that take the messages about the group as a whole
_GROUP_PATHS = {("activity", "venue"): "venue", ("activity", "price"): "price", ("activity", "contact"): "contact",
                ("activity", "sessions"): "sessions", ("provider",): "provider", ("submitter",): "submitter"}
GROUP_LEGENDS = {"venue": lazy_gettext("Where"), "price": lazy_gettext("Price"),
                 "sessions": lazy_gettext("Weekly schedule"), "provider": lazy_gettext("Who runs it"),
                 "contact": lazy_gettext("Contact for this activity"),
                 "submitter": lazy_gettext("About you")}
# the first field of each group: the group's own messages come just before it in the summary
GROUP_FIRST_FIELD = {"venue": "venue_name", "price": "price_free", "sessions": "sessions", "contact": "contact_phone",
                     "provider": "provider_name", "submitter": "submitter_name"}


def _flatten(messages, path=()):
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, (*path, str(key)))
    elif isinstance(messages, list | tuple):
        texts = [m for m in messages if isinstance(m, str)]
        if texts:
            yield path, texts
        for m in messages:
            if isinstance(m, dict):
                yield from _flatten(m, path)
    else:
        yield path, [str(messages)]


def attach_errors(form: SubmissionForm, details, session_rows: list[int]) -> None:
    """Put ingest's field messages next to the form's fields: ``details`` is marshmallow's nested
    messages, e.g. ``{"activity": {"age_max": [...], "venue": {"lat": [...]}}}``; an edit's are
    under ``changes``. A message no field matches goes to the top of the form."""
    for path, texts in _flatten(details):
        if path[:1] == ("changes",):
            path = ("activity", *path[1:])
        path = tuple(p for p in path if p != "_schema")
        target = _session_field(form, path, session_rows) or _field(form, path)
        texts = [ingest_message(t, target.name if target is not None else None) for t in texts]
        if target is not None:
            target.errors = [*target.errors, *texts]
            continue
        group = next((_GROUP_PATHS[path[:n]] for n in range(len(path), 0, -1) if path[:n] in _GROUP_PATHS), None)
        if group:
            form.group_errors.setdefault(group, []).extend(texts)
        else:
            form.general_errors.extend(texts)


def _field(form, path):
    for n in range(len(path), 1, -1):  # "activity.tags.3" is the tags field; "venue.x" is no field
        name = _FIELD_PATHS.get(path[:n])
        if name and name in form:
            return form[name]
    return None


def _session_field(form, path, session_rows):
    if path[:2] != ("activity", "sessions") or len(path) < 3 or "sessions" not in form:
        return None
    try:
        row = form.sessions[session_rows[int(path[2])]]
    except (ValueError, IndexError):
        return None
    key = path[3] if len(path) > 3 and path[3] in SESSION_KEYS else "weekday"
    return row[key]


@dataclasses.dataclass
class SummaryEntry:
    anchor: str | None  # the id of the field (or group) to link to
    label: str
    message: str


def group_anchor(group: str) -> str:
    return f"{group}-group"


def error_summary(form: SubmissionForm) -> list[SummaryEntry]:
    """Every message on the form, in the page's order, each linking to its field or group."""
    entries = [SummaryEntry(None, "", str(m)) for m in form.general_errors]
    starts = {name: group for group, name in GROUP_FIRST_FIELD.items()}
    for field in form:
        if field.name in ("csrf_token", HONEYPOT):
            continue
        group = starts.get(field.name)
        if group:
            entries += [SummaryEntry(group_anchor(group), str(GROUP_LEGENDS[group]), str(m))
                        for m in form.group_errors.get(group, [])]
        if isinstance(field, FieldList):
            for i, row in enumerate(field):
                for sub in row:
                    label = gettext("Day and time %(n)s, %(field)s", n=i + 1, field=str(sub.label.text).lower())
                    entries += [SummaryEntry(sub.id, label, str(m)) for m in sub.errors]
        else:
            entries += [SummaryEntry(field.id, str(field.label.text), str(m)) for m in field.errors]
    for group, texts in form.group_errors.items():
        if GROUP_FIRST_FIELD[group] not in form:  # a group this page has no fieldset for
            entries += [SummaryEntry(None, "", str(m)) for m in texts]
    return entries
