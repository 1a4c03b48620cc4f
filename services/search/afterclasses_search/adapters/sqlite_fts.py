"""Embedded search index: SQLite FTS5 for text, numpy columns for filters, facets and ranking.

Files: ``<dir>/CURRENT`` names the live index file (``index-<stamp>.db``). A reindex builds a new
file and replaces ``CURRENT`` atomically (os.replace), so readers switch on their next query
and never see a half-built index — the embedded form of an alias swap.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import fcntl
import json
import math
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

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
from afterclasses_search.adapters import queries as sql
from afterclasses_search.adapters.columns import (
    BAND_BITS,
    DAY_BITS,
    Columns,
    Venues,
    band_bits,
    bbox,
    day_bits,
    haversine_km,
    venue_key,
)
from afterclasses_search.adapters.text import analyze, fold, fts_phrase, query_terms
from afterclasses_search.domain.documents import searchable_text
from afterclasses_search.domain.labels import day_label, price_label
from afterclasses_search.domain.ranking import (
    ADULT_AGE,
    ADULT_FACTOR,
    FRESH_DAYS,
    UNKNOWN_FRESHNESS,
    UNKNOWN_RATING,
    distance_scale_km,
    weights,
)

POINTER = "CURRENT"
FORMAT = 3  # PRAGMA user_version of index files; an older file is replaced by a fresh one
# 3: provider and venue columns (provider filter, venue suggestions)
MATCH_CACHE_SIZE = 64  # text expressions whose matches a reader keeps until the index changes
ACTIVITY_EVENTS = ("activity.published", "activity.updated", "activity.withdrawn")


def _epoch(value: str | None) -> float | None:
    return dt.datetime.fromisoformat(value).timestamp() if value else None


def document_row(doc: dict) -> dict:
    """The indexed columns of one activity document."""
    venue = doc.get("venue") or {}
    price = doc.get("price")
    return {
        "id": doc["id"],
        "version": doc["version"],
        "status": doc["status"],
        "lat": venue.get("lat"),
        "lon": venue.get("lon"),
        "age_lo": doc.get("age_min"),
        "age_hi": doc.get("age_max"),
        "free": None if price is None else int(bool(price.get("free"))),
        "days": day_bits(s["weekday"] for s in doc.get("sessions") or []),
        "bands": band_bits(doc.get("age_min"), doc.get("age_max")),
        "verified": _epoch(doc.get("verified_at")),
        "updated": _epoch(doc.get("updated_at")),
        "rating": doc.get("rating"),
        "category": doc.get("category"),
        "district": venue.get("district"),
        "provider": (doc.get("provider") or {}).get("id"),
        "venue": venue_key(doc),
        "doc": json.dumps(doc, ensure_ascii=False),
    }


def document_text(doc: dict) -> tuple[str, str, str]:
    """(title, topic, body) as stemmed terms: what text search matches."""
    text = searchable_text(doc)
    return tuple(" ".join(analyze(text[column])) for column in ("title", "topic", "body"))


def _connect(path: Path, writer: bool = True) -> sqlite3.Connection:
    """A connection; only a writer sets up the file (DDL and pragmas take the write lock, which
    a reader must never wait for)."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    if writer:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # a projection: the log can always rebuild it
        conn.executescript(sql.SCHEMA)
        conn.execute(f"PRAGMA user_version = {FORMAT}")
    return conn


def _format(file: Path) -> int:
    """The index format of an existing file (0 for files made before formats were numbered)."""
    with sqlite3.connect(file, timeout=30) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def new_index_file(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    return directory / f"index-{stamp}-{uuid.uuid4().hex[:6]}.db"


def current_file(directory: Path) -> Path | None:
    try:
        name = (directory / POINTER).read_text().strip()
    except FileNotFoundError:
        return None
    return directory / name if name else None


def point_to(directory: Path, file: Path) -> None:
    """Make ``file`` the live index, atomically."""
    tmp = directory / f".{POINTER}.{os.getpid()}"
    tmp.write_text(file.name + "\n")
    os.replace(tmp, directory / POINTER)


class SqliteSearchIndex(SearchIndex):
    """The embedded index. ``directory`` holds the files; ``file`` pins one (reindex builds).

    Only a writer (``create=True``: the indexer, tools, tests) makes a fresh live file when there
    is none or the live one has an older format; a reader (the search API) then answers
    SearchUnavailable until the indexer has made one, rather than wiping what it cannot read.
    """

    def __init__(self, directory: Path | str, file: Path | str | None = None, *, create: bool = True):
        self.directory = Path(directory)
        self._pinned = Path(file) if file else None
        self._create = create
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._file: Path | None = None
        self._pointer_stamp = None
        self._cols = Columns()
        self._venues = Venues()
        self._data_version = None
        self._dirty = True
        self._vocab: tuple[int, list[str]] | None = None
        self._match_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._match_cache_seq = -1
        try:
            self._open()
        except SearchUnavailable:
            pass  # start anyway: every call retries and answers 503 with the reason meanwhile

    # --- files ---------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            if self._pinned is not None:
                file = self._pinned
            else:
                file = current_file(self.directory)
                if file is None or not file.exists() or _format(file) != FORMAT:
                    if not self._create:
                        raise SearchUnavailable(
                            "no search index of the current format yet: the indexer builds it "
                            "(`afterclasses consume search`)")
                    # first start, or a file of an older format: a fresh, empty index becomes
                    # the live one; the indexer follows the swap and refills it from offset 0
                    file = new_index_file(self.directory)
                    _connect(file).close()
                    point_to(self.directory, file)
                self._pointer_stamp = self._stamp()
            self._drop()
            self._file, self._conn = file, _connect(file, writer=self._create)
        except (sqlite3.Error, OSError) as exc:
            raise SearchUnavailable(f"search index in {self.directory}: {exc}") from exc
        except SearchUnavailable:
            self._drop()
            raise
        self._cols, self._dirty, self._data_version, self._vocab = Columns(), True, None, None
        self._venues = Venues()
        self._match_cache, self._match_cache_seq = {}, -1  # another file: other positions

    def _drop(self) -> None:
        """Forget the connection; the next call opens the file again."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _ensure(self) -> None:
        """Open the index (again) if needed and follow a swap; SearchUnavailable if it can't."""
        if self._conn is None:
            self._open()
        else:
            self.reopen_if_swapped()

    def _stamp(self):
        try:
            st = os.stat(self.directory / POINTER)
            return (st.st_ino, st.st_mtime_ns)
        except FileNotFoundError:
            return None

    @property
    def file(self) -> Path:
        return self._file

    def reopen_if_swapped(self) -> bool:
        """Follow ``CURRENT`` to a new file after a reindex; True when it moved."""
        with self._lock:
            if self._pinned is None and self._stamp() != self._pointer_stamp:
                self._open()
                return True
            return False

    @property
    def name(self) -> str | None:
        return self._file.name if self._file else None

    def create_fresh(self) -> SqliteSearchIndex:
        return SqliteSearchIndex(self.directory, file=new_index_file(self.directory))

    def make_live(self) -> None:
        """Point ``CURRENT`` at this (pinned) file, then delete superseded files but one."""
        point_to(self.directory, self._file)
        old = sorted((p for p in self.directory.glob("index-*.db") if p != self._file),
                     key=lambda p: p.stat().st_mtime, reverse=True)
        for path in old[1:]:  # the newest old one stays, for a manual rollback
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)

    @contextlib.contextmanager
    def reindex_lock(self):
        """Two rebuilds at once would delete each other's fresh files: an exclusive file lock."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".reindex.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SearchError(f"another reindex of {self.directory} is running") from None
            yield

    # --- writing -------------------------------------------------------------------------
    def apply(self, events: Sequence[Envelope], positions: dict | None = None) -> int:
        with self._lock:
            if self._conn is None:
                self._open()
            # no swap-following here: a writer keeps its file until its owner calls
            # reopen_if_swapped() and rewinds to what the new file has applied
            try:
                return self._apply(events, positions)
            except sqlite3.Error as exc:
                self._drop()  # closing rolls back the open transaction
                raise SearchUnavailable(f"search index write failed: {exc}") from exc
            except BaseException:
                self._drop()  # never leave a transaction open behind an unexpected error
                raise

    def _apply(self, events, positions) -> int:
        conn = self._conn
        docs = [e.payload for e in events if e.type in ACTIVITY_EVENTS]
        conn.execute("BEGIN IMMEDIATE")
        seq = int(self._meta("seq") or 0) + 1
        ids = list({d["id"] for d in docs})
        known: dict[str, tuple[int, int]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for id_, pos, version in conn.execute(sql.VERSIONS.format(marks=",".join("?" * len(chunk))), chunk):
                known[id_] = (pos, version)
        changed = 0
        for doc in docs:
            current = known.get(doc["id"])
            if current is not None and current[1] >= doc["version"]:
                continue  # a replay or a late duplicate: never regress an entry
            row = document_row(doc) if doc["status"] == "published" else self._tombstone(doc)
            row["seq"] = seq
            if current is None:
                pos = conn.execute(sql.INSERT_DOC, row).lastrowid
            else:
                pos = current[0]
                conn.execute(sql.UPDATE_DOC, {**row, "pos": pos})
                conn.execute(sql.DELETE_FTS, (pos,))
            if doc["status"] == "published":
                conn.execute(sql.INSERT_FTS, (pos, *document_text(doc)))
            known[doc["id"]] = (pos, doc["version"])
            changed += 1
        conn.execute(sql.META_PUT, ("seq", str(seq)))
        for (topic, partition), offset in (positions or {}).items():
            conn.execute(sql.META_PUT, (f"offset:{topic}:{partition}", str(offset)))
        conn.execute("COMMIT")
        self._dirty = True
        return changed

    @staticmethod
    def _tombstone(doc: dict) -> dict:
        row = {k: None for k in ("lat", "lon", "age_lo", "age_hi", "free", "verified", "updated",
                                 "rating", "category", "district", "provider", "venue")}
        return {**row, "id": doc["id"], "version": doc["version"], "status": doc["status"],
                "days": 0, "bands": 0, "doc": json.dumps({"id": doc["id"], "status": doc["status"]})}

    def _meta(self, key: str) -> str | None:
        row = self._conn.execute(sql.META_GET, (key,)).fetchone()
        return row[0] if row else None

    def stored_positions(self) -> dict[tuple[str, int], int]:
        """Log positions this index has applied, stored with its rows (resume after a swap)."""
        with self._lock:
            if self._conn is None:
                self._open()
            out = {}
            for key, value in self._conn.execute(sql.META_ALL).fetchall():
                if key.startswith("offset:"):
                    topic, partition = key[len("offset:"):].rsplit(":", 1)
                    out[(topic, int(partition))] = int(value)
            return out

    # --- reading -------------------------------------------------------------------------
    def _refresh(self) -> Columns:
        """Bring the columns up to date with the file (other processes write it)."""
        (version,) = self._conn.execute("PRAGMA data_version").fetchone()
        if self._dirty or version != self._data_version:
            self._data_version, self._dirty = version, False
            self._cols.load(self._conn.execute(sql.COLUMN_ROWS, (self._cols.seq,)).fetchall())
        return self._cols

    def _read(self, fn):
        """Run ``fn(conn)`` on an open index; sqlite errors become SearchUnavailable."""
        with self._lock:
            self._ensure()
            try:
                return fn(self._conn)
            except sqlite3.Error as exc:
                self._drop()
                raise SearchUnavailable(f"search index: {exc}") from exc

    def get(self, entry_id: str) -> dict | None:
        row = self._read(lambda c: c.execute(sql.DOC_BY_ID, (entry_id,)).fetchone())
        return json.loads(row[0]) if row else None

    def count(self) -> int:
        return self._read(lambda c: c.execute(sql.COUNT_PUBLISHED).fetchone()[0])

    def venues(self, prefix: str, limit: int) -> list[dict]:
        def suggest(conn):
            # rows changed since the last call (an index seek on seq: nothing to read when the
            # index did not change); a swap to another file starts a new cache (_open)
            self._venues.load(conn.execute(sql.VENUE_ROWS, (self._venues.seq,)).fetchall())
            return self._venues.match(prefix, limit)

        return self._read(suggest)

    def count_text_rows(self) -> int:
        """Rows of the text index (equals :meth:`count` when the index is consistent)."""
        return self._read(lambda c: c.execute(sql.COUNT_FTS).fetchone()[0])

    def ping(self) -> None:
        self._read(lambda c: c.execute("SELECT 1 FROM docs LIMIT 1").fetchall())

    def close(self) -> None:
        with self._lock:
            self._drop()

    def search(self, query: SearchQuery) -> SearchResult:
        def snapshot(conn):
            conn.execute("BEGIN")  # one snapshot for matching and fetching
            try:
                return self._search(query)
            finally:
                conn.execute("COMMIT")

        return self._read(snapshot)

    # --- the query -----------------------------------------------------------------------
    def _text_scores(self, q: str, size: int) -> np.ndarray | None:
        """Relevance per row (0 = no match), or None when the text asks for nothing."""
        terms = query_terms(q)
        if not terms:
            return None
        attempts = [" AND ".join(fts_phrase(t) for t in terms)]
        if len(terms) > 1:
            attempts.append(" OR ".join(fts_phrase(t) + "*" for t in terms))  # fewer words matched
        else:
            attempts.append(fts_phrase(terms[0]) + "*")  # a word being typed
        for expr in attempts:
            scores = self._match(expr, size)
            if scores.any():
                return scores
        corrected = self._corrections(terms)  # typo tolerance, only when nothing matched
        if corrected:
            return self._match(" OR ".join(fts_phrase(t) for t in corrected), size)
        return np.zeros(size)

    def _match(self, expr: str, size: int) -> np.ndarray:
        """Relevance per row for one FTS expression.

        bm25 costs about a microsecond per matching row, so a broad word ("school" in a third of
        a 100k catalog) costs tens of milliseconds; popular words are asked again and again, so
        matches are kept per expression until the index changes (like a search engine's query
        cache): pairs of (position, score), a few hundred kilobytes at most each.
        """
        seq = self._cols.seq
        if self._match_cache_seq != seq:
            self._match_cache.clear()
            self._match_cache_seq = seq
        hit = self._match_cache.pop(expr, None)
        if hit is None:
            rows = self._conn.execute(sql.MATCH, (expr,)).fetchall()
            if rows:
                pos, score = np.asarray(rows, dtype=np.float64).T
                hit = (pos.astype(np.int64), np.maximum(score, 1e-9))
            else:
                hit = (np.empty(0, dtype=np.int64), np.empty(0))
        self._match_cache[expr] = hit  # most recently used last
        while len(self._match_cache) > MATCH_CACHE_SIZE:
            self._match_cache.pop(next(iter(self._match_cache)))
        pos, score = hit
        keep = pos < size
        scores = np.zeros(size)
        scores[pos[keep]] = score[keep]
        return scores

    def _corrections(self, terms: list[str]) -> list[str]:
        """The indexed term closest to each query term (the vocabulary is cached per write batch).
        One per term, the most similar, then the most common: every near term OR-ed together let
        a rare one win on bm25's weight ("tenis" found "twenty" of one school before "tennis")."""
        if self._vocab is None or self._vocab[0] != self._cols.seq:
            self._vocab = (self._cols.seq, self._vocabulary())
        docs = self._vocab[1]
        out = []
        for term in terms:
            # 0.8: "tenis"→"tennis" and "gymnastcs"→"gymnastics" pass; "karate"→"art" does not
            close = difflib.get_close_matches(term, docs, n=5, cutoff=0.8)
            if close:
                out.append(max(close, key=lambda t: (difflib.SequenceMatcher(None, term, t).ratio(), docs[t])))
        return out

    def _vocabulary(self) -> dict[str, int]:
        """Each indexed term and the number of documents holding it."""
        # a temp fts5vocab table on a separate connection: creating it inside the reader's
        # snapshot transaction is not allowed
        conn = sqlite3.connect(self._file, timeout=30)
        try:
            conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_vocab USING fts5vocab(main, fts, 'row')")
            return dict(conn.execute("SELECT term, doc FROM temp.fts_vocab"))
        finally:
            conn.close()

    def _search(self, query: SearchQuery) -> SearchResult:
        cols = self._refresh()
        n = cols.size
        base = cols.view("alive").copy()
        text = self._text_scores(query.q, n) if query.q else None
        if text is not None:
            base &= text > 0
        if query.age is not None:
            lo, hi = cols.view("age_lo"), cols.view("age_hi")
            base &= ~(lo > query.age) & ~(hi < query.age)  # NaN bounds are open
        if query.providers:  # a plain filter: facets count within it too
            wanted = [cols.providers.codes[p] for p in query.providers if p in cols.providers.codes]
            base &= np.isin(cols.view("provider"), wanted)
        if query.exclude:
            base[self._positions(query.exclude, n)] = False
        distance = None
        if query.has_point and query.radius_km is not None:
            lat_min, lat_max, lon_min, lon_max = bbox(query.lat, query.lon, query.radius_km)
            lat, lon = cols.view("lat"), cols.view("lon")
            base &= (lat >= lat_min) & (lat <= lat_max) & (lon >= lon_min) & (lon <= lon_max)
            idx = np.flatnonzero(base)
            d = haversine_km(lat[idx], lon[idx], query.lat, query.lon)
            base[idx[d > query.radius_km]] = False

        filters = self._facet_filters(cols, query)
        facets = self._facets(cols, query, base, filters)
        full = base.copy()
        for mask in filters.values():
            full &= mask
        idx = np.flatnonzero(full)
        total = int(idx.size)
        start = (query.page - 1) * query.per_page
        if start >= total:  # a page past the end is empty, not an error
            return SearchResult(total=total, hits=[], facets=facets)
        if query.has_point:
            distance = haversine_km(cols.view("lat")[idx], cols.view("lon")[idx], query.lat, query.lon)
        order, scores = self._rank(cols, query, idx, text, distance)
        page = order[start:start + query.per_page]
        hits = self._hits(idx, page, distance, scores)
        return SearchResult(total=total, hits=hits, facets=facets)

    def _positions(self, ids: Sequence[str], size: int) -> np.ndarray:
        """Row positions of these activity ids (below ``size``: rows the columns know)."""
        ids, out = list(dict.fromkeys(ids)), []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            out += [pos for (pos,) in self._conn.execute(sql.POSITIONS_OF.format(marks=",".join("?" * len(chunk))),
                                                         chunk)]
        pos = np.asarray(out, dtype=np.int64)
        return pos[pos < size]

    @staticmethod
    def _facet_filters(cols: Columns, query: SearchQuery) -> dict[str, np.ndarray]:
        """One mask per facet with a selection (combined with AND across facets)."""
        out = {}
        if query.categories:
            wanted = [code for slug, code in cols.categories.codes.items()
                      if any(slug == c or slug.startswith(c + ".") for c in query.categories)]
            out["category"] = np.isin(cols.view("category"), wanted)
        if query.free is not None:
            out["free"] = cols.view("free") == int(query.free)
        if query.days:
            out["day"] = (cols.view("days") & day_bits(query.days)) != 0
        if query.districts:
            asked = {fold(d).strip() for d in query.districts}  # «Савелки» selects «Савёлки»
            wanted = [code for name, code in cols.districts.codes.items() if fold(name) in asked]
            out["district"] = np.isin(cols.view("district"), wanted)
        if query.age_bands:
            bits = sum(BAND_BITS.get(b, 0) for b in query.age_bands)
            out["age_band"] = (cols.view("bands") & bits) != 0
        return out

    def _facets(self, cols: Columns, query: SearchQuery, base, filters) -> dict[str, list[FacetValue]]:
        """Counts per facet value; each facet ignores its own selection (disjunctive)."""

        def mask_without(name):
            m = base.copy()
            for other, f in filters.items():
                if other != name:
                    m &= f
            return m

        facets = {}
        # category: count leaves, then roll counts up the tree
        m = mask_without("category")
        codes = cols.view("category")[m]
        leaf_counts = np.bincount(codes[codes >= 0], minlength=len(cols.categories.values))
        tree: dict[str, int] = {}
        for slug, count in zip(cols.categories.values, leaf_counts.tolist()):
            if count:
                for anc in taxonomy.ancestors(slug):
                    tree[anc] = tree.get(anc, 0) + count
        known = taxonomy.categories()
        facets["category"] = [
            FacetValue(slug, tree.get(slug, 0), cat.label(query.language), slug in query.categories, cat.depth)
            for slug, cat in known.items() if tree.get(slug) or slug in query.categories
        ]
        # age bands and weekdays: one bit each per row
        m = mask_without("age_band")
        bands = cols.view("bands")[m]
        facets["age_band"] = [FacetValue(label, int(np.count_nonzero(bands & BAND_BITS[label])), label,
                                         label in query.age_bands) for label, _, _ in AGE_BANDS]
        m = mask_without("day")
        days = cols.view("days")[m]
        facets["day"] = [FacetValue(d, int(np.count_nonzero(days & DAY_BITS[d])), day_label(d, query.language),
                                    d in query.days) for d in WEEKDAYS]
        m = mask_without("free")
        free = cols.view("free")[m]
        facets["free"] = [FacetValue("true", int(np.count_nonzero(free == 1)), price_label("true", query.language),
                                     query.free is True),
                          FacetValue("false", int(np.count_nonzero(free == 0)), price_label("false", query.language),
                                     query.free is False)]
        m = mask_without("district")
        codes = cols.view("district")[m]
        counts = np.bincount(codes[codes >= 0], minlength=len(cols.districts.values))
        asked = {fold(d).strip() for d in query.districts}
        districts = [FacetValue(name, int(c), name, fold(name) in asked)
                     for name, c in zip(cols.districts.values, counts.tolist()) if c or fold(name) in asked]
        districts.sort(key=lambda f: (-f.count, f.value))
        facets["district"] = districts
        return facets

    def _rank(self, cols: Columns, query: SearchQuery, idx, text, distance):
        """(order of the first page's worth of ``idx``, score of every ``idx``) per the query's sort."""
        now = time.time()
        rel = text[idx] / text[idx].max() if text is not None and idx.size else np.ones(idx.size)
        verified = cols.view("verified")[idx]
        age_s = np.maximum(now - verified, 0)
        fresh = np.where(np.isnan(verified), UNKNOWN_FRESHNESS, np.exp(-age_s / (FRESH_DAYS * 86400)))
        rating = cols.view("rating")[idx]
        rating = np.where(np.isnan(rating), UNKNOWN_RATING, rating / 5)
        decay = 0.0
        if distance is not None:
            near = np.exp(-np.nan_to_num(distance, nan=0) / distance_scale_km(query))
            decay = np.where(np.isnan(distance), 0.0, near)
        w = weights(query, text is not None)
        score = w["rel"] * rel + w["distance"] * decay + w["fresh"] * fresh + w["rating"] * rating
        adults_only = cols.view("age_lo")[idx] >= ADULT_AGE
        score = np.where(adults_only, score * ADULT_FACTOR, score)
        k = min(idx.size, query.page * query.per_page)
        if k == 0:
            return np.empty(0, dtype=np.int64), score
        if query.sort == "distance" and distance is not None:
            primary = np.nan_to_num(distance, nan=math.inf)
        elif query.sort == "newest":
            primary = -np.nan_to_num(cols.view("updated")[idx], nan=0)
        else:
            primary = -score
        return self._first(k, primary, -score, idx, query.sort == "best"), score

    @staticmethod
    def _first(k: int, primary, secondary, idx, secondary_is_primary: bool):
        """Positions (into ``idx``) of the k first rows by (primary, secondary, idx), in order.

        Only those k need a full sort; rows tied with the k-th are resolved by the same keys, so
        every page is a slice of one total order (no row shown twice or never).
        """
        if k < idx.size:
            threshold = np.partition(primary, k - 1)[k - 1]
            better = np.flatnonzero(primary < threshold)
            ties = np.flatnonzero(primary == threshold)  # ascending, like idx
            if not secondary_is_primary:
                ties = ties[np.lexsort((idx[ties], secondary[ties]))]
            cand = np.concatenate([better, ties[: k - better.size]])
        else:
            cand = np.arange(idx.size)
        return cand[np.lexsort((idx[cand], secondary[cand], primary[cand]))]

    def _hits(self, idx, page, distance, scores) -> list[Hit]:
        if page.size == 0:
            return []
        positions = idx[page].tolist()
        marks = ",".join("?" * len(positions))
        docs = dict(self._conn.execute(sql.DOCS_AT.format(marks=marks), positions).fetchall())
        hits = []
        for i, pos in zip(page.tolist(), positions):
            if pos in docs:
                d = None if distance is None or np.isnan(distance[i]) else round(float(distance[i]), 3)
                hits.append(Hit(json.loads(docs[pos]), round(float(scores[i]), 6), d))
        return hits
