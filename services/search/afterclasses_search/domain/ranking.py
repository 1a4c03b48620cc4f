"""The "best match" policy, one place for every index adapter.

A score blends text relevance (normalised by the best match), distance decay, freshness of
verification and rating; the blend depends on what the parent asked. Programmes only for adults
sink: this is a finder for children.
"""
from __future__ import annotations

from afterclasses.ports.search import SearchQuery

ADULT_AGE, ADULT_FACTOR = 18, 0.6
FRESH_DAYS = 365  # freshness decays by e every year since the entry was last verified
UNKNOWN_FRESHNESS, UNKNOWN_RATING = 0.3, 0.5  # never verified; no rating yet (of 1)


def weights(query: SearchQuery, text: bool) -> dict[str, float]:
    """Weights of relevance, distance, freshness and rating for this query (they sum to 1)."""
    if text and query.has_point:
        return {"rel": 0.5, "distance": 0.35, "fresh": 0.1, "rating": 0.05}
    if text:
        return {"rel": 0.8, "distance": 0.0, "fresh": 0.15, "rating": 0.05}
    if query.has_point:
        return {"rel": 0.0, "distance": 0.75, "fresh": 0.2, "rating": 0.05}
    return {"rel": 0.0, "distance": 0.0, "fresh": 0.7, "rating": 0.3}


def distance_scale_km(query: SearchQuery) -> float:
    """Distance at which the distance term has decayed by e: half the radius, at least 1 km."""
    return max(query.radius_km / 2, 1.0) if query.radius_km else 3.0
