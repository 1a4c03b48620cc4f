"""Bearer-token authentication for editors (tokens stored hashed in the catalog store).

A token is either made by the CLI (``afterclasses token create``; no expiry) or by an editor
signing in (``POST /v1/auth/sessions``; expires after ``editor_session_hours``).
"""
from __future__ import annotations

import functools

from flask import current_app, g, request

from afterclasses.web import ApiError
from afterclasses_ingest.domain.handlers import utcnow

EDITOR = "editor"


def authenticate() -> set[str]:
    """The roles of the request's bearer token; sets ``g.principal`` (its name) and ``g.token``.

    :raise Unauthorized: no token, or an unknown, revoked or expired one.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Send 'Authorization: Bearer <token>'.")
    store = current_app.extensions["afterclasses"].store
    with store.reading() as tx:
        found = tx.token_roles(token, utcnow())
    if found is None:
        raise Unauthorized("Unknown, revoked or expired token.")
    g.principal, g.token = found[0], token
    return found[1]


def require_role(role: str):
    """401 without a known, unexpired bearer token, 403 when the token lacks ``role``."""

    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            if role not in authenticate():
                raise ApiError(403, "forbidden", f"This token lacks the {role!r} role.")
            return view(*args, **kwargs)

        return inner

    return wrap


def require_token(view):
    """401 without a known, unexpired bearer token; any role will do."""

    @functools.wraps(view)
    def inner(*args, **kwargs):
        authenticate()
        return view(*args, **kwargs)

    return inner


class Unauthorized(ApiError):
    def __init__(self, message: str):
        super().__init__(401, "unauthorized", message)
