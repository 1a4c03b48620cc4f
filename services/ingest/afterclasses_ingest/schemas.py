"""Request schemas of the ingest API, composed from the shared catalog contract."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from afterclasses.cleaning import says_something
from afterclasses.contracts.schemas import ActivityFieldsSchema, ProviderFieldsSchema, StrictSchema, Text

KINDS = ("activity", "provider", "edit")


class SubmitterSchema(StrictSchema):
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=200))


class _Submission(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    submitter = fields.Nested(SubmitterSchema, load_default=None, allow_none=True)
    # what the writer wants the editors to know: a source, or what is wrong ("it closed in May")
    message = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


def _not_verified(fields: dict | None, where: str) -> None:
    # "last verified" is the editors' word (approve with verified), never a submitter's
    if (fields or {}).get("verified_at") is not None:
        raise ValidationError({where: {"verified_at": ["Only an editor verifies an entry."]}})


class ActivitySubmissionSchema(_Submission):
    """A new activity, run by an existing provider (``provider_id``) or a new one (``provider``)."""

    activity = fields.Nested(ActivityFieldsSchema, required=True)
    provider_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=36))
    provider = fields.Nested(ProviderFieldsSchema, load_default=None, allow_none=True)

    @validates_schema
    def _unverified(self, data, **kwargs):
        _not_verified(data.get("activity"), "activity")

    @validates_schema
    def _one_provider(self, data, **kwargs):
        if data.get("provider_id") and data.get("provider"):
            raise ValidationError("Give provider_id or provider, not both.", "provider")


class ProviderSubmissionSchema(_Submission):
    provider = fields.Nested(ProviderFieldsSchema, required=True)


class EditSubmissionSchema(_Submission):
    """A correction: the fields to replace on a live activity (whole top-level fields)."""

    activity_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    # none at all when the message says what is wrong and the writer does not know the fix
    changes = fields.Nested(ActivityFieldsSchema(partial=True), load_default=dict)
    # the version of the entry the correction was written against (what the citizen saw); when
    # the entry changed since, editors see the correction as stale. Default: the live version.
    base_version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**53))

    @validates_schema
    def _unverified(self, data, **kwargs):
        _not_verified(data.get("changes"), "changes")

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if "changes" in data and not data["changes"] and not says_something(data.get("message")):
            raise ValidationError("Name at least one field to change, or say what is wrong in message.", "changes")


_BY_KIND = {"activity": ActivitySubmissionSchema, "provider": ProviderSubmissionSchema, "edit": EditSubmissionSchema}


def load_submission(body) -> dict:
    """Validate a submission body; the ``kind`` field picks the schema.

    :raise ValidationError: with field-level messages (422).
    """
    if not isinstance(body, dict):
        raise ValidationError({"_schema": ["Send a JSON object."]})
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in _BY_KIND:
        raise ValidationError({"kind": [f"Must be one of: {', '.join(KINDS)}."]})
    return _BY_KIND[kind]().load(body)


class DecisionSchema(StrictSchema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    # an edit written against an older version of the entry is applied only when the editor,
    # having seen the diff against the live entry, says so
    force = fields.Boolean(load_default=False)
    # the editor checked the activity with its provider or another source: it reads "verified today"
    verified = fields.Boolean(load_default=False)
    # a correction saying the activity no longer runs: it leaves the site
    withdraw = fields.Boolean(load_default=False)


class RejectionSchema(StrictSchema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class SignInSchema(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class PageSchema(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class QueueSchema(PageSchema):
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
