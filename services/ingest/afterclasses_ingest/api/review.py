"""The editors' review API: queue, one submission with its diff, approve, reject, history."""
from __future__ import annotations

from flask import Blueprint, current_app, g, request

from afterclasses_ingest import schemas
from afterclasses_ingest.api.auth import EDITOR, require_role
from afterclasses_ingest.api.routes import json_body
from afterclasses_ingest.domain import handlers

bp = Blueprint("review", __name__, url_prefix="/v1")


def _store():
    return current_app.extensions["afterclasses"].store


def _body() -> dict:
    return json_body() or {}


@bp.get("/review/queue")
@require_role(EDITOR)
def queue():
    args = schemas.QueueSchema().load(request.args.to_dict())
    return handlers.review_queue(_store(), args["page"], args["per_page"], args["kind"])


@bp.get("/review/<submission_id>")
@require_role(EDITOR)
def detail(submission_id: str):
    return handlers.review_detail(_store(), submission_id)


@bp.post("/review/<submission_id>/approve")
@require_role(EDITOR)
def approve(submission_id: str):
    data = schemas.DecisionSchema().load(_body())
    return handlers.approve(_store(), submission_id, g.principal, data["note"], force=data["force"],
                            verified=data["verified"], withdraw=data["withdraw"])


@bp.post("/review/<submission_id>/reject")
@require_role(EDITOR)
def reject(submission_id: str):
    data = schemas.RejectionSchema().load(_body())
    return handlers.reject(_store(), submission_id, g.principal, data["note"])


@bp.get("/catalog/activities/<activity_id>/history")
@require_role(EDITOR)
def history(activity_id: str):
    handlers.get_activity(_store(), activity_id)  # 404 for an unknown activity
    return {"activity_id": activity_id, "changes": handlers.history(_store(), "activity", activity_id)}
