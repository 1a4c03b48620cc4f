"""The OpenSearch index of activities: settings, analyzers, mapping, and document → indexed source.

The indexed source holds the whole activity document under ``doc`` (stored, not indexed: what
``get`` and hits return, byte for byte what the event carried) next to the fields derived from
it for matching, filtering, faceting and ranking — the same derivations as the embedded adapter
(``sqlite_fts.document_row``/``document_text``), so both answer alike.
"""
from __future__ import annotations

from afterclasses import taxonomy
from afterclasses_search.adapters.columns import (
    BAND_BITS,
    band_bits,
    venue_key,
    venue_name_key,
    venue_of,
    venue_prefixes,
)
from afterclasses_search.adapters.text import MAX_TERM, fold
from afterclasses_search.domain.documents import searchable_text

FORMAT = 2
"""Bumped whenever the mapping or the analysis changes; a writer finding an older format on the
live index swaps in a fresh one, which the indexer refills from the log (as sqlite_fts.FORMAT).
2: ``provider_id`` (provider filter) and the ``venue_*`` fields (venue suggestions)."""

# Open age bounds are stored as the widest possible ones, so that the plain range filter
# ``age_lo <= age <= age_hi`` treats a missing bound as open (the contract allows ages 0..120).
OPEN_AGE_LO, OPEN_AGE_HI = 0.0, 1_000.0
POSITIONS_ID = "__positions__"  # + ":<concrete index>": log positions applied to that index
PUBLISHED = "published"

# Deep pages: the search API allows page ≤ 10 000 × per_page ≤ 100; Lucene caps the collector at
# the number of documents, so a large window costs nothing on a small index.
MAX_RESULT_WINDOW = 1_000_000

_FOLD_YO = {"type": "mapping", "mappings": ["ё => е", "Ё => Е"]}

SETTINGS = {
    "index": {
        # one shard: a city's catalog is small, and one shard gives every query the same term
        # statistics, hence scores that do not depend on where a document landed
        "number_of_shards": 1,
        # a replica when a second node exists; a single node (tests, small deployments) stays green
        "auto_expand_replicas": "0-1",
        "max_result_window": MAX_RESULT_WINDOW,
    },
    "analysis": {
        "char_filter": {"fold_yo": _FOLD_YO},
        "tokenizer": {
            # runs of letters and digits, like text.py's tokens; hyphens stay inside a token here
            # so that word_delimiter_graph can also emit the joined form (hip-hop → hiphop)
            "words_and_hyphens": {"type": "pattern", "pattern": "[^\\p{L}\\p{N}\\-‐–]+"},
            "words": {"type": "pattern", "pattern": "[^\\p{L}\\p{N}]+"},
        },
        "filter": {
            "join_hyphenated": {
                "type": "word_delimiter_graph",
                "generate_word_parts": True,
                "generate_number_parts": True,
                "catenate_all": True,
                "preserve_original": False,
                "split_on_case_change": False,
                "split_on_numerics": False,
                "stem_english_possessive": False,
            },
            # longer "words" are noise (text.MAX_TERM), and a term over Lucene's 32 766 bytes
            # would make the whole document unindexable
            "max_term": {"type": "length", "max": MAX_TERM},
            # Snowball Russian and English (Porter2): the stemmers PyStemmer runs in the embedded
            # adapter. Each leaves the other script's words alone, so they can be chained.
            "stem_ru": {"type": "snowball", "language": "Russian"},
            "stem_en": {"type": "snowball", "language": "English"},
        },
        "analyzer": {
            "activity_text": {
                "type": "custom",
                "char_filter": ["fold_yo"],
                "tokenizer": "words_and_hyphens",
                "filter": ["join_hyphenated", "flatten_graph", "max_term", "lowercase", "stem_ru", "stem_en"],
            },
            # queries arrive as plain words (the adapter tokenizes user text first), so no graph
            # filter at search time: a graph of joined forms would only blur multi_match
            "activity_query": {
                "type": "custom",
                "char_filter": ["fold_yo"],
                "tokenizer": "words",
                "filter": ["lowercase", "stem_ru", "stem_en"],
            },
            "suggest": {
                "type": "custom",
                "char_filter": ["fold_yo"],
                "tokenizer": "standard",
                "filter": ["lowercase"],
            },
        },
    },
}


def _text(**extra) -> dict:
    return {"type": "text", "analyzer": "activity_text", "search_analyzer": "activity_query", **extra}


MAPPINGS = {
    "dynamic": "strict",  # a field we did not plan for is a bug, not a new column
    "_meta": {"format": FORMAT},
    "properties": {
        "id": {"type": "keyword"},  # also the tie-break of every sort: pages never overlap
        "status": {"type": "keyword"},
        "version": {"type": "long"},
        "title": _text(),
        "topic": _text(),
        "body": _text(),
        "suggest": {"type": "completion", "analyzer": "suggest"},
        "category": {"type": "keyword"},
        "category_path": {"type": "keyword"},  # the category and all its ancestors
        "district": {"type": "keyword"},  # as written: the facet's values
        "district_key": {"type": "keyword"},  # folded (case, ё): what a selection matches
        "provider_id": {"type": "keyword"},
        # venue suggestions (columns.venue_*): one term per distinct venue, the folded
        # word-start prefixes of its name and address, and its folded name
        "venue_key": {"type": "keyword"},
        "venue_prefixes": {"type": "keyword"},
        "venue_name": {"type": "keyword"},
        "weekdays": {"type": "keyword"},
        "age_bands": {"type": "keyword"},
        "free": {"type": "boolean"},
        "age_lo": {"type": "float"},
        "age_hi": {"type": "float"},
        "location": {"type": "geo_point"},
        "verified_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "rating": {"type": "float"},
        "doc": {"type": "object", "enabled": False},
    },
}


def index_body() -> dict:
    return {"settings": SETTINGS, "mappings": MAPPINGS}


document_text = searchable_text  # the analyzers fold and stem the raw text


def document_source(doc: dict) -> dict:
    """The indexed source of one ``catalog.entries`` payload (a published activity or a tombstone).

    A withdrawn entry stays as a tombstone carrying its version: a delete would be forgotten
    after ``index.gc_deletes`` (60 s), and a late "published" of an older version could then
    resurrect the entry. Every query filters on ``status``.
    """
    if doc["status"] != PUBLISHED:
        return {"id": doc["id"], "status": doc["status"], "version": doc["version"],
                "doc": {"id": doc["id"], "status": doc["status"]}}
    venue = doc.get("venue") or {}
    price = doc.get("price")
    lo, hi = doc.get("age_min"), doc.get("age_max")
    bits = band_bits(lo, hi)
    source = {
        "id": doc["id"],
        "status": doc["status"],
        "version": doc["version"],
        **document_text(doc),
        "suggest": {"input": [s for s in [doc.get("title"), *(doc.get("tags") or [])] if s]},
        "category": doc.get("category"),
        "category_path": taxonomy.ancestors(doc["category"]) if doc.get("category") else [],
        "district": venue.get("district"),
        "district_key": fold(venue["district"]) if venue.get("district") else None,
        "provider_id": (doc.get("provider") or {}).get("id"),
        **venue_fields(doc),
        "weekdays": sorted({s["weekday"] for s in doc.get("sessions") or []}),
        "age_bands": [label for label, bit in BAND_BITS.items() if bits & bit],
        "free": None if price is None else bool(price.get("free")),
        "age_lo": OPEN_AGE_LO if lo is None else lo,
        "age_hi": OPEN_AGE_HI if hi is None else hi,
        "location": ({"lat": venue["lat"], "lon": venue["lon"]}
                     if venue.get("lat") is not None and venue.get("lon") is not None else None),
        "verified_at": doc.get("verified_at"),
        "updated_at": doc.get("updated_at"),
        "rating": doc.get("rating"),
        "doc": doc,
    }
    return {k: v for k, v in source.items() if v is not None}


def venue_fields(doc: dict) -> dict:
    """The suggestible venue's fields, none for a venue without a point or a name/address."""
    key = venue_key(doc)
    if key is None:
        return {}
    venue = venue_of(key)
    return {"venue_key": key, "venue_prefixes": venue_prefixes(venue), "venue_name": venue_name_key(venue) or None}
