"""In-memory columns of the filterable and sortable fields, one slot per index row.

Why: a parent's query filters and counts facets over the whole catalog every time. Doing that
with SQL GROUP BYs costs one scan per facet; with numpy columns a filter is one vector
operation and every facet count is one ``bincount``, so a 100k-entry city answers in a few
milliseconds. The columns are a cache of the SQLite rows, refreshed incrementally by ``seq``.
"""
from __future__ import annotations

import bisect
import heapq
import json
import math
import re

import numpy as np

from afterclasses.ports.search import AGE_BANDS, WEEKDAYS
from afterclasses_search.adapters.text import fold

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
        self.providers = Vocabulary()
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
        self.provider = grow(get("provider"), -1, np.int32)
        self.capacity = capacity

    def load(self, rows) -> None:
        """Apply rows ``(pos, seq, published, lat, lon, age_lo, age_hi, free, days, bands,
        verified, updated, rating, category, district, provider)`` — new or changed documents."""
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
        self.provider[pos] = np.asarray([self.providers.code(v) for v in cols[15]], dtype=np.int32)

    def view(self, name: str) -> np.ndarray:
        return getattr(self, name)[: self.size]


# --- venue suggestions ("where" box) ---------------------------------------------------------
# Derived here for both adapters (as band_bits is), so that they match and order alike.

VENUE_FIELDS = ("name", "address", "district", "city", "lat", "lon")
VENUE_PREFIX_MAX = 100  # the longest prefix the API takes: text past it never decides a match
_WORD = re.compile(r"[^\W_]+")  # a word as text.tokens sees it: a run of letters and digits
_SPACES = re.compile(r"\s+")


def _folded(text: str | None) -> str:
    return _SPACES.sub(" ", fold(text or "")).strip()


def venue_key(doc: dict) -> str | None:
    """The venue of a published activity as one string (a JSON array of :data:`VENUE_FIELDS`):
    what makes venues distinct, and their last tie-break. None without a point, or with neither
    a name nor an address (nothing to suggest it by)."""
    venue = doc.get("venue") or {}
    if venue.get("lat") is None or venue.get("lon") is None or not (venue.get("name") or venue.get("address")):
        return None
    return json.dumps([venue.get(f) for f in VENUE_FIELDS], ensure_ascii=False)


def venue_of(key: str) -> dict:
    return dict(zip(VENUE_FIELDS, json.loads(key)))


def venue_prefixes(venue: dict) -> list[str]:
    """Folded name and address from each word's start on (cut at :data:`VENUE_PREFIX_MAX`): a
    prefix query matches a venue when one of these starts with it, so "central pa" finds
    "Central Park" and "park" finds it too."""
    out = set()
    for text in (_folded(venue.get("name")), _folded(venue.get("address"))):
        out.update(text[m.start():m.start() + VENUE_PREFIX_MAX] for m in _WORD.finditer(text))
    return sorted(out)


def venue_name_key(venue: dict) -> str:
    """Folded name from its first word on: a venue whose whole name starts with the prefix
    is suggested first ("" without a name)."""
    name = _folded(venue.get("name"))
    first = _WORD.search(name)
    return name[first.start():first.start() + VENUE_PREFIX_MAX] if first else ""


def venue_prefix(q: str) -> str:
    """What a typed prefix is matched as: folded, spaces collapsed, leading punctuation dropped
    (typing the quote of «"Яуза"» still finds it). "" when it has no letter or digit."""
    text = _folded(q)
    first = _WORD.search(text)
    return text[first.start():first.start() + VENUE_PREFIX_MAX] if first else ""


def venue_order(prefix: str, name_key: str, count: int, key: str) -> tuple:
    """Best first: whole name starts with the prefix, then more activities, then the key."""
    return (not name_key.startswith(prefix), -count, key)


class Venues:
    """Distinct venues of the live documents with their activity counts, and a sorted list of
    their word-start prefixes to bisect: a cache of the rows' ``venue`` column, refreshed by
    ``seq`` like :class:`Columns`. A venue whose last activity goes keeps its prefixes with a
    count of 0 (skipped), so an update never has to search the list to delete."""

    def __init__(self):
        self.seq = 0
        self._at: dict[int, str] = {}  # row position -> venue key
        self._count: dict[str, int] = {}  # venue key -> live activities there
        self._name: dict[str, str] = {}  # venue key -> venue_name_key
        self._keys: dict[str, str] = {}  # venue key -> the same, kept once
        self._prefixes: list[tuple[str, str]] = []  # (prefix, venue key), sorted

    def load(self, rows) -> None:
        """Apply rows ``(pos, seq, venue key or None)`` — new or changed documents."""
        added = []
        for pos, seq, key in rows:
            self.seq = max(self.seq, seq)
            old = self._at.pop(pos, None)
            if old is not None:
                self._count[old] -= 1
            if key is None:
                continue
            if key not in self._count:
                venue = venue_of(key)
                self._count[key] = 0
                self._name[key] = venue_name_key(venue)
                self._keys[key] = key
                added += [(p, key) for p in venue_prefixes(venue)]
            self._at[pos] = self._keys[key]  # one string per venue, not one per row read
            self._count[key] += 1
        if added:
            added.sort()
            # two sorted runs: timsort merges them in linear time
            self._prefixes = sorted(self._prefixes + added) if self._prefixes else added

    def match(self, q: str, limit: int) -> list[dict]:
        prefix = venue_prefix(q)
        if not prefix or limit < 1:
            return []
        found = set()
        i = bisect.bisect_left(self._prefixes, (prefix,))
        while i < len(self._prefixes) and self._prefixes[i][0].startswith(prefix):
            key = self._prefixes[i][1]
            if self._count[key]:
                found.add(key)
            i += 1
        best = heapq.nsmallest(limit, found, key=lambda k: venue_order(prefix, self._name[k], self._count[k], k))
        return [venue_of(k) for k in best]


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
