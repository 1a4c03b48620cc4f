"""Every SQL statement of the embedded search index, in one place."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    pos INTEGER PRIMARY KEY,          -- row position: the columns' slot and the FTS rowid
    id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    seq INTEGER NOT NULL,             -- write batch that last touched the row (cache refresh)
    lat REAL, lon REAL, age_lo REAL, age_hi REAL, free INTEGER,
    days INTEGER NOT NULL, bands INTEGER NOT NULL,
    verified REAL, updated REAL, rating REAL,
    category TEXT, district TEXT, provider TEXT,
    venue TEXT,                       -- columns.venue_key: the suggestible venue, or NULL
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_seq ON docs (seq);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (
    title, topic, body, tokenize = "unicode61 remove_diacritics 2"
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

COLUMN_ROWS = """
SELECT pos, seq, status = 'published', lat, lon, age_lo, age_hi, free, days, bands,
       verified, updated, rating, category, district, provider
FROM docs WHERE seq > ?
"""

VERSIONS = "SELECT id, pos, version FROM docs WHERE id IN ({marks})"

INSERT_DOC = """
INSERT INTO docs (id, version, status, seq, lat, lon, age_lo, age_hi, free, days, bands,
                  verified, updated, rating, category, district, provider, venue, doc)
VALUES (:id, :version, :status, :seq, :lat, :lon, :age_lo, :age_hi, :free, :days, :bands,
        :verified, :updated, :rating, :category, :district, :provider, :venue, :doc)
"""

UPDATE_DOC = """
UPDATE docs SET version = :version, status = :status, seq = :seq, lat = :lat, lon = :lon,
       age_lo = :age_lo, age_hi = :age_hi, free = :free, days = :days, bands = :bands,
       verified = :verified, updated = :updated, rating = :rating, category = :category,
       district = :district, provider = :provider, venue = :venue, doc = :doc
WHERE pos = :pos
"""

DELETE_FTS = "DELETE FROM fts WHERE rowid = ?"
INSERT_FTS = "INSERT INTO fts (rowid, title, topic, body) VALUES (?, ?, ?, ?)"

# bm25 weights: a word in the title counts five times, in the topic three times, a word in the
# description, provider or place
MATCH = "SELECT rowid, -bm25(fts, 5.0, 3.0, 1.0) FROM fts WHERE fts MATCH ?"


# the venue of every row changed since a seq (NULL for tombstones and venues without a point)
VENUE_ROWS = "SELECT pos, seq, venue FROM docs WHERE seq > ?"

DOCS_AT = "SELECT pos, doc FROM docs WHERE pos IN ({marks})"
POSITIONS_OF = "SELECT pos FROM docs WHERE id IN ({marks})"
DOC_BY_ID = "SELECT doc FROM docs WHERE id = ? AND status = 'published'"
COUNT_PUBLISHED = "SELECT COUNT(*) FROM docs WHERE status = 'published'"
COUNT_FTS = "SELECT COUNT(*) FROM fts"

META_GET = "SELECT value FROM meta WHERE key = ?"
META_PUT = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
META_ALL = "SELECT key, value FROM meta"
