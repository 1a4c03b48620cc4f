"""The search contract on a real OpenSearch node, the alias swap of a reindex, and agreement with
the embedded adapter on real department data.

Needs AFTERCLASSES_OPENSEARCH_URL (``deploy/engines/engines.sh start``); skips without it. Every
test works under its own alias and drops it afterwards, so runs never see each other's data.
"""
from __future__ import annotations

import hashlib
import socket
import threading
import time
import uuid

import pytest

from afterclasses.contracts.schemas import ActivityFieldsSchema, ProviderFieldsSchema
from afterclasses.ports.search import SearchQuery, SearchUnavailable
from afterclasses_search.adapters.opensearch import OpenSearchIndex
from afterclasses_search.adapters.sqlite_fts import SqliteSearchIndex
from afterclasses_search.bootstrap import make_index
from afterclasses_search.settings import SearchSettings
from tests.conftest import DATASETS, server_url
from tests.contract.search.base import SearchIndexContract, ids
from tests.factories import activity_doc, published

URL_VAR = "AFTERCLASSES_OPENSEARCH_URL"


def unique_alias() -> str:
    return f"test-activities-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def opensearch_url() -> str:
    return server_url(URL_VAR)


@pytest.fixture
def alias(opensearch_url):
    """A fresh alias; every index of it is dropped after the test."""
    name = unique_alias()
    yield name
    cleaner = OpenSearchIndex(opensearch_url, name, create=False)
    cleaner.drop()
    cleaner.close()


@pytest.mark.opensearch
class TestOpenSearchIndex(SearchIndexContract):
    def make_index(self, tmp_path):
        # refresh=True: each apply is searchable at once without waiting for the 1 s refresh
        # tick that "wait_for" (the production policy, tested below) rides on; ~60 tests x 1 s
        return OpenSearchIndex(server_url(URL_VAR), unique_alias(), refresh=True)

    @pytest.fixture
    def index(self, tmp_path):
        idx = self.make_index(tmp_path)
        yield idx
        idx.drop()
        idx.close()


# --- the adapter's own behaviour ----------------------------------------------------------------

@pytest.mark.opensearch
def test_the_default_refresh_policy_makes_applied_changes_searchable(opensearch_url, alias):
    index = OpenSearchIndex(opensearch_url, alias)  # refresh="wait_for"
    doc = activity_doc(title="Origami")
    assert index.apply([published(doc)]) == 1
    assert ids(index.search(SearchQuery(q="origami"))) == [doc["id"]]
    index.close()


@pytest.mark.opensearch
def test_bootstrap_builds_the_opensearch_adapter(opensearch_url, alias, tmp_path):
    settings = SearchSettings(data_dir=tmp_path, search_backend="opensearch", opensearch_url=opensearch_url,
                              opensearch_index=alias)
    index = make_index(settings, create=True)
    assert isinstance(index, OpenSearchIndex) and index.alias == alias
    assert index.count() == 0
    index.close()


@pytest.mark.opensearch
def test_a_reader_answers_unavailable_until_a_writer_made_the_index(opensearch_url, alias):
    reader = OpenSearchIndex(opensearch_url, alias, create=False)
    with pytest.raises(SearchUnavailable, match="no index behind alias"):
        reader.search(SearchQuery())
    writer = OpenSearchIndex(opensearch_url, alias, refresh=True)
    writer.apply([published(activity_doc())])
    reader.ping()
    assert reader.search(SearchQuery()).total == 1
    reader.close()
    writer.close()


def test_ping_fails_fast_when_the_node_is_down():
    # a real refused connection, no server needed: a free port nobody listens on
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    index = OpenSearchIndex(f"http://127.0.0.1:{port}", "nowhere")
    with pytest.raises(SearchUnavailable):
        index.ping()
    with pytest.raises(SearchUnavailable):
        index.search(SearchQuery(q="tennis"))
    assert time.monotonic() - started < 3
    index.close()


@pytest.mark.opensearch
def test_a_writer_replaces_an_index_of_an_older_format_and_the_indexer_is_told(opensearch_url, alias, monkeypatch):
    from afterclasses_search.adapters import opensearch

    old = OpenSearchIndex(opensearch_url, alias, refresh=True)
    old.apply([published(activity_doc())])
    first = old.name
    monkeypatch.setattr(opensearch, "FORMAT", opensearch.FORMAT + 1)  # this code expects a newer mapping
    new = OpenSearchIndex(opensearch_url, alias, refresh=True)
    assert new.count() == 0  # a fresh, empty index is live: the indexer refills it
    assert new.reopen_if_swapped() is True and new.reopen_if_swapped() is False
    assert new.name != first
    assert new.stored_positions() == {}  # hence a replay from offset 0
    assert old.reopen_if_swapped() is True  # another process follows too
    old.close()
    new.close()


@pytest.mark.opensearch
def test_reindex_swaps_the_alias_while_searches_keep_being_answered(opensearch_url, alias):
    live = OpenSearchIndex(opensearch_url, alias, refresh=True)
    live.apply([published(activity_doc(title=f"Old {i}")) for i in range(30)], positions={("catalog.entries", 0): 30})
    old_name = live.name
    reader = OpenSearchIndex(opensearch_url, alias, create=False)  # the search API's view

    seen, errors, stop = [], [], threading.Event()

    def keep_searching():
        while not stop.is_set():
            try:
                seen.append(reader.search(SearchQuery(q="new old", per_page=5)).total)
            except Exception as exc:  # noqa: BLE001 - any failure during the swap is the finding
                errors.append(exc)

    thread = threading.Thread(target=keep_searching)
    thread.start()
    try:
        fresh = live.create_fresh()
        assert fresh.name != old_name and fresh.name.startswith(alias + "-")
        events = [published(activity_doc(title=f"New {i}")) for i in range(45)]
        for i in range(0, 45, 15):  # filled in batches with log positions, as consumers.reindex will
            fresh.apply(events[i:i + 15], positions={("catalog.entries", 0): 100 + i + 15})
        time.sleep(0.2)
        assert reader.search(SearchQuery()).total == 30  # readers keep the old index until the swap
        fresh.make_live()
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert set(seen) <= {30, 45} and seen[0] == 30 and seen[-1] == 45
    assert seen == sorted(seen)  # never back to the old index once the alias moved
    assert reader.search(SearchQuery()).total == 45
    # the live writer follows: it learns of the swap once and resumes from the new index's positions
    assert live.reopen_if_swapped() is True and live.reopen_if_swapped() is False
    assert live.name == fresh.name
    assert live.stored_positions() == {("catalog.entries", 0): 145}
    live.apply([published(activity_doc())])
    assert live.count() == 46
    # the old index is gone
    leftovers = OpenSearchIndex(opensearch_url, alias, create=False)
    assert leftovers._alias_targets() == [fresh.name]
    for idx in (leftovers, fresh, reader, live):
        idx.close()


@pytest.mark.opensearch
def test_a_writer_that_missed_the_swap_cannot_make_the_fresh_index_claim_its_events(opensearch_url, alias):
    topic = ("catalog.entries", 0)
    live = OpenSearchIndex(opensearch_url, alias, refresh=True)
    first = activity_doc()
    live.apply([published(first)], positions={topic: 1})
    fresh = live.create_fresh()
    fresh.apply([published(first)], positions={topic: 1})  # the rebuild read the log up to 1
    late = activity_doc()
    live.apply([published(late)], positions={topic: 2})  # only the old index gets this one
    fresh.make_live()
    after = activity_doc()
    live.apply([published(after)], positions={topic: 3})  # through the alias: lands in the fresh index
    assert live.get(late["id"]) is None  # the live index misses an event…
    assert live.reopen_if_swapped() is True
    assert live.stored_positions() == {topic: 1}  # …so the indexer rewinds to 1, not 3, and replays it
    assert live.apply([published(late), published(after)], positions={topic: 3}) == 1
    assert live.count() == 3 and live.stored_positions() == {topic: 3}
    fresh.close()
    live.close()


@pytest.mark.opensearch
def test_rebuild_from_an_iterable_of_events(opensearch_url, alias):
    live = OpenSearchIndex(opensearch_url, alias, refresh=True)
    live.apply([published(activity_doc())])
    count, name = live.rebuild((published(activity_doc()) for _ in range(7)), batch=3)
    assert (count, name) == (7, live._alias_targets()[0])
    assert live.search(SearchQuery()).total == 7
    live.close()


# --- both adapters agree on real data ------------------------------------------------------------

AGREEMENT_SIZE = 300
AGREEMENT_QUERIES = {
    "tennis near a Bronx point": SearchQuery(q="tennis", lat=40.8661, lon=-73.8510, radius_km=2),
    "футболом": SearchQuery(q="футболом"),
    "Савёлки": SearchQuery(q="Савёлки"),
    "age 8 in sports": SearchQuery(age=8, categories=("sports",)),
    "free on mondays": SearchQuery(free=True, days=("mon",)),
}


def _stable(*parts) -> int:
    return int(hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def real_documents(n: int = AGREEMENT_SIZE) -> list[dict]:
    """``n`` activity documents from the shipped mappings over the real department files: the
    rows the agreement queries are about first, then a stable sample of the rest. The files
    carry no schedules, verification dates or ratings: those (and versions) are drawn from a
    hash of the row, so that day filters and ranking have something to work on."""
    from afterclasses_ingest.domain.model import activity_document
    from afterclasses_ingest.importer import ImportRecord, load_mapping, read_records
    from afterclasses_ingest.importer.mapping import MAPPINGS_DIR

    records = {}
    for name in ("nyc-dycd", "moscow-sports", "moscow-art-schools", "moscow-music-schools"):
        for item in read_records(load_mapping(MAPPINGS_DIR / f"{name}.toml"), DATASETS):
            if isinstance(item, ImportRecord):
                records.setdefault((item.source, item.source_id), item)

    def text(r):
        return str(r.activity).lower().replace("ё", "е")

    def near(r):
        v = r.activity.get("venue") or {}
        return v.get("lat") is not None and abs(v["lat"] - 40.8661) < 0.03 and abs(v["lon"] + 73.8510) < 0.04

    rows = sorted(records.values(), key=lambda r: _stable(r.source, r.source_id))
    chosen = {}
    for wanted, cap in ((lambda r: "tennis" in text(r), 40), (near, 40), (lambda r: "футбол" in text(r), 40),
                        (lambda r: "савелк" in text(r), 30), (lambda r: True, n)):
        for r in [r for r in rows if wanted(r)][:cap]:
            if len(chosen) < n:
                chosen.setdefault((r.source, r.source_id), r)

    activity_schema, provider_schema = ActivityFieldsSchema(), ProviderFieldsSchema()
    docs = []
    for (source, source_id), r in chosen.items():
        h = _stable(source, source_id, "doc")
        fields = activity_schema.load(r.activity)
        venue = fields.pop("venue")
        provider = None
        if r.provider:
            provider = {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, r.provider["name"])),
                        **provider_schema.load(r.provider)}
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        fields["sessions"] = [{"weekday": days[(h >> (3 * i)) % 7], "start": "15:00", "end": "16:30"}
                              for i in range(h % 3)]
        if h % 3 == 0:
            fields["verified_at"] = f"2025-{1 + h % 12:02d}-{1 + h % 28:02d}T12:00:00+00:00"
        doc = activity_document(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{source}:{source_id}")), version=1 + h % 3,
                                status="published", fields=fields, venue=venue, provider=provider, source=source,
                                source_id=source_id,
                                updated_at=f"2026-{1 + h % 12:02d}-{1 + h % 28:02d}T{h % 24:02d}:00:00+00:00")
        doc["rating"] = (h % 9) / 2 + 1 if h % 4 == 0 else None
        docs.append(doc)
    # loaded in id order: the embedded adapter breaks exact ties by row position, OpenSearch by
    # id; with rows inserted in id order both orders are the same
    return sorted(docs, key=lambda d: d["id"])


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    url = server_url(URL_VAR)
    docs = real_documents()
    embedded = SqliteSearchIndex(tmp_path_factory.mktemp("agreement") / "search")
    cluster = OpenSearchIndex(url, unique_alias(), refresh=True)
    events = [published(d) for d in docs]
    assert embedded.apply(events) == cluster.apply(events) == len(docs)
    yield embedded, cluster
    cluster.drop()
    cluster.close()
    embedded.close()


# Where the top hit may differ on purpose: text relevance is BM25 on both sides, but not the same
# BM25. FTS5 normalises a term's frequency by the length of the whole row and sums the weighted
# columns; Lucene (cross_fields) normalises by the length of the field the term is in and takes
# the best field. «Савёлки» only occurs in descriptions ("район Матушкино-Савелки"), so dozens of
# matches have relevance within ~1 % of each other and the freshness/rating part of the blend
# decides — differently when relevance differs by those 1 %. Filters, totals, facet counts and the
# non-text blend are exact; for such queries each top hit must be in the other's first five.
TEXT_TIES_DIFFER = {"Савёлки"}


@pytest.mark.opensearch
@pytest.mark.parametrize("name", sorted(AGREEMENT_QUERIES))
def test_both_adapters_agree_on_real_data(both, name):
    embedded, cluster = both
    query = AGREEMENT_QUERIES[name]
    a, b = embedded.search(query), cluster.search(query)
    assert a.total == b.total > 0
    if name in TEXT_TIES_DIFFER:
        assert ids(a)[0] in ids(b)[:5] and ids(b)[0] in ids(a)[:5]
    else:
        assert ids(a)[:1] == ids(b)[:1]
    assert a.facets == b.facets
    # distances agree to the metre (haversine in numpy vs Lucene's arc distance)
    for hit_a, hit_b in zip(a.hits, b.hits):
        if hit_a.doc["id"] == hit_b.doc["id"] and hit_a.distance_km is not None:
            assert hit_b.distance_km == pytest.approx(hit_a.distance_km, abs=0.002)


VENUE_PREFIXES = ["фок", "савел", "p.s", "школ", "москва, ул", "1", "ц", "ave", "park", "спорт"]


@pytest.mark.opensearch
@pytest.mark.parametrize("prefix", VENUE_PREFIXES)
def test_both_adapters_suggest_the_same_venues_in_the_same_order(both, prefix):
    embedded, cluster = both
    for limit in (3, 20):
        suggested = embedded.venues(prefix, limit)
        assert suggested and cluster.venues(prefix, limit) == suggested


@pytest.mark.opensearch
def test_both_adapters_agree_on_providers_and_exclusions(both):
    embedded, cluster = both
    everything = embedded.search(SearchQuery(per_page=100)).hits
    counts = {}
    for hit in everything:
        provider = (hit.doc.get("provider") or {}).get("id")
        counts[provider] = counts.get(provider, 0) + 1
    busiest = sorted((p for p in counts if p), key=lambda p: (-counts[p], p))[:2]
    left_out = next(h.doc["id"] for h in everything if (h.doc.get("provider") or {}).get("id") == busiest[0])
    query = SearchQuery(providers=tuple(busiest), exclude=(left_out,), per_page=100)
    a, b = embedded.search(query), cluster.search(query)
    assert a.total == b.total > 0 and left_out not in ids(a) + ids(b)
    assert set(ids(a)) == set(ids(b))
    assert a.facets == b.facets
