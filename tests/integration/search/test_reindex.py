"""Reindex: a fresh file built from the log, swapped in under a running indexer, loses nothing."""
import pytest

from afterclasses.consumers import ConsumerRunner
from afterclasses.contracts import CATALOG_ENTRIES
from afterclasses.eventlog.sqlite import SqliteEventLog
from afterclasses.ports.search import SearchQuery
from afterclasses_search.adapters.sqlite_fts import SqliteSearchIndex, current_file, new_index_file
from afterclasses_search.consumers import Indexer, reindex
from tests.factories import activity_doc, published


def publish(log, n):
    events = [published(activity_doc()) for _ in range(n)]
    log.publish(CATALOG_ENTRIES, [(e.key, e.encode()) for e in events])


def test_reindex_builds_a_fresh_file_and_readers_switch_to_it(tmp_path):
    log, directory = SqliteEventLog(tmp_path / "log.db"), tmp_path / "search"
    publish(log, 100)
    live = SqliteSearchIndex(directory)
    Indexer(log, live, "search-indexer").run(until_idle=True)
    before = current_file(directory)
    reader = SqliteSearchIndex(directory)
    assert reader.search(SearchQuery()).total == 100

    count, name = reindex(log, SqliteSearchIndex(directory))
    assert count == 100 and current_file(directory).name == name != before.name
    assert reader.search(SearchQuery()).total == 100 and reader.file.name == name


def test_events_the_indexer_put_only_into_the_old_file_reach_the_new_one(tmp_path):
    log, directory = SqliteEventLog(tmp_path / "log.db"), tmp_path / "search"
    publish(log, 50)
    indexer = Indexer(log, SqliteSearchIndex(directory), "search-indexer")
    indexer.run(until_idle=True)
    # a reindex reads the log to its end ...
    fresh = SqliteSearchIndex(directory, file=new_index_file(directory))
    ConsumerRunner(log, None, [CATALOG_ENTRIES], lambda e, p: fresh.apply(e, positions=p)).run(until_idle=True)
    # ... meanwhile the live indexer applies newer events to the old file ...
    publish(log, 7)
    indexer.run(until_idle=True)
    # ... then the swap: the indexer must bring those 7 into the new file too
    fresh.make_live()
    indexer.run(until_idle=True)
    assert SqliteSearchIndex(directory).count() == 57
    assert log.lag("search-indexer", CATALOG_ENTRIES) == 0


def test_an_indexer_starting_on_a_lost_or_outdated_index_refills_it_from_the_log(tmp_path):
    import sqlite3

    log, directory = SqliteEventLog(tmp_path / "log.db"), tmp_path / "search"
    publish(log, 30)
    first = SqliteSearchIndex(directory)
    Indexer(log, first, "search-indexer").run(until_idle=True)
    first.close()
    # an index file of an older format (or a deleted one) while the group is at the end
    with sqlite3.connect(current_file(directory)) as conn:
        conn.execute("PRAGMA user_version = 1")
    assert log.lag("search-indexer", CATALOG_ENTRIES) == 0
    Indexer(log, SqliteSearchIndex(directory), "search-indexer").run(until_idle=True)
    assert SqliteSearchIndex(directory).count() == 30
    current_file(directory).unlink()
    Indexer(log, SqliteSearchIndex(directory), "search-indexer").run(until_idle=True)
    assert SqliteSearchIndex(directory).count() == 30


def test_two_reindexes_at_once_refuse_rather_than_delete_each_others_files(tmp_path):
    import fcntl

    import pytest

    from afterclasses.ports.search import SearchError

    log, directory = SqliteEventLog(tmp_path / "log.db"), tmp_path / "search"
    publish(log, 5)
    directory.mkdir()
    with open(directory / ".reindex.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(SearchError, match="another reindex"):
            reindex(log, SqliteSearchIndex(directory))
    assert reindex(log, SqliteSearchIndex(directory))[0] == 5


@pytest.mark.opensearch
def test_the_same_reindex_swaps_an_opensearch_alias_under_a_running_indexer(tmp_path):
    import uuid

    from afterclasses_search.adapters.opensearch import OpenSearchIndex
    from tests.conftest import server_url

    url, alias = server_url("AFTERCLASSES_OPENSEARCH_URL"), f"test-reindex-{uuid.uuid4().hex[:8]}"
    log = SqliteEventLog(tmp_path / "log.db")
    publish(log, 40)
    live = OpenSearchIndex(url, alias)
    try:
        indexer = Indexer(log, live, "search-indexer")
        indexer.run(until_idle=True)
        before = live.name
        count, name = reindex(log, OpenSearchIndex(url, alias))
        assert count == 40 and name != before
        publish(log, 5)
        indexer.run(until_idle=True)  # follows the alias to the fresh index
        assert OpenSearchIndex(url, alias).count() == 45
    finally:
        live.drop()


@pytest.mark.kafka
@pytest.mark.opensearch
def test_with_kafka_an_opensearch_index_lost_while_the_indexer_was_down_is_refilled():
    import uuid

    from afterclasses.eventlog.kafka import KafkaEventLog
    from afterclasses_search.adapters.opensearch import OpenSearchIndex
    from tests.conftest import server_url

    tag = uuid.uuid4().hex[:8]
    log = KafkaEventLog(server_url("AFTERCLASSES_KAFKA_BOOTSTRAP"), partitions=3, topic_prefix=f"t{tag}.")
    url, alias = server_url("AFTERCLASSES_OPENSEARCH_URL"), f"test-refill-{tag}"
    publish(log, 30)
    first = OpenSearchIndex(url, alias)
    try:
        indexer = Indexer(log, first, "search-indexer")
        indexer.run(until_idle=True)
        indexer.close()  # the indexer process stops
        assert first.count() == 30 and log.lag("search-indexer", CATALOG_ENTRIES) == 0
        first.drop()  # the index is lost while no indexer runs
        again = OpenSearchIndex(url, alias)
        Indexer(log, again, "search-indexer").run(until_idle=True)
        assert again.count() == 30
    finally:
        OpenSearchIndex(url, alias).drop()
        log.close()
