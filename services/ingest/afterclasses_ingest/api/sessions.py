"""Editors signing in and out: a session is a short-lived bearer token for the review API."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, g

from afterclasses_ingest import accounts, schemas
from afterclasses_ingest.api.auth import Unauthorized, require_token
from afterclasses_ingest.api.routes import json_body

bp = Blueprint("auth", __name__, url_prefix="/v1/auth")

# one message for an unknown name, a disabled account and a wrong password: no user enumeration
WRONG = "Wrong username or password."


@bp.post("/sessions")
def create_session():
    data = schemas.SignInSchema().load(json_body() or {})
    ingest = current_app.extensions["afterclasses"]
    lifetime = dt.timedelta(hours=ingest.settings.editor_session_hours)
    session = accounts.sign_in(ingest.store, data["username"], data["password"], lifetime)
    if session is None:
        raise Unauthorized(WRONG)
    return session, 201


@bp.delete("/sessions/current")
@require_token
def delete_session():
    """Sign out: revoke the presented token."""
    accounts.sign_out(current_app.extensions["afterclasses"].store, g.token)
    return "", 204
