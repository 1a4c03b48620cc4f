"""The embedded search index against OpenSearch, in one run, on the same corpus and query set;
and approve→searchable latency through Kafka (and through the embedded log, for comparison).

For each ``--sizes`` entry (default 100,000 and 1,000,000):

1. generates the corpus (``corpus.py``, same seed as ``search_latency.py``), reads it through the
   declarative importer (``bench/corpus.toml``) and builds the ``activity.published`` events the
   import would publish (the import's validation, document shape and ``new_event``; ids derived
   from the source ids), in memory — going through the catalog and the log would take most of an
   hour at 1M;
2. applies them straight into (a) a fresh ``SqliteSearchIndex`` file (``create_fresh``, batches of
   2,000, ``make_live``: the embedded reindex) and (b) a fresh OpenSearch index behind an alias of
   this run (``OpenSearchIndex.rebuild``: no refresh and no replica while loading, bulk batches of
   2,000, then serving settings, a refresh and the alias swap: the cluster reindex), timing each;
3. serves each through the real search API (gunicorn, 2 workers) and sends the same seeded query
   mix as ``search_latency.py`` (warm-up, then ``--requests`` sequential, then two clients),
   then compares the two backends' answers query by query: equal ``total``; the same first
   entry, and the same first score (entries that tie on score are ordered differently: the
   embedded index by position, OpenSearch by id).

Then, once (``--skip-approve`` skips it), the product as operators run it — ``afterclasses run
--no-import`` in the scaled mode (Kafka log with a topic prefix of this run, OpenSearch alias of
this run, a fresh PostgreSQL database) and in the embedded mode (SQLite log, catalog and index) —
and ``--approvals`` times (default 200): submit an activity whose title holds a unique word,
approve it with the editor token, poll ``/v1/search?q=<word>`` every 20 ms until it is the one
result. Goal: p95 ≤ 2 s through Kafka.

    python bench/compare_engines.py [--sizes 100000,1000000] [--requests N] [--skip-approve] [--keep]

Engines: ``AFTERCLASSES_OPENSEARCH_URL``, ``AFTERCLASSES_KAFKA_BOOTSTRAP`` and
``AFTERCLASSES_TEST_DATABASE_URL`` (a PostgreSQL database to connect to for CREATE/DROP
DATABASE; ``deploy/engines/engines.sh env`` prints all three) when set; otherwise the engines
``engines.sh`` runs (started here, and stopped at the end, if they were not running). Everything
this run creates — aliases and indices, topics and consumer groups, the database, processes,
``bench/out/compare/`` — is removed at the end (``--keep`` keeps the SQLite files and the
OpenSearch indices of the sizes). Traffic goes only to 127.0.0.1 and the engines.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import string
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import requests

from afterclasses.devtools import admin_sql, drop_index, drop_kafka_namespace

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import corpus  # noqa: E402  (bench/corpus.py)
import search_latency as sl  # noqa: E402  (bench/search_latency.py: query mix, HTTP timing, gunicorn)

ROOT, OUT = sl.ROOT, sl.OUT / "compare"
ENGINES_SH = ROOT / "deploy" / "engines" / "engines.sh"
BATCH = 2000  # events per apply / bulk request (the reindex's batch)
BACKENDS = ("sqlite", "opensearch")
APPROVE_GOAL_P95_S = 2.0
POLL_S = 0.020
APPROVE_TIMEOUT_S = 30.0
SCORE_TOLERANCE = 1e-3
APPROVE_GAP_S = 1.0  # a random pause of up to this before each timed approval
APPROVE_WARMUP = 5  # untimed approvals first: topic creation, the consumer group's first join


def fmt_size(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


# --- engines -------------------------------------------------------------------------------

@dataclasses.dataclass
class Engines:
    opensearch: str
    kafka: str | None
    postgres: str | None  # a database URL to connect to for CREATE / DROP DATABASE
    started: bool = False  # started by this run: stopped at its end

    @classmethod
    def find(cls, need_all: bool) -> Engines:
        env = {k: os.environ.get(k) for k in ("AFTERCLASSES_OPENSEARCH_URL", "AFTERCLASSES_KAFKA_BOOTSTRAP",
                                               "AFTERCLASSES_TEST_DATABASE_URL")}
        wanted = list(env) if need_all else ["AFTERCLASSES_OPENSEARCH_URL"]
        if all(env[k] for k in wanted):
            print(f"engines from the environment: {', '.join(f'{k}={env[k]}' for k in wanted)}")
            return cls(env["AFTERCLASSES_OPENSEARCH_URL"], env["AFTERCLASSES_KAFKA_BOOTSTRAP"],
                       env["AFTERCLASSES_TEST_DATABASE_URL"])
        running = subprocess.run([str(ENGINES_SH), "status"], capture_output=True, text=True).returncode == 0
        t0 = time.perf_counter()
        done = subprocess.run([str(ENGINES_SH), "env" if running else "start"], capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-4000:])
            raise RuntimeError(f"deploy/engines/engines.sh {'env' if running else 'start'} failed")
        lines = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
        how = "running already (left running)" if running else f"started in {time.perf_counter() - t0:.0f} s"
        print(f"engines of deploy/engines/engines.sh: {how}: {' '.join(done.stdout.split())}")
        return cls(lines["AFTERCLASSES_OPENSEARCH_URL"], lines["AFTERCLASSES_KAFKA_BOOTSTRAP"],
                   lines["AFTERCLASSES_TEST_DATABASE_URL"], started=not running)

    def stop(self) -> None:
        if self.started:
            done = subprocess.run([str(ENGINES_SH), "stop"], capture_output=True, text=True)
            print("stopped the engines this run started" if done.returncode == 0
                  else f"engines.sh stop failed: {done.stderr[-2000:]}", flush=True)


class Created:
    """Everything of this run's on the engines, removed by ``cleanup`` (best effort, each)."""

    def __init__(self, engines: Engines, run_id: str):
        self.engines, self.run_id = engines, run_id
        self.aliases: list[str] = []
        self.databases: list[str] = []
        self.topic_prefixes: list[str] = []

    def alias(self, label: str) -> str:
        name = f"{self.run_id}-{label}-activities"
        self.aliases.append(name)
        return name

    def database(self) -> str:
        """A fresh PostgreSQL database; its SQLAlchemy URL."""
        from sqlalchemy.engine import make_url

        name = f"{self.run_id}_catalog".replace("-", "_")
        admin_sql(self.engines.postgres, f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return make_url(self.engines.postgres).set(database=name).render_as_string(hide_password=False)

    def topic_prefix(self) -> str:
        prefix = f"{self.run_id}."
        self.topic_prefixes.append(prefix)
        return prefix

    def drop_alias(self, alias: str) -> None:
        drop_index(self.engines.opensearch, alias)
        with contextlib.suppress(ValueError):
            self.aliases.remove(alias)

    def cleanup(self, keep_aliases: bool = False) -> None:
        for alias in list(self.aliases):
            if keep_aliases:
                print(f"kept OpenSearch alias {alias} (drop: curl -X DELETE '{self.engines.opensearch}/{alias}-*')")
                continue
            try:
                self.drop_alias(alias)
            except Exception as exc:  # noqa: BLE001  (best effort; say what is left)
                print(f"could not drop alias {alias}: {exc}", file=sys.stderr)
        for name in self.databases:
            try:
                admin_sql(self.engines.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001
                print(f"could not drop database {name}: {exc}", file=sys.stderr)
        for prefix in self.topic_prefixes:
            try:
                drop_kafka_namespace(self.engines.kafka, prefix)
            except Exception as exc:  # noqa: BLE001
                print(f"could not delete topics/groups {prefix}*: {exc}", file=sys.stderr)



# --- the corpus as catalog events ----------------------------------------------------------

def corpus_events(size: int, seed: int, out_dir: Path, records: list, datasets: Path) -> tuple[list, dict]:
    """``activity.published`` envelopes of a generated corpus, as ``afterclasses import`` of it
    would publish them (its validation, ``activity_document``, ``new_event``); (events, timings)."""
    from afterclasses.contracts.events import new_event
    from afterclasses.contracts.schemas import ActivityFieldsSchema, ProviderFieldsSchema
    from afterclasses_ingest.domain.model import activity_document, normalise_name, split_activity
    from afterclasses_ingest.importer import RowError, load_mapping, read_records

    steps = {}
    t0 = time.perf_counter()
    corpus.generate(size, seed, out_dir, records=records)
    steps["corpus"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    mapping = load_mapping(corpus.MAPPING)
    activity_schema, provider_schema = ActivityFieldsSchema(), ProviderFieldsSchema()
    at = dt.datetime.now(dt.UTC).isoformat()
    providers: dict[str, dict] = {}  # first row wins, as the import keeps an existing provider
    events, bad = [], 0
    for record in read_records(mapping, out_dir, gazetteer_root=datasets):
        if isinstance(record, RowError):
            bad += 1
            continue
        activity = activity_schema.load(record.activity)
        provider = None
        if record.provider:
            fields = provider_schema.load(record.provider)
            key = normalise_name(fields["name"])
            provider = providers.get(key)
            if provider is None:
                provider = providers[key] = {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"provider:{key}")), **fields}
        fields, venue = split_activity(activity)
        entry_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{mapping.source}:{record.source_id}"))
        doc = activity_document(id=entry_id, version=1, status="published", fields=fields, venue=venue,
                                provider=provider, source=mapping.source, source_id=record.source_id, updated_at=at)
        events.append(new_event("activity.published", entry_id, doc))
    steps["events"] = time.perf_counter() - t0
    if bad or len(events) != size:
        raise RuntimeError(f"{bad} rows of the corpus could not be read; {len(events)} events of {size}")
    return events, steps


def batches(events: list, size: int = BATCH):
    for i in range(0, len(events), size):
        yield events[i:i + size]


def build_sqlite(events: list, directory: Path) -> dict:
    """A fresh embedded index file in ``directory`` (the embedded reindex: a pinned fresh file,
    then ``CURRENT`` points at it)."""
    from afterclasses_search.adapters.sqlite_fts import SqliteSearchIndex

    shutil.rmtree(directory, ignore_errors=True)
    t0 = time.perf_counter()
    index = SqliteSearchIndex(directory, create=False)  # nothing live yet: no empty first file
    fresh = index.create_fresh()
    try:
        for chunk in batches(events):
            fresh.apply(chunk)
        fresh.make_live()
        seconds = time.perf_counter() - t0
        count = fresh.count()
        size_mb = sum(p.stat().st_size for p in directory.glob("index-*")) / 1e6
    finally:
        fresh.close()
        index.close()
    return {"seconds": seconds, "count": count, "name": fresh.name, "mb": size_mb}


def build_opensearch(events: list, url: str, alias: str) -> dict:
    """A fresh OpenSearch index behind ``alias`` (``rebuild``: bulk-load settings, bulk batches,
    then serving settings, a refresh and the alias swap)."""
    from afterclasses_search.adapters.opensearch import OpenSearchIndex

    index = OpenSearchIndex(url, alias, create=False, timeout=120)  # no "-initial" index first
    try:
        t0 = time.perf_counter()
        count, name = index.rebuild(iter(events), batch=BATCH)
        seconds = time.perf_counter() - t0
        stats = requests.get(f"{url}/{name}/_stats/store,segments", timeout=30).json()["indices"][name]["primaries"]
    finally:
        index.close()
    return {"seconds": seconds, "count": count, "name": name, "mb": stats["store"]["size_in_bytes"] / 1e6,
            "segments": stats["segments"]["count"]}


# --- serving and comparing -----------------------------------------------------------------

def backend_env(backend: str, data_dir: Path, engines: Engines, alias: str) -> dict:
    env = sl.child_env(data_dir)
    if backend == "sqlite":
        env.update(AFTERCLASSES_SEARCH_BACKEND="sqlite", AFTERCLASSES_SEARCH_INDEX_DIR=str(data_dir / "search"))
    else:
        env.update(AFTERCLASSES_SEARCH_BACKEND="opensearch", AFTERCLASSES_OPENSEARCH_URL=engines.opensearch,
                   AFTERCLASSES_OPENSEARCH_INDEX=alias)
    return env


def answers(bodies: list) -> list[tuple]:
    """(total, first result's id, its score) per response; Nones for a failed one."""
    out = []
    for status, body in bodies:
        if status != 200 or body is None:
            out.append((None, None, None))
            continue
        data = json.loads(body)
        first = data["results"][0] if data["results"] else {}
        out.append((data["total"], first.get("id"), first.get("score")))
    return out


def agreement(timed: list, a: list, b: list) -> dict:
    """Per query kind and overall: queries; equal totals; queries where both found something;
    of those, the same first entry; the same first score (±SCORE_TOLERANCE: an equally ranked
    first entry — the corpus repeats each real record many times, and equal-scored copies tie).
    Also the disagreements, for a file."""
    rows = collections.defaultdict(lambda: [0, 0, 0, 0, 0])
    diffs = []
    for (kind, qs), (ta, ia, sa), (tb, ib, sb) in zip(timed, a, b):
        both = bool(ta) and bool(tb)
        same_score = both and sa is not None and sb is not None and abs(sa - sb) <= SCORE_TOLERANCE
        for key in (kind, "all"):
            r = rows[key]
            r[0] += 1
            r[1] += ta is not None and ta == tb
            r[2] += both
            r[3] += both and ia == ib
            r[4] += same_score
        if ta != tb or ia != ib:
            diffs.append((kind, qs, ta, tb, ia, ib, sa, sb))
    return {"rows": dict(rows), "diffs": diffs}


def bench_size(size: int, args, engines: Engines, created: Created, records: list, datasets: Path) -> dict:
    label = fmt_size(size)
    print(f"\n== {label}: {size:,} generated entries (load average {os.getloadavg()[0]:.2f})", flush=True)
    out_dir = OUT / label
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    result = {"size": size, "label": label, "steps": {}}
    steps = result["steps"]
    alias = created.alias(label.lower())  # index names are lower case
    try:
        events, made = corpus_events(size, args.seed, out_dir, records, datasets)
        steps.update(made)
        print(f"  corpus  {made['corpus']:7.1f} s   ({size:,} rows → {(out_dir / corpus.FILE_NAME).relative_to(ROOT)})")
        print(f"  events  {made['events']:7.1f} s   ({len(events):,} activity.published envelopes: importer "
              f"read_records + schema validation + new_event; {len(events) / made['events']:,.0f}/s)", flush=True)

        built = {"sqlite": build_sqlite(events, out_dir / "search")}
        b = built["sqlite"]
        print(f"  sqlite  {b['seconds']:7.1f} s   ({b['count']:,} docs, {size / b['seconds']:,.0f} docs/s, "
              f"{b['mb']:,.0f} MB; {b['name']})", flush=True)
        built["opensearch"] = build_opensearch(events, engines.opensearch, alias)
        b = built["opensearch"]
        print(f"  opensearch {b['seconds']:4.1f} s   ({b['count']:,} docs, {size / b['seconds']:,.0f} docs/s, "
              f"{b['mb']:,.0f} MB in {b['segments']} segments; {b['name']} as {alias})", flush=True)
        del events
        for backend in BACKENDS:
            if built[backend]["count"] != size:
                raise RuntimeError(f"{backend} holds {built[backend]['count']} documents, not {size}")
        result["built"] = built

        gen = sl.Queries(records, args.seed)  # the same mix (and seed) as search_latency.py
        warmup, timed = gen.make(args.warmup), gen.make(args.requests)
        result["timed"] = timed
        for backend in BACKENDS:
            # other processes skew the figures: say how busy the machine was when this began
            print(f"  -- {backend} (load average {os.getloadavg()[0]:.2f})", flush=True)
            env = backend_env(backend, out_dir, engines, alias)
            bodies: list = []
            t0 = time.perf_counter()
            with sl.serving(env, sl.OUT / f"compare-gunicorn-{label}-{backend}.log") as server:
                entries = sl.served_entries(server.url)
                if entries != size:
                    raise RuntimeError(f"the {backend} API serves {entries} entries, not {size}")
                measured = sl.measure(server.url, warmup, timed, bodies=bodies)
            steps[f"queries {backend}"] = time.perf_counter() - t0
            result[backend] = {**measured, "entries": entries, "answers": answers(bodies)}
        result["agree"] = agreement(timed, result["sqlite"]["answers"], result["opensearch"]["answers"])
        diff_file = sl.OUT / f"compare-disagreements-{label}.tsv"
        with open(diff_file, "w", encoding="utf-8") as f:
            f.write("kind\tquery\tsqlite total\topensearch total\tsqlite first\topensearch first\t"
                    "sqlite score\topensearch score\n")
            for row in result["agree"]["diffs"]:
                f.write("\t".join("" if v is None else str(v) for v in row) + "\n")
        result["diff_file"] = diff_file
    finally:
        if not args.keep:
            shutil.rmtree(out_dir, ignore_errors=True)
            try:
                created.drop_alias(alias)
            except Exception as exc:  # noqa: BLE001  (the final cleanup tries again)
                print(f"  could not drop {alias} yet: {exc}", file=sys.stderr)
        else:
            # the corpus is regenerated on demand; what is slow to rebuild stays
            (out_dir / corpus.FILE_NAME).unlink(missing_ok=True)
    return result


# --- approve → searchable ------------------------------------------------------------------

class Stack:
    """``afterclasses run --no-import`` in its own session (its whole process group is stopped)."""

    def __init__(self, name: str, env: dict, data_dir: Path):
        self.name, self.data_dir = name, data_dir
        self.ports = {p: sl.free_port() for p in ("web", "ingest", "search", "notify")}
        self.env = {**env, **{f"AFTERCLASSES_{p.upper()}_PORT": str(v) for p, v in self.ports.items()}}
        self.log_path = sl.OUT / f"compare-run-{name}.log"
        self.proc: subprocess.Popen | None = None
        self.http = sl.session()
        self._token: str | None = None

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self) -> None:
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "afterclasses.cli", "run", "--no-import"],
                                         env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def wait_ready(self, timeout: float = 180) -> float:
        t0 = time.perf_counter()
        deadline = time.monotonic() + timeout
        pending = ["ingest", "search"]
        while pending:
            if self.proc.poll() is not None:
                raise RuntimeError(f"`afterclasses run` ({self.name}) exited with {self.proc.returncode}; "
                                   f"see {self.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: {pending} not ready after {timeout} s; see {self.log_path}")
            try:
                if self.http.get(self.url(pending[0]) + "/readyz", timeout=2).status_code == 200:
                    pending.pop(0)
                    continue
            except requests.RequestException:
                pass
            time.sleep(0.2)
        return time.perf_counter() - t0

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = (self.data_dir / "editor-token").read_text().strip()
        return self._token

    def submit(self, word: str) -> str:
        resp = self.http.post(self.url("ingest") + "/v1/submissions", timeout=10, json={
            "kind": "activity", "provider": {"name": "Bench Chess Club", "kind": "non-profit"},
            "activity": {"title": f"Chess {word} for beginners", "category": "sports.mind", "age_min": 7,
                         "age_max": 12, "sessions": [{"weekday": "mon", "start": "15:30", "end": "17:00"}],
                         "venue": {"name": "P.S. 121", "address": "2750 Throop Ave", "lat": 40.866, "lon": -73.851}}})
        if resp.status_code != 202:
            raise RuntimeError(f"submission: {resp.status_code} {resp.text[:500]}")
        return resp.json()["id"]

    def approve(self, submission_id: str) -> str:
        resp = self.http.post(f"{self.url('ingest')}/v1/review/{submission_id}/approve", timeout=10,
                              headers={"Authorization": f"Bearer {self.token}"}, json={"note": "bench"})
        if resp.status_code != 200:
            raise RuntimeError(f"approve: {resp.status_code} {resp.text[:500]}")
        return resp.json()["result_id"]

    def searchable(self, word: str, entry_id: str) -> bool:
        try:
            resp = self.http.get(self.url("search") + "/v1/search", params={"q": word}, timeout=10)
        except requests.RequestException:
            return False
        if resp.status_code != 200:
            return False
        data = resp.json()
        return data["total"] == 1 and data["results"][0]["id"] == entry_id

    def stop(self) -> None:
        self.http.close()
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)  # the supervisor stops its children
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # whatever of the group outlived it
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)


class Probe:
    """Where an approval is on its way, seen through the product's own adapters (settings from the
    stack's environment): appended to the log (the relay published it), in the index (the indexer
    wrote it: a real-time GET, before OpenSearch's refresh makes it searchable)."""

    def __init__(self, env: dict):
        from afterclasses.eventlog import make_eventlog
        from afterclasses_search.bootstrap import make_index
        from afterclasses_search.settings import SearchSettings

        settings = SearchSettings.from_env(env)
        self.log = make_eventlog(settings)
        self.index = make_index(settings, create=False)

    def log_end(self) -> int:
        from afterclasses.contracts import CATALOG_ENTRIES

        return sum(self.log.end_offsets(CATALOG_ENTRIES).values())

    def indexed(self, entry_id: str) -> bool:
        try:
            return self.index.get(entry_id) is not None
        except Exception:  # noqa: BLE001  (not there yet: a reader before the indexer made the index)
            return False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.index.close()
        with contextlib.suppress(Exception):
            self.log.close()


def one_approval(stack: Stack, word: str, probe: Probe) -> dict:
    """Submit an activity titled with ``word``, approve it, poll until the search API finds it.
    Seconds from sending the approval: ``searchable`` (``inf`` if not within APPROVE_TIMEOUT_S),
    ``approve`` (the request), ``in_log`` and ``indexed`` (first poll that saw it there)."""
    submission = stack.submit(word)
    base = probe.log_end()
    t0 = time.perf_counter()
    entry_id = stack.approve(submission)
    out = {"approve": time.perf_counter() - t0, "in_log": None, "indexed": None}
    deadline = t0 + APPROVE_TIMEOUT_S
    while True:
        if stack.searchable(word, entry_id):
            out["searchable"] = time.perf_counter() - t0
            break
        if out["in_log"] is None and probe.log_end() > base:
            out["in_log"] = time.perf_counter() - t0
        if out["indexed"] is None and probe.indexed(entry_id):
            out["indexed"] = time.perf_counter() - t0
        if time.perf_counter() > deadline:
            out["searchable"] = float("inf")
            return out
        time.sleep(POLL_S)
    for stage in ("in_log", "indexed"):  # first seen by the poll that found it searchable
        if out[stage] is None:
            out[stage] = out["searchable"]
    return out


def approve_latency(mode: str, args, engines: Engines, created: Created) -> dict:
    data_dir = OUT / f"approve-{mode}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = sl.child_env(data_dir)
    if mode == "kafka":
        env.update(AFTERCLASSES_EVENTLOG_BACKEND="kafka", AFTERCLASSES_KAFKA_BOOTSTRAP=engines.kafka,
                   AFTERCLASSES_KAFKA_TOPIC_PREFIX=created.topic_prefix(),
                   AFTERCLASSES_SEARCH_BACKEND="opensearch", AFTERCLASSES_OPENSEARCH_URL=engines.opensearch,
                   AFTERCLASSES_OPENSEARCH_INDEX=created.alias("approve"),
                   AFTERCLASSES_DATABASE_URL=created.database())
        what = "scaled mode: PostgreSQL catalog, Kafka log, OpenSearch index"
    else:
        what = "embedded mode: SQLite catalog, SQLite log, SQLite FTS5 index"
    print(f"\n== approve → searchable, {what} (`afterclasses run --no-import`; "
          f"load average {os.getloadavg()[0]:.2f})", flush=True)
    stack = Stack(mode, env, data_dir)
    rng = random.Random(f"{args.seed}-{mode}")
    result = {"mode": mode, "what": what}
    try:
        stack.start()
        print(f"  ready in {stack.wait_ready():.1f} s (ingest {stack.url('ingest')}, search {stack.url('search')})",
              flush=True)
        # random 12-letter words: far apart (no typo correction joins two), found by no other entry
        words = ["".join(rng.choices(string.ascii_lowercase, k=12)) for _ in range(APPROVE_WARMUP + args.approvals)]
        probe = Probe(stack.env)
        try:
            t0 = time.perf_counter()
            warm = [one_approval(stack, w, probe)["searchable"] for w in words[:APPROVE_WARMUP]]
            print(f"  {APPROVE_WARMUP} warm-up approvals in {time.perf_counter() - t0:.1f} s "
                  f"(first {warm[0]:.2f} s)", flush=True)
            samples = []
            t0 = time.perf_counter()
            for word in words[APPROVE_WARMUP:]:
                # at a random moment: back-to-back approvals would fall into step with the relay's
                # outbox scan and OpenSearch's refresh, and measure one phase of them only
                time.sleep(rng.uniform(0, APPROVE_GAP_S))
                samples.append(one_approval(stack, word, probe))
            wall = time.perf_counter() - t0
        finally:
            probe.close()
        print(f"  {len(samples)} timed approvals in {wall:.1f} s", flush=True)
        seconds = [a["searchable"] for a in samples]
        found = [x for x in seconds if np.isfinite(x)]
        result.update(n=len(samples), timeouts=len(samples) - len(found), wall=wall,
                      p50=sl.pct(found, 50), p95=float(np.percentile(seconds, 95)) if seconds else float("nan"),
                      max=max(seconds), min=min(seconds), mean=float(np.mean(found)) if found else float("nan"),
                      approve_ms=sl.pct([a["approve"] * 1000 for a in samples], 50),
                      in_log=sl.pct([a["in_log"] for a in samples if np.isfinite(a["searchable"])], 50),
                      indexed=sl.pct([a["indexed"] for a in samples if np.isfinite(a["searchable"])], 50),
                      in_log95=sl.pct([a["in_log"] for a in samples if np.isfinite(a["searchable"])], 95),
                      indexed95=sl.pct([a["indexed"] for a in samples if np.isfinite(a["searchable"])], 95))
    finally:
        stack.stop()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return result


# --- report --------------------------------------------------------------------------------

def report(sizes: list[dict], approvals: list[dict], args) -> bool:
    ok = True
    if sizes:
        print(f"\n=== Index build (events applied in-process, batches of {BATCH}; wall seconds)")
        print(f"{'size':<6} {'corpus s':>8} {'events s':>8} {'sqlite s':>9} {'docs/s':>8} {'MB':>6} "
              f"{'opensearch s':>13} {'docs/s':>8} {'MB':>6}")
        for r in sizes:
            s, o, st = r["built"]["sqlite"], r["built"]["opensearch"], r["steps"]
            print(f"{r['label']:<6} {st['corpus']:8.1f} {st['events']:8.1f} {s['seconds']:9.1f} "
                  f"{r['size'] / s['seconds']:8,.0f} {s['mb']:6,.0f} {o['seconds']:13.1f} "
                  f"{r['size'] / o['seconds']:8,.0f} {o['mb']:6,.0f}")

        print(f"\n=== Search latency (GET /v1/search, {args.requests} timed requests after {args.warmup} warm-up, "
              f"same queries for both; gunicorn {sl.WORKERS} workers; {os.cpu_count()} CPUs)")
        print(f"{'size':<6} {'backend':<11} {'entries':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
              f"{'q/s (1 client)':>15} {'q/s (2 clients)':>16} {'non-200':>8}")
        for r in sizes:
            for backend in BACKENDS:
                m = r[backend]
                print(f"{r['label']:<6} {backend:<11} {m['entries']:>9,} {m['p50']:7.2f} {m['p95']:7.2f} "
                      f"{m['p99']:7.2f} {m['qps1']:15.0f} {m['qps2']:16.0f} {m['non200']:>8}")
                ok = ok and m["non200"] == 0
        for r in sizes:
            for backend in BACKENDS:
                m = r[backend]
                print(f"{r['label']} {backend}: 2 clients p50 {m['p50_2']:.2f} ms, p95 {m['p95_2']:.2f} ms; "
                      f"responses {m['sent']}, non-200 {m['non200']} {m['statuses'] if m['non200'] else ''}".rstrip())

        for r in sizes:
            rows = r["agree"]["rows"]
            print(f"\n=== {r['label']}: by query kind (sequential run): n, p50/p95/max ms per backend; "
                  "answers that agree")
            print(f"{'kind':<10} {'n':>5} {'sqlite p50':>10} {'p95':>7} {'max':>7} {'os p50':>8} {'p95':>7} "
                  f"{'max':>7} {'totals agree':>13} {'top-1 same':>11} {'top-1 score':>12}")
            for kind in [*sl.MIX, "all"]:
                n, tot, both, top, score = rows.get(kind, [0, 0, 0, 0, 0])
                cells = ""
                for backend in BACKENDS:
                    ms = (r[backend]["by_kind"][kind] if kind != "all"
                          else [m for v in r[backend]["by_kind"].values() for m in v])
                    cells += f" {sl.pct(ms, 50):{10 if backend == 'sqlite' else 8}.2f} {sl.pct(ms, 95):7.2f} " \
                             f"{max(ms, default=float('nan')):7.2f}"
                print(f"{kind:<10} {n:>5}{cells} {f'{tot}/{n}':>13} {f'{top}/{both}':>11} {f'{score}/{both}':>12}")
            n, tot, both, top, score = rows["all"]
            print(f"{r['label']}: totals agree on {tot} of {n} queries ({100 * tot / n:.1f} %); of the {both} queries "
                  f"where both found something, the first result is the same entry in {top} "
                  f"({100 * top / max(both, 1):.1f} %) and has the same score (±{SCORE_TOLERANCE:g}) in {score} "
                  f"({100 * score / max(both, 1):.1f} %); disagreements in {r['diff_file'].relative_to(ROOT)}")

    if approvals:
        print(f"\n=== Approve → searchable (submit, approve with the editor token, poll /v1/search?q=<unique word> "
              f"every {POLL_S * 1000:.0f} ms; seconds from sending the approval; approvals 0–{APPROVE_GAP_S:g} s "
              f"apart at random)\n(in log: the relay published it; indexed: the indexer wrote it; both seen by the "
              f"same polls; "
              f"not found: not searchable within {APPROVE_TIMEOUT_S:g} s)")
        print(f"{'mode':<10} {'n':>4} {'p50 s':>6} {'p95 s':>6} {'max s':>6} {'min s':>6} {'mean s':>7} "
              f"{'approve req p50 ms':>19} {'in log p50/p95 s':>17} {'indexed p50/p95 s':>18} {'not found':>10}")
        for a in approvals:
            in_log = f"{a['in_log']:.2f}/{a['in_log95']:.2f}"
            indexed = f"{a['indexed']:.2f}/{a['indexed95']:.2f}"
            print(f"{a['mode']:<10} {a['n']:>4} {a['p50']:6.2f} {a['p95']:6.2f} {a['max']:6.2f} {a['min']:6.2f} "
                  f"{a['mean']:7.2f} {a['approve_ms']:19.1f} {in_log:>17} {indexed:>18} {a['timeouts']:>10}")
        for a in approvals:
            print(f"{a['mode']}: {a['what']}")
        kafka = next((a for a in approvals if a["mode"] == "kafka"), None)
        if kafka is not None:
            passed = kafka["p95"] <= APPROVE_GOAL_P95_S and kafka["timeouts"] == 0
            print(f"\nGoal: approve→searchable p95 ≤ {APPROVE_GOAL_P95_S:g} s through Kafka — measured p95 "
                  f"{kafka['p95']:.2f} s: {'PASS' if passed else 'FAIL'}")
            ok = ok and passed
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000",
                        help="corpus sizes, comma-separated (default 100000,1000000); empty: none")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per backend (default 2000)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed requests first (default 200)")
    parser.add_argument("--approvals", type=int, default=200, help="timed approvals per mode (default 200)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the corpus and the query mix")
    parser.add_argument("--skip-approve", action="store_true", help="no approve→searchable part")
    parser.add_argument("--keep", action="store_true",
                        help="keep the SQLite index files (bench/out/compare/) and the OpenSearch indices of the sizes")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    def on_term(signum, frame):
        raise KeyboardInterrupt  # run the finally blocks: servers, stacks, aliases, topics, database

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.perf_counter()
    print(f"Afterclasses engines comparison — {sl.git_state()}; Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs; sizes {', '.join(f'{s:,}' for s in sizes) or 'none'}; "
          f"approvals {'skipped' if args.skip_approve else args.approvals}")
    OUT.mkdir(parents=True, exist_ok=True)
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    engines = Engines.find(need_all=not args.skip_approve)
    created = Created(engines, run_id)
    results, approvals = [], []
    try:
        datasets = corpus.default_datasets_dir()
        records = corpus.real_records(datasets)
        for size in sizes:
            t0 = time.perf_counter()
            results.append(bench_size(size, args, engines, created, records, datasets))
            print(f"  ({fmt_size(size)} done in {time.perf_counter() - t0:.0f} s)", flush=True)
        if not args.skip_approve:
            for mode in ("kafka", "embedded"):
                t0 = time.perf_counter()
                approvals.append(approve_latency(mode, args, engines, created))
                print(f"  ({mode} done in {time.perf_counter() - t0:.0f} s)", flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up what it created", file=sys.stderr)
        return 130
    finally:
        created.cleanup(keep_aliases=args.keep)
        engines.stop()
        if not args.keep:
            shutil.rmtree(OUT, ignore_errors=True)
    ok = report(results, approvals, args)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
