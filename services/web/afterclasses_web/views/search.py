"""The finder: the home page and the results page (list, facets, map), all state in the URL."""
from __future__ import annotations

import dataclasses
import json
import math

from flask import Blueprint, render_template, request
from flask_babel import gettext, lazy_gettext

from afterclasses import taxonomy
from afterclasses.cleaning import clean_text
from afterclasses.ports.search import AGE_BANDS, WEEKDAYS
from afterclasses_web import web
from afterclasses_web.clients import ServiceDown
from afterclasses_web.forms.bodies import decimal_point
from afterclasses_web.forms.errors import api_message
from afterclasses_web.i18n import current_lang
from afterclasses_web.views.suggest import venues

bp = Blueprint("search", __name__)

RADII = (1, 2, 5, 10, 25, 50)  # km choices of the "within" select; 0 means any distance
DEFAULT_RADIUS = 10
PER_PAGE = 20
MAX_PAGE = 500  # deeper pages are refused by no one but useful to no one: refine the search instead
POPULAR = 10  # category chips on the home page
SORTS = {"best": lazy_gettext("Best match"), "distance": lazy_gettext("Nearest"), "newest": lazy_gettext("Newest")}
FACET_PARAMS = ("category", "day", "district", "age_band")
AGE_BAND_NAMES = {band[0] for band in AGE_BANDS}



def _float(name: str, lo: float, hi: float) -> float | None:
    try:
        value = float(request.args.get(name, ""))
    except ValueError:
        return None
    return value if lo <= value <= hi else None


@dataclasses.dataclass
class Where:
    """Where the parent searches from: a named place, their location, or a map area."""

    text: str = ""
    lat: float | None = None
    lon: float | None = None
    label: str = ""
    unknown: bool = False  # text given but no such place

    @property
    def has_point(self) -> bool:
        return self.lat is not None


def where_from_request() -> Where:
    # a typed place wins over a point, so typing a new place after "use my location" works without JS
    text = clean_text(request.args.get("where", "")).strip()[:200]
    lat, lon = _float("lat", -90, 90), _float("lon", -180, 180)
    if not text:
        if lat is not None and lon is not None:
            return Where("", lat, lon, label=gettext("the chosen point"))
        return Where()
    place = web().places.resolve(text)
    if place is None:
        known = venues(text[:100], 1)
        if not known:
            return Where(text, unknown=True)
        venue = known[0]
        return Where(text, venue["lat"], venue["lon"], label=venue["name"] or venue["address"] or text)
    detail = f" ({place.detail})" if place.detail else ""
    label = gettext("ZIP %(zip)s", zip=place.name) if place.kind == "zip" else place.name
    return Where(text, place.lat, place.lon, label=label + detail)


@dataclasses.dataclass
class Criteria:
    """The search as the page's controls show it (parsed leniently: a bad value is ignored, but
    the age is sent as typed, for the search API to judge: see :func:`results`)."""

    q: str
    where: Where
    radius_km: float
    age: str  # as typed, so a resubmit keeps 7.5 (never rounded)
    sort: str
    page: int
    free: bool | None
    facets: dict[str, list[str]]

    @property
    def age_years(self) -> float | int | None:
        """The age as a number, for "8 years" (None when none was given or it is no number)."""
        try:
            value = float(self.age)
        except ValueError:
            return None
        return (int(value) if value.is_integer() else value) if math.isfinite(value) else None

    @property
    def radius_chosen(self) -> bool:
        """Whether the parent chose a distance other than the default (the form keeps it)."""
        return self.where.has_point and self.radius_km != DEFAULT_RADIUS

    def narrowed(self, category_page: str | None = None) -> bool:
        """Whether a facet or the price narrows the search (beyond what, where and age, and the
        category of a category's page)."""
        chosen = [v for name, values in self.facets.items() for v in values
                  if not (name == "category" and v == category_page)]
        return self.free is not None or bool(chosen)

    def unfiltered(self, category_page: str | None = None) -> Criteria:
        """The same search without facets or price (a category page keeps its category); a copy,
        so the form still shows what the parent chose."""
        return dataclasses.replace(self, page=1, free=None, facets={
            name: [category_page] if name == "category" and category_page else [] for name in self.facets})

    def api_params(self, lang: str, per_page: int = PER_PAGE) -> list[tuple[str, str]]:
        params = [("q", self.q), ("sort", self.sort), ("page", str(self.page)),
                  ("per_page", str(per_page)), ("lang", lang)]
        if self.where.has_point:
            params += [("lat", str(self.where.lat)), ("lon", str(self.where.lon))]
            if self.radius_km:
                params.append(("radius_km", str(self.radius_km)))
        if self.age:
            params.append(("age", self.age))
        if self.free is not None:
            params.append(("free", "true" if self.free else "false"))
        params += [(name, value) for name, values in self.facets.items() for value in values]
        return params


def criteria_from_request() -> Criteria:
    where = where_from_request()
    radius = _float("radius_km", 0, 1000)
    sort = request.args.get("sort", "best")
    try:
        page = max(1, min(MAX_PAGE, int(request.args.get("page", "1"))))
    except ValueError:
        page = 1
    free = {"true": True, "false": False}.get(request.args.get("free", ""))
    facets = {name: [clean_text(v)[:200] for v in request.args.getlist(name) if clean_text(v).strip()][:20]
              for name in FACET_PARAMS}
    # values the API would refuse (an edited URL) are dropped, not turned into an error page
    facets["day"] = [d for d in facets["day"] if d in WEEKDAYS]
    facets["age_band"] = [b for b in facets["age_band"] if b in AGE_BAND_NAMES]
    return Criteria(
        q=clean_text(request.args.get("q", "")).strip()[:300],
        where=where,
        radius_km=DEFAULT_RADIUS if radius is None else radius,
        age=decimal_point(clean_text(request.args.get("age", "")).strip()[:20]),  # 7,5 typed in Russian
        sort=sort if sort in SORTS else "best",
        page=page,
        free=free,
        facets=facets,
    )


@bp.get("/")
def home():
    return render_template("home.html", popular=_popular_categories())



@bp.get("/search")
def results(category_page: str | None = None):
    """The results page; also a category's page (``category_page``: that category preselected)."""
    criteria = criteria_from_request()
    if category_page:
        criteria.facets["category"].insert(0, category_page)
    criteria.facets["category"] = taxonomy.narrowest(criteria.facets["category"])
    if criteria.sort == "distance" and not criteria.where.has_point:
        criteria.sort = "best"
    lang = current_lang()
    reply = web().search.search(criteria.api_params(lang))
    age_refused = None
    if not reply.ok and "age" in reply.field_errors:
        # an age the API does not take (a typo, an edited URL): the results for any age, and why
        # in the API's terms (its range), rather than no results at all
        age_refused = {"typed": criteria.age, "why": " ".join(_messages(reply.field_errors["age"]))}
        criteria = dataclasses.replace(criteria, age="")
        reply = web().search.search(criteria.api_params(lang))
    if not reply.ok:  # a value the API refuses (422): say which, show the form again
        errors = {field: _messages(texts) for field, texts in reply.field_errors.items()}
        return _results_page(criteria, None, category_page, errors=errors, age_refused=age_refused), 400
    result = reply.body
    narrowed = criteria.narrowed(category_page)
    without_filters = 0
    if not result["total"] and narrowed:
        # a filter kept from an earlier search (or a day: most entries publish no schedule yet)
        # hides everything: say how many match without the filters, and offer them
        without_filters = web().search.search(criteria.unfiltered(category_page).api_params(lang, per_page=1)) \
            .body.get("total", 0)
    pages = max(1, min(MAX_PAGE, -(-result["total"] // PER_PAGE)))
    points = [{"id": r["id"], "title": r["title"], "lat": r["venue"]["lat"], "lon": r["venue"]["lon"],
               "approximate": bool(r["venue"].get("approximate"))}
              for r in result["results"] if (r.get("venue") or {}).get("lat") is not None]
    return _results_page(criteria, result, category_page, pages=pages, without_filters=without_filters,
                         narrowed=narrowed, age_refused=age_refused, points=json.dumps(points, ensure_ascii=False))


def _messages(texts) -> list[str]:
    """A field's messages from the API, worded for people in the page's language."""
    return [api_message(t) for t in (texts if isinstance(texts, list) else [texts])]


def _results_page(criteria: Criteria, result: dict | None, category_page: str | None, **extra) -> str:
    return render_template("results.html", c=criteria, result=result, category_page=category_page,
                           radii=RADII, sorts=SORTS, per_page=PER_PAGE,
                           **{"errors": {}, "points": "[]", "narrowed": False, "age_refused": None, **extra})


def _popular_categories() -> list[dict]:
    """The subcategories with the most activities (the home page's chips): never a chip that
    leads to nothing. Empty when search is down: the home page works without them."""
    try:
        reply = web().search.search([("per_page", "1"), ("lang", current_lang())])
    except ServiceDown:
        return []
    values = reply.body.get("facets", {}).get("category", []) if reply.ok else []
    ranked = sorted((f for f in values if f.get("depth", 0) >= 1 and f["count"]), key=lambda f: -f["count"])
    return ranked[:POPULAR]
