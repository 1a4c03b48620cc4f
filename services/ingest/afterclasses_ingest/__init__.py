"""The ingest service: submissions, editors' review, the canonical catalog and its outbox."""
from __future__ import annotations

from flask import Flask

from afterclasses.web import health_blueprint, register_error_handlers
from afterclasses_ingest.adapters.store import StoreUnavailable
from afterclasses_ingest.bootstrap import Ingest, bootstrap
from afterclasses_ingest.domain.model import DomainError
from afterclasses_ingest.settings import IngestSettings

MAX_BODY_BYTES = 4 * 1024 * 1024  # above the web's 2 MB forms, whatever their JSON weighs


def create_app(settings: IngestSettings | None = None, ingest: Ingest | None = None) -> Flask:
    app = Flask(__name__)
    # a submission is a few kilobytes, a busy one with every field at its limit some 200 KB; a
    # body far beyond is refused (413) before it costs a worker seconds of parsing
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    ingest = ingest or bootstrap(settings)
    app.extensions["afterclasses"] = ingest
    register_error_handlers(app, unavailable=(StoreUnavailable,))

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        from afterclasses.web import error_response

        kind = {404: "not_found", 409: "conflict"}.get(exc.status, "invalid")
        return error_response(exc.status, kind, exc.message, exc.details)

    from afterclasses.openapi import openapi_blueprint
    from afterclasses_ingest.api import openapi, review, routes, sessions

    app.register_blueprint(routes.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(sessions.bp)
    app.register_blueprint(openapi_blueprint("Afterclasses ingest API", openapi.DESCRIPTION, openapi.build,
                                             bearer=True))
    app.register_blueprint(health_blueprint(lambda: {"database": ingest.store.ping}))
    return app
