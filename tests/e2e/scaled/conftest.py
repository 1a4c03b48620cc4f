"""Fixtures of the scaled-mode e2e tests: the shared engines (from `make test`'s environment), a
namespace of a test's own on them, and a private set of engines for the tests that stop one."""
from __future__ import annotations

import pytest

from tests.conftest import server_url
from tests.e2e.scaled.engines import Engines, Namespace, PrivateEngines


@pytest.fixture(scope="session")
def shared_engines() -> Engines:
    """The engines `make test` started; skips without them (fails under CI=true)."""
    return Engines(server_url("AFTERCLASSES_KAFKA_BOOTSTRAP"), server_url("AFTERCLASSES_OPENSEARCH_URL"),
                   server_url("AFTERCLASSES_TEST_DATABASE_URL"))


@pytest.fixture
def namespace(shared_engines):
    """Topics, groups, an alias and a database of this test's own on the shared engines."""
    ns = Namespace(shared_engines).create()
    yield ns
    ns.drop()


@pytest.fixture(scope="module")
def private_engines(shared_engines):
    """Engines of this module's own: stopping one of them disturbs no other test. Needs the
    engines installed, which the shared ones prove (hence the dependency: same skip rule)."""
    engines = PrivateEngines()
    try:
        engines.start()
        yield engines
    finally:
        engines.stop()
