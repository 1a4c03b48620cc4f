"""Every OpenSearch query body of the search index, in one place (warehouse ``search/queries.py``).

Pure functions from a :class:`SearchQuery` to request bodies; the adapter sends them. The
semantics mirror the embedded adapter (``sqlite_fts``): user text only ever reaches the engine as
plain words inside ``match``-family queries (never ``query_string``), facet selections are a
``post_filter`` so that each facet's aggregation can leave out its own selection, and "best"
ranking is the same blend as ``SqliteSearchIndex._rank``.
"""
from __future__ import annotations

import math

from afterclasses import taxonomy
from afterclasses.ports.search import AGE_BANDS, WEEKDAYS, SearchQuery
from afterclasses_search.adapters.opensearch_mapping import PUBLISHED
from afterclasses_search.adapters.text import fold
from afterclasses_search.domain.ranking import (
    ADULT_AGE,
    ADULT_FACTOR,
    FRESH_DAYS,
    UNKNOWN_FRESHNESS,
    UNKNOWN_RATING,
    distance_scale_km,
    weights,
)

TEXT_FIELDS = ("title^5", "topic^3", "body")  # the embedded bm25 weights (queries.MATCH)
FRESH_SCALE = f"{FRESH_DAYS}d"
FRESH_UNKNOWN, RATING_UNKNOWN = UNKNOWN_FRESHNESS, UNKNOWN_RATING * 5  # the rating field is 0-5
INV_E = 1 / math.e  # decay value at ``scale``: exp/gauss decays then read exp(-d / scale)
DISTRICT_BUCKETS = 2_000  # districts listed by the facet (a city has a few hundred)

# Text attempts, tried in order until one matches something in the index (not only after the
# filters: as the embedded adapter, a filtered-out match must not trigger typo correction).
ALL_WORDS, ANY_PREFIX, FUZZY = "all", "prefix", "fuzzy"
ATTEMPTS = (ALL_WORDS, ANY_PREFIX, FUZZY)


def text_query(words: list[str], attempt: str, boost: float = 1.0) -> dict:
    """One text attempt over title, topic and body."""
    if attempt == ALL_WORDS:
        # cross_fields: every word somewhere in the document (any field), as FTS5's AND;
        # best_fields would demand all words in one field
        return {"multi_match": {"query": " ".join(words), "fields": list(TEXT_FIELDS), "type": "cross_fields",
                                "operator": "and", "boost": boost}}
    if attempt == ANY_PREFIX:
        # fewer words matched, each possibly still being typed (the embedded `"term"*` OR …)
        return {"bool": {"should": [{"multi_match": {"query": w, "fields": list(TEXT_FIELDS), "type": "bool_prefix"}}
                                    for w in words], "minimum_should_match": 1, "boost": boost}}
    if attempt == FUZZY:
        # typo tolerance, only when nothing else matched. The edits count on the stemmed term
        # ("tenis" is "teni"): AUTO:4,10 allows one edit from 4 characters and two from 10, about
        # what the embedded difflib cutoff of 0.8 accepts ("tenis" → tennis, "gymnastcs" →
        # gymnastics, not "karate" → art). Lucene blends the expansions' frequencies, so a rare
        # lookalike does not outrank the common word (the embedded adapter takes the closest)
        return {"multi_match": {"query": " ".join(words), "fields": list(TEXT_FIELDS), "operator": "or",
                                "fuzziness": "AUTO:4,10", "boost": boost}}
    raise ValueError(attempt)


def published() -> dict:
    return {"term": {"status": PUBLISHED}}


def base_filters(query: SearchQuery) -> list[dict]:
    """Filters every count obeys, facets included: published, the child's age, the radius, the
    providers and the activities left out."""
    out = [published()]
    if query.age is not None:
        # open bounds are stored as 0 / 1000 (opensearch_mapping.OPEN_AGE_*)
        out += [{"range": {"age_lo": {"lte": query.age}}}, {"range": {"age_hi": {"gte": query.age}}}]
    if query.providers:
        out.append({"terms": {"provider_id": list(query.providers)}})
    if query.exclude:
        out.append({"bool": {"must_not": {"terms": {"id": list(query.exclude)}}}})
    if query.has_point and query.radius_km is not None:
        out.append({"geo_distance": {"distance": f"{query.radius_km}km", "distance_type": "arc",
                                     "location": {"lat": query.lat, "lon": query.lon}}})
    return out


def folded_districts(query: SearchQuery) -> list[str]:
    """Selected districts as ``district_key`` holds them: «Савелки» selects «Савёлки»."""
    return sorted({fold(d).strip() for d in query.districts})


def facet_filters(query: SearchQuery) -> dict[str, dict]:
    """One filter per facet with a selection (several values of a facet: any of them)."""
    out = {}
    if query.categories:
        out["category"] = {"terms": {"category_path": list(query.categories)}}
    if query.free is not None:
        out["free"] = {"term": {"free": query.free}}
    if query.days:
        out["day"] = {"terms": {"weekdays": list(query.days)}}
    if query.districts:
        out["district"] = {"terms": {"district_key": folded_districts(query)}}
    if query.age_bands:
        out["age_band"] = {"terms": {"age_bands": list(query.age_bands)}}
    return out


def _all(filters) -> dict:
    filters = list(filters)
    return {"bool": {"filter": filters}} if filters else {"match_all": {}}


FACET_FIELDS = {
    "category": ("category_path", len(taxonomy.categories()) + 10),
    "age_band": ("age_bands", len(AGE_BANDS)),
    "day": ("weekdays", len(WEEKDAYS)),
    "free": ("free", 2),
    "district": ("district", DISTRICT_BUCKETS),
}


def facet_aggs(query: SearchQuery, filters: dict[str, dict]) -> dict:
    """Per facet: the other facets' selections, then counts per value (disjunctive faceting)."""
    aggs = {
        name: {"filter": _all(f for other, f in filters.items() if other != name),
               "aggs": {"values": {"terms": {"field": field, "size": size}}}}
        for name, (field, size) in FACET_FIELDS.items()
    }
    if query.districts:
        # how the selected districts are written in the index, for a selection whose count
        # dropped to 0 under the other filters (it is still listed, as selected)
        aggs["district_names"] = {"global": {}, "aggs": {"selected": {
            "filter": {"bool": {"filter": [published(), {"terms": {"district_key": folded_districts(query)}}]}},
            "aggs": {"values": {"terms": {"field": "district", "size": 100}}}}}}
    return aggs


def ranked(query: SearchQuery, words: list[str], attempt: str, max_rel: float) -> dict:
    """The filtered query, scored by the "best match" blend.

    Text relevance is normalised by ``max_rel``, the best text score among all matches (a first
    request finds it), so that it blends with the 0..1 signals as in the embedded ``_rank``:
    the text clause's boost is weight / max. Distance and freshness decay exponentially
    (``exp`` with decay 1/e at ``scale`` reads exp(-d / scale)); a missing point counts 0, a
    missing verification 0.3, a missing rating 2.5 of 5. Programmes only for adults sink (× 0.6).
    """
    w = weights(query, bool(words))
    bool_query = {"filter": base_filters(query)}
    if words:
        bool_query["must"] = [text_query(words, attempt, boost=w["rel"] / max_rel)]
    functions = [
        # unfiltered, so it matches every document: with score_mode "sum", a document no function
        # matched would get a factor of 1, not 0
        {"field_value_factor": {"field": "rating", "factor": 0.2, "missing": RATING_UNKNOWN}, "weight": w["rating"]},
        {"filter": {"exists": {"field": "verified_at"}},
         "exp": {"verified_at": {"scale": FRESH_SCALE, "decay": INV_E}}, "weight": w["fresh"]},
        {"filter": {"bool": {"must_not": {"exists": {"field": "verified_at"}}}}, "weight": w["fresh"] * FRESH_UNKNOWN},
    ]
    if query.has_point:
        scale = distance_scale_km(query)
        functions.append({"filter": {"exists": {"field": "location"}},
                          "exp": {"location": {"origin": {"lat": query.lat, "lon": query.lon},
                                               "scale": f"{scale}km", "decay": INV_E}},
                          "weight": w["distance"]})
    blended = {"function_score": {"query": {"bool": bool_query}, "functions": functions,
                                  "score_mode": "sum", "boost_mode": "sum"}}
    # a finder for children: a multiplier applies to the whole blend, hence the second layer
    return {"function_score": {"query": blended, "boost_mode": "multiply", "score_mode": "multiply",
                               "functions": [{"filter": {"range": {"age_lo": {"gte": ADULT_AGE}}},
                                              "weight": ADULT_FACTOR}]}}


def geo_sort(query: SearchQuery) -> dict:
    return {"_geo_distance": {"location": {"lat": query.lat, "lon": query.lon}, "order": "asc", "unit": "km",
                              "distance_type": "arc", "ignore_unmapped": True}}


def by_distance(query: SearchQuery) -> bool:
    return query.sort == "distance" and query.has_point  # without a point, "distance" ranks as "best"


def sorts(query: SearchQuery) -> list:
    """Sort keys per ``query.sort``; ties resolve by score, then by id, so that every page is a
    slice of one total order. With a point, a final distance key (never deciding: ids are
    unique) returns each hit's distance in km."""
    if by_distance(query):
        keys = [geo_sort(query), {"_score": "desc"}]
    elif query.sort == "newest":
        keys = [{"updated_at": {"order": "desc", "missing": "_last"}}, {"_score": "desc"}]
    else:
        keys = [{"_score": "desc"}]
    keys.append({"id": "asc"})
    if query.has_point and not by_distance(query):
        keys.append(geo_sort(query))
    return keys


def distance_sort_key(query: SearchQuery) -> int | None:
    """Where in a hit's sort values its distance (km) is, or None without a point."""
    if not query.has_point:
        return None
    return 0 if by_distance(query) else -1


def search_body(query: SearchQuery, words: list[str], attempt: str, max_rel: float, start: int, size: int) -> dict:
    """The page, the total and the facet counts, in one request."""
    filters = facet_filters(query)
    body = {
        "query": ranked(query, words, attempt, max_rel),
        "aggs": facet_aggs(query, filters),
        "sort": sorts(query),
        "from": start,
        "size": size,
        "track_total_hits": True,
        "track_scores": True,
        "_source": ["doc"],
    }
    if filters:
        body["post_filter"] = _all(filters.values())
    return body


def best_text_body(query: SearchQuery, words: list[str], attempt: str) -> dict:
    """The best text score among the matches that pass every filter (``hits.max_score``)."""
    filters = base_filters(query) + list(facet_filters(query).values())
    return {"query": {"bool": {"must": [text_query(words, attempt)], "filter": filters}},
            "size": 1, "_source": False, "track_total_hits": False}


def text_matches_body(words: list[str], attempt: str) -> dict:
    """Does the attempt match any published activity at all (filters aside)?"""
    return {"query": {"bool": {"must": [text_query(words, attempt)], "filter": [published()]}}}


def venues_body(prefix: str, limit: int) -> dict:
    """Distinct venues (``venue_key``) with a word starting with ``prefix`` (already
    ``columns.venue_prefix``-normalised), in ``columns.venue_order``: those whose whole name
    starts with it, then the others, each by activities there, then by key (one shard: exact
    counts). The adapter takes ``limit`` from the first group, then the second."""

    def top(name_filter: dict) -> dict:
        return {"filter": name_filter, "aggs": {"venues": {"terms": {
            "field": "venue_key", "size": limit, "order": [{"_count": "desc"}, {"_key": "asc"}]}}}}

    name_first = {"prefix": {"venue_name": prefix}}
    return {
        "query": {"bool": {"filter": [published(), {"prefix": {"venue_prefixes": prefix}}]}},
        "aggs": {"name_first": top(name_first), "others": top({"bool": {"must_not": name_first}})},
        "size": 0,
        "track_total_hits": False,
    }


def published_count_body() -> dict:
    return {"query": published()}
