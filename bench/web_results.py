"""The web front's results page (``GET /search``) through the whole stack, at 100k entries.

Builds the generated corpus (``corpus.py``, same seed as the other benches) into an embedded search
index once and keeps it in ``bench/out/web-index-<size>-seed<seed>/`` (rebuilt when the size, the
seed, the corpus generator or the code that shapes the index changes, or with ``--rebuild``);
starts the search API, ingest (the web's /readyz asks both; the results page calls only search)
and the web front under gunicorn (deploy/gunicorn.conf.py, 2 sync workers each, free ports on
127.0.0.1); then:

1. warm-up: the search API directly from two clients (both workers load their columns), then
   ``--warmup`` results pages from two clients;
2. ``--requests`` results pages one after another: server time (the page's ``Server-Timing:
   app;dur``) and client time to last byte; after each page, outside the timing, the search API's
   access log gives the API calls that page made and the API's own time of each;
3. the same pages from two concurrent clients (throughput);
4. those API calls sent straight to the search API, one after another: the search part of a page
   without the web, and the expected answer of each page. Every page of 2 and 3 must be a 200 whose
   heading says the API's total and that lists as many hits as the API returned (an unknown place
   must say so), so a fast error page cannot pass.

The mix (seeded): text + place + age as the search form sends it (ZIPs, NYC neighbourhoods and
boroughs, Moscow districts and metro stations, typed in various cases), place only, Russian
(``lang=ru``), facet links, pagination, sort by distance or newest, the map's "search this area"
(lat/lon/radius_km), an unknown place, and browsing without text or place.

    python bench/web_results.py                               # 100k: ~1.5 min (+1 min to build the index once)
    python bench/web_results.py --size 2000 --requests 200   # smoke run, ~20 s
    python bench/web_results.py --profile                     # then py-spy the web workers: where the time goes

Goal: server time p95 ≤ 60 ms at 100k entries (time to last byte at the client when the page has
no Server-Timing). Figures: ``bench/out/web-results-<size>.json``. Exit status 1 when the goal
fails or a response was not the expected page. Traffic goes only to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime as dt
import hashlib
import http.cookiejar
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import compare_engines as ce  # noqa: E402  (bench/compare_engines.py: the corpus as events, the index build)
import corpus  # noqa: E402  (bench/corpus.py)
import search_latency as sl  # noqa: E402  (bench/search_latency.py: gunicorn, sessions, words, percentiles)

ROOT, OUT = sl.ROOT, sl.OUT
GOAL_P95_MS = 60.0
WORKERS = sl.WORKERS  # gunicorn sync workers of each service

# code whose change changes the index file: a cached index built with other code is rebuilt
INDEX_INPUTS = [
    "bench/corpus.py", "bench/corpus.toml", "bench/compare_engines.py",
    "libs/afterclasses/contracts/schemas.py", "libs/afterclasses/contracts/events.py",
    "libs/afterclasses/taxonomy.toml",
    "services/ingest/afterclasses_ingest/domain/model.py",
    "services/ingest/afterclasses_ingest/importer",
    "services/search/afterclasses_search/adapters/sqlite_fts.py",
    "services/search/afterclasses_search/adapters/queries.py",
    "services/search/afterclasses_search/adapters/columns.py",
    "services/search/afterclasses_search/adapters/text.py",
    "services/search/afterclasses_search/domain/documents.py",
]

MIX = {"text+place": 0.24, "place": 0.08, "ru": 0.12, "facets": 0.16, "page": 0.10, "sort": 0.05,
       "area": 0.12, "unknown": 0.05, "browse": 0.08}
NYC_KINDS = {"zip": 0.40, "neighbourhood": 0.45, "borough": 0.15}
MOSCOW_KINDS = {"district": 0.6, "metro": 0.4}
NYC_BOROUGHS = {"Bronx", "Brooklyn", "Manhattan", "Queens", "Staten Island"}
UNKNOWN_PLACES = ["Narnia", "Atlantis", "Zzyzx Road", "Gotham", "Middle-earth", "Qwertyville", "Хогвартс",
                  "Лукоморье", "Тридевятое царство", "Xanadu"]
AREA_RADII = [0.5, 0.8, 1.2, 1.9, 2.5, 3.7, 5.1, 7.6]  # what the map's "search this area" sends
AGE_BANDS = sl.AGE_BANDS
DAYS = sl.DAYS


def fmt_size(n: int) -> str:
    return ce.fmt_size(n)


# --- the cached index ----------------------------------------------------------------------

def fingerprint(size: int, seed: int, datasets: Path) -> dict:
    from afterclasses_search.adapters.sqlite_fts import FORMAT

    digest = hashlib.sha256()
    for rel in INDEX_INPUTS:
        path = ROOT / rel
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts) \
            if path.is_dir() else [path]
        for f in files:
            digest.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes() + b"\0")
    return {"size": size, "seed": seed, "format": FORMAT, "datasets": str(datasets.resolve()),
            "code": digest.hexdigest()[:16]}


def cached_index(size: int, seed: int, records: list, datasets: Path, rebuild: bool) -> tuple[Path, dict]:
    """The index directory (``CURRENT`` + ``index-*.db``) of the corpus; built when missing or stale."""
    home = OUT / f"web-index-{fmt_size(size)}-seed{seed}"
    stamp_path = home / "stamp.json"
    want = fingerprint(size, seed, datasets)
    if not rebuild and stamp_path.exists():
        stamp = json.loads(stamp_path.read_text())
        if stamp.get("fingerprint") == want:
            print(f"  index   reused {home.relative_to(ROOT)} (built {stamp['built_at']}, "
                  f"{stamp['count']:,} entries, {stamp['mb']:,.0f} MB)", flush=True)
            return home / "search", stamp
        changed = [k for k in want if stamp.get("fingerprint", {}).get(k) != want[k]]
        print(f"  index   {home.relative_to(ROOT)} is stale ({', '.join(changed)} changed): rebuilding", flush=True)
    tmp = home.with_name(home.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    events, steps = ce.corpus_events(size, seed, tmp, records, datasets)
    (tmp / corpus.FILE_NAME).unlink(missing_ok=True)
    print(f"  corpus  {steps['corpus']:7.1f} s, events {steps['events']:.1f} s "
          f"({len(events):,} activity.published envelopes)", flush=True)
    built = ce.build_sqlite(events, tmp / "search")
    del events
    if built["count"] != size:
        raise RuntimeError(f"the index holds {built['count']} entries, not {size}")
    print(f"  index   {built['seconds']:7.1f} s ({built['count']:,} entries, {built['mb']:,.0f} MB)", flush=True)
    stamp = {"fingerprint": want, "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
             "count": built["count"], "mb": built["mb"], "seconds": {**steps, "index": built["seconds"]}}
    (tmp / "stamp.json").write_text(json.dumps(stamp, indent=1))
    shutil.rmtree(home, ignore_errors=True)
    tmp.rename(home)
    return home / "search", stamp


# --- the URL mix ---------------------------------------------------------------------------

class WebQueries:
    """A deterministic mix of results-page URLs (``/search?…``), anchored on real records and
    on the gazetteer's places near them."""

    def __init__(self, records: list, places, seed: int, unknown: list[str]):
        self.rng = random.Random(seed)
        anchors = [r.activity for r in records if (r.activity.get("venue") or {}).get("lat") is not None]
        self.anchors = {"nyc": [a for a in anchors if a["venue"].get("city") != "Москва"],
                        "moscow": [a for a in anchors if a["venue"].get("city") == "Москва"]}
        self.all = [r.activity for r in records]
        self.unknown = unknown
        by_kind: dict[str, list] = collections.defaultdict(list)
        for p in places:
            if p.kind == "zip" and p.detail not in NYC_BOROUGHS:
                continue  # the corpus is New York City and Moscow
            by_kind[p.kind].append(p)
        self.places = {k: (v, np.array([[p.lat, p.lon] for p in v])) for k, v in by_kind.items()}
        self.kinds, self.weights = zip(*MIX.items())

    def make(self, n: int) -> list[tuple[str, str]]:
        """``n`` (kind, URL) pairs."""
        out = []
        for _ in range(n):
            kind = self.rng.choices(self.kinds, self.weights)[0]
            params = getattr(self, "_kind_" + kind.replace("+", "_"))()
            out.append((kind, "/search?" + urlencode(params) if params else "/search"))
        return out

    # parts
    def _anchor(self, city: str | None = None) -> tuple[str, dict]:
        city = city or self.rng.choice(("nyc", "moscow"))
        return city, self.rng.choice(self.anchors[city])

    def _place_name(self, city: str, anchor: dict) -> str:
        """The name of a gazetteer place near ``anchor``, typed as a parent might."""
        rng = self.rng
        table = NYC_KINDS if city == "nyc" else MOSCOW_KINDS
        kind = rng.choices(list(table), list(table.values()))[0]
        places, points = self.places[kind]
        lat, lon = anchor["venue"]["lat"], anchor["venue"]["lon"]
        d2 = (points[:, 0] - lat) ** 2 + ((points[:, 1] - lon) * np.cos(np.radians(lat))) ** 2
        name = places[int(np.argmin(d2))].name
        r = rng.random()
        if r < 0.2:
            return name.lower()
        if r < 0.3 and city == "moscow":
            return name.replace("ё", "е")
        return name

    def _word(self, city: str) -> str:
        return self.rng.choice(sl.WORDS_EN if city == "nyc" else sl.WORDS_RU)

    def _age(self, anchor: dict, p: float) -> str:
        if self.rng.random() >= p:
            return ""
        lo, hi = anchor.get("age_min"), anchor.get("age_max")
        lo = 3 if lo is None else max(0, int(lo))
        hi = 17 if hi is None else min(int(hi), 17)
        return str(self.rng.randint(lo, max(lo, hi)))

    def _days(self, p: float) -> list[tuple[str, str]]:
        if self.rng.random() >= p:
            return []
        return [("day", d) for d in sorted(self.rng.sample(DAYS, self.rng.choice((1, 1, 2))), key=DAYS.index)]

    def _form(self, city: str, anchor: dict, text: float, place: bool, age: float, days: float) -> list:
        """What the search form sends: q, where and age always (maybe empty), the checked days."""
        q = self._word(city) if self.rng.random() < text else ""
        where = self._place_name(city, anchor) if place else ""
        return [("q", q), ("where", where), ("age", self._age(anchor, age))] + self._days(days)

    def _facet(self, name: str, city: str, anchor: dict) -> list[tuple[str, str]]:
        rng = self.rng
        if name == "category":
            parts = anchor["category"].split(".")
            return [("category", ".".join(parts[: rng.randrange(len(parts)) + 1]))]
        if name == "district":
            district = anchor["venue"].get("district") or rng.choice(
                [a["venue"]["district"] for a in self.anchors["moscow"][:200] if a["venue"].get("district")])
            return [("district", district)]
        if name == "age_band":
            return [("age_band", rng.choice(AGE_BANDS))]
        if name == "free":
            return [("free", rng.choice(("true", "false")))]
        return [("day", rng.choice(DAYS))]

    def _maybe_ru(self, params: list, city: str, p: float) -> list:
        return params + [("lang", "ru")] if city == "moscow" and self.rng.random() < p else params

    # kinds
    def _kind_text_place(self):
        city, anchor = self._anchor()
        return self._maybe_ru(self._form(city, anchor, text=1.0, place=True, age=0.8, days=0.3), city, 0.3)

    def _kind_place(self):
        city, anchor = self._anchor()
        return self._maybe_ru(self._form(city, anchor, text=0.0, place=True, age=0.7, days=0.2), city, 0.3)

    def _kind_ru(self):
        _, anchor = self._anchor("moscow")
        return self._form("moscow", anchor, text=0.7, place=True, age=0.7, days=0.3) + [("lang", "ru")]

    def _kind_facets(self):
        city, anchor = self._anchor()
        params = self._form(city, anchor, text=0.6, place=self.rng.random() < 0.7, age=0.5, days=0.0)
        for name in self.rng.sample(["category", "district", "age_band", "free", "day"], self.rng.choice((1, 1, 2, 3))):
            params += self._facet(name, city, anchor)
        return self._maybe_ru(params, city, 0.4)

    def _kind_page(self):
        city, anchor = self._anchor()
        params = self._form(city, anchor, text=0.6, place=self.rng.random() < 0.8, age=0.5, days=0.2)
        return self._maybe_ru(params + [("page", str(self.rng.choice((2, 2, 2, 3, 3, 4, 5, 8))))], city, 0.3)

    def _kind_sort(self):
        city, anchor = self._anchor()
        params = self._form(city, anchor, text=0.5, place=True, age=0.5, days=0.0)
        return self._maybe_ru(params + [("sort", self.rng.choice(("distance", "distance", "newest")))], city, 0.3)

    def _kind_area(self):
        """The map's "search this area": the form's fields without ``where``, a centre, a radius."""
        rng = self.rng
        city, anchor = self._anchor()
        lat = anchor["venue"]["lat"] + rng.uniform(-0.01, 0.01)
        lon = anchor["venue"]["lon"] + rng.uniform(-0.015, 0.015)
        params = [("q", self._word(city) if rng.random() < 0.5 else ""), ("age", self._age(anchor, 0.5))]
        params += self._days(0.2)
        params += [("lat", f"{lat:.5f}"), ("lon", f"{lon:.5f}"), ("radius_km", str(rng.choice(AREA_RADII)))]
        return self._maybe_ru(params, city, 0.3)

    def _kind_unknown(self):
        city, anchor = self._anchor()
        return [("q", self._word(city) if self.rng.random() < 0.7 else ""), ("where", self.rng.choice(self.unknown)),
                ("age", self._age(anchor, 0.5))]

    def _kind_browse(self):
        rng = self.rng
        anchor = rng.choice(self.all)
        category = anchor["category"].split(".")[0]
        return rng.choice([
            [], [("q", ""), ("where", ""), ("age", "")], [("category", category)],
            [("q", ""), ("where", ""), ("age", self._age(anchor, 1.0))],
            [("category", category), ("age", self._age(anchor, 1.0))], [("free", "true")], [("lang", "ru")],
        ])


def known_unknowns(search_url: str, places) -> list[str]:
    """The made-up place names that neither the gazetteer nor the catalog's venues know."""
    with sl.session() as s:
        out = []
        for name in UNKNOWN_PLACES:
            if places.resolve(name) is not None:
                continue
            resp = s.get(search_url + "/v1/venues", params={"q": name, "limit": 1}, timeout=30)
            if resp.status_code == 200 and resp.json().get("venues"):
                continue
            out.append(name)
    if not out:
        raise RuntimeError("every made-up place name resolves to something: change UNKNOWN_PLACES")
    return out


# --- the services --------------------------------------------------------------------------

ACCESS_FORMAT = "%(r)s %(s)s %(D)s"  # request line, status, microseconds
ACCESS_LINE = re.compile(r"^(\w+) (\S+) \S+ (\d{3}) (\d+)$")


class Stack:
    """Search API, ingest and web under gunicorn, each ``WORKERS`` sync workers; stopped by ``stop``."""

    def __init__(self, index_dir: Path, run_dir: Path):
        self.access_log = OUT / "web-search-access.log"
        self.access_log.write_text("")
        env = sl.child_env(run_dir)
        search_env = {**env, "AFTERCLASSES_SEARCH_BACKEND": "sqlite", "AFTERCLASSES_SEARCH_INDEX_DIR": str(index_dir),
                      "GUNICORN_ACCESSLOG": str(self.access_log),
                      "GUNICORN_CMD_ARGS": f"--access-logformat '{ACCESS_FORMAT}'"}
        self.servers: list[sl.Server] = []
        try:
            self.search = self._start(search_env, "search", "afterclasses_search.wsgi:application", "search API")
            self.ingest = self._start(env, "ingest", "afterclasses_ingest.wsgi:application", "ingest API")
            web_env = {**env, "AFTERCLASSES_SEARCH_URL": self.search.url, "AFTERCLASSES_INGEST_URL": self.ingest.url,
                       "AFTERCLASSES_WEB_SECRET_KEY": secrets.token_urlsafe(32)}
            self.web = self._start(web_env, "web", "afterclasses_web.wsgi:application", "web front")
        except BaseException:
            self.stop()
            raise

    def _start(self, env: dict, role: str, app: str, name: str) -> sl.Server:
        server = sl.Server(env, OUT / f"web-gunicorn-{role}.log", app=app, name=name)
        self.servers.append(server)
        return server

    def wait_ready(self) -> None:
        t0 = time.perf_counter()
        for server in self.servers:  # the web last: its /readyz asks the other two
            server.wait_ready()
        print(f"  ready in {time.perf_counter() - t0:.1f} s: search API {self.search.url}, ingest {self.ingest.url}, "
              f"web {self.web.url} (gunicorn, {WORKERS} sync workers each; {os.cpu_count()} CPUs)", flush=True)

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()


class AccessLog:
    """New lines of the search API's access log: (method, path?query, status, µs)."""

    def __init__(self, path: Path):
        self.path, self.offset, self.partial = path, path.stat().st_size, b""

    def settle(self, quiet: float = 0.1) -> None:
        """Wait until nothing was appended for ``quiet`` seconds: gunicorn writes a request's line
        after sending the response, so the last lines of a run can come after its last answer."""
        size, since = self.path.stat().st_size, time.monotonic()
        while time.monotonic() - since < quiet:
            time.sleep(0.01)
            now = self.path.stat().st_size
            if now != size:
                size, since = now, time.monotonic()

    def skip(self) -> None:
        """Forget what was logged so far (once it settled)."""
        self.settle()
        self.offset, self.partial = self.path.stat().st_size, b""

    def read(self) -> list[tuple[str, str, int, int]]:
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        *lines, self.partial = (self.partial + data).split(b"\n")
        out = []
        for line in lines:
            m = ACCESS_LINE.match(line.decode("utf-8", "replace").strip())
            if m:
                out.append((m[1], m[2], int(m[3]), int(m[4])))
        return out

    def until_search(self, timeout: float = 5.0) -> list:
        """The lines up to the next /v1/search call: a results page's calls (its one search call
        comes last, after a venue lookup for a place the gazetteer does not know)."""
        got: list = []
        deadline = time.monotonic() + timeout
        while True:
            got += self.read()
            if any(p.startswith("/v1/search") for _, p, _, _ in got):
                return got
            if time.monotonic() > deadline:
                raise RuntimeError(f"no /v1/search call in the search API's access log after a results page: {got}")
            time.sleep(0.001)


# --- pages and checks ----------------------------------------------------------------------

def web_session() -> requests.Session:
    """No proxy, and no cookies: ``lang=ru`` puts the language in the session cookie, which would
    make the following pages Russian; each URL here says its own language."""
    s = sl.session()
    s.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return s


HEADING = re.compile(rb'<h1 id="results-h"[^>]*>(.*?)</h1>', re.S)
NUMBER = re.compile(rb"\d(?:[\d,.\s]|\xc2\xa0|\xe2\x80\xaf)*")


def page_facts(status, body: bytes | None) -> tuple:
    """(status, the result count the heading says, hits listed, unknown-place notice shown, bytes)."""
    if status != 200 or body is None:
        return status, None, None, None, 0
    total = None
    m = HEADING.search(body)
    if m:
        n = NUMBER.search(re.sub(rb"<[^>]+>", b" ", m[1]))
        total = int(re.sub(rb"\D", b"", n[0])) if n else None
    return status, total, body.count(b'<li class="hit"'), b'role="status"' in body, len(body)


def check(facts: tuple, expect: dict | None) -> str | None:
    """Why a response is not the expected results page; None when it is."""
    status, total, hits, notice, _ = facts
    if status != 200:
        return f"HTTP {status}"
    if expect is None:
        return "no expectation (the search API was not asked)"
    if total != expect["total"]:
        return f"heading says {total} results, the search API {expect['total']}"
    if hits != expect["hits"]:
        return f"{hits} hits listed, the search API returned {expect['hits']}"
    if expect["unknown"] and not notice:
        return "no unknown-place notice"
    return None


def server_timing(headers) -> float | None:
    m = re.search(r"\bapp;dur=([\d.]+)", headers.get("Server-Timing", ""))
    return float(m[1]) if m else None


@dataclasses.dataclass
class Page:
    """One timed results page."""

    kind: str
    url: str
    client_ms: float
    server_ms: float | None  # Server-Timing app;dur
    facts: tuple
    calls: list | None = None  # its search API calls (path, µs in the API), sequential runs only


def run_pages(base: str, urls: list, out: list, log: AccessLog | None = None,
              start: threading.Barrier | None = None) -> None:
    """GET each URL one after another into ``out`` (Page). With ``log``, after each page (outside
    the timed part) wait for its search API calls in the API's access log: the calls of each page,
    exactly, and the API's own time of each."""
    with web_session() as s:
        if start is not None:
            start.wait()
        for kind, url in urls:
            t0 = time.perf_counter()
            try:
                resp = s.get(base + url, timeout=30)
                status, body = resp.status_code, resp.content
            except requests.RequestException as exc:
                status, body, resp = type(exc).__name__, None, None
            ms = (time.perf_counter() - t0) * 1000
            page = Page(kind, url, ms, server_timing(resp.headers) if resp is not None else None,
                        page_facts(status, body))
            if log is not None and status == 200:
                page.calls = [(path, us) for _, path, _, us in log.until_search()]
            out.append(page)


def two_clients(base: str, urls: list) -> tuple[float, list]:
    results: list[list] = [[], []]
    barrier = threading.Barrier(3)
    threads = [threading.Thread(target=run_pages, args=(base, urls[i::2], results[i], None, barrier))
               for i in range(2)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, results[0] + results[1]


def warm_search(search_url: str, n: int = 40) -> None:
    """Both search workers load their columns (seconds at 100k; the web waits 5 s at most)."""
    def client():
        with sl.session() as s:
            for i in range(n // 2):
                s.get(search_url + f"/v1/search?q={sl.WORDS_EN[i % len(sl.WORDS_EN)]}&per_page=20", timeout=120)
    threads = [threading.Thread(target=client) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def replay_api(search_url: str, pages: list[Page]) -> tuple[list[float], dict]:
    """Each page's search API calls straight to the API, one after another: (ms per page, the
    expected page per URL: the API's total and hit count; the index does not change meanwhile)."""
    times, expects = [], {}
    with sl.session() as s:
        for page in pages:
            t0 = time.perf_counter()
            bodies = [(path, s.get(search_url + path, timeout=30).content) for path, _ in page.calls or []]
            times.append((time.perf_counter() - t0) * 1000)
            # the page shows its first search (after a venue lookup for an unknown place; before the
            # count without days that a day filter finding nothing adds)
            searches = [body for path, body in bodies if path.startswith("/v1/search")]
            if searches and page.url not in expects:
                data = json.loads(searches[0])
                expects[page.url] = {"total": data["total"], "hits": len(data["results"]),
                                     "unknown": page.kind == "unknown"}
    return times, expects


# --- profile -------------------------------------------------------------------------------

# (category, markers): the first category one of whose markers is in a sample's stack. Frames read
# "function (path:line)"; only samples inside a request (gunicorn's handle_request) count.
SEARCH_CALL = "call (afterclasses_web/clients.py"
PROFILE_RULES = [
    ("search API call: JSON parsing of the answer", [("json (requests/models.py", SEARCH_CALL)]),
    ("search API call: waiting for and reading the answer", [("readinto (socket.py", SEARCH_CALL)]),
    ("search API call: TCP connect", [("create_connection (urllib3", SEARCH_CALL)]),
    ("search API call: requests/urllib3 (build, send, headers)", [(SEARCH_CALL,)]),
    ("template: url_for / url_with (links)", [("url_for (flask/helpers.py",), ("url_with (afterclasses_web",)]),
    ("template: Babel (gettext, number/currency formats)", [("flask_babel/", "render_template"),
                                                            ("babel/", "render_template")]),
    ("template: the rest of Jinja rendering", [("render_template (flask/templating.py",)]),
    ("gazetteer lookup (where → point)", [("afterclasses/places.py",)]),
    ("points JSON for the map", [("dumps (json/__init__.py",)]),
    ("session cookie (lang=ru)", [("save_session (flask/sessions.py",), ("open_session (flask/sessions.py",)]),
    ("gunicorn: sending the page (after Server-Timing)", [("Response.close (gunicorn/http/wsgi.py",),
                                                         ("Response.write (gunicorn/http/wsgi.py",)]),
    ("gunicorn: reading and parsing the request (before)", [("Parser.__next__ (gunicorn/http/parser.py",)]),
    ("the rest: Flask, Werkzeug, hooks, criteria", [("",)]),
]


def categorize(stack_text: str) -> str:
    return next(cat for cat, alternatives in PROFILE_RULES
                if any(all(m in stack_text for m in markers) for markers in alternatives))


def profile_run(stack: Stack, timed: list, label: str, rate: int) -> dict | None:
    """Sample the web's gunicorn workers with py-spy (idle included: waiting for the search API
    counts) during one more sequential run; the share of in-request samples by category."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not spy:
        print("  --profile needs py-spy: .venv/bin/pip install py-spy", file=sys.stderr)
        return None
    raw = OUT / f"web-profile-{label}.txt"
    raw.unlink(missing_ok=True)
    argv = [spy, "record", "--pid", str(stack.web.proc.pid), "--subprocesses", "--idle", "--nonblocking",
            "--rate", str(rate), "--format", "raw", "--output", str(raw)]
    spy_proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    load = os.getloadavg()[0]
    try:
        time.sleep(2)  # py-spy attaches to the master and its workers
        pages: list = []
        t0 = time.perf_counter()
        run_pages(stack.web.url, timed, pages)
        wall = time.perf_counter() - t0
    finally:
        spy_proc.send_signal(signal.SIGINT)
        try:
            _, err = spy_proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            spy_proc.kill()
            _, err = spy_proc.communicate()
    if not raw.exists():
        print(f"  py-spy wrote nothing (ptrace not allowed?): {err[-2000:]}", file=sys.stderr)
        return None
    cats: collections.Counter = collections.Counter()
    leaves: collections.Counter = collections.Counter()
    for row in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack_text, _, count = row.rpartition(" ")
        if "handle_request (gunicorn/workers/sync.py" not in stack_text or not count.isdigit():
            continue  # a worker waiting for the next request, or the master
        cats[categorize(stack_text)] += int(count)
        leaves[re.sub(r":\d+\)$", ")", stack_text.rsplit(";", 1)[-1])] += int(count)
    total = sum(cats.values())
    if not total:
        print("  py-spy saw no request", file=sys.stderr)
        return None
    server = [p.server_ms for p in pages if p.server_ms is not None]
    client = [p.client_ms for p in pages]
    # in-request samples span gunicorn's handle_request: the client's time less the connect and transfer
    per_page = float(np.mean(client))
    print(f"\n=== Where the web's time goes: py-spy at {rate} Hz on both web workers (idle included), "
          f"{total:,} samples inside requests, {len(pages)} sequential pages in {wall:.1f} s (load average "
          f"{load:.2f}); server p50 {sl.pct(server, 50):.1f} ms, p95 {sl.pct(server, 95):.1f} ms, mean "
          f"{np.mean(server):.1f} ms while sampled; raw stacks: {raw.relative_to(ROOT)}")
    for cat, n in sorted(cats.items(), key=lambda kv: -kv[1]):
        print(f"  {n / total:6.1%}  {cat}")
    print("  top leaf functions (where the samples were):")
    for func, n in leaves.most_common(12):
        print(f"  {n / total:6.1%}  {func[:150]}")
    return {"rate": rate, "samples_in_requests": total, "load_average": load, "client_mean_ms": per_page,
            "server": stats(server), "categories": {c: n / total for c, n in cats.most_common()},
            "leaf_functions": {f: n / total for f, n in leaves.most_common(30)}, "raw": str(raw)}


# --- report --------------------------------------------------------------------------------

def stats(ms: list[float]) -> dict:
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "p50": sl.pct(ms, 50), "p95": sl.pct(ms, 95), "p99": sl.pct(ms, 99),
            "max": float(max(ms)), "mean": float(np.mean(ms))}


def fmt_stats(label: str, s: dict) -> str:
    return (f"  {label:<34} p50 {s['p50']:6.1f}   p95 {s['p95']:6.1f}   p99 {s['p99']:6.1f}   "
            f"max {s['max']:6.1f}   mean {s['mean']:6.1f} ms")


def measure(stack: Stack, args, records: list, places) -> dict:
    """Warm-up, the sequential and the two-client runs, the API replay and the checks."""
    with sl.session() as s:
        served = s.get(stack.search.url + "/v1/search?per_page=1", timeout=120).json()["total"]
    if served != args.size:
        raise RuntimeError(f"the search API serves {served} entries, not {args.size}")
    log = AccessLog(stack.access_log)
    gen = WebQueries(records, places, args.seed, known_unknowns(stack.search.url, places))
    warmup, timed = gen.make(args.warmup), gen.make(args.requests)
    kinds = collections.Counter(k for k, _ in timed)
    print(f"  mix of {len(timed)} pages: " + ", ".join(f"{k} {kinds[k]}" for k in MIX), flush=True)

    t0 = time.perf_counter()
    warm_search(stack.search.url)
    _, warm = two_clients(stack.web.url, warmup)
    print(f"  warm-up {time.perf_counter() - t0:5.1f} s ({args.warmup} pages from 2 clients; "
          f"not 200: {sum(p.facts[0] != 200 for p in warm)})", flush=True)

    load = {"sequential": os.getloadavg()[0]}
    log.skip()
    seq: list[Page] = []
    run_pages(stack.web.url, timed, seq, log)
    load["2 clients"] = os.getloadavg()[0]
    par_wall, par = two_clients(stack.web.url, timed)
    load["API replay"] = os.getloadavg()[0]
    api_ms, expects = replay_api(stack.search.url, seq)
    print(f"  timed   {sum(p.client_ms for p in seq) / 1000:5.1f} s sequential, {par_wall:.1f} s with 2 clients, "
          f"{sum(api_ms) / 1000:.1f} s the same API calls directly (load average "
          + ", ".join(f"{k} {v:.2f}" for k, v in load.items()) + ")", flush=True)

    # every timed page must be the expected one; a warm-up page a 200 (and the expected one when
    # its URL is also timed: the others' API calls are not known)
    failures = [(p.url, why) for p in seq + par if (why := check(p.facts, expects.get(p.url)))]
    failures += [(p.url, why) for p in warm
                 if (why := check(p.facts, expects[p.url]) if p.url in expects else
                     None if p.facts[0] == 200 else f"HTTP {p.facts[0]}")]
    have_header = all(p.server_ms is not None for p in seq + par)
    server_seq = [p.server_ms if have_header else p.client_ms for p in seq]
    server_par = [p.server_ms if have_header else p.client_ms for p in par]
    search_side = [sum(us for _, us in p.calls or []) / 1000 for p in seq]
    calls_per_page = collections.Counter(len(p.calls or []) for p in seq)
    r = {
        "server_time_source": ("Server-Timing app;dur" if have_header
                               else "client time to last byte (no Server-Timing)"),
        "server": stats(server_seq), "client": stats([p.client_ms for p in seq]),
        "server_2_clients": stats(server_par), "client_2_clients": stats([p.client_ms for p in par]),
        "pages_per_s": {"1 client": 1000 * len(seq) / sum(p.client_ms for p in seq),
                        "2 clients": len(par) / par_wall},
        "api_direct": stats(api_ms), "api_own_time": stats(search_side),
        "api_calls_per_page": {str(k): v for k, v in sorted(calls_per_page.items())},
        "page_kb_mean": float(np.mean([p.facts[4] for p in seq])) / 1024,
        "load_average": load, "mix": dict(kinds),
        "checked": len(seq) + len(par) + len(warm), "failures": len(failures),
        "failure_examples": [{"url": u, "why": w} for u, w in failures[:20]],
        "search_share": {  # of the pages' server time
            "api_direct_all_pages": sum(api_ms) / sum(server_seq),
            "api_direct_median_page": float(np.median([a / s for a, s in zip(api_ms, server_seq) if s > 0])),
            "api_own_time_all_pages": sum(search_side) / sum(server_seq),
        },
        "by_kind": {},
    }
    for kind in MIX:
        idx = [i for i, p in enumerate(seq) if p.kind == kind]
        if idx:
            r["by_kind"][kind] = {name: stats([values[i] for i in idx]) for name, values in
                                  (("server", server_seq), ("client", [p.client_ms for p in seq]),
                                   ("api_direct", api_ms), ("api_own_time", search_side))}
    if args.profile:
        r["profile"] = profile_run(stack, timed, fmt_size(args.size), args.profile_rate)
    return r


def report(r: dict, args) -> bool:
    cpus = os.cpu_count()
    print(f"\n=== Results page at {args.size:,} entries: GET /search, {args.requests} timed pages after "
          f"{args.warmup} warm-up; web, search API and ingest {WORKERS} gunicorn sync workers each, {cpus} CPUs")
    print(f"server time = {r['server_time_source']}; client = time to last byte at the client (a local TCP "
          f"connect included: sync workers close each connection); pages {r['page_kb_mean']:.0f} KB on average")
    print(fmt_stats("server time, 1 client", r["server"]))
    print(fmt_stats("client total, 1 client", r["client"]))
    print(fmt_stats("server time, 2 clients", r["server_2_clients"]))
    print(fmt_stats("client total, 2 clients", r["client_2_clients"]))
    print(f"  pages/s: {r['pages_per_s']['1 client']:.1f} with 1 client (back to back), "
          f"{r['pages_per_s']['2 clients']:.1f} with 2 concurrent clients")
    print(fmt_stats("search API, same calls directly", r["api_direct"]))
    print(fmt_stats("search API's own time (its log)", r["api_own_time"]))
    sh = r["search_share"]
    print(f"  the search call's share of the page's server time: "
          f"{sh['api_direct_all_pages']:.0%} of all pages' time by the API called directly (median page "
          f"{sh['api_direct_median_page']:.0%}); {sh['api_own_time_all_pages']:.0%} by the API's own time "
          f"during the web run")
    print("  search API calls per page: " + ", ".join(f"{k}: {v}" for k, v in r["api_calls_per_page"].items()))

    print("\n=== By kind (sequential): n, server p50 / p95 / max ms; search API directly p50 / p95 ms")
    for kind, k in r["by_kind"].items():
        print(f"  {kind:<11} {k['server']['n']:>5} {k['server']['p50']:7.1f} {k['server']['p95']:7.1f} "
              f"{k['server']['max']:7.1f}   {k['api_direct']['p50']:7.1f} {k['api_direct']['p95']:7.1f}")

    passed = r["server"]["p95"] <= GOAL_P95_MS
    note = "" if args.size == 100_000 else f" (the goal is for 100k; this is {args.size:,})"
    print(f"\nGoal: results page server time p95 ≤ {GOAL_P95_MS:g} ms at 100k — measured p95 "
          f"{r['server']['p95']:.1f} ms ({r['server_time_source']}): {'PASS' if passed else 'FAIL'}{note}")
    if max(r["load_average"].values()) > cpus:
        print(f"  (load average up to {max(r['load_average'].values()):.1f} on {cpus} CPUs during the run: other "
              f"processes were competing for the CPUs; the figures are pessimistic)")
    print(f"responses that were not the expected results page: {r['failures']} of {r['checked']}")
    for ex in r["failure_examples"][:5]:
        print(f"  ✗ {ex['url']}: {ex['why']}")
    r["goal"] = {"p95_ms": GOAL_P95_MS, "passed": passed}
    return passed and r["failures"] == 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="entries of the generated corpus (default 100000)")
    parser.add_argument("--requests", type=int, default=1500, help="timed results pages per run (default 1500)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed pages from two clients first (default 200)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the corpus and the URL mix")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached index")
    parser.add_argument("--profile", action="store_true", help="then py-spy the web workers over one more run")
    parser.add_argument("--profile-rate", type=int, default=250, help="py-spy samples per second (default 250)")
    args = parser.parse_args(argv)

    def on_term(signum, frame):
        raise KeyboardInterrupt  # run the finally blocks: stop the servers

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    cpus = os.cpu_count()
    print(f"Afterclasses web results-page benchmark — {sl.git_state()}; Python {platform.python_version()}, "
          f"{platform.machine()}, {cpus} CPUs; load average {os.getloadavg()[0]:.2f}")
    print(f"The web front, the search API and ingest run {WORKERS} gunicorn sync workers each (6 in all) on this "
          f"{cpus}-CPU machine, with the client: a page's web and search work share these cores.")
    OUT.mkdir(parents=True, exist_ok=True)
    datasets = corpus.default_datasets_dir()
    records = corpus.real_records(datasets)
    from afterclasses.places import load_places

    places = load_places(datasets)
    label = fmt_size(args.size)
    print(f"\n== {label}: {args.size:,} generated entries", flush=True)
    index_dir, stamp = cached_index(args.size, args.seed, records, datasets, args.rebuild)
    run_dir = OUT / "web-run"  # the services' data dir: ingest's (empty) catalog and event log
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    meta = {"size": args.size, "seed": args.seed, "requests": args.requests, "warmup": args.warmup,
            "git": sl.git_state(), "cpus": cpus, "workers_each": WORKERS, "python": platform.python_version(),
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "index": stamp}
    stack = None
    try:
        stack = Stack(index_dir, run_dir)
        stack.wait_ready()
        result = {**meta, **measure(stack, args, records, places)}
    except KeyboardInterrupt:
        print("\ninterrupted; stopped the servers it started", file=sys.stderr)
        return 130
    finally:
        if stack is not None:
            stack.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    ok = report(result, args)
    path = OUT / f"web-results-{label}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    print(f"figures: {path.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
