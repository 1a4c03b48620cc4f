"""In-memory columns of the filterable and sortable fields, one slot per index row.

Why: a parent's query filters and counts facets over the whole catalog every time. Doing that
with SQL GROUP BYs costs one scan per facet; with numpy columns a filter is one vector
operation and every facet count is one ``bincount``, so a 100k-entry city answers in a few
milliseconds. The columns are a cache of the SQLite rows, refreshed incrementally by ``seq``.
"""
from __future__ import annotations

import math

import numpy as np

from afterclasses.ports.search import AGE_BANDS, WEEKDAYS

DAY_BITS = {d: 1 << i for i, d in enumerate(WEEKDAYS)}
BAND_BITS = {label: 1 << i for i, (label, _, _) in enumerate(AGE_BANDS)}
EARTH_KM = 6371.0088


def day_bits(days) -> int:
    return sum(DAY_BITS[d] for d in set(days) if d in DAY_BITS)


def band_bits(age_lo: float | None, age_hi: float | None) -> int:
    """Bands some age of which an activity with this range accepts (open bounds accept all)."""
    lo = 0.0 if age_lo is None else age_lo
    hi = math.inf if age_hi is None else age_hi
    return sum(BAND_BITS[label] for label, b_lo, b_hi in AGE_BANDS if lo <= b_hi and hi >= b_lo)


class Vocabulary:
    """Strings ↔ small integer codes (-1 for none)."""

    def __init__(self):
        self.values: list[str] = []
        self.codes: dict[str, int] = {}

    def code(self, value: str | None) -> int:
        if value is None:
            return -1
        code = self.codes.get(value)
        if code is None:
            code = self.codes[value] = len(self.values)
            self.values.append(value)
        return code


class Columns:
    """Column arrays indexed by row position (the SQLite rowid of the document)."""

    NUMERIC = ("lat", "lon", "age_lo", "age_hi", "verified", "updated", "rating")

    def __init__(self, capacity: int = 1024):
        self.size = 0  # highest position + 1
        self.seq = 0  # newest row sequence loaded
        self.categories = Vocabulary()
        self.districts = Vocabulary()
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        def grow(old, fill, dtype):
            new = np.full(capacity, fill, dtype=dtype)
            if old is not None:
                new[: len(old)] = old
            return new

        get = lambda name: getattr(self, name, None)  # noqa: E731
        self.alive = grow(get("alive"), False, bool)
        for name in self.NUMERIC:
            setattr(self, name, grow(get(name), np.nan, np.float64))
        self.free = grow(get("free"), -1, np.int8)
        self.days = grow(get("days"), 0, np.uint8)
        self.bands = grow(get("bands"), 0, np.uint8)
        self.category = grow(get("category"), -1, np.int32)
        self.district = grow(get("district"), -1, np.int32)
        self.capacity = capacity

    def load(self, rows) -> None:
        """Apply rows ``(pos, seq, published, lat, lon, age_lo, age_hi, free, days, bands,
        verified, updated, rating, category, district)`` — new or changed documents."""
        if not rows:
            return
        cols = list(zip(*rows))
        pos = np.asarray(cols[0], dtype=np.int64)
        top = int(pos.max()) + 1
        if top > self.capacity:
            self._allocate(max(top, self.capacity * 2))
        self.size = max(self.size, top)
        self.seq = max(self.seq, max(cols[1]))
        self.alive[pos] = np.asarray(cols[2], dtype=bool)
        for name, values in zip(self.NUMERIC, cols[3:7] + cols[10:13]):
            getattr(self, name)[pos] = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
        self.free[pos] = np.asarray([-1 if v is None else v for v in cols[7]], dtype=np.int8)
        self.days[pos] = np.asarray(cols[8], dtype=np.uint8)
        self.bands[pos] = np.asarray(cols[9], dtype=np.uint8)
        self.category[pos] = np.asarray([self.categories.code(v) for v in cols[13]], dtype=np.int32)
        self.district[pos] = np.asarray([self.districts.code(v) for v in cols[14]], dtype=np.int32)

    def view(self, name: str) -> np.ndarray:
        return getattr(self, name)[: self.size]


def haversine_km(lat, lon, lat0: float, lon0: float) -> np.ndarray:
    lat1, lon1 = np.radians(lat), np.radians(lon)
    la0, lo0 = math.radians(lat0), math.radians(lon0)
    a = np.sin((lat1 - la0) / 2) ** 2 + math.cos(la0) * np.cos(lat1) * np.sin((lon1 - lo0) / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def bbox(lat0: float, lon0: float, radius_km: float) -> tuple[float, float, float, float]:
    """A box that contains the circle (lat_min, lat_max, lon_min, lon_max).

    Longitudes are not bounded when the circle reaches a pole or crosses the ±180° meridian;
    the exact distance check after the box does the rest.
    """
    dlat = math.degrees(radius_km / EARTH_KM) * 1.000001  # a hair wider: rounding never cuts the rim
    lat_min, lat_max = lat0 - dlat, lat0 + dlat
    if lat_min <= -90 or lat_max >= 90:
        return max(lat_min, -90), min(lat_max, 90), -180.0, 180.0
    # the circle is widest in longitude at its latitude farthest from the equator
    coslat = math.cos(math.radians(max(abs(lat_min), abs(lat_max))))
    dlon = math.degrees(radius_km / (EARTH_KM * coslat)) * 1.000001
    if lon0 - dlon < -180 or lon0 + dlon > 180:
        return lat_min, lat_max, -180.0, 180.0
    return lat_min, lat_max, lon0 - dlon, lon0 + dlon
