"""Bearer-token authentication for editors (tokens stored hashed in the catalog store)."""
from __future__ import annotations

import functools

from flask import current_app, g, request

from afterclasses.web import ApiError

EDITOR = "editor"


def require_role(role: str):
    """401 without a known bearer token, 403 when the token lacks ``role``."""

    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("Send 'Authorization: Bearer <token>'.")
            store = current_app.extensions["afterclasses"].store
            with store.reading() as tx:
                found = tx.token_roles(token.strip())
            if found is None:
                raise Unauthorized("Unknown or revoked token.")
            name, roles = found
            if role not in roles:
                raise ApiError(403, "forbidden", f"This token lacks the {role!r} role.")
            g.principal = name
            return view(*args, **kwargs)

        return inner

    return wrap


class Unauthorized(ApiError):
    def __init__(self, message: str):
        super().__init__(401, "unauthorized", message)
