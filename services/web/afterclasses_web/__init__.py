"""The web front: server-rendered pages over the search and ingest APIs (works without JavaScript)."""
from __future__ import annotations

import functools

from flask import Flask, current_app

from afterclasses_web.clients import IngestClient, SearchClient
from afterclasses_web.settings import WebSettings

MAX_FORM_BYTES = 2 * 1024 * 1024


def create_app(settings: WebSettings | None = None, search: SearchClient | None = None,
               ingest: IngestClient | None = None) -> Flask:
    settings = settings or WebSettings.from_env()
    app = Flask(__name__)
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)
    app.config.update(
        SECRET_KEY=settings.secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.env != "development",
        WTF_CSRF_TIME_LIMIT=2 * 3600,
        # anything a person pastes into a form (a text of 10,000 characters of Cyrillic is ~60 KB
        # url-encoded, 150,000 ~900 KB) reaches ingest, whose field errors come back beside the
        # kept input; only beyond this is it the 413 page
        MAX_CONTENT_LENGTH=MAX_FORM_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_FORM_BYTES,  # the same for a multipart form's text fields
        TRUSTED_HOSTS=settings.trusted_hosts(),
    )
    app.extensions["afterclasses_web"] = Web(
        settings,
        search or SearchClient(settings.search_url, settings.service_timeout),
        ingest or IngestClient(settings.ingest_url, settings.service_timeout),
    )

    from afterclasses_web import pages, security
    from afterclasses_web.i18n import init_i18n
    from afterclasses_web.views import catalog, desk, submit, suggest
    from afterclasses_web.views import search as search_views

    init_i18n(app)
    security.init_security(app, settings)
    pages.init_pages(app)
    for module in (search_views, catalog, suggest, submit, desk):
        app.register_blueprint(module.bp)
    return app


class Web:
    """What every view needs: the settings, the API clients, the gazetteer."""

    def __init__(self, settings: WebSettings, search: SearchClient, ingest: IngestClient):
        self.settings, self.search, self.ingest = settings, search, ingest

    @functools.cached_property
    def places(self):
        from afterclasses.places import load_places

        return load_places(self.settings.datasets_dir)


def web() -> Web:
    """The app's :class:`Web` (inside a request or app context)."""
    return current_app.extensions["afterclasses_web"]
