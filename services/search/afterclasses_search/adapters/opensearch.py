"""The search index on OpenSearch: the at-scale twin of ``sqlite_fts.SqliteSearchIndex``.

Readers and writers address an alias (``afterclasses-activities``); the documents live in a
concrete index behind it. A full reindex writes a fresh, randomly suffixed concrete index and
then moves the alias in one atomic ``_aliases`` call (warehouse ``search/tasks.py``), so searches
never see a half-built index — the cluster form of the embedded ``CURRENT`` pointer. Query bodies
live in ``opensearch_queries``, the mapping in ``opensearch_mapping``; only this package imports
opensearchpy, and every library error leaves it as a port error.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import threading
import uuid
from collections.abc import Iterable, Sequence

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, OpenSearchException, RequestError

from afterclasses import taxonomy
from afterclasses.contracts.events import Envelope
from afterclasses.ports.search import (
    AGE_BANDS,
    WEEKDAYS,
    FacetValue,
    Hit,
    SearchError,
    SearchIndex,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
)
from afterclasses_search.adapters import opensearch_queries as dsl
from afterclasses_search.adapters.columns import venue_of, venue_prefix
from afterclasses_search.adapters.opensearch_mapping import (
    FORMAT,
    MAX_RESULT_WINDOW,
    POSITIONS_ID,
    PUBLISHED,
    document_source,
    index_body,
)
from afterclasses_search.adapters.text import fold, query_words
from afterclasses_search.domain.labels import day_label, price_label

log = logging.getLogger(__name__)

DEFAULT_ALIAS = "afterclasses-activities"
WAIT_FOR_REFRESH_UP_TO = 50  # documents per bulk; see apply
ACTIVITY_EVENTS = ("activity.published", "activity.updated", "activity.withdrawn")
VERSION_CONFLICT = 409
# while a fresh index is filled nobody reads it: no refreshes, no replicas (warehouse reindex)
BULK_LOAD_SETTINGS = {"index": {"refresh_interval": "-1", "auto_expand_replicas": "false",
                                "number_of_replicas": 0}}
SERVING_SETTINGS = {"index": {"refresh_interval": None, "auto_expand_replicas": "0-1"}}


def concrete_name(alias: str) -> str:
    """A new concrete index name behind ``alias``: time-stamped (readable) and random (unique)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    return f"{alias}-{stamp}-{uuid.uuid4().hex[:6]}"


class OpenSearchIndex(SearchIndex):
    """The index behind ``alias`` on the cluster at ``url``.

    ``index`` pins one concrete index (a rebuild fills it before it goes live, see
    :meth:`create_fresh`). Only a writer (``create=True``: the indexer, tools, tests) creates the
    first index or replaces one of another mapping format; a reader (the search API) answers
    SearchUnavailable until then, as the embedded index does.

    ``refresh`` is the bulk refresh policy: "wait_for" makes :meth:`apply` return once its
    changes are searchable, without forcing extra refreshes under load.
    """

    def __init__(self, url: str, alias: str = DEFAULT_ALIAS, *, index: str | None = None, create: bool = True,
                 refresh: str | bool = "wait_for", timeout: float = 10.0, ping_timeout: float = 2.0,
                 pool_size: int = 10, client: OpenSearch | None = None):
        self.url, self.alias = url, alias
        self._pinned = index
        self._create = create
        self._refresh = refresh
        self._ping_timeout = ping_timeout
        self._owns_client = client is None
        # one retry: a single refused connection is fast to notice, a dead node must not stall;
        # a pool per host as large as a threaded API's workers (urllib3's default keeps one)
        self._client = client or OpenSearch(hosts=[url], timeout=timeout, max_retries=1, retry_on_timeout=False,
                                            maxsize=pool_size)
        self._lock = threading.RLock()
        self._ready = False
        self._live: str | None = None  # the concrete index this instance follows (see `name`)
        try:
            self._ensure()
        except SearchUnavailable:
            pass  # start anyway: every call retries and answers 503 with the reason meanwhile

    # --- errors --------------------------------------------------------------------------
    @contextlib.contextmanager
    def _errors(self, what: str):
        """opensearchpy errors → port errors. A request the node rejects as malformed is our
        bug (SearchError, a 500); anything else means the index cannot answer now (503)."""
        try:
            yield
        except RequestError as exc:
            raise SearchError(f"OpenSearch rejected {what}: {exc}") from exc
        except OpenSearchException as exc:  # transport, connection, timeout, serialisation
            self._ready = False  # look at the alias again next time (deleted? swapped?)
            raise SearchUnavailable(f"OpenSearch at {self.url}: {what}: {exc}") from exc

    # --- the alias and its concrete index -------------------------------------------------
    @property
    def name(self) -> str | None:
        """The concrete index this instance follows: pinned, or the alias's target as of the last
        :meth:`reopen_if_swapped`. Reads and writes go through the alias; the log positions it
        stores are tagged with this name, so a writer that has not yet noticed a swap cannot make
        the fresh index claim events it never received."""
        return self._pinned or self._live

    @property
    def _target(self) -> str:
        return self._pinned or self.alias

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            with self._errors(f"opening {self._target}"):
                if self._pinned is None:
                    live = self._open_alias()
                    if self._live is None:  # later moves are reopen_if_swapped's to notice
                        self._live = live
            self._ready = True

    def _alias_targets(self) -> list[str]:
        try:
            return sorted(self._client.indices.get_alias(name=self.alias))
        except NotFoundError:
            return []

    def _open_alias(self) -> str:
        live = self._alias_targets()
        if not live:
            if not self._create:
                raise SearchUnavailable(f"no index behind alias {self.alias!r} yet: the indexer creates it "
                                        "(`afterclasses consume search`)")
            self._create_first()
            live = self._alias_targets()
        if len(live) != 1:
            raise SearchUnavailable(f"alias {self.alias!r} points at {live or 'nothing'}; expected one index")
        if self._format(live[0]) != FORMAT:
            if not self._create:
                raise SearchUnavailable(f"index {live[0]} has mapping format {self._format(live[0])}, not {FORMAT}: "
                                        "the indexer replaces it")
            # a fresh, empty index goes live; the indexer sees the swap (reopen_if_swapped) and
            # refills it from the log positions it stores, i.e. from offset 0 (as sqlite_fts)
            log.warning("index %s has mapping format %s, not %s: swapping in a fresh one",
                        live[0], self._format(live[0]), FORMAT)
            fresh = self.create_fresh()
            fresh.make_live()
            fresh.close()
            # keep following the old name: the swap stays unseen until reopen_if_swapped
            self._live = self._live or live[0]
            return fresh.name
        return live[0]

    def _create_first(self) -> None:
        # a fixed name, not a random one: two writers starting together create one index, and the
        # loser's "already exists" is harmless (two random ones would both take the alias)
        body = {**index_body(), "aliases": {self.alias: {}}}
        try:
            self._client.indices.create(index=f"{self.alias}-initial", body=body)
        except RequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise

    def _format(self, index: str) -> int | None:
        mapping = self._client.indices.get_mapping(index=index)[index]["mappings"]
        return (mapping.get("_meta") or {}).get("format")

    def reopen_if_swapped(self) -> bool:
        """True once after the alias moved to another concrete index (a reindex, or a fresh
        index replacing one of an older format): the indexer then rewinds to
        :meth:`stored_positions` so that what only the old index got is applied again.
        Until then this instance's positions stay tagged with the old index (see ``name``)."""
        if self._pinned is not None:
            return False
        with self._lock:
            try:
                self._ensure()
                with self._errors(f"resolving alias {self.alias}"):
                    live = self._alias_targets()
            except SearchUnavailable:
                return False  # the next apply retries and reports; the indexer must not crash here
            if len(live) == 1 and live[0] != self._live:
                self._live = live[0]
                return True
            return False

    # --- reindex ---------------------------------------------------------------------------
    def create_fresh(self) -> OpenSearchIndex:
        """A new, empty concrete index behind no alias, tuned for bulk loading (no refresh, no
        replica); fill it with :meth:`apply`, then :meth:`make_live` it. Readers keep the old one."""
        name = concrete_name(self.alias)
        body = index_body()
        body["settings"] = {**body["settings"], "index": {**body["settings"]["index"], **BULK_LOAD_SETTINGS["index"]}}
        with self._errors(f"creating index {name}"):
            self._client.indices.create(index=name, body=body)
        return OpenSearchIndex(self.url, self.alias, index=name, refresh=False, client=self._client,
                               ping_timeout=self._ping_timeout)

    def make_live(self) -> None:
        """Move the alias to this (pinned) index in one atomic call, then delete the old index.

        Serving settings and a refresh come first, so the index is complete and searchable at
        the instant the alias moves; searches in flight on the old index finish before it goes.
        """
        if self._pinned is None:
            raise SearchError("make_live needs an index from create_fresh()")
        with self._errors(f"swapping alias {self.alias} to {self._pinned}"):
            self._client.indices.put_settings(index=self._pinned, body=SERVING_SETTINGS)
            self._client.indices.refresh(index=self._pinned)
            old = [name for name in self._alias_targets() if name != self._pinned]
            actions = [{"add": {"index": self._pinned, "alias": self.alias}}]
            actions += [{"remove": {"index": name, "alias": self.alias}} for name in old]
            self._client.indices.update_aliases(body={"actions": actions})
            if old:
                self._client.indices.delete(index=",".join(old))
        self._refresh = "wait_for"  # live now: writes are searched right away

    swap_alias = make_live

    def rebuild(self, events: Iterable[Envelope], *, batch: int = 2000) -> tuple[int, str]:
        """Fill a fresh index with ``events`` and swap it in. Returns (live documents, index).

        Stores no log positions (an iterable has none): the indexer will then replay the log
        from its start after the swap. ``consumers.reindex`` drives the same steps with positions.
        """
        fresh = self.create_fresh()
        try:
            chunk: list[Envelope] = []
            for event in events:
                chunk.append(event)
                if len(chunk) >= batch:
                    fresh.apply(chunk)
                    chunk = []
            if chunk:
                fresh.apply(chunk)
            fresh.make_live()
            return fresh.count(), fresh.name
        finally:
            fresh.close()

    def drop(self) -> None:
        """Delete the alias and every index of it, live or half-built (tests, decommissioning)."""
        with self._errors(f"dropping {self.alias}"):
            names = set(self._alias_targets())
            with contextlib.suppress(NotFoundError):
                names |= set(self._client.indices.get(index=f"{self.alias}-*", expand_wildcards="all"))
            if self._pinned:
                names.add(self._pinned)
            if names:
                self._client.indices.delete(index=",".join(sorted(names)), ignore_unavailable=True)
        self._ready, self._live = False, None

    # --- writing -------------------------------------------------------------------------
    def apply(self, events: Sequence[Envelope], positions: dict | None = None) -> int:
        self._ensure()
        docs = [e.payload for e in events if e.type in ACTIVITY_EVENTS]
        changed = 0
        if docs:
            body = []
            for doc in docs:
                # the entry version as external version: the node itself refuses anything not
                # newer than what it holds (409), so replays and late duplicates never regress
                body.append({"index": {"_id": doc["id"], "version": doc["version"], "version_type": "external"}})
                body.append(document_source(doc))
            # waiting for a refresh makes an approval searchable the moment apply returns, but
            # caps a catching-up indexer at one batch per refresh interval: big batches (a
            # backlog) rely on the periodic refresh instead
            refresh = self._refresh
            if refresh == "wait_for" and len(docs) > WAIT_FOR_REFRESH_UP_TO:
                refresh = False
            with self._errors(f"indexing {len(docs)} documents"):
                response = self._client.bulk(body=body, index=self._target, refresh=refresh,
                                             **self._require_alias())
            failures = []
            for item in response["items"]:
                result = item["index"]
                if result["status"] in (200, 201):
                    changed += 1
                elif result["status"] != VERSION_CONFLICT:
                    failures.append(f"{result.get('_id')}: {result.get('error')}")
            if failures:
                raise SearchUnavailable(f"OpenSearch refused {len(failures)} document(s): {failures[:3]}")
        if positions:
            self._store_positions(positions)
        return changed

    def _require_alias(self) -> dict:
        # writing to a missing alias must fail, not auto-create an index of that name with a
        # guessed (dynamic) mapping
        return {} if self._pinned else {"require_alias": "true"}

    def _store_positions(self, positions: dict) -> None:
        """Log positions applied, stored only after their documents (never ahead of them)."""
        offsets = {f"{topic}:{partition}": offset for (topic, partition), offset in positions.items()}
        doc_id = self._positions_id()
        body = [{"update": {"_id": doc_id}},
                {"doc": {"id": doc_id, "status": "positions", "doc": {"positions": offsets}}, "doc_as_upsert": True}]
        with self._errors("storing log positions"):
            response = self._client.bulk(body=body, index=self._target, **self._require_alias())
        if response.get("errors"):
            raise SearchUnavailable(f"OpenSearch refused the log positions: {response['items'][0]}")

    def _positions_id(self) -> str:
        return f"{POSITIONS_ID}:{self.name}"

    def stored_positions(self) -> dict[tuple[str, int], int]:
        """Log positions this index has applied, stored with its documents (resume after a swap)."""
        self._ensure()
        with self._errors("reading log positions"):
            try:
                source = self._client.get(index=self._target, id=self._positions_id())["_source"]
            except NotFoundError as exc:
                if _missing_document(exc):
                    return {}
                raise
        out = {}
        for key, offset in source["doc"]["positions"].items():
            topic, partition = key.rsplit(":", 1)
            out[(topic, int(partition))] = int(offset)
        return out

    # --- reading -------------------------------------------------------------------------
    def get(self, entry_id: str) -> dict | None:
        self._ensure()
        with self._errors(f"getting {entry_id}"):
            try:  # a GET is real-time: it sees writes not yet refreshed
                source = self._client.get(index=self._target, id=entry_id, _source_includes="status,doc")["_source"]
            except NotFoundError as exc:
                if _missing_document(exc):
                    return None
                raise
        return source["doc"] if source.get("status") == PUBLISHED else None

    def count(self) -> int:
        self._ensure()
        with self._errors("counting"):
            return self._client.count(index=self._target, body=dsl.published_count_body())["count"]

    def venues(self, prefix: str, limit: int) -> list[dict]:
        prefix = venue_prefix(prefix)
        if not prefix or limit < 1:
            return []
        self._ensure()
        aggs = self._search(dsl.venues_body(prefix, limit))["aggregations"]
        keys = [b["key"] for group in ("name_first", "others") for b in aggs[group]["venues"]["buckets"]]
        return [venue_of(key) for key in keys[:limit]]

    def ping(self) -> None:
        self._ensure()
        with self._errors("ping"):
            self._client.count(index=self._target, body=dsl.published_count_body(),
                               request_timeout=self._ping_timeout)

    def close(self) -> None:
        if self._owns_client:
            with contextlib.suppress(Exception):
                self._client.close()

    def _search(self, body: dict) -> dict:
        with self._errors("searching"):
            return self._client.search(index=self._target, body=body)

    def search(self, query: SearchQuery) -> SearchResult:
        self._ensure()
        words = query_words(query.q) if query.q else []
        attempt, max_rel = dsl.ALL_WORDS, 1.0
        for attempt in dsl.ATTEMPTS if words else ():
            best = self._search(dsl.best_text_body(query, words, attempt))["hits"]
            if best["hits"]:
                max_rel = best["max_score"] or 1.0
                break
            with self._errors("counting text matches"):
                if self._client.count(index=self._target, body=dsl.text_matches_body(words, attempt))["count"]:
                    break  # the words match, only not under these filters: no typo correction
        start, size = (query.page - 1) * query.per_page, query.per_page
        if start + size > MAX_RESULT_WINDOW:
            start, size = 0, 0  # beyond any page the API allows: total and facets, no hits
        response = self._search(dsl.search_body(query, words, attempt, max_rel, start, size))
        total = response["hits"]["total"]["value"]
        key = dsl.distance_sort_key(query)
        hits = [Hit(h["_source"]["doc"], round(float(h["_score"] or 0.0), 6),
                    None if key is None else _km(h["sort"][key]))
                for h in response["hits"]["hits"]]
        return SearchResult(total=total, hits=hits, facets=_facets(query, response["aggregations"]))


def _missing_document(exc: NotFoundError) -> bool:
    """A 404 for an absent document (not for an absent index)."""
    return isinstance(exc.info, dict) and exc.info.get("found") is False


def _km(value) -> float | None:
    """A geo sort value: km, or Infinity/None for an activity without a point."""
    if value is None:
        return None
    value = float(value)
    return None if math.isinf(value) or math.isnan(value) else round(value, 3)


def _counts(aggs: dict, name: str) -> dict[str, int]:
    return {b.get("key_as_string", b["key"]): b["doc_count"] for b in aggs[name]["values"]["buckets"]}


def _facets(query: SearchQuery, aggs: dict) -> dict[str, list[FacetValue]]:
    """Facet values as the embedded adapter lists them: the category tree in taxonomy order
    (counted per node: ``category_path`` holds every ancestor), all age bands and weekdays,
    free/paid, and the districts by count."""
    tree = _counts(aggs, "category")
    facets = {"category": [
        FacetValue(slug, tree.get(slug, 0), cat.label(query.language), slug in query.categories, cat.depth)
        for slug, cat in taxonomy.categories().items() if tree.get(slug) or slug in query.categories
    ]}
    bands = _counts(aggs, "age_band")
    facets["age_band"] = [FacetValue(label, bands.get(label, 0), label, label in query.age_bands)
                          for label, _, _ in AGE_BANDS]
    days = _counts(aggs, "day")
    facets["day"] = [FacetValue(d, days.get(d, 0), day_label(d, query.language), d in query.days) for d in WEEKDAYS]
    free = _counts(aggs, "free")
    facets["free"] = [FacetValue("true", free.get("true", 0), price_label("true", query.language), query.free is True),
                      FacetValue("false", free.get("false", 0), price_label("false", query.language),
                                 query.free is False)]
    counts = _counts(aggs, "district")
    asked = set(dsl.folded_districts(query))
    if asked:
        for name in aggs["district_names"]["selected"]["values"]["buckets"]:
            counts.setdefault(name["key"], 0)
    districts = [FacetValue(name, c, name, fold(name) in asked)
                 for name, c in counts.items() if c or fold(name) in asked]
    districts.sort(key=lambda f: (-f.count, f.value))
    facets["district"] = districts
    return facets
