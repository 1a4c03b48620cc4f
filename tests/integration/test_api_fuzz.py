"""Property-based tests of both APIs from their own OpenAPI documents (schemathesis): generated
valid and invalid requests never get a 5xx, and every answer matches the document (status, content
type, body schema, headers such as a 405's Allow). The apps run on real stores in a temp dir.

The apps are built at import, not in fixtures: schemathesis parametrizes at collection time (and
its fixture loader does not work with this pytest)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from afterclasses_ingest import create_app as create_ingest
from afterclasses_ingest.domain.handlers import utcnow
from afterclasses_ingest.settings import IngestSettings
from afterclasses_search import create_app as create_search
from afterclasses_search.bootstrap import bootstrap as bootstrap_search
from afterclasses_search.settings import SearchSettings

EDITOR_TOKEN = "fuzz-editor-token"
# cross-parameter rules (lat needs lon, a schema-valid category that does not exist) cannot be
# written in OpenAPI, so "a schema-valid request must be accepted" does not hold by design
EXCLUDED = [schemathesis.checks.positive_data_acceptance]
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

_data = tempfile.TemporaryDirectory(prefix="afterclasses-fuzz-")
_dir = Path(_data.name)
_ingest = create_ingest(IngestSettings(data_dir=_dir))
with _ingest.extensions["afterclasses"].store.transaction() as tx:
    tx.add_token(EDITOR_TOKEN, "fuzz", ["editor"], utcnow())
bootstrap_search(SearchSettings(data_dir=_dir)).close()
_search = create_search(SearchSettings(data_dir=_dir))
ingest_schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", _ingest)
search_schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", _search)


@pytest.fixture(scope="module", autouse=True)
def _close_apps():
    yield
    _ingest.extensions["afterclasses"].close()
    _search.extensions["afterclasses"].close()
    _data.cleanup()


@pytest.mark.slow
@ingest_schema.parametrize()
@FUZZ
def test_ingest_api(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {EDITOR_TOKEN}"}, excluded_checks=EXCLUDED)


@pytest.mark.slow
@search_schema.parametrize()
@FUZZ
def test_search_api(case):
    case.call_and_validate(excluded_checks=EXCLUDED)
