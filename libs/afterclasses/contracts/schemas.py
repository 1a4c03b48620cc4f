"""marshmallow schemas of the catalog: the building blocks of submissions and of events.

Ingest's request schemas and the ``catalog.entries`` payload schema are composed from these, so
a field means the same thing at the edge, in the store and on the wire. Every schema rejects
unknown fields (marshmallow's RAISE default, kept explicit) at every nesting level.
"""
from __future__ import annotations

import datetime as dt
import re

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from afterclasses import taxonomy
from afterclasses.cleaning import clean_text

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
GENDERS = ("any", "boys", "girls")
PROVIDER_KINDS = ("public", "private", "non-profit")
PRICE_PERIODS = ("once", "session", "week", "month", "term", "year")
STATUSES = ("published", "withdrawn")
AGE_LIMIT = 120
MAX_SESSIONS = 100  # weekly sessions of one activity
MAX_PRICE = 10_000_000  # in any currency: more is a typing mistake (and breaks number formatting)
# ASCII digits and "$", which OpenAPI's (ECMA) patterns read as Python does; "$" also takes a
# trailing newline, so the time's length is checked too
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_TIME_RULES = [validate.Length(equal=5, error="Use HH:MM."), validate.Regexp(_HHMM, error="Use HH:MM.")]


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class AwareDateTime(fields.AwareDateTime):
    """An ISO 8601 datetime with a time zone, kept as its ISO string so payloads stay JSON."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).isoformat()

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def _category(value: str) -> None:
    if not taxonomy.is_known(value):
        raise ValidationError(f"Unknown category {value!r}.")


class Text(fields.String):
    """Typed text: the characters that only disguise it are dropped (``afterclasses.cleaning``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return clean_text(super()._deserialize(value, attr, data, **kwargs))


def _not_in_the_future(value: str) -> None:
    # a day of clock skew allowed; a date beyond would read "verified today" and rank as fresh for years
    if dt.datetime.fromisoformat(value) > dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
        raise ValidationError("Must not be in the future.")


# A phone cell may hold several numbers and extensions, as departments publish them ("+1 718-231-3239
# ext. 12 or 718.555.0100", "(495) 123-45-67 доб. 12"); words other than these mean it is not a number.
_PHONE_WORDS = {"ext", "x", "or", "and", "tel", "доб", "или", "и", "тел"}
_PHONE_SEPARATORS = re.compile(r"[0-9\s+\-().,/;:#*]+")  # ASCII digits: others dial nothing


def _phone(value: str) -> None:
    words = {w for w in _PHONE_SEPARATORS.split(value.lower()) if w}
    if sum(c in "0123456789" for c in value) < 5 or not words <= _PHONE_WORDS:
        raise ValidationError("Not a phone number: use digits, spaces and + - ( ) . , with 'ext.' for an extension.")


def phone_text(**kw):
    return Text(validate=[validate.Length(max=100), _phone], **kw)


def text(max_len: int, **kw):
    """A text field of bounded length."""
    return Text(validate=validate.Length(max=max_len), **kw)


class SessionSchema(StrictSchema):
    """One weekly session: weekday and local start/end time (HH:MM)."""

    weekday = fields.String(required=True, validate=validate.OneOf(WEEKDAYS))
    start = fields.String(required=True, validate=_TIME_RULES)
    end = fields.String(required=True, validate=_TIME_RULES)

    # also when other fields are invalid, so a form shows every mistake in one round
    @validates_schema(skip_on_field_errors=False)
    def _order(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise ValidationError("Must be later than start.", "end")


class PriceSchema(StrictSchema):
    free = fields.Boolean(required=True)
    amount = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0, max=MAX_PRICE))
    currency = fields.String(
        allow_none=True, load_default=None, validate=validate.Regexp(r"^[A-Z]{3}$", error="Use an ISO 4217 code.")
    )
    period = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(PRICE_PERIODS))

    @validates_schema
    def _consistent(self, data, **kwargs):
        if data.get("free") and data.get("amount"):
            raise ValidationError("A free activity has no amount.", "amount")
        if not data.get("free") and data.get("amount") is not None and not data.get("currency"):
            raise ValidationError("Give the currency of the amount.", "currency")


class VenueSchema(StrictSchema):
    """Where an activity takes place; ``approximate`` when the point is only the district's."""

    name = text(300, load_default=None, allow_none=True)
    address = text(500, load_default=None, allow_none=True)
    lat = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=-180, max=180))
    district = text(200, load_default=None, allow_none=True)
    city = text(100, load_default=None, allow_none=True)
    approximate = fields.Boolean(load_default=False)

    @validates_schema
    def _point(self, data, **kwargs):
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError("Give both lat and lon, or neither.", "lon" if data.get("lat") is not None else "lat")


class ContactSchema(StrictSchema):
    """How to reach the people who run this activity (a site's own phone, not the organisation's)."""

    phone = phone_text(load_default=None, allow_none=True)
    email = fields.Email(load_default=None, allow_none=True)
    website = text(300, load_default=None, allow_none=True)


class ProviderFieldsSchema(StrictSchema):
    """An organisation that runs activities."""

    name = Text(required=True, validate=validate.Length(min=1, max=300))
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PROVIDER_KINDS))
    phone = phone_text(load_default=None, allow_none=True)
    email = fields.Email(load_default=None, allow_none=True)
    website = text(300, load_default=None, allow_none=True)
    address = text(500, load_default=None, allow_none=True)


class ActivityFieldsSchema(StrictSchema):
    """The editable fields of an activity (what a citizen or a department submits)."""

    title = Text(required=True, validate=validate.Length(min=1, max=300))
    description = text(10_000, load_default="")
    category = fields.String(required=True, validate=_category)
    tags = fields.List(Text(validate=validate.Length(min=1, max=100)), load_default=list,
                       validate=validate.Length(max=50))
    age_min = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0, max=AGE_LIMIT))
    age_max = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0, max=AGE_LIMIT))
    gender = fields.String(load_default="any", validate=validate.OneOf(GENDERS))
    sessions = fields.List(fields.Nested(SessionSchema), load_default=list, validate=validate.Length(max=MAX_SESSIONS))
    price = fields.Nested(PriceSchema, allow_none=True, load_default=None)
    language = fields.String(load_default=None, allow_none=True,
                             validate=validate.Regexp(r"^[a-z]{2}$", error="Use an ISO 639-1 code, e.g. en."))
    accessibility = text(2_000, load_default=None, allow_none=True)
    venue = fields.Nested(VenueSchema, allow_none=True, load_default=None)
    contact = fields.Nested(ContactSchema, allow_none=True, load_default=None)
    verified_at = AwareDateTime(allow_none=True, load_default=None, validate=_not_in_the_future)

    # also when other fields are invalid, so a form shows every mistake in one round
    @validates_schema(skip_on_field_errors=False)
    def _ages(self, data, **kwargs):
        lo, hi = data.get("age_min"), data.get("age_max")
        if lo is not None and hi is not None and lo > hi:
            raise ValidationError("Must not be less than age_min.", "age_max")


class ProviderDocSchema(ProviderFieldsSchema):
    id = fields.String(required=True)


class ActivityDocSchema(ActivityFieldsSchema):
    """An activity as published on ``catalog.entries`` and returned by the APIs."""

    id = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1, max=2**53))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    provider = fields.Nested(ProviderDocSchema, allow_none=True, load_default=None)
    source = fields.String(allow_none=True, load_default=None)
    source_id = fields.String(allow_none=True, load_default=None)
    rating = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0, max=5))
    # kept as ISO strings on the wire; AwareDateTime validates them
    verified_at = AwareDateTime(allow_none=True, load_default=None)
    updated_at = AwareDateTime(required=True)


class WithdrawnSchema(StrictSchema):
    id = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1, max=2**53))
    status = fields.String(required=True, validate=validate.Equal("withdrawn"))


# (event type, schema version) -> payload schema
_SCHEMAS = {
    ("activity.published", 1): ActivityDocSchema(),
    ("activity.updated", 1): ActivityDocSchema(),
    ("activity.withdrawn", 1): WithdrawnSchema(),
    ("provider.published", 1): ProviderDocSchema(),
    ("provider.updated", 1): ProviderDocSchema(),
}


def schema_for(type: str, version: int) -> Schema | None:
    return _SCHEMAS.get((type, version))


def event_types() -> list[tuple[str, int]]:
    return sorted(_SCHEMAS)
