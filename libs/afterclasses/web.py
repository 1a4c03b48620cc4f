"""Pieces every service's Flask app shares: the JSON error shape and health endpoints.

Every error body is ``{"error": <code>, "message": <text>, "details": <object|null>}``.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping

from flask import Blueprint, Flask, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# ingest's Idempotency-Key (its API, and the keys the web's forms make): use with fullmatch
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


class ApiError(Exception):
    """An error a view raises to answer with ``status`` and the standard body."""

    def __init__(self, status: int, error: str, message: str, details=None):
        super().__init__(message)
        self.status, self.error, self.message, self.details = status, error, message, details


class Unavailable(ApiError):
    """A dependency is down: 503 with the reason."""

    def __init__(self, message: str, details=None):
        super().__init__(503, "unavailable", message, details)


def error_response(status: int, error: str, message: str, details=None):
    resp = jsonify({"error": error, "message": message, "details": details})
    resp.status_code = status
    return resp


def register_error_handlers(app: Flask, unavailable: tuple[type[Exception], ...] = ()) -> None:
    """Map validation errors to 422, ``ApiError`` to its status, ``unavailable`` port errors to 503,
    and every other HTTP error to the same JSON shape."""

    @app.errorhandler(ValidationError)
    def _invalid(exc: ValidationError):
        return error_response(422, "invalid", "The request has invalid fields.", exc.messages)

    @app.errorhandler(ApiError)
    def _api(exc: ApiError):
        return error_response(exc.status, exc.error, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        name = (exc.name or "error").lower().replace(" ", "_")
        resp = error_response(exc.code or 500, name, exc.description or exc.name)
        resp.headers.update(error_headers(exc))
        return resp

    for kind in unavailable:
        app.register_error_handler(
            kind, lambda exc: error_response(503, "unavailable", f"A dependency is down: {exc}")
        )

    @app.errorhandler(Exception)
    def _crash(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal", "Something went wrong on our side.")


def error_headers(exc: HTTPException) -> dict[str, str]:
    """The headers an HTTP error must keep on any body: a 405's Allow (RFC 9110), a 429's Retry-After."""
    return {key: value for key, value in exc.get_headers() if key.lower() != "content-type"}


def health_blueprint(checks: Callable[[], Mapping[str, Callable[[], None]]], optional: frozenset[str] = frozenset()
                     ) -> Blueprint:
    """``/healthz`` (the process answers) and ``/readyz`` (each named dependency answers).

    ``checks`` returns ``{name: probe}``; a probe raises when its dependency is down. A dependency
    named in ``optional`` is reported but does not make the service unready (part of it still serves).
    """
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @bp.get("/readyz")
    def readyz():
        report, ok = {}, True
        for name, probe in checks().items():
            try:
                probe()
                report[name] = {"up": True}
            except Exception as exc:  # any failure means "not ready"; say why
                ok = ok and name in optional
                report[name] = {"up": False, "reason": str(exc) or type(exc).__name__,
                                **({"optional": True} if name in optional else {})}
        body = {"status": "ready" if ok else "unavailable", "dependencies": report}
        return body, (200 if ok else 503)

    return bp
