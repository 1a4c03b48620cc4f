from afterclasses.ports.search import SearchQuery
from afterclasses_search.adapters.sqlite_fts import SqliteSearchIndex
from tests.contract.search.base import SearchIndexContract
from tests.factories import activity_doc, published


class TestSqliteSearchIndex(SearchIndexContract):
    def make_index(self, tmp_path):
        return SqliteSearchIndex(tmp_path / "search")


def test_a_reader_process_sees_writes_of_another_connection(tmp_path):
    writer, reader = SqliteSearchIndex(tmp_path / "s"), SqliteSearchIndex(tmp_path / "s")
    assert reader.search(SearchQuery()).total == 0
    writer.apply([published(activity_doc())])
    assert reader.search(SearchQuery()).total == 1


def test_readers_follow_a_swap_to_a_fresh_file(tmp_path):
    from afterclasses_search.adapters.sqlite_fts import new_index_file

    live = SqliteSearchIndex(tmp_path / "s")
    live.apply([published(activity_doc())])
    fresh = SqliteSearchIndex(tmp_path / "s", file=new_index_file(tmp_path / "s"))
    fresh.apply([published(activity_doc()), published(activity_doc())])
    assert live.search(SearchQuery()).total == 1
    fresh.make_live()
    assert live.search(SearchQuery()).total == 2


def test_a_reader_suggests_venues_another_connection_wrote_and_follows_a_swap(tmp_path):
    from afterclasses_search.adapters.sqlite_fts import new_index_file

    writer, reader = SqliteSearchIndex(tmp_path / "s"), SqliteSearchIndex(tmp_path / "s")
    assert reader.venues("gym", 8) == []
    writer.apply([published(activity_doc(venue={"name": "Gym One"}))])
    assert [v["name"] for v in reader.venues("gym", 8)] == ["Gym One"]
    fresh = SqliteSearchIndex(tmp_path / "s", file=new_index_file(tmp_path / "s"))
    fresh.apply([published(activity_doc(venue={"name": "Gym Two"}))])
    fresh.make_live()
    assert [v["name"] for v in reader.venues("gym", 8)] == ["Gym Two"]  # the new file's, not a mix


def test_a_writer_replaces_a_file_of_the_previous_format(tmp_path):
    import sqlite3

    from afterclasses_search.adapters.sqlite_fts import FORMAT, current_file

    old = SqliteSearchIndex(tmp_path / "s")
    old.apply([published(activity_doc())])
    old.close()
    with sqlite3.connect(current_file(tmp_path / "s")) as conn:  # as written before provider/venue columns
        conn.execute(f"PRAGMA user_version = {FORMAT - 1}")
    assert SqliteSearchIndex(tmp_path / "s", create=False).name is None  # a reader waits for the indexer
    new = SqliteSearchIndex(tmp_path / "s")
    assert new.count() == 0 and new.search(SearchQuery(providers=("p1",))).total == 0
