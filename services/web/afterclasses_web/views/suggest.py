"""Suggestions for the search boxes (JSON for the page's script; the form works without them)."""
from __future__ import annotations

from flask import Blueprint, request

from afterclasses import taxonomy
from afterclasses.cleaning import clean_text
from afterclasses.places import fold
from afterclasses_web import web
from afterclasses_web.clients import ServiceDown
from afterclasses_web.i18n import current_lang

bp = Blueprint("suggest", __name__, url_prefix="/suggest")
LIMIT = 8


@bp.get("/where")
def where():
    text = clean_text(request.args.get("q", ""))[:100]
    found = [{"value": p.name, "detail": p.detail, "lat": p.lat, "lon": p.lon}
             for p in web().places.suggest(text, LIMIT)]
    if len(found) < LIMIT and len(fold(text)) >= 2:
        try:
            known = venues(text, LIMIT - len(found))
        except ServiceDown:  # suggestions are a nicety: never fail the box because of them
            known = []
        found += [{"value": v["name"] or v["address"], "detail": v.get("address") or v.get("district") or "",
                   "lat": v["lat"], "lon": v["lon"]} for v in known]
    return {"suggestions": found}, 200, {"Cache-Control": "public, max-age=300"}


def venues(text: str, limit: int) -> list[dict]:
    """The catalog's own venues whose name or address starts like ``text`` (from the search API).

    :raise ServiceDown: search is not answering (a results page then says so at once, rather than
        wait for the search call to time out a second time).
    """
    reply = web().search.venues(text, limit)
    return [v for v in reply.body.get("venues", []) if v.get("lat") is not None] if reply.ok else []


@bp.get("/what")
def what():
    key = fold(request.args.get("q", "")[:100])
    lang = current_lang()
    if not key:
        return {"suggestions": []}
    found = []
    for slug, category in taxonomy.categories().items():
        # any language's label: half the catalog is Russian, whatever the page's language
        labels = [fold(category.label(code)) for code in taxonomy.LANGUAGES]
        if any(w.startswith(key) for label in labels for w in label.split()) or any(
                label.startswith(key) for label in labels):
            found.append({"value": category.label(lang), "category": slug})
    found.sort(key=lambda f: (not fold(f["value"]).startswith(key), len(f["value"])))
    # labels in the page's language (Accept-Language, or the switch kept in the session cookie)
    return {"suggestions": found[:LIMIT]}, 200, {"Cache-Control": "public, max-age=300", "Vary": "Accept-Language"}
