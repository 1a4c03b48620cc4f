"""The search service: a projection of the catalog that answers parents' queries."""
from __future__ import annotations

from flask import Flask

from afterclasses.ports.search import SearchUnavailable
from afterclasses.web import health_blueprint, register_error_handlers
from afterclasses_search.bootstrap import Search, bootstrap
from afterclasses_search.settings import SearchSettings


def create_app(settings: SearchSettings | None = None, search: Search | None = None) -> Flask:
    app = Flask(__name__)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    search = search or bootstrap(settings, reader=True)
    app.extensions["afterclasses"] = search
    register_error_handlers(app, unavailable=(SearchUnavailable,))

    from afterclasses.openapi import openapi_blueprint
    from afterclasses_search.api import openapi, routes

    app.register_blueprint(routes.bp)
    app.register_blueprint(openapi_blueprint("Afterclasses search API", openapi.DESCRIPTION, openapi.build))
    app.register_blueprint(health_blueprint(lambda: {"index": search.index.ping}))
    return app
