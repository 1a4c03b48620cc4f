"""Plane geometry on GeoJSON lon/lat rings, pure Python: enough to place a district or a
neighbourhood on the map without shapely/GEOS in every image for a few hundred polygons."""
from __future__ import annotations


def representative_point(geometry: dict) -> tuple[float, float]:
    """(x, y) inside the largest polygon of a GeoJSON Polygon/MultiPolygon.

    The area centroid of the outer ring, unless the shape is so concave that the centroid falls
    outside it; then the middle of the widest inside stretch of the horizontal line through the
    centroid (the idea behind GEOS's representative point).
    """
    coordinates = geometry["coordinates"]
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    ring = max((p[0] for p in polygons), key=lambda r: abs(_signed_area(r)))
    cx, cy = _centroid(ring)
    if contains(ring, cx, cy):
        return cx, cy
    xs = sorted(_crossings(ring, cy))
    # even-odd rule: consecutive crossings pair up into inside stretches
    start, end = max(zip(xs[::2], xs[1::2]), key=lambda s: s[1] - s[0])
    return (start + end) / 2, cy


def _signed_area(ring: list) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:])) / 2


def _centroid(ring: list) -> tuple[float, float]:
    area = _signed_area(ring)
    if area == 0:  # degenerate ring: fall back to the mean vertex
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    cx = cy = 0.0
    for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:]):
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return cx / (6 * area), cy / (6 * area)


def _crossings(ring: list, y: float) -> list[float]:
    """x of every edge crossing the horizontal line at ``y`` (half-open, so vertices count once)."""
    return [
        x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:])
        if (y0 > y) != (y1 > y)
    ]


def contains(ring: list, x: float, y: float) -> bool:
    return sum(1 for cx in _crossings(ring, y) if cx > x) % 2 == 1
