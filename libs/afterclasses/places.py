"""Where a parent is: place names of the offline gazetteer (``<datasets>/gazetteer``) resolved to
a point, with prefix suggestions for the "where" box.

Sources (see each folder's SOURCE.md): US ZIP code centroids, NYC boroughs and neighbourhoods
(NTA), Moscow districts and metro stations. Names are compared folded (case, ё/е, punctuation),
so "Савёлки", "савелки", "10469" and "kingsbridge heights" all resolve.
"""
from __future__ import annotations

import bisect
import csv
import dataclasses
import functools
import json
import re
from pathlib import Path

from afterclasses.geo import representative_point

# the order kinds are suggested in when names tie
_KIND_ORDER = {"borough": 0, "neighbourhood": 1, "district": 1, "metro": 2, "zip": 3}
NYC_COUNTIES = {"36005": "Bronx", "36047": "Brooklyn", "36061": "Manhattan", "36081": "Queens",
                "36085": "Staten Island"}
_NON_WORD = re.compile(r"[^\w]+")
# a US ZIP code where addresses put it: after the state ("NY 10469"), or ending the address
# ("2750 Throop Avenue, 10469"); never a house number or a suite ("10469 Boston Rd", "Suite 10001")
_ZIP_AFTER_STATE = re.compile(r"\b[A-Z]{2},?\s+(\d{5})(?:-\d{4})?(?![\w-])")
_ZIP_AT_END = re.compile(r"(?:^|[,\s])(\d{5})(?:-\d{4})?\s*(?:,?\s*(?:USA?|United States))?\s*$", re.I)


def zip_code(address: str) -> str | None:
    """The US ZIP code an address ends with or gives after its state, if any."""
    found = _ZIP_AFTER_STATE.search(address) or _ZIP_AT_END.search(address)
    return found.group(1) if found else None


# Russian → Latin the way Moscow's own English signs spell it (BGN/PCGN-like): "Китай-город" →
# "kitay-gorod", "Арбат" → "arbat"; a parent abroad types the Latin name
_LATIN = dict(zip("абвгдежзийклмнопрстуфхцчшщъыьэюя",
                  ["a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
                   "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"], strict=True))


def latin(text: str) -> str:
    return "".join(_LATIN.get(c, c) for c in fold(text))


def fold(text: str) -> str:
    """The comparison key of a name: lower case, ё→е, words separated by single spaces."""
    return _NON_WORD.sub(" ", text.lower().replace("ё", "е")).strip()


@dataclasses.dataclass(frozen=True)
class Place:
    kind: str  # zip | borough | neighbourhood | district | metro
    name: str  # what the box shows and the URL keeps, e.g. "10469", "Kingsbridge Heights"
    detail: str  # the context a suggestion shows, e.g. "Bronx", "Калужско-Рижская линия"
    lat: float
    lon: float


class Places:
    """Every gazetteer place, looked up by folded name or word prefix (read-only once built)."""

    def __init__(self, places: list[Place]):
        self._by_key: dict[str, list[Place]] = {}
        for place in places:
            for key in {fold(place.name), latin(place.name)}:
                self._by_key.setdefault(key, []).append(place)
        # (folded word suffix of a name, place): a prefix of any word of the name matches
        self._words = sorted(
            ((key[i:], place) for key, group in self._by_key.items() for place in group
             for i in [0, *(m.end() for m in re.finditer(" ", key))]),
            key=lambda pair: pair[0],
        )
        self._keys = [w for w, _ in self._words]

    def __iter__(self):
        """Every place once (a Moscow place is kept under its Russian and its Latin name)."""
        return iter(dict.fromkeys(place for group in self._by_key.values() for place in group))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def resolve(self, text: str) -> Place | None:
        """The place ``text`` names (exactly, after folding), else the best suggestion, else None."""
        key = fold(text)
        if not key:
            return None
        exact = self._exact(key)
        if exact:
            return exact
        found = self.suggest(text, limit=1)
        return found[0] if found else None

    def venue_point(self, address: str | None, district: str | None) -> Place | None:
        """Where a venue given without a point roughly is: the ZIP code of its address, else its
        district or neighbourhood named exactly. None rather than a guess."""
        code = zip_code(address or "")
        zips = [p for p in self._by_key.get(code or "", []) if p.kind == "zip"]
        if zips:
            return zips[0]
        return self._exact(fold(district or ""))

    def _exact(self, key: str) -> Place | None:
        """The place named ``key`` (folded), with or without a kind prefix; a borough before a
        neighbourhood or district, before a metro station, before a ZIP code."""
        named = next((self._by_key[k] for k in _unprefixed(key) if k in self._by_key), None)
        return min(named, key=lambda p: _KIND_ORDER[p.kind]) if named else None

    def suggest(self, text: str, limit: int = 8) -> list[Place]:
        """Places a word of whose name starts with ``text``; whole-name prefixes first, then shorter names."""
        key = _unprefixed(fold(text))[-1]
        if not key:
            return []
        seen, found = set(), []
        start = bisect.bisect_left(self._keys, key)
        for word, place in self._words[start:start + 2000]:
            if not word.startswith(key):
                break
            if place not in seen:
                seen.add(place)
                found.append(place)
        found.sort(key=lambda p: (not (fold(p.name).startswith(key) or latin(p.name).startswith(key)),
                                  _KIND_ORDER[p.kind], len(p.name), p.name))
        return found[:limit]


# what people type before a name: "ZIP 10469", "м. Китай-город", "метро Арбатская", "район
# Арбат" (folded)
_PREFIXES = ("zip ", "станция метро ", "ст м ", "метро ", "м ", "район ", "р н ")


def _unprefixed(key: str) -> list[str]:
    """The folded name as typed, then without a prefix that only says what kind of place it is."""
    return [key, *(key.removeprefix(p) for p in _PREFIXES if key.startswith(p))]


def load_places(datasets_root: str | Path) -> Places:
    """The places under ``<datasets_root>/gazetteer``; parsed once per directory and process.
    A missing source is skipped (a city runs with its own gazetteer only)."""
    return _load(Path(datasets_root).resolve())


@functools.cache
def _load(root: Path) -> Places:
    folder = root / "gazetteer"
    places: list[Place] = []
    for loader in (_zips, _boroughs, _neighbourhoods, _moscow_districts, _metro):
        try:
            places.extend(loader(folder))
        except FileNotFoundError:
            continue
    return Places(places)


def _polygons(path: Path, name_of, detail_of, kind: str) -> list[Place]:
    with open(path, encoding="utf-8") as f:
        features = json.load(f)["features"]
    out = []
    for feature in features:
        lon, lat = representative_point(feature["geometry"])
        out.append(Place(kind, name_of(feature["properties"]), detail_of(feature["properties"]),
                         round(lat, 6), round(lon, 6)))
    return out


def _boroughs(folder: Path) -> list[Place]:
    return _polygons(folder / "nyc-boroughs" / "boroughs.geojson", lambda p: p["BoroName"],
                     lambda p: "New York City", "borough")


def _neighbourhoods(folder: Path) -> list[Place]:
    places = _polygons(folder / "nyc-nta" / "nynta.geojson", lambda p: p["ntaname"],
                       lambda p: p["boroname"], "neighbourhood")
    # "park-cemetery-etc-Bronx" and the like are the NTA's leftovers, not neighbourhoods
    return [p for p in places if not p.name.startswith("park-cemetery")]


def _moscow_districts(folder: Path) -> list[Place]:
    return _polygons(folder / "moscow-districts" / "mo.geojson", lambda p: p["NAME"],
                     lambda p: f"{p['NAME_AO']} АО, Москва", "district")


def _zips(folder: Path) -> list[Place]:
    with open(folder / "us-zcta" / "zctas.csv", encoding="utf-8", newline="") as f:
        return [Place("zip", row["ZCTA5"], NYC_COUNTIES.get(row["Primary County"], "US ZIP code"),
                      float(row["Latitude"]), float(row["Longitude"])) for row in csv.DictReader(f)]


def _metro(folder: Path) -> list[Place]:
    # one record per entrance (cp1251, per SOURCE.md); a station is the mean of its entrances
    records = json.loads((folder / "moscow-metro" / "metro.json").read_bytes().decode("cp1251"))
    stations: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for record in records:
        cells = record["Cells"]
        point = (float(cells["Latitude_WGS84"]), float(cells["Longitude_WGS84"]))
        stations.setdefault((cells["NameOfStation"], cells["Line"]), []).append(point)
    return [Place("metro", name, f"м. · {line}", round(sum(p[0] for p in pts) / len(pts), 6),
                  round(sum(p[1] for p in pts) / len(pts), 6)) for (name, line), pts in stations.items()]
