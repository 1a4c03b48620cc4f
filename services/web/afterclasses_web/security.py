"""What keeps the site safe: CSRF on every form, rate limits on citizens' forms and sign-in,
security headers with a strict Content-Security-Policy, safe redirects, and only the site's own
host names (``TRUSTED_HOSTS``: absolute links are built from the request's Host).

Forms are Flask-WTF forms, so a missing or expired CSRF token is a validation error of the form
itself: the page comes back with everything the user typed and says why (a global CSRF guard
would refuse the request before the view and lose the input).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from flask_babel import gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import SecurityError

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
csrf = CSRFProtect()


def init_security(app: Flask, settings) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = settings.rate_limit_storage
    # csrf_token() in templates; protection is per form (see the module's docstring)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    limiter.init_app(app)
    tiles = urlsplit(settings.tile_url.replace("{s}", "a"))
    tile_origin = f"{tiles.scheme}://{tiles.netloc}" if tiles.netloc else ""
    tile_hosts = tile_origin.replace("://a.", "://*.") if "{s}" in settings.tile_url else tile_origin
    policy = "; ".join([
        "default-src 'self'",
        f"img-src 'self' data: {tile_hosts}".strip(),
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ])

    @app.errorhandler(SecurityError)
    def _untrusted_host(exc):
        # a Host not among TRUSTED_HOSTS: no URL can be built for it, so not the site's error page
        message = gettext("This site does not answer to that address.")
        return message, 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("Content-Security-Policy", policy)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        # other sites get our origin only, never a path (a search's place and child's age stay
        # here); tile servers such as OpenStreetMap's refuse browsers that send no Referer at all
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        return resp


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirects:
    ``//evil.example``, ``https://evil.example``, ``/\\evil.example`` and ``javascript:`` all fall back)."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(c in target for c in "\\\r\n\t"):
        return default
    return target
