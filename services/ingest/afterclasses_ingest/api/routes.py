"""Public endpoints: submit an entry, follow a submission, read the live catalog."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, request, url_for

from afterclasses.web import ApiError
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
    except RecursionError:
        raise ApiError(400, "invalid_json", "The body is nested too deeply.") from None
    except (ValueError, UnicodeError) as exc:
        raise ApiError(400, "invalid_json", f"The body is not valid JSON in UTF-8: {exc}") from None
    return body


@bp.post("/submissions")
def create_submission():
    data = schemas.load_submission(json_body())
    kind = data.pop("kind")
    submitter = data.pop("submitter", None) or {}
    sub = handlers.submit(_store(), kind, data, submitter.get("email") or submitter.get("name"))
    sub["links"] = {"self": url_for(".get_submission", submission_id=sub["id"])}
    return sub, 202, {"Location": sub["links"]["self"]}


@bp.get("/submissions/<submission_id>")
def get_submission(submission_id: str):
    return handlers.get_submission(_store(), submission_id)


@bp.get("/catalog/activities/<activity_id>")
def get_activity(activity_id: str):
    return handlers.get_activity(_store(), activity_id)
