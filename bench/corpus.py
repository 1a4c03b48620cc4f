"""Generate an N-entry benchmark corpus from the real data's distributions.

Every generated entry is one real imported record (all shipped mappings, read through the same
declarative importer) drawn at random, so its fields keep their joint distribution: title,
description, category, tags, ages, gender, language, accessibility, provider, venue and district.
The venue's point is jittered by a few hundred metres so entries are not stacked on the same
coordinates, and each entry gets synthetic weekly sessions and a price (free or paid), which the
real files lack, so the day and free facets have something to count.

Output: ``<out>/corpus.csv`` (a department file for ``bench/corpus.toml``). Import it with

    afterclasses import --mapping bench/corpus.toml --datasets bench/out

Usage: ``python bench/corpus.py [--size 100000] [--seed 42] [--out bench/out] [--datasets DIR]``.
The same size and seed always give the same file.
"""
from __future__ import annotations

import argparse
import csv
import math
import random
import sys
import time
import tomllib
from pathlib import Path

BENCH = Path(__file__).resolve().parent
MAPPING = BENCH / "corpus.toml"
OUT = BENCH / "out"
FILE_NAME = "corpus.csv"  # must match `file` in corpus.toml

COLUMNS = [
    "id", "title", "description", "category", "tags", "age_min", "age_max", "gender", "language",
    "accessibility", "sessions", "free", "price_amount", "price_currency", "price_period",
    "venue_name", "venue_address", "venue_city", "district", "lat", "lon", "approximate",
    "provider_name", "provider_kind", "provider_phone", "provider_email", "provider_website",
    "provider_address",
]

JITTER_M = 250.0  # standard deviation per axis, metres
M_PER_DEG_LAT = 111_320.0

# weekly sessions per entry (0 = no schedule given) and how likely each weekday is
SESSION_COUNTS = ((0, 0.10), (1, 0.35), (2, 0.35), (3, 0.20))
DAY_WEIGHTS = {"mon": 1.0, "tue": 1.0, "wed": 1.0, "thu": 1.0, "fri": 0.8, "sat": 0.7, "sun": 0.35}
SAME_TIME = 0.7  # a multi-session entry usually meets at the same time each day

# paid price: period → (weight, {currency: (low, high, step)})
PRICE_PERIODS = {
    "session": (0.30, {"RUB": (300, 1500, 50), "USD": (10, 60, 5)}),
    "month": (0.50, {"RUB": (1500, 9000, 100), "USD": (60, 400, 10)}),
    "term": (0.10, {"RUB": (5000, 25000, 500), "USD": (200, 1200, 50)}),
    "year": (0.05, {"RUB": (12000, 60000, 1000), "USD": (500, 3000, 100)}),
    "once": (0.05, {"RUB": (500, 3000, 100), "USD": (20, 150, 5)}),
}
FREE_IF_REAL_FREE = 1.0  # what the department lists as free (NYC DYCD, "a free programme") stays free
FREE_OTHERWISE = 0.25


def default_datasets_dir() -> Path:
    from afterclasses.settings import Settings

    return Path(Settings.from_env().datasets_dir)


def real_records(datasets_root: Path) -> list:
    """Every importable record of every shipped mapping, in a fixed order."""
    from afterclasses_ingest.importer import RowError, load_mapping, read_records, shipped_mappings

    out = []
    for path in shipped_mappings():
        mapping = load_mapping(path)
        out += [r for r in read_records(mapping, datasets_root) if not isinstance(r, RowError)]
    if not out:
        raise SystemExit(f"no records under {datasets_root}")
    return out


def session_slots(mapping: Path = MAPPING) -> dict[str, list[str]]:
    """The session keys ``corpus.toml`` knows, by weekday (the mapping is the source of truth)."""
    with open(mapping, "rb") as f:
        table = tomllib.load(f)["lookups"]["sessions"]
    slots: dict[str, list[str]] = {}
    for key, value in table.items():
        slots.setdefault(value["weekday"], []).append(key)
    return slots


def _num(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _base(record) -> dict:
    """The sampled part of a row: a real record's fields, flattened to cells."""
    a, p = record.activity, record.provider or {}
    v = a.get("venue") or {}
    price = a.get("price") or {}
    return {
        "title": a["title"], "description": a.get("description") or "", "category": a["category"],
        "tags": ",".join(a.get("tags") or []), "age_min": _num(a.get("age_min")),
        "age_max": _num(a.get("age_max")), "gender": a.get("gender") or "", "language": a.get("language") or "",
        "accessibility": a.get("accessibility") or "",
        "venue_name": v.get("name") or "", "venue_address": v.get("address") or "",
        "venue_city": v.get("city") or "", "district": v.get("district") or "",
        "approximate": "yes" if v.get("approximate") else "no",
        "provider_name": p.get("name") or "", "provider_kind": p.get("kind") or "",
        "provider_phone": p.get("phone") or "", "provider_email": p.get("email") or "",
        "provider_website": p.get("website") or "", "provider_address": p.get("address") or "",
        # not cells: inputs of the synthetic parts
        "_lat": v.get("lat"), "_lon": v.get("lon"), "_free": bool(price.get("free")),
        "_currency": "RUB" if a.get("language") == "ru" or v.get("city") == "Москва" else "USD",
    }


class Generator:
    def __init__(self, records: list, seed: int, slots: dict[str, list[str]]):
        self.rng = random.Random(seed)
        self.bases = [_base(r) for r in records]
        self.slots = slots
        self.days = [d for d in DAY_WEIGHTS if d in slots]
        self.day_weights = [DAY_WEIGHTS[d] for d in self.days]
        self.counts, self.count_weights = zip(*SESSION_COUNTS)
        self.periods = list(PRICE_PERIODS)
        self.period_weights = [PRICE_PERIODS[p][0] for p in self.periods]

    def row(self, i: int) -> list[str]:
        rng = self.rng
        base = rng.choice(self.bases)
        row = dict(base)
        row["id"] = f"b{i:07d}"
        lat, lon = base["_lat"], base["_lon"]
        if lat is not None and lon is not None:
            dlat = rng.gauss(0, JITTER_M) / M_PER_DEG_LAT
            dlon = rng.gauss(0, JITTER_M) / (M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
            row["lat"], row["lon"] = f"{lat + dlat:.6f}", f"{lon + dlon:.6f}"
        else:
            row["lat"] = row["lon"] = ""
        row["sessions"] = self._sessions()
        row.update(self._price(base))
        return [row[c] for c in COLUMNS]

    def _sessions(self) -> str:
        rng = self.rng
        n = rng.choices(self.counts, self.count_weights)[0]
        days: list[str] = []
        while len(days) < n:
            day = rng.choices(self.days, self.day_weights)[0]
            if day not in days:
                days.append(day)
        days.sort(key=self.days.index)
        out, time_part = [], None
        for day in days:
            options = self.slots[day]
            if time_part is not None and rng.random() < SAME_TIME:
                same = f"{day} {time_part}"
                if same in options:
                    out.append(same)
                    continue
            key = rng.choice(options)
            time_part = key.split(" ", 1)[1]
            out.append(key)
        return ",".join(out)

    def _price(self, base: dict) -> dict:
        rng = self.rng
        if rng.random() < (FREE_IF_REAL_FREE if base["_free"] else FREE_OTHERWISE):
            return {"free": "yes", "price_amount": "", "price_currency": "", "price_period": ""}
        period = rng.choices(self.periods, self.period_weights)[0]
        currency = base["_currency"]
        low, high, step = PRICE_PERIODS[period][1][currency]
        amount = low + step * rng.randrange((high - low) // step + 1)
        return {"free": "no", "price_amount": str(amount), "price_currency": currency, "price_period": period}


def generate(size: int = 100_000, seed: int = 42, out_dir: Path = OUT, datasets_root: Path | None = None,
             records: list | None = None) -> Path:
    """Write ``<out_dir>/corpus.csv`` with ``size`` entries; returns its path."""
    if records is None:
        records = real_records(Path(datasets_root or default_datasets_dir()))
    gen = Generator(records, seed, session_slots())
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILE_NAME
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(gen.row(i) for i in range(1, size + 1))
    tmp.replace(path)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="entries (default 100000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=OUT, help="directory for corpus.csv (default bench/out)")
    parser.add_argument("--datasets", type=Path, default=None,
                        help="root of the real datasets (default: AFTERCLASSES_DATASETS_DIR or shared/data)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    records = real_records(args.datasets or default_datasets_dir())
    path = generate(args.size, args.seed, args.out, records=records)
    print(f"wrote {args.size} entries (sampled from {len(records)} real records, seed {args.seed}) "
          f"to {path} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
