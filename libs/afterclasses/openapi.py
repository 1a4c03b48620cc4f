"""Each service's OpenAPI document at ``GET /v1/openapi.json``, built with apispec from the same
marshmallow schemas that validate requests — so the document cannot drift from what the API
accepts. A service lists its operations once (its ``api/openapi.py``); a test checks every /v1
route is documented."""
from __future__ import annotations

import functools
from collections.abc import Callable

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint
from marshmallow import validate

OPENAPI_VERSION = "3.0.3"
ERROR = {"type": "object", "required": ["error", "message"], "properties": {
    "error": {"type": "string", "description": "a short code, e.g. invalid, not_found, unavailable"},
    "message": {"type": "string"},
    "details": {"description": "field-level messages for 422 (nested like the body), else null",
                "nullable": True}}}


def error(description: str) -> dict:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def json_body(schema, description: str = "") -> dict:
    return {"required": True, "description": description, "content": {"application/json": {"schema": schema}}}


def ok(description: str, schema=None) -> dict:
    response = {"description": description}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    return response


BAD_INPUT = {"422": error("invalid fields: `details` names each one"), "400": error("not JSON, or not UTF-8")}
EDITOR = {"401": error("no known, unexpired bearer token"), "403": error("the token lacks the editor role")}
DOWN = {"503": error("a dependency is down (the message says which)")}


def schema_name(schema) -> str:
    """A component's name: the class without "Schema"; a partial one (a correction's changes,
    every field optional) gets its own."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    return name + "Changes" if getattr(schema, "partial", False) else name


def exclusive_bounds(converter, field, **kwargs) -> dict:
    """apispec writes a Range's bounds as inclusive; an exclusive one (``radius_km > 0``) must say so
    (OpenAPI 3.0's boolean form), or clients would send the bound itself."""
    out = {}
    for validator in field.validators:
        if isinstance(validator, validate.Range):
            if validator.min is not None and not validator.min_inclusive:
                out["exclusiveMinimum"] = True
            if validator.max is not None and not validator.max_inclusive:
                out["exclusiveMaximum"] = True
    return out


def openapi_blueprint(title: str, description: str, build: Callable[[APISpec], None],
                      bearer: bool = False) -> Blueprint:
    """``GET /v1/openapi.json``: the document ``build`` fills (paths and their schemas)."""
    bp = Blueprint("openapi", __name__)

    @functools.cache
    def document() -> dict:
        plugin = MarshmallowPlugin(schema_name_resolver=schema_name)
        spec = APISpec(title, "1", OPENAPI_VERSION, plugins=[plugin], info={"description": description})
        plugin.converter.add_attribute_function(exclusive_bounds)
        spec.components.schema("Error", ERROR)
        if bearer:
            spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
        build(spec)
        return spec.to_dict()

    @bp.get("/v1/openapi.json")
    def openapi():
        return document()

    return bp
