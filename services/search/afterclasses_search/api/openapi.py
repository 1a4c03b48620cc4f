"""The search API's OpenAPI document (served at /v1/openapi.json)."""
from __future__ import annotations

from apispec import APISpec

from afterclasses.contracts.schemas import ActivityDocSchema
from afterclasses.openapi import BAD_INPUT, DOWN, error, ok
from afterclasses_search.schemas import SearchParamsSchema, VenueParamsSchema

DESCRIPTION = ("Parents' queries over the published catalog: text, place, age, days and facets. "
               "List parameters (category, day, district, age_band, provider, exclude) repeat.")


def build(spec: APISpec) -> None:
    spec.components.schema("Activity", schema=ActivityDocSchema)
    hit = {"allOf": [{"$ref": "#/components/schemas/Activity"}, {"type": "object", "properties": {
        "distance_km": {"type": "number", "nullable": True}, "score": {"type": "number"}}}]}
    facet = {"type": "object", "properties": {
        "value": {"type": "string"}, "label": {"type": "string", "nullable": True}, "count": {"type": "integer"},
        "selected": {"type": "boolean"}, "depth": {"type": "integer", "description": "category tree depth"}}}
    result = {"type": "object", "properties": {
        "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
        "results": {"type": "array", "items": hit},
        "facets": {"type": "object", "additionalProperties": {"type": "array", "items": facet}}}}
    venue = {"type": "object", "properties": {k: {"type": "string", "nullable": True}
                                              for k in ("name", "address", "district", "city")}}
    venue["properties"].update(lat={"type": "number"}, lon={"type": "number"})
    spec.path("/v1/search", operations={"get": {
        "summary": "Best matches with facet counts",
        "parameters": [{"in": "query", "schema": SearchParamsSchema}],
        "responses": {"200": ok("one page of results, in one total order", result), **BAD_INPUT, **DOWN}}})
    spec.path("/v1/activities/{activity_id}", operations={"get": {
        "summary": "One published activity",
        "parameters": [{"in": "path", "name": "activity_id", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": ok("the activity", {"$ref": "#/components/schemas/Activity"}),
                      "404": error("no published activity with that id"), **DOWN}}})
    spec.path("/v1/venues", operations={"get": {
        "summary": "Venues of published activities whose name or address has a word starting with q",
        "parameters": [{"in": "query", "schema": VenueParamsSchema}],
        "responses": {"200": ok("best first", {"type": "object", "properties": {
            "venues": {"type": "array", "items": venue}}}), **BAD_INPUT, **DOWN}}})
