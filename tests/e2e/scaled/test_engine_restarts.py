"""An engine goes away under the running product, and comes back: OpenSearch stopped while
editors keep approving; Kafka restarted in the middle of an import. On engines of this module's
own (``private_engines``), so no other test sees them go."""
from __future__ import annotations

import re
import time

import pytest
import requests

from afterclasses.contracts import CATALOG_ENTRIES
from tests.conftest import DATASETS
from tests.e2e.scaled.engines import Namespace, ScaledStack, kill_group, spawn, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.opensearch, pytest.mark.postgres, pytest.mark.slow]

# The indexer retries a failing batch for 0.5+1+2+4+8 s before it crashes; hold the node down
# longer than that so the crash-and-restart path is exercised too.
OUTAGE = 15  # seconds down after the approvals, plus the node's own ~5-9 s start-up
CATCH_UP = 90  # after an engine is back: includes the supervisor's restart backoff (≤ 30 s)


@pytest.fixture
def private_stack(private_engines, tmp_path):
    """`afterclasses run --no-import` over the private engines, in a namespace of this test's own."""
    ns = Namespace(private_engines.engines).create()
    stack = ScaledStack(tmp_path / "var", DATASETS, ns, import_data=False)
    try:
        stack.start()
        stack.wait_until(lambda: stack.ready("ingest") and stack.ready("search"), timeout=60,
                         what="ingest and search to be ready")
        yield stack
    finally:
        stack.stop()
        ns.drop()


def test_opensearch_down_search_says_503_ingest_keeps_accepting_and_the_index_catches_up(
        private_engines, private_stack):
    stack = private_stack
    before = stack.publish_new("Harpsichord before the outage")
    wait_for(lambda: stack.found("harpsichord", before), 30, "an approval to be searchable", alive=stack.alive)

    private_engines.stop_one("opensearch")
    down = time.monotonic()
    resp = stack.search(q="harpsichord")
    assert resp.status_code == 503
    body = resp.json()
    assert body["error"] == "unavailable" and "OpenSearch" in body["message"], body
    ready = requests.get(stack.url("search") + "/readyz", timeout=10)
    assert ready.status_code == 503 and ready.json()["dependencies"]["index"]["up"] is False
    assert "OpenSearch" in ready.json()["dependencies"]["index"]["reason"]

    # ingest does not need the index: submissions are accepted (202) and approved (200)
    during = {stack.publish_new(f"Theremin {word} during the outage"): word for word in ("alpha", "beta", "gamma")}
    assert stack.ready("ingest")
    time.sleep(OUTAGE)
    assert stack.search(q="theremin").status_code == 503

    private_engines.start_one("opensearch")
    back = time.monotonic()
    # no manual step: the indexer (still running, or restarted by the supervisor) catches up
    wait_for(lambda: all(stack.found(f"theremin {word}", entry) for entry, word in during.items()), CATCH_UP,
             "the approvals made during the outage to become searchable", interval=0.25, alive=stack.alive)
    caught_up = time.monotonic() - back
    assert stack.found("harpsichord", before)
    assert stack.ready("search")
    index, log = stack.namespace.index(), stack.namespace.eventlog()
    try:
        assert index.count() == 4
        wait_for(lambda: log.lag("search-indexer", CATALOG_ENTRIES) == 0, 30, "the lag to be 0")
    finally:
        index.close()
        log.close()
    crashes = len(re.findall(r"search-indexer exited with", stack.log_text()))
    print(f"\n[opensearch down] {back - down:.1f}s down; caught up {caught_up:.1f}s after it was back; "
          f"the supervisor restarted the indexer {crashes} time(s) meanwhile")
    stack.alive()
    assert "ingest exited" not in stack.log_text() and "search exited" not in stack.log_text()


def test_kafka_restarted_during_an_import_loses_nothing(private_engines, private_stack, tmp_path):
    stack = private_stack
    ns = stack.namespace
    store = ns.store()

    def catalog() -> int:
        with store.reading() as tx:
            return tx.count_activities()

    importer = None
    try:
        importer = spawn(["import", "--all", "--quiet"], stack.env, tmp_path / "import.log")
        wait_for(catalog, 60, "the import to write its first entries", interval=0.05)
        private_engines.stop_one("kafka")
        stopped = time.monotonic()
        assert importer.poll() is None, "Kafka must go away while the import is still writing"
        assert importer.wait(120) == 0, (tmp_path / "import.log").read_text()[-3000:]  # it needs no Kafka
        time.sleep(2)  # the relay meets the dead broker
        private_engines.start_one("kafka")
        back = time.monotonic()
    finally:
        kill_group(importer)

    total = catalog()
    assert total >= 3300
    index, log = ns.index(), ns.eventlog()
    try:
        wait_for(lambda: index.count() == total, CATCH_UP, "the index to hold the whole catalog", interval=0.5,
                 alive=stack.alive)
        caught_up = time.monotonic() - back
        wait_for(lambda: log.lag("search-indexer", CATALOG_ENTRIES) == 0, 30, "the lag to be 0")
        with store.reading() as tx:
            assert tx.unpublished(10) == []  # the relay published the whole outbox
        assert sum(log.end_offsets(CATALOG_ENTRIES).values()) >= total
        assert index.count() == total
        print(f"\n[kafka restart] {back - stopped:.1f}s down during the import of {total} entries; "
              f"index == catalog {caught_up:.1f}s after Kafka was back; relay restarts: "
              f"{stack.log_text().count('relay exited with')}, indexer restarts: "
              f"{stack.log_text().count('search-indexer exited with')}")
    finally:
        index.close()
        log.close()
        store.dispose()
    stack.alive()
    assert "ingest exited" not in stack.log_text() and "search exited" not in stack.log_text()
