"""kill -9 the search consumer while it indexes 10,000 entries; restart; nothing lost or doubled."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from afterclasses.contracts import CATALOG_ENTRIES
from afterclasses.eventlog.sqlite import SqliteEventLog
from afterclasses_search.adapters.sqlite_fts import SqliteSearchIndex, current_file
from tests.factories import activity_doc, published

N = 10_000


def indexed_rows(directory) -> int:
    file = current_file(directory)
    if file is None or not file.exists():
        return 0
    try:
        with sqlite3.connect(file, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_kill_9_mid_indexing_loses_nothing_and_duplicates_nothing(tmp_path):
    data = tmp_path / "var"
    log = SqliteEventLog(data / "eventlog.db")
    docs = [activity_doc(title=f"Activity {i}") for i in range(N)]
    events = [published(d) for d in docs]
    # some entries are updated later in the stream: replays must not regress them
    events += [published({**d, "version": 2, "title": d["title"] + " (updated)"}, "activity.updated")
               for d in docs[:500]]
    for i in range(0, len(events), 1000):
        log.publish(CATALOG_ENTRIES, [(e.key, e.encode()) for e in events[i:i + 1000]])
    env = {**os.environ, "AFTERCLASSES_DATA_DIR": str(data), "AFTERCLASSES_CONSUMER_BATCH": "200"}
    argv = [sys.executable, "-m", "afterclasses.cli", "consume", "search"]

    consumer = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while indexed_rows(data / "search") < N // 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(consumer.pid, signal.SIGKILL)
    consumer.wait()
    killed_at = indexed_rows(data / "search")
    assert 0 < killed_at < N, "the kill must land mid-way"

    subprocess.run([*argv, "--until-idle"], env=env, check=True, timeout=300, capture_output=True)
    index = SqliteSearchIndex(data / "search")
    assert index.count() == N
    assert index.count_text_rows() == N
    assert indexed_rows(data / "search") == N  # one row per entry: no duplicates
    assert log.lag("search-indexer", CATALOG_ENTRIES) == 0
    assert index.get(docs[0]["id"])["title"].endswith("(updated)")
    assert index.get(docs[-1]["id"])["version"] == 1
