"""Named value parsers that mapping files refer to (``parser = "age_range"``).

Departments publish free text: ages as "6 and up", "Elem/MS" or "3,5 и старше", addresses glued
to ZIP codes, phones with mojibake. Each parser turns one raw cell (always a ``str``, possibly
empty) into a contract value, and raises ``ParseError(reason)`` rather than guessing when it
cannot: a loud row error beats a silently wrong age filter. Parsers are pure functions; the few
that need reference data (the Moscow gazetteer) take a ``ParseContext`` as second argument.
``PARSERS`` is the registry mapping files use; add a function there to make it available.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import phonenumbers

from afterclasses_ingest.importer.errors import ParseError
from afterclasses_ingest.importer.gazetteer import Gazetteer, load_gazetteer

AGE_LIMIT = 120
Age = tuple[float | None, float | None]


@dataclass(frozen=True)
class ParseContext:
    """What context-aware parsers may consult; one per import run."""

    datasets_root: Path

    @property
    def gazetteer(self) -> Gazetteer:
        return load_gazetteer(self.datasets_root)  # cached per directory


# --- text ---------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def text(value: str) -> str | None:
    """Trim and collapse whitespace (NYC pads NTA names to 75 chars); empty means None."""
    return _SPACES.sub(" ", value).strip() or None


def split_list(value: str) -> tuple[str, ...]:
    """A comma-joined list ("After-School Programs,Summer Program") as unique trimmed items."""
    items = (text(item) for item in value.split(","))
    return tuple(dict.fromkeys(item for item in items if item))


# --- numbers and points -------------------------------------------------------------------

def number(value: str) -> float | None:
    """A decimal number; a comma decimal separator is accepted."""
    value = value.strip().replace(",", ".")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ParseError(f"not a number: {value!r}") from None


def latitude(value: str) -> float | None:
    return _bounded(number(value), 90, "latitude")


def longitude(value: str) -> float | None:
    return _bounded(number(value), 180, "longitude")


def _bounded(value: float | None, limit: float, what: str) -> float | None:
    if value is not None and not -limit <= value <= limit:
        raise ParseError(f"{what} out of range: {value}")
    return value


_POINT = re.compile(r"\(\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\)")


def point_in_text(value: str) -> tuple[float, float] | None:
    """The "(lat, lon)" pair embedded in a text such as NYC's ``Location 1``, or None."""
    match = _POINT.search(value)
    if not match:
        return None
    return _bounded(float(match[1]), 90, "latitude"), _bounded(float(match[2]), 180, "longitude")


# --- addresses and contacts ---------------------------------------------------------------

_ZIP_AT_END = re.compile(r"(.*?)\s*(\d{5})(?:-\d{4})?")


def nyc_address(value: str) -> str | None:
    """NYC ``Location 1`` ("2750 THROOP AVENUE10469\\n(40.86, -73.85)") as a street and ZIP.

    The example gives "2750 Throop Avenue, 10469".

    The export glues the ZIP to the street and sometimes wraps the street over two lines
    ("2201 Avenue\\nU 11229"); both are undone. Words are kept, typos included; only ALL-CAPS
    streets are recased.
    """
    street = text(_POINT.sub(" ", value))
    if not street:
        return None
    match = _ZIP_AT_END.fullmatch(street)
    street, zip_code = (match[1], match[2]) if match else (street, None)
    if street.upper() == street:
        street = " ".join(word[:1].upper() + word[1:].lower() for word in street.split())
    return ", ".join(part for part in (street, zip_code) if part)


# "ï¿½" is U+FFFD (the replacement character) decoded as Latin-1, seen after DYCD numbers
_PHONE_JUNK = re.compile("[\ufffd]|ï¿½")


def phone(value: str) -> str | None:
    """A phone cell with mojibake and stray separators removed; None without any digit."""
    value = (text(_PHONE_JUNK.sub("", value)) or "").strip(" ,;/")
    return value if any(ch.isdigit() for ch in value) else None


def international_phone(value: str, region: str) -> str | None:
    """A phone cell as a department of ``region`` (ISO country) writes it, each number in the
    international format ("(718) 231-3239" → "+1 718-231-3239"), so that a tel: link dials it
    from anywhere; a piece that is no valid number there is kept as written."""
    cell = phone(value)
    if cell is None:
        return None
    shown = []
    for piece in (p.strip() for p in re.split(r"[,;]", cell)):
        try:
            number = phonenumbers.parse(piece, region)
        except phonenumbers.NumberParseException:
            number = None
        valid = number is not None and phonenumbers.is_valid_number(number)
        if piece:
            shown.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
                         if valid else piece)
    return ", ".join(shown) or None


_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;.]+")


def email(value: str) -> str | None:
    """The first e-mail address in the cell."""
    if not value.strip():
        return None
    match = _EMAIL.search(value)
    if not match:
        raise ParseError(f"not an e-mail address: {value.strip()!r}")
    return match[0]


def website(value: str) -> str | None:
    """A site as an http(s) URL; placeholders such as "сайт в разработке" (no domain) give None."""
    for token in value.replace("›", "/").split():
        if "." in token.strip("./"):
            return token if re.match(r"(?i)https?://", token) else f"http://{token}"
    return None


# --- people -------------------------------------------------------------------------------

_GENDERS = {
    "any": ("", "any", "all", "mixed", "coed", "co-ed", "мужской/женский", "женский/мужской",
            "смешанный", "все"),
    "boys": ("boys", "male", "мужской", "мальчики", "юноши"),
    "girls": ("girls", "female", "женский", "девочки", "девушки"),
}
_GENDER_OF = {word: gender for gender, words in _GENDERS.items() for word in words}


def gender(value: str) -> str:
    """"мужской/женский" → "any", "мужской" → "boys", "женский" → "girls"; empty → "any"."""
    key = (text(value) or "").lower().replace("ё", "е").replace(" / ", "/")
    try:
        return _GENDER_OF[key]
    except KeyError:
        raise ParseError(f"unknown gender: {value.strip()!r}") from None


# School levels as NYC writes them (alone or joined by "/": "Elem/MS/HS"), as ages.
_LEVELS = {
    "elementary": (5.0, 11.0), "elem": (5.0, 11.0), "es": (5.0, 11.0),
    "middle school": (11.0, 14.0), "ms": (11.0, 14.0),
    "high school": (14.0, 18.0), "hs": (14.0, 18.0),
    "ost": (5.0, 18.0),  # DYCD Out-of-School-Time serves K-12
}
# Whole-part keywords. Adult programmes keep a real lower bound so a child's filter drops them.
_GROUPS: dict[str, Age] = {
    "all ages": (None, None), "все возраста": (None, None),
    "adult": (18.0, None), "adults": (18.0, None), "взрослые": (18.0, None),
    "esol/civics": (18.0, None),  # English classes with civics for adult immigrants
    "seniors": (60.0, None), "senior": (60.0, None), "older adults": (60.0, None),
    "пенсионеры": (55.0, None),  # Russian retirement age was 55 (women) / 60 (men) in 2013
}
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_N = r"(\d+(?:\.\d+)?)"
_RANGE = rf"{_N} ?(?:-|to|до|through) ?{_N}"
_OPEN = rf"{_N} ?(?:\+|(?:and|or) (?:up|older|over)|и старше)"
_AGE_PATTERNS: list[tuple[re.Pattern, Callable[[re.Match], Age]]] = [
    (re.compile(_N), lambda m: (float(m[1]), float(m[1]))),
    (re.compile(rf"(?:от |с |from )?{_RANGE}"), lambda m: (float(m[1]), float(m[2]))),
    (re.compile(_OPEN), lambda m: (float(m[1]), None)),
    (re.compile(rf"(?:от|с) {_N}"), lambda m: (float(m[1]), None)),
    (re.compile(rf"до {_N}"), lambda m: (None, float(m[1]))),
    # a grade g is ages g+5 to g+6 in the US
    (re.compile(r"grades? (\d+) ?(?:-|to|through) ?(\d+)"),
     lambda m: (int(m[1]) + 5.0, int(m[2]) + 6.0)),
    (re.compile(r"grade (\d+)"), lambda m: (int(m[1]) + 5.0, int(m[1]) + 6.0)),
    # Excel turned ranges such as "5-20" and "11-14" into dates: "20-May", "14-Nov"
    (re.compile(r"(\d{1,2})-([a-z]{3})"), lambda m: _excel_range(int(m[1]), m[2])),
    (re.compile(r"([a-z]{3})-(\d{1,2})"), lambda m: _excel_range(int(m[2]), m[1])),
]
_NOISE = re.compile(r"\b(?:years? old|years?|yrs|лет|года|год)\b\.?")
# the audience, not an age (ru_accessibility reports it)
_DISABILITY = re.compile(r"\(?\bинвалид\w*(?: по \w+)?\)?")
_DECIMAL_COMMA = re.compile(r"(\d),(\d)(?!\d)")
_PARTS = re.compile(r"[;,]")


def _excel_range(day: int, month: str) -> Age:
    if month not in _MONTHS:
        raise ParseError(f"unrecognised age range: {day}-{month}")
    low, high = sorted((day, _MONTHS[month]))
    return float(low), float(high)


def age_range(value: str) -> Age:
    """Free-text ages as ``(age_min, age_max)`` in years; None is an open bound.

    Understands NYC school levels ("Elementary", "MS/HS", "OST", "grades 6 to 8"), ranges and
    open ranges in English and Russian ("14 to 24", "16+", "3,5 и старше", "до 12"), Excel-mangled
    ranges ("20-May" = 5-20) and lists ("8-12, 55 и старше"), which become their envelope.

    :raise ParseError: on anything else, or when a bound is above 120 or min > max.
    """
    key = (text(value) or "").lower().replace("ё", "е").replace("–", "-").replace("—", "-")
    if key in _GROUPS:
        return _GROUPS[key]
    key = _DECIMAL_COMMA.sub(r"\1.\2", _DISABILITY.sub(" ", _NOISE.sub(" ", key)))
    key = re.sub(r"^(?:a parent|parents?|ages?|возраст:?) ", "", text(key) or "")
    # strip(" -") also eats the hyphen "Пенсионеры-инвалиды" leaves behind
    parts = ((text(part) or "").strip(" -") for part in _PARTS.split(key))
    bounds = [_age_part(part) for part in parts if part]
    if not bounds:
        return None, None
    lows, highs = [b[0] for b in bounds], [b[1] for b in bounds]
    low = None if None in lows else min(lows)
    high = None if None in highs else max(highs)
    for bound in (low, high):
        if bound is not None and bound > AGE_LIMIT:
            raise ParseError(f"age above {AGE_LIMIT}: {value.strip()!r}")
    if low is not None and high is not None and low > high:
        raise ParseError(f"age range upside down: {value.strip()!r}")
    return low, high


def _age_part(part: str) -> Age:
    if part in _GROUPS:
        return _GROUPS[part]
    levels = part.split("/")
    if all(level.strip() in _LEVELS for level in levels):
        spans = [_LEVELS[level.strip()] for level in levels]
        return min(s[0] for s in spans), max(s[1] for s in spans)
    for pattern, build in _AGE_PATTERNS:
        match = pattern.fullmatch(part)
        if match:
            return build(match)
    raise ParseError(f"unrecognised age range: {part!r}")


# --- Russian names and notes --------------------------------------------------------------

_LEGAL_PREFIX = re.compile(r"^.*?\bгорода москвы\s+", re.IGNORECASE)


def ru_short_name(value: str) -> str | None:
    """The everyday name inside a Russian legal name.

    The legal-form prefix ending in "города Москвы" is dropped; if the rest is wholly quoted the
    outer «» go too: "ГБОУ … города Москвы «Детская школа искусств «Старт»»" → "Детская школа
    искусств «Старт»", "… города Москвы детская школа искусств «Юность»" → "Детская школа
    искусств «Юность»". Names without that prefix are kept whole.
    """
    name = text(value)
    if not name:
        return None
    short = _LEGAL_PREFIX.sub("", name)
    if short.startswith("«"):
        short = short[1:]
        if short.endswith("»") and short.count("»") > short.count("«"):
            short = short[:-1]  # the outer closing quote; inner ones stay balanced
        short = short.strip()
    return (short[:1].upper() + short[1:]) if short else name


_ADAPTIVE = re.compile(r"инвалид|\bпода\b|\bода\b|\bофв\b|ограничен|нарушени|поражени|слеп|глух"
                       r"|\bсидя\b|следж|\bафк\b", re.IGNORECASE)
_JUST_DISABLED = re.compile(r"(?:для )?инвалид\w*")


def ru_accessibility(value: str) -> str | None:
    """An accessibility note when a Moscow section is adapted for disabled people, else None.

    Looks for the markers the sports file uses in section names and ages ("(для лиц с
    нарушением слуха)", "Инвалиды 7-18", "Хоккей-следж", "АФК") and keeps the specifics.
    """
    if not _ADAPTIVE.search(value):
        return None
    details = [text(p) for p in re.findall(r"\(([^)]*)\)", value) if _ADAPTIVE.search(p)]
    # "(для инвалидов)" adds nothing to the general note; "(для лиц с ПОДА)" does
    details = [d for d in details if d and not _JUST_DISABLED.fullmatch(d.lower())]
    return "; ".join(dict.fromkeys(["Адаптивная секция для людей с инвалидностью", *details]))


# --- Moscow geography (need the gazetteer) ------------------------------------------------

def moscow_district(value: str, ctx: ParseContext) -> dict[str, Any]:
    """District → ``{"district", "okrug", "lat", "lon", "approximate"}`` (pick one with ``item``).

    A known district gives its canonical name and representative point (approximate); an
    unknown one keeps the raw text without a point, so nothing is invented.
    """
    found = ctx.gazetteer.district(value)
    if found is None:
        return {"district": text(value), "okrug": None, "lat": None, "lon": None,
                "approximate": False}
    return {"district": found.name, "okrug": found.okrug, "lat": found.lat, "lon": found.lon,
            "approximate": True}


def moscow_okrug(value: str, ctx: ParseContext) -> str | None:
    """Okrug name or abbreviation ("Восточный АО", "ВАО") → its abbreviation; unknown text kept."""
    found = ctx.gazetteer.okrug(value)
    return found.abbrev if found else text(value)


# --- registry -----------------------------------------------------------------------------

Parser = Callable[[str, ParseContext], Any]


def _plain(fn: Callable[[str], Any]) -> Parser:
    return lambda value, ctx: fn(value)


PARSERS: MappingProxyType[str, Parser] = MappingProxyType({
    "text": _plain(text),
    "split_list": _plain(split_list),
    "float": _plain(number),
    "latitude": _plain(latitude),
    "longitude": _plain(longitude),
    "point_in_text": _plain(point_in_text),
    "nyc_address": _plain(nyc_address),
    "phone": _plain(phone),
    "us_phone": _plain(functools.partial(international_phone, region="US")),
    "ru_phone": _plain(functools.partial(international_phone, region="RU")),
    "email": _plain(email),
    "website": _plain(website),
    "gender": _plain(gender),
    "age_range": _plain(age_range),
    "ru_short_name": _plain(ru_short_name),
    "ru_accessibility": _plain(ru_accessibility),
    "moscow_district": moscow_district,
    "moscow_okrug": moscow_okrug,
})
