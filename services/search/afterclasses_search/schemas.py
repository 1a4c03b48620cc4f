"""The search API's query parameters, validated once at the edge."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from afterclasses.contracts.schemas import StrictSchema
from afterclasses.ports.search import AGE_BANDS, SORTS, WEEKDAYS, SearchQuery

LIST_PARAMS = {"category": "categories", "day": "days", "district": "districts", "age_band": "age_bands",
               "provider": "providers", "exclude": "exclude"}
MAX_IDS = 100  # provider or exclude values in one query: a page's worth, not a catalog


class SearchParamsSchema(StrictSchema):
    q = fields.String(load_default="", validate=validate.Length(max=500))
    lat = fields.Float(load_default=None, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(load_default=None, validate=validate.Range(min=-180, max=180))
    radius_km = fields.Float(load_default=None, validate=validate.Range(min=0, max=1000, min_inclusive=False))
    sort = fields.String(load_default="best", validate=validate.OneOf(SORTS))
    age = fields.Float(load_default=None, validate=validate.Range(min=0, max=120))
    category = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list)
    free = fields.Boolean(load_default=None)
    day = fields.List(fields.String(validate=validate.OneOf(WEEKDAYS)), load_default=list)
    district = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list)
    age_band = fields.List(fields.String(validate=validate.OneOf([b[0] for b in AGE_BANDS])), load_default=list)
    provider = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                           validate=validate.Length(max=MAX_IDS))
    exclude = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                          validate=validate.Length(max=MAX_IDS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    lang = fields.String(load_default="en", validate=validate.OneOf(["en", "ru"]))

    @validates_schema
    def _point(self, data, **kwargs):
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError("Give both lat and lon.", "lon" if data.get("lat") is not None else "lat")
        if data.get("radius_km") is not None and data.get("lat") is None:
            raise ValidationError("A radius needs lat and lon.", "radius_km")


def parse_search_args(args) -> SearchQuery:
    """Werkzeug ``MultiDict`` of query parameters → :class:`SearchQuery`.

    :raise ValidationError: field-level messages (422).
    """
    raw = {k: (args.getlist(k) if k in LIST_PARAMS else args.get(k)) for k in args.keys()}
    data = SearchParamsSchema().load(raw)
    for param, attr in LIST_PARAMS.items():
        data[attr] = tuple(dict.fromkeys(data.pop(param)))
    data["language"] = data.pop("lang")
    return SearchQuery(**data)


def result_json(query: SearchQuery, result) -> dict:
    return {
        "total": result.total,
        "page": query.page,
        "per_page": query.per_page,
        "results": [{**h.doc, "distance_km": h.distance_km, "score": h.score} for h in result.hits],
        "facets": {
            name: [{"value": f.value, "label": f.label, "count": f.count, "selected": f.selected,
                    **({"depth": f.depth} if name == "category" else {})} for f in values]
            for name, values in result.facets.items()
        },
    }


class VenueParamsSchema(StrictSchema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=100))
    limit = fields.Integer(load_default=8, validate=validate.Range(min=1, max=20))


def parse_venue_args(args) -> tuple[str, int]:
    """Query parameters of ``/v1/venues`` → (prefix, limit).

    :raise ValidationError: field-level messages (422).
    """
    data = VenueParamsSchema().load({k: args.get(k) for k in args.keys()})
    return data["q"], data["limit"]


def venues_json(venues: list[dict]) -> dict:
    return {"venues": [{k: v.get(k) for k in ("name", "address", "district", "city", "lat", "lon")} for v in venues]}


__all__ = ["parse_search_args", "parse_venue_args", "result_json", "venues_json", "ValidationError"]
