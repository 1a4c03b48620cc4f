"""Moscow districts and okrugs from the GIS-Lab boundary files, with forgiving name lookup.

Moscow's department files carry no coordinates, only a district (``Район``) and an okrug. To
place their activities on the map we resolve the district against the boundary polygons in
``<datasets_root>/gazetteer/moscow-districts/{mo,ao}.geojson`` and use a representative point
of the district, which the importer marks as approximate.

Department spelling drifts (ё/е, hyphens, typos, pre-2012 Zelenograd names), so names are
normalised and a short alias table covers the known cases (see that folder's SOURCE.md).
Pure Python on purpose: no shapely/GEOS in the ingest image for a few hundred polygons.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from afterclasses.geo import representative_point

GAZETTEER_DIR = Path("gazetteer") / "moscow-districts"

# normalised alias -> canonical gazetteer NAME (compared after _norm, so case/ё do not matter)
DISTRICT_ALIASES = {
    "таганское": "Таганский",
    "поселок восточный": "Восточный",
    "орехово-борисово-северное": "Орехово-Борисово Северное",
    "михайло-ярцеславское": "Михайлово-Ярцевское",
    "рязановская": "Рязановское",
    "московкий": "Московский",
    # Zelenograd's districts before the 2012 reform; each was split in two. The point is only
    # approximate anyway, so we pick the successor that inherited the old district's name (or,
    # for Панфиловский, the one its namesake avenue runs through).
    "матушкино-савелки": "Матушкино",
    "панфиловский": "Силино",
}

# normalised alias -> okrug NAME as in ao.geojson
OKRUG_ALIASES = {
    "новомосковкий": "Новомосковский",  # typo in 537_detskie_shkoly_iskusstv.csv
    "нао": "Новомосковский",
    "тао": "Троицкий",
}

# ao.geojson spells the two "New Moscow" okrugs out; the usual abbreviations keep tags uniform
_ABBREV_FIXES = {"Новомосковский": "НАО", "Троицкий": "ТАО"}

_QUOTES = re.compile(r"[\"'«»“”„]")
_DASHES = re.compile(r"[\u2010-\u2015-]")
_SPACES = re.compile(r"\s+")
# applied to normalised keys, where "р-н" has become "р н"
_DISTRICT_WORDS = re.compile(
    r"^(район|р н|поселение|муниципальный округ)\s+|\s+(район|р н|поселение)$")
_OKRUG_WORDS = re.compile(r"\s+(ао|административный округ)$")


def _norm(text: str) -> str:
    """Lowercase, ё→е, no quotes, hyphens as spaces, single spaces: the comparison key."""
    text = _QUOTES.sub("", text.lower().replace("ё", "е"))
    return _SPACES.sub(" ", _DASHES.sub(" ", text)).strip()


@dataclass(frozen=True)
class Okrug:
    name: str  # as in ao.geojson, e.g. "Восточный"
    abbrev: str  # e.g. "ВАО"; "НАО"/"ТАО" for the New Moscow okrugs


@dataclass(frozen=True)
class District:
    name: str  # canonical, as in mo.geojson (with ё)
    okrug: str  # okrug abbreviation
    okrug_name: str
    lat: float
    lon: float


class Gazetteer:
    """Districts and okrugs indexed by normalised name (read-only once built)."""

    def __init__(self, districts: list[District], okrugs: list[Okrug]):
        self._districts = {_norm(d.name): d for d in districts}
        for alias, name in DISTRICT_ALIASES.items():
            self._districts.setdefault(_norm(alias), self._districts[_norm(name)])
        self._okrugs: dict[str, Okrug] = {}
        for okrug in okrugs:
            self._okrugs[_norm(okrug.name)] = okrug
            self._okrugs[_norm(okrug.abbrev)] = okrug
        for alias, name in OKRUG_ALIASES.items():
            self._okrugs[_norm(alias)] = self._okrugs[_norm(name)]

    def districts(self) -> list[District]:
        return sorted({d.name: d for d in self._districts.values()}.values(), key=lambda d: d.name)

    def district(self, text: str | None) -> District | None:
        """The district named ``text`` (any spelling we know of), or None."""
        if not text:
            return None
        key = _norm(text)
        return self._districts.get(key) or self._districts.get(_DISTRICT_WORDS.sub("", key))

    def okrug(self, text: str | None) -> Okrug | None:
        """The okrug named or abbreviated ``text`` ("Восточный АО", "ВАО", "восточный"), or None."""
        if not text:
            return None
        key = _norm(text)
        return self._okrugs.get(key) or self._okrugs.get(_OKRUG_WORDS.sub("", key))


def load_gazetteer(datasets_root: str | Path) -> Gazetteer:
    """The gazetteer under ``datasets_root``; parsed once per directory and process."""
    return _load(Path(datasets_root).resolve())


@functools.cache
def _load(root: Path) -> Gazetteer:
    folder = root / GAZETTEER_DIR
    okrugs = {}
    for feature in _features(folder / "ao.geojson"):
        props = feature["properties"]
        abbrev = _ABBREV_FIXES.get(props["ABBREV"], props["ABBREV"])
        okrugs[props["NAME"]] = Okrug(props["NAME"], abbrev)
    districts = []
    for feature in _features(folder / "mo.geojson"):
        props = feature["properties"]
        okrug = okrugs[props["NAME_AO"]]
        lon, lat = representative_point(feature["geometry"])
        districts.append(
            District(props["NAME"], okrug.abbrev, okrug.name, round(lat, 6), round(lon, 6)))
    return Gazetteer(districts, list(okrugs.values()))


def _features(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)["features"]
