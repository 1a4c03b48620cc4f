"""Browsing the catalog: an activity's page, a provider's page, the category pages."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for

from afterclasses import taxonomy
from afterclasses_web import web
from afterclasses_web.clients import is_id
from afterclasses_web.i18n import current_lang
from afterclasses_web.pages import web_link
from afterclasses_web.views.search import results

bp = Blueprint("catalog", __name__)
SIMILAR_RADIUS_KM = 5
PROVIDER_PER_PAGE, MAX_PROVIDER_PAGE = 50, 200



def _search(**params) -> dict:
    args = [("lang", current_lang())]
    for key, value in params.items():
        args += [(key, str(v)) for v in value] if isinstance(value, list | tuple) else [(key, str(value))]
    reply = web().search.search(args)
    return reply.body if reply.ok else {"total": 0, "results": [], "facets": {}}


@bp.get("/activities/<activity_id>")
def activity(activity_id: str):
    if not is_id(activity_id):
        abort(404)
    reply = web().search.activity(activity_id)
    if not reply.ok:  # 404, or an id the API refuses to look up
        abort(404)
    doc = reply.body
    provider = doc.get("provider") or {}
    others = _search(provider=provider["id"], exclude=activity_id, per_page=6) if provider.get("id") else None
    venue = doc.get("venue") or {}
    similar = None
    if venue.get("lat") is not None:
        similar = _search(category=doc["category"], lat=venue["lat"], lon=venue["lon"], radius_km=SIMILAR_RADIUS_KM,
                          exclude=activity_id, per_page=6, sort="distance")
    return render_template("activity.html", a=doc, others=others, similar=similar, ld=json_ld(doc))


@bp.get("/providers/<provider_id>")
def provider(provider_id: str):
    if not is_id(provider_id):
        abort(404)
    page = max(1, min(MAX_PROVIDER_PAGE, request.args.get("page", 1, type=int) or 1))
    found = _search(provider=provider_id, per_page=PROVIDER_PER_PAGE, page=page)
    if found["results"]:
        provider = found["results"][0]["provider"]
    else:  # no activity listed yet (a provider just approved), or a page past the end
        reply = web().ingest.provider(provider_id)
        if not reply.ok:
            abort(404)
        provider = reply.body
    return render_template("provider.html", p=provider, found=found, page=page,
                           per_page=PROVIDER_PER_PAGE, max_page=MAX_PROVIDER_PAGE)


@bp.get("/categories/")
def categories():
    counts = {f["value"]: f["count"] for f in _search(per_page=1)["facets"].get("category", [])}
    tree = [c for c in taxonomy.categories().values() if c.depth <= 1]
    return render_template("categories.html", tree=tree, counts=counts)


@bp.get("/categories/<slug>")
def category(slug: str):
    if not taxonomy.is_known(slug):
        abort(404)
    return results(category_page=slug)


def json_ld(doc: dict) -> dict:
    """schema.org description of an activity (a Course with its weekly schedule and place)."""
    venue, provider, price = doc.get("venue") or {}, doc.get("provider") or {}, doc.get("price") or {}
    days = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
            "sat": "Saturday", "sun": "Sunday"}
    place = {"@type": "Place", "name": venue.get("name"), "address": venue.get("address")}
    if venue.get("lat") is not None:
        place["geo"] = {"@type": "GeoCoordinates", "latitude": venue["lat"], "longitude": venue["lon"]}
    ld = {
        "@context": "https://schema.org",
        "@type": "Course",
        "name": doc["title"],
        "description": doc.get("description") or doc["title"],
        "url": url_for("catalog.activity", activity_id=doc["id"], _external=True),
        "hasCourseInstance": {
            "@type": "CourseInstance",
            "courseMode": "onsite",
            "location": {k: v for k, v in place.items() if v is not None},
            "courseSchedule": [{"@type": "Schedule", "byDay": f"https://schema.org/{days[s['weekday']]}",
                                "startTime": s["start"], "endTime": s["end"], "repeatFrequency": "P1W"}
                               for s in doc.get("sessions") or []],
        },
    }
    contact = doc.get("contact") or {}
    if provider or contact:
        # the activity's own contact first: a site's phone, not its organisation's head office
        ld["provider"] = {k: v for k, v in {
            "@type": "Organization", "name": provider.get("name"),
            "telephone": contact.get("phone") or provider.get("phone"),
            "email": contact.get("email") or provider.get("email"),
            "url": web_link(contact.get("website")) or web_link(provider.get("website"))}.items() if v}
    if doc.get("age_min") is not None or doc.get("age_max") is not None:
        ld["audience"] = {k: v for k, v in {"@type": "PeopleAudience", "suggestedMinAge": doc.get("age_min"),
                                            "suggestedMaxAge": doc.get("age_max")}.items() if v is not None}
    if price:
        ld["offers"] = {"@type": "Offer", "price": 0 if price.get("free") else price.get("amount"),
                        "priceCurrency": price.get("currency")}
        ld["offers"] = {k: v for k, v in ld["offers"].items() if v is not None}
    return ld
