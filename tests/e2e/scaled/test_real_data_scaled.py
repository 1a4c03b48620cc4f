"""The foundation's acceptance in the scaled mode: `afterclasses run` over Kafka, OpenSearch and
PostgreSQL imports the real data and answers the same queries as the embedded mode
(``tests/e2e/test_real_data.py``, whose checks are reused as they are)."""
from __future__ import annotations

import statistics
import time
import uuid
from pathlib import Path

import pytest

from afterclasses.contracts import CATALOG_ENTRIES
from tests.conftest import DATASETS
from tests.e2e import test_real_data as acceptance
from tests.e2e.scaled.engines import Namespace, ScaledStack, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.opensearch, pytest.mark.postgres, pytest.mark.slow]

REAL_ENTRIES = 3300  # both datasets, as tests/e2e/conftest.py waits for


@pytest.fixture(scope="module")
def scaled_stack(shared_engines, tmp_path_factory):
    ns = Namespace(shared_engines).create()
    stack = ScaledStack(tmp_path_factory.mktemp("scaled") / "var", DATASETS, ns)
    try:
        started = time.monotonic()
        stack.start()
        stack.wait_until(lambda: stack.search(per_page=1).json().get("total", 0) >= REAL_ENTRIES, timeout=180,
                         what="the real data to be searchable")
        stack.ready_after = time.monotonic() - started
        print(f"\n[scaled] real data searchable {stack.ready_after:.1f}s after `afterclasses run`")
        yield stack
    finally:
        stack.stop()
        ns.drop()


def test_the_scaled_mode_really_uses_kafka_opensearch_and_postgres(scaled_stack):
    ns, data = scaled_stack.namespace, Path(scaled_stack.env["AFTERCLASSES_DATA_DIR"])
    # nothing fell back to the embedded stores
    assert not (data / "ingest.db").exists() and not (data / "eventlog.db").exists() and not (data / "search").exists()
    store = ns.store()
    with store.reading() as tx:
        catalog = tx.count_activities()
    store.dispose()
    log, index = ns.eventlog(), ns.index()
    try:
        assert catalog >= REAL_ENTRIES
        assert sum(log.end_offsets(CATALOG_ENTRIES).values()) >= catalog  # every entry went through Kafka
        wait_for(lambda: index.count() == catalog, 30, "the index to hold the whole catalog")
        wait_for(lambda: log.lag("search-indexer", CATALOG_ENTRIES) == 0, 30, "the indexer's lag to be 0")
    finally:
        log.close()
        index.close()


def test_the_product_is_up_with_the_real_data_within_three_minutes(scaled_stack):
    acceptance.test_the_product_is_up_with_the_real_data_within_three_minutes(scaled_stack)


def test_tennis_near_ps_121_finds_the_junior_tennis_league_there_first(scaled_stack):
    acceptance.test_tennis_near_ps_121_finds_the_junior_tennis_league_there_first(scaled_stack)


def test_russian_stemming_finds_football_sections(scaled_stack):
    acceptance.test_russian_stemming_finds_football_sections(scaled_stack)


def test_yo_folding_finds_the_district_spelled_without_it(scaled_stack):
    acceptance.test_yo_folding_finds_the_district_spelled_without_it(scaled_stack, DATASETS)


def test_a_childs_age_keeps_elementary_and_drops_seniors_and_adults(scaled_stack):
    acceptance.test_a_childs_age_keeps_elementary_and_drops_seniors_and_adults(scaled_stack)


def test_a_submission_approved_by_an_editor_becomes_searchable(scaled_stack):
    acceptance.test_a_submission_approved_by_an_editor_becomes_searchable(scaled_stack)


APPROVALS = 5
MAX_LATENCY = 5.0  # seconds from the approval's 200 to the entry being searchable


def test_approve_to_searchable_latency(scaled_stack):
    """Outbox relay (0.2 s scan) → Kafka → indexer → OpenSearch (bulk with refresh=wait_for, ≤ 1 s)."""
    latencies = []
    for i in range(APPROVALS):
        title = f"Latency probe {i} {uuid.uuid4().hex[:8]}"
        submission = scaled_stack.submit(title)
        resp = scaled_stack.approve(submission)
        approved = time.monotonic()
        assert resp.status_code == 200, resp.text
        entry = resp.json()["result_id"]
        wait_for(lambda t=title, e=entry: scaled_stack.found(t, e), 30, f"approval {i} to be searchable",
                 interval=0.02, alive=scaled_stack.alive)
        latencies.append(time.monotonic() - approved)
    print(f"\n[scaled] approve→searchable over {APPROVALS} approvals: "
          f"median {statistics.median(latencies):.2f}s, max {max(latencies):.2f}s "
          f"({', '.join(f'{x:.2f}' for x in latencies)})")
    assert max(latencies) < MAX_LATENCY, latencies
