"""kill -9 the search consumer while it indexes 10,000 entries from Kafka into OpenSearch; restart
it: nothing lost, nothing doubled, lag 0 (tests/e2e/test_crash.py on the scaled adapters)."""
from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest

from afterclasses.contracts import CATALOG_ENTRIES
from tests.e2e.scaled.engines import indexed_ids, kill_group, spawn, wait_for
from tests.factories import activity_doc, published

pytestmark = [pytest.mark.kafka, pytest.mark.opensearch, pytest.mark.slow]

N = 10_000
UPDATED = 500
GROUP = "search-indexer"
# A member killed with -9 keeps its partitions until its session expires (the adapter's
# consumers use kafka-python's default, 45 s): the restarted one gets them only then.
RESTART_TIMEOUT = 150


def test_kill_9_mid_indexing_loses_nothing_and_duplicates_nothing(namespace, tmp_path):
    log, index = namespace.eventlog(), None
    docs = [activity_doc(title=f"Activity {i}") for i in range(N)]
    events = [published(d) for d in docs]
    # some entries are updated later in the stream: replays must not regress them
    events += [published({**d, "version": 2, "title": d["title"] + " (updated)"}, "activity.updated")
               for d in docs[:UPDATED]]
    for i in range(0, len(events), 1000):
        log.publish(CATALOG_ENTRIES, [(e.key, e.encode()) for e in events[i:i + 1000]])
    assert sum(log.end_offsets(CATALOG_ENTRIES).values()) == N + UPDATED

    env = {**os.environ, **namespace.env(), "AFTERCLASSES_DATA_DIR": str(tmp_path / "var"),
           "AFTERCLASSES_LOG_LEVEL": "WARNING"}
    consumer = restarted = None
    try:
        # small batches before the kill, so that it lands between batches many times over
        consumer = spawn(["consume", "search"], {**env, "AFTERCLASSES_CONSUMER_BATCH": "200"},
                         tmp_path / "consumer-1.log")

        def first_alive():
            assert consumer.poll() is None, (tmp_path / "consumer-1.log").read_text()[-3000:]

        index = wait_for(namespace.index, 60, "the indexer to create the index")
        wait_for(lambda: index.count() >= N // 10, 90, "a tenth of the entries to be indexed", interval=0.02,
                 alive=first_alive)
        os.kill(consumer.pid, signal.SIGKILL)
        consumer.wait(10)
        time.sleep(1.5)  # a bulk request in flight at the kill still lands; let its refresh pass
        killed_at = index.count()
        assert 0 < killed_at < N, "the kill must land mid-way"

        killed = time.monotonic()
        restarted = spawn(["consume", "search"], env, tmp_path / "consumer-2.log")

        def second_alive():
            assert restarted.poll() is None, (tmp_path / "consumer-2.log").read_text()[-3000:]

        wait_for(lambda: index.count() > killed_at, RESTART_TIMEOUT, "the restarted consumer to get partitions",
                 interval=0.2, alive=second_alive)
        resumed = time.monotonic() - killed
        wait_for(lambda: index.count() == N and log.lag(GROUP, CATALOG_ENTRIES) == 0, RESTART_TIMEOUT,
                 "the restarted consumer to catch up", interval=0.5, alive=second_alive)
        print(f"\n[kill -9] killed at {killed_at}/{N} indexed; the restarted consumer resumed {resumed:.1f}s "
              f"and caught up {time.monotonic() - killed:.1f}s after the kill")
    finally:
        kill_group(consumer, signal.SIGKILL)
        kill_group(restarted)

    assert restarted.returncode == 0, (tmp_path / "consumer-2.log").read_text()[-3000:]
    assert index.count() == N
    ids = indexed_ids(namespace.engines.opensearch, namespace.alias)
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert len(ids) == len(set(ids)) == N and not duplicates, duplicates[:5]
    assert set(ids) == {d["id"] for d in docs}
    assert log.lag(GROUP, CATALOG_ENTRIES) == 0
    assert index.get(docs[0]["id"])["title"].endswith("(updated)")
    assert index.get(docs[UPDATED - 1]["id"])["version"] == 2
    assert index.get(docs[-1]["id"])["version"] == 1
    index.close()
    log.close()
