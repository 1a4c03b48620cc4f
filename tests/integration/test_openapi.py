"""Each API's OpenAPI document is valid and documents exactly the /v1 routes the app serves."""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from afterclasses_ingest import create_app as create_ingest
from afterclasses_search import create_app as create_search
from afterclasses_search.bootstrap import bootstrap as bootstrap_search


@pytest.fixture(params=["ingest", "search"])
def app(request, ingest_settings, search_settings):
    if request.param == "ingest":
        app = create_ingest(ingest_settings)
    else:
        bootstrap_search(search_settings).close()  # the reader needs an index to open
        app = create_search(search_settings)
    yield app
    app.extensions["afterclasses"].close()


def served(app) -> set[tuple[str, str]]:
    return {(method.lower(), re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
            for rule in app.url_map.iter_rules() if rule.rule.startswith("/v1/") and rule.rule != "/v1/openapi.json"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_the_document_is_valid_openapi_and_matches_the_routes(app):
    resp = app.test_client().get("/v1/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    validate(doc)
    documented = {(method, path) for path, operations in doc["paths"].items() for method in operations}
    assert documented == served(app)
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            assert op.get("summary") and op.get("responses"), (method, path)


def test_request_schemas_are_the_validating_ones(app):
    doc = app.test_client().get("/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    if "EditSubmission" in schemas:  # ingest: the edit carries base_version, unknown fields are refused
        assert "base_version" in schemas["EditSubmission"]["properties"]
        assert schemas["EditSubmission"]["additionalProperties"] is False
    else:  # search: every query parameter of the validating schema is listed
        names = {p["name"] for p in doc["paths"]["/v1/search"]["get"]["parameters"]}
        assert {"q", "lat", "lon", "radius_km", "category", "provider", "exclude", "lang"} <= names
