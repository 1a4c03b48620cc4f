"""Search latency over the real data and a generated 100k corpus, end to end through HTTP.

For each corpus, in its own fresh data directory under bench/out/ (AFTERCLASSES_DATA_DIR of the
child processes), this times the import (``afterclasses import``), the outbox relay
(``afterclasses relay --once``) and the indexing (``afterclasses consume search --until-idle``),
then starts the search API under gunicorn (deploy/gunicorn.conf.py, 2 workers, 127.0.0.1 on a
free port), waits for /readyz and sends a mixed query set to /v1/search: text (English and
Russian words from the data), geo (real venue points, 1–10 km, sometimes sorted by distance),
facets (category at each tree level, age, day, free, district, age band) and combinations.
After a warm-up it times ``--requests`` requests sequentially from one client, then the same
number from two concurrent clients, and prints the figures:

    python bench/search_latency.py [--only real|100k] [--size N] [--requests N] [--keep]

Goals: import of the real data < 30 s, of 100k entries < 120 s; 100k search p50 ≤ 10 ms and
p95 ≤ 25 ms. Traffic goes only to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
sys.path.insert(0, str(BENCH))
import corpus  # noqa: E402  (bench/corpus.py)

GOAL_P50_MS, GOAL_P95_MS = 10.0, 25.0
IMPORT_GOAL_S = {"real": 30.0, "100k": 120.0}
WORKERS = 2

# words and phrases that match the shipped data as typed (every stem is in the text index; none
# relies on the typo correction, which e.g. turns "karate" into "art" and "boxing" into "Bronx")
WORDS_EN = ["tennis", "football", "soccer", "art", "dance", "swim", "swimming", "chess", "music", "basketball",
            "volleyball", "hockey", "martial arts", "athletics", "gymnastics", "literacy", "english", "reading",
            "science", "badminton", "table tennis", "computer", "painting", "youth", "family", "summer camp",
            "after school"]
WORDS_RU = ["футбол", "плавание", "шахматы", "танцы", "бокс", "хоккей", "теннис", "волейбол", "гимнастика",
            "самбо", "дзюдо", "каратэ", "баскетбол", "фитнес", "хореография", "борьба", "бадминтон",
            "лыжные гонки", "музыкальная школа", "художественная школа", "школа искусств"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
AGE_BANDS = ["0-2", "3-5", "6-9", "10-13", "14-17", "18+"]
RADII = [1, 1.5, 2, 3, 5, 7.5, 10]
MIX = {"text": 0.25, "geo": 0.20, "facets": 0.20, "text+geo": 0.10, "combined": 0.20, "browse": 0.05}


# --- the query set -------------------------------------------------------------------------

class Queries:
    """A deterministic mix of /v1/search parameter lists, anchored on real records."""

    def __init__(self, records: list, seed: int):
        self.rng = random.Random(seed)
        self.anchors = [r.activity for r in records]
        self.placed = [a for a in self.anchors if (a.get("venue") or {}).get("lat") is not None]
        self.districts = [a["venue"]["district"] for a in self.anchors if (a.get("venue") or {}).get("district")]
        self.kinds, self.weights = zip(*MIX.items())

    def make(self, n: int) -> list[tuple[str, str]]:
        """``n`` (kind, query string) pairs."""
        out = []
        for _ in range(n):
            kind = self.rng.choices(self.kinds, self.weights)[0]
            params = getattr(self, "_" + kind.replace("+", "_"))()
            out.append((kind, urlencode(params)))
        return out

    # parts
    def _word(self) -> list[tuple[str, str]]:
        if self.rng.random() < 0.5:
            return [("q", self.rng.choice(WORDS_EN))]
        return [("q", self.rng.choice(WORDS_RU)), ("lang", "ru")]

    def _point(self, anchor: dict | None = None) -> list[tuple[str, str]]:
        venue = (anchor if anchor and (anchor.get("venue") or {}).get("lat") is not None
                 else self.rng.choice(self.placed))["venue"]
        params = [("lat", f"{venue['lat']:.6f}"), ("lon", f"{venue['lon']:.6f}"),
                  ("radius_km", str(self.rng.choice(RADII)))]
        if self.rng.random() < 0.4:
            params.append(("sort", "distance"))
        return params

    def _category(self, anchor: dict) -> list[tuple[str, str]]:
        parts = anchor["category"].split(".")
        level = self.rng.randrange(len(parts))  # any level of the anchor's branch: sports, sports.team, ...
        return [("category", ".".join(parts[: level + 1]))]

    def _facet(self, name: str, anchor: dict) -> list[tuple[str, str]]:
        rng = self.rng
        if name == "category":
            return self._category(anchor)
        if name == "age":
            lo, hi = anchor.get("age_min"), anchor.get("age_max")
            lo = 3 if lo is None else lo
            hi = 17 if hi is None else min(hi, 17)
            return [("age", str(rng.randint(int(lo), max(int(lo), int(hi)))))]
        if name == "day":
            return [("day", d) for d in rng.sample(DAYS, rng.choice((1, 1, 2)))]
        if name == "free":
            return [("free", rng.choice(("true", "false")))]
        if name == "district":
            district = (anchor.get("venue") or {}).get("district") or rng.choice(self.districts)
            return [("district", district)]
        return [("age_band", rng.choice(AGE_BANDS))]

    # kinds
    def _text(self):
        params = self._word()
        if self.rng.random() < 0.1:
            params.append(("page", "2"))
        return params

    def _geo(self):
        return self._point()

    def _text_geo(self):
        return self._word() + self._point()

    def _facets(self):
        anchor = self.rng.choice(self.anchors)
        names = self.rng.sample(["category", "age", "day", "free", "district", "age_band"], self.rng.choice((1, 1, 2)))
        return [p for name in names for p in self._facet(name, anchor)]

    def _combined(self):
        rng = self.rng
        anchor = rng.choice(self.placed)
        params = self._word() if rng.random() < 0.5 else []
        geo = rng.random() < 0.6
        if geo:
            params += self._point(anchor)
        names = ["category", "age", "day", "free", "age_band"] + ([] if geo else ["district"])
        for name in rng.sample(names, rng.choice((1, 2, 3))):
            params += self._facet(name, anchor)
        if not params:
            params = self._category(anchor)
        return params

    def _browse(self):
        return [("page", str(self.rng.choice((1, 1, 2, 3))))]


# --- child processes -----------------------------------------------------------------------

def child_env(data_dir: Path) -> dict:
    """The environment of every child: this run's data dir and nothing else of AFTERCLASSES_*."""
    keep = {"AFTERCLASSES_DATASETS_DIR"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCLASSES_") or k in keep}
    env.update(AFTERCLASSES_DATA_DIR=str(data_dir), AFTERCLASSES_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    return env


def cli_step(label: str, args: list[str], env: dict) -> tuple[float, str]:
    """Run ``afterclasses ARGS``; print its output; return (wall seconds, stdout)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "afterclasses.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    for line in done.stdout.splitlines():
        print(f"    | {line}")
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise RuntimeError(f"afterclasses {' '.join(args)} exited with {done.returncode}")
    shown = " ".join(os.path.relpath(a, ROOT) if a.startswith(str(ROOT)) else a for a in args)
    print(f"  {label:<7} {seconds:7.1f} s   (afterclasses {shown})", flush=True)
    return seconds, done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A service under gunicorn — the search API unless ``app`` names another WSGI application
    (``name`` is what messages call it); always stopped by ``stop`` (called from a finally)."""

    def __init__(self, env: dict, log_path: Path, app: str = "afterclasses_search.wsgi:application",
                 name: str = "search API"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "w")
        argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), app]
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": str(WORKERS)}
        self.proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> float:
        started = time.perf_counter()
        deadline = time.monotonic() + timeout
        with requests.Session() as s:
            s.trust_env = False  # never through a proxy
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name}: gunicorn exited with {self.proc.returncode}; "
                                       f"see {self.log_path}")
                try:
                    if s.get(self.url + "/readyz", timeout=1).status_code == 200:
                        return time.perf_counter() - started
                except requests.RequestException:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # gunicorn: graceful stop of the master and its workers
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@contextlib.contextmanager
def serving(env: dict, log_path: Path):
    """The search API under gunicorn with ``env``, ready; stopped on leaving, whatever happens."""
    server = Server(env, log_path)
    try:
        ready = server.wait_ready()
        print(f"  search API ready in {ready:.1f} s at {server.url} (gunicorn, {WORKERS} sync workers)", flush=True)
        yield server
    finally:
        server.stop()


def served_entries(base: str) -> int:
    """How many entries the API at ``base`` serves (``total`` of a plain browse)."""
    with session() as s:
        return s.get(base + "/v1/search?per_page=1", timeout=30).json()["total"]


# --- load ----------------------------------------------------------------------------------

def session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    return s


def run_client(base: str, queries: list[tuple[str, str]], out: list, statuses: collections.Counter,
               start: threading.Barrier | None = None, bodies: list | None = None) -> None:
    """Send ``queries`` one after another; append (kind, ms) to ``out``, count status codes.
    With ``bodies``, also keep each response (status, body bytes) there, parsed by the caller
    after the run (not in the timed loop)."""
    with session() as s:
        if start is not None:
            start.wait()
        for kind, qs in queries:
            url = f"{base}/v1/search?{qs}"
            t0 = time.perf_counter()
            body = None
            try:
                resp = s.get(url, timeout=30)  # stream=False: the body is read in get()
                status, body = resp.status_code, resp.content
            except requests.RequestException as exc:
                status = type(exc).__name__
            ms = (time.perf_counter() - t0) * 1000
            out.append((kind, ms))
            statuses[status] += 1
            if bodies is not None:
                bodies.append((status, body))


def concurrent(base: str, queries: list[tuple[str, str]], clients: int, statuses) -> tuple[float, list]:
    """All ``queries`` split over ``clients`` threads (one Session each); (wall seconds, samples)."""
    results: list[list] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=run_client, args=(base, queries[i::clients], results[i], statuses, barrier))
               for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - started, [x for r in results for x in r]


def pct(ms: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(ms), q)) if ms else float("nan")


def measure(base: str, warmup: list, timed: list, bodies: list | None = None) -> dict:
    """The load run on one server: ``warmup`` from two clients (so that both workers load their
    columns before timing), ``timed`` one after another from one client, then ``timed`` again
    from two concurrent clients. Prints one line; returns the figures (``report`` keys).
    ``bodies`` collects (status, body) of the sequential run, in ``timed`` order."""
    statuses: collections.Counter = collections.Counter()
    concurrent(base, warmup, WORKERS, statuses)

    samples: list = []
    t0 = time.perf_counter()
    run_client(base, timed, samples, statuses, bodies=bodies)
    seq_wall = time.perf_counter() - t0
    par_wall, par_samples = concurrent(base, timed, 2, statuses)
    ms = [m for _, m in samples]
    result = dict(
        p50=pct(ms, 50), p95=pct(ms, 95), p99=pct(ms, 99), mean=float(np.mean(ms)),
        qps1=len(timed) / seq_wall, qps2=len(timed) / par_wall,
        p50_2=pct([m for _, m in par_samples], 50), p95_2=pct([m for _, m in par_samples], 95),
        sent=sum(statuses.values()), non200=sum(c for s, c in statuses.items() if s != 200),
        statuses=dict(statuses),
        by_kind={k: [m for kk, m in samples if kk == k] for k in MIX},
    )
    print(f"  {len(timed)} timed requests: sequential {seq_wall:.1f} s, 2 clients {par_wall:.1f} s; "
          f"non-200: {result['non200']} of {result['sent']}", flush=True)
    return result


# --- one corpus ----------------------------------------------------------------------------

def bench_corpus(name: str, args, records: list) -> dict:
    label = "the shipped datasets (all mappings)" if name == "real" else f"{args.size:,} generated entries"
    print(f"\n== {name}: {label}", flush=True)
    data_dir = OUT / f"data-{name}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = child_env(data_dir)
    result = {"name": name, "data_dir": data_dir}
    try:
        if name == "real":
            import_args = ["import", "--all", "--quiet"]
        else:
            t0 = time.perf_counter()
            path = corpus.generate(args.size, args.seed, OUT, records=records)
            print(f"  corpus  {time.perf_counter() - t0:7.1f} s   ({args.size:,} entries → {path.relative_to(ROOT)})")
            import_args = ["import", "--quiet", "--mapping", str(corpus.MAPPING), "--datasets", str(OUT)]
        result["import_s"], _ = cli_step("import", import_args, env)
        result["relay_s"], _ = cli_step("relay", ["relay", "--once"], env)
        result["index_s"], said = cli_step("index", ["consume", "search", "--until-idle"], env)
        held = re.search(r"index holds (\d+) activities", said)
        indexed = int(held[1]) if held else None

        with serving(env, OUT / f"gunicorn-{name}.log") as server:
            result["entries"] = served_entries(server.url)
            if not result["entries"] or (indexed is not None and result["entries"] != indexed):
                raise RuntimeError(f"the API serves {result['entries']} entries but the indexer built {indexed}: "
                                   "the index was replaced under the benchmark (code changed mid-run?)")
            gen = Queries(records, args.seed)
            warmup, timed = gen.make(args.warmup), gen.make(args.requests)
            result.update(measure(server.url, warmup, timed))
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return result


# --- report --------------------------------------------------------------------------------

def report(results: list[dict], args) -> bool:
    print("\n=== Import (wall seconds of each command)")
    print(f"{'corpus':<8} {'import s':>9} {'relay s':>8} {'index s':>8} {'total s':>8}   goal")
    for r in results:
        goal = IMPORT_GOAL_S[r["name"]]
        ok = r["import_s"] < goal
        total = r["import_s"] + r["relay_s"] + r["index_s"]
        note = "" if r["name"] == "real" or args.size == 100_000 else f" (goal is for 100k; this is {args.size:,})"
        print(f"{r['name']:<8} {r['import_s']:9.1f} {r['relay_s']:8.1f} {r['index_s']:8.1f} {total:8.1f}   "
              f"import < {goal:.0f} s: {'PASS' if ok else 'FAIL'}{note}")

    print(f"\n=== Search latency (GET /v1/search, {args.requests} timed requests after {args.warmup} warm-up; "
          f"gunicorn {WORKERS} workers; {os.cpu_count()} CPUs)")
    print(f"{'corpus':<8} {'entries':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'q/s (1 client)':>15} "
          f"{'q/s (2 clients)':>16} {'non-200':>8}")
    for r in results:
        print(f"{r['name']:<8} {r['entries']:>8,} {r['p50']:7.2f} {r['p95']:7.2f} {r['p99']:7.2f} {r['qps1']:15.0f} "
              f"{r['qps2']:16.0f} {r['non200']:>8}")
    for r in results:
        print(f"{r['name']}: 2 clients p50 {r['p50_2']:.2f} ms, p95 {r['p95_2']:.2f} ms; "
              f"responses {r['sent']}, non-200 {r['non200']} {r['statuses'] if r['non200'] else ''}".rstrip())

    print("\n=== By query kind (sequential run): n, p50 ms, p95 ms, max ms")
    print(f"{'kind':<10}" + "".join(f" {r['name'] + ' n':>9} {'p50':>7} {'p95':>7} {'max':>7}" for r in results))
    for kind in MIX:
        line = f"{kind:<10}"
        for r in results:
            ms = r["by_kind"][kind]
            line += f" {len(ms):>9} {pct(ms, 50):7.2f} {pct(ms, 95):7.2f} {max(ms, default=float('nan')):7.2f}"
        print(line)

    ok = all(r["non200"] == 0 for r in results) and all(r["import_s"] < IMPORT_GOAL_S[r["name"]] for r in results)
    big = next((r for r in results if r["name"] == "100k"), None)
    if big is not None:
        passed = big["p50"] <= GOAL_P50_MS and big["p95"] <= GOAL_P95_MS
        note = "" if args.size == 100_000 else f" (measured on {args.size:,} entries)"
        print(f"\nGoal 100k: p50 ≤ {GOAL_P50_MS:g} ms, p95 ≤ {GOAL_P95_MS:g} ms — measured p50 {big['p50']:.2f} ms, "
              f"p95 {big['p95']:.2f} ms: {'PASS' if passed else 'FAIL'}{note}")
        ok = ok and passed
    print(f"non-200 responses: {sum(r['non200'] for r in results)} of {sum(r['sent'] for r in results)}")
    return ok


def git_state() -> str:
    """The commit benched, and whether the working tree differs from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"commit {head}" + (" + uncommitted changes" if dirty else "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("real", "100k"), help="bench one corpus only")
    parser.add_argument("--size", type=int, default=100_000, help="entries of the generated corpus (default 100000)")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per run (default 2000)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed requests first (default 200)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the corpus and the query mix")
    parser.add_argument("--keep", action="store_true", help="keep the data dirs bench/out/data-*")
    args = parser.parse_args(argv)

    def on_term(signum, frame):
        raise KeyboardInterrupt  # run the finally blocks: stop gunicorn, remove data dirs

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl+C, even if started with SIGINT ignored
    print(f"Afterclasses search benchmark — {git_state()}; Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}")
    OUT.mkdir(parents=True, exist_ok=True)
    records = corpus.real_records(corpus.default_datasets_dir())
    names = [args.only] if args.only else ["real", "100k"]
    results = []
    try:
        for name in names:
            results.append(bench_corpus(name, args, records))
    except KeyboardInterrupt:
        print("\ninterrupted; stopped the servers it started", file=sys.stderr)
        return 130
    return 0 if report(results, args) else 1


if __name__ == "__main__":
    sys.exit(main())
