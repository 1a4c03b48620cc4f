"""Public endpoints: submit an entry, follow a submission, read the live catalog."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, request, url_for
from sqlalchemy.exc import IntegrityError

from afterclasses.web import IDEMPOTENCY_KEY, ApiError
from afterclasses_ingest import schemas
from afterclasses_ingest.domain import handlers

bp = Blueprint("submissions", __name__, url_prefix="/v1")


def _store():
    return current_app.extensions["afterclasses"].store


def json_body():
    """The request's JSON body (None when empty); a 400 that says why when it is not JSON."""
    raw = request.get_data()
    if not raw.strip():
        return None
    try:
        body = json.loads(raw)
        # a lone surrogate ("\ud800") parses, but no store or log can hold it
        json.dumps(body, ensure_ascii=False).encode()
        nul = _has_nul(body)
    except RecursionError:
        raise ApiError(400, "invalid_json", "The body is nested too deeply.") from None
    except (ValueError, UnicodeError) as exc:
        raise ApiError(400, "invalid_json", f"The body is not valid JSON in UTF-8: {exc}") from None
    if nul:  # PostgreSQL text cannot hold NUL; no catalog text needs it
        raise ApiError(400, "invalid_json", "Text may not contain NUL characters (\\u0000).")
    return body


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


@bp.post("/submissions")
def create_submission():
    data = schemas.load_submission(json_body())
    kind = data.pop("kind")
    submitter = data.pop("submitter", None) or {}
    key = _idempotency_key()
    by = submitter.get("email") or submitter.get("name")
    try:
        sub = handlers.submit(_store(), kind, data, by, key=key)
    except IntegrityError:  # the same key inserted at the same moment by another worker: that one won
        sub = handlers.submit(_store(), kind, data, by, key=key)
    sub["links"] = {"self": url_for(".get_submission", submission_id=sub["id"])}
    return sub, 202, {"Location": sub["links"]["self"]}


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise ApiError(400, "invalid_header", "Idempotency-Key: 8 to 64 letters, digits, '-' or '_'.")
    return key



@bp.get("/submissions/<submission_id>")
def get_submission(submission_id: str):
    return handlers.get_submission(_store(), submission_id)


@bp.get("/catalog/activities/<activity_id>")
def get_activity(activity_id: str):
    return handlers.get_activity(_store(), activity_id)


@bp.get("/catalog/providers/<provider_id>")
def get_provider(provider_id: str):
    return handlers.get_provider(_store(), provider_id)
