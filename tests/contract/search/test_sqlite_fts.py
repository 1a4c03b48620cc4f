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
