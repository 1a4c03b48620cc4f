"""The read API: search with facets, one activity, and venue suggestions."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from afterclasses.web import ApiError
from afterclasses_search.schemas import parse_search_args, parse_venue_args, result_json, venues_json

bp = Blueprint("search", __name__, url_prefix="/v1")


def _index():
    return current_app.extensions["afterclasses"].index


@bp.get("/search")
def search():
    query = parse_search_args(request.args)
    return result_json(query, _index().search(query))


@bp.get("/activities/<activity_id>")
def activity(activity_id: str):
    doc = _index().get(activity_id)
    if doc is None:
        raise ApiError(404, "not_found", f"No published activity {activity_id}.")
    return doc


@bp.get("/venues")
def venues():
    prefix, limit = parse_venue_args(request.args)
    return venues_json(_index().venues(prefix, limit))
