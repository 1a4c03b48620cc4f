"""Helpers of the scaled-mode e2e tests (Kafka + OpenSearch + PostgreSQL).

Two kinds of isolation:

* :class:`Namespace` — a test's own topics and consumer groups (a Kafka topic prefix), index alias
  and PostgreSQL database on engines others use too; removed afterwards. Enough for tests that
  only kill *our* processes.
* :class:`PrivateEngines` — a set of engines of the test's own (``engines.sh start`` with a
  private run dir and free ports), for tests that stop or restart an engine; stopped afterwards.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from afterclasses.devtools import admin_sql, drop_index, drop_kafka_namespace
from afterclasses.ports.eventlog import EventLogUnavailable
from afterclasses.ports.search import SearchUnavailable
from tests.e2e.conftest import Stack, free_port

ROOT = Path(__file__).resolve().parents[3]
ENGINES_SH = ROOT / "deploy" / "engines" / "engines.sh"
CLI = [sys.executable, "-m", "afterclasses.cli"]
# an engine that is away (or not there yet) means "not yet" to wait_for
NOT_YET = (requests.RequestException, OSError, SearchUnavailable, EventLogUnavailable)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1, alive=None):
    """Poll ``predicate`` until it returns something truthy (returned); AssertionError on timeout.

    ``alive``, when given, is called each round and may raise to stop early (a process died).
    Errors of an engine that is away count as "not yet".
    """
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if alive is not None:
            alive()
        try:
            value = predicate()
            if value:
                return value
            last = value
        except NOT_YET as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


# --- processes -----------------------------------------------------------------------------------

def spawn(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    """``afterclasses ARGS`` in a session of its own (so its whole group can be killed)."""
    out = open(log, "ab")
    try:
        return subprocess.Popen([*CLI, *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    finally:
        out.close()  # the child keeps its own descriptor


def kill_group(proc: subprocess.Popen | None, sig=signal.SIGTERM, wait: float = 30) -> None:
    """Signal the process group of ``proc``; SIGKILL it if it outlives ``wait``."""
    if proc is None or proc.poll() is not None:
        # the leader is gone; children of a supervisor could still be around
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if proc is not None:
                os.killpg(proc.pid, signal.SIGKILL)
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers of the group


# --- engines -------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Engines:
    """Where the engines answer."""

    kafka: str  # host:port
    opensearch: str  # http://host:port
    postgres: str  # postgresql+psycopg://… of a maintenance database


@dataclasses.dataclass
class Namespace:
    """Topics, groups, an index alias and a database of one test's own, on ``engines``."""

    engines: Engines
    name: str = dataclasses.field(default_factory=lambda: f"e2e{uuid.uuid4().hex[:10]}")

    @property
    def prefix(self) -> str:
        return f"{self.name}."

    @property
    def alias(self) -> str:
        return f"{self.name}-activities"

    @property
    def database_url(self) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.engines.postgres).set(database=self.name).render_as_string(hide_password=False)

    def env(self) -> dict[str, str]:
        """The product's environment for the scaled mode in this namespace."""
        return {
            "AFTERCLASSES_EVENTLOG_BACKEND": "kafka",
            "AFTERCLASSES_KAFKA_BOOTSTRAP": self.engines.kafka,
            "AFTERCLASSES_KAFKA_TOPIC_PREFIX": self.prefix,
            "AFTERCLASSES_SEARCH_BACKEND": "opensearch",
            "AFTERCLASSES_OPENSEARCH_URL": self.engines.opensearch,
            "AFTERCLASSES_OPENSEARCH_INDEX": self.alias,
            "AFTERCLASSES_DATABASE_URL": self.database_url,
        }

    def create(self) -> Namespace:
        admin_sql(self.engines.postgres, f'CREATE DATABASE "{self.name}"')
        return self

    def drop(self) -> None:
        """Best effort: the database, the index behind the alias, the topics and groups."""
        with contextlib.suppress(Exception):
            admin_sql(self.engines.postgres, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        with contextlib.suppress(Exception):
            drop_index(self.engines.opensearch, self.alias, timeout=5)
        with contextlib.suppress(Exception):
            drop_kafka_namespace(self.engines.kafka, self.prefix, timeout_ms=5000)

    # views of what the product wrote, for assertions
    def eventlog(self):
        from afterclasses.eventlog.kafka import KafkaEventLog

        return KafkaEventLog(self.engines.kafka, topic_prefix=self.prefix)

    def index(self):
        from afterclasses_search.adapters.opensearch import OpenSearchIndex

        return OpenSearchIndex(self.engines.opensearch, self.alias, create=False, refresh=True)

    def store(self):
        from afterclasses_ingest.adapters.store import CatalogStore

        return CatalogStore(self.database_url)


def indexed_ids(opensearch_url: str, alias: str) -> list[str]:
    """Every activity document id behind ``alias`` (every concrete index, duplicates kept):
    the raw truth, independent of the adapter's counting."""
    ids: list[str] = []
    body = {"size": 5000, "_source": False, "query": {"bool": {"must_not": {"term": {"status": "positions"}}}},
            "sort": ["_doc"]}
    resp = requests.post(f"{opensearch_url}/{alias}/_search?scroll=1m", json=body, timeout=30)
    resp.raise_for_status()
    data = resp.json()
    scroll = data.get("_scroll_id")
    try:
        while data["hits"]["hits"]:
            ids += [h["_id"] for h in data["hits"]["hits"]]
            resp = requests.post(f"{opensearch_url}/_search/scroll", json={"scroll": "1m", "scroll_id": scroll},
                                 timeout=30)
            resp.raise_for_status()
            data = resp.json()
            scroll = data.get("_scroll_id", scroll)
    finally:
        with contextlib.suppress(requests.RequestException):
            requests.delete(f"{opensearch_url}/_search/scroll", json={"scroll_id": [scroll]}, timeout=5)
    return ids


class PrivateEngines:
    """Kafka, OpenSearch and PostgreSQL of our own (``engines.sh`` with a private run dir and
    free ports), so that stopping one of them disturbs nobody else."""

    def __init__(self):
        self.run_dir = Path(f"/tmp/afterclasses-faults-{uuid.uuid4().hex[:8]}")  # reachable by user postgres
        free: set[int] = set()
        while len(free) < 5:  # engines.sh wants five different ports
            free.add(free_port())
        kafka, controller, http, transport, postgres = sorted(free)
        self.ports = {
            "AFTERCLASSES_KAFKA_PORT": kafka,
            "AFTERCLASSES_KAFKA_CONTROLLER_PORT": controller,
            "AFTERCLASSES_OPENSEARCH_BASE_PORT": http - 1,  # the node's HTTP port is base + 1
            "AFTERCLASSES_OPENSEARCH_TRANSPORT_PORT": transport,
            "AFTERCLASSES_POSTGRES_PORT": postgres,
        }
        self.env = {**os.environ, "AFTERCLASSES_ENGINES_DIR": str(self.run_dir),
                    **{k: str(v) for k, v in self.ports.items()},
                    # small heaps: they run beside the shared engines
                    "AFTERCLASSES_OPENSEARCH_HEAP": "-Xms384m -Xmx768m",
                    "AFTERCLASSES_ENGINES_START_TIMEOUT": "120", "AFTERCLASSES_ENGINES_STOP_TIMEOUT": "20"}
        self.engines: Engines | None = None

    def _sh(self, *args: str, timeout: float = 180) -> str:
        try:
            done = subprocess.run([str(ENGINES_SH), *args], env=self.env, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"engines.sh {' '.join(args)} timed out after {timeout}s: {exc.stderr}") from None
        if done.returncode != 0:
            raise AssertionError(f"engines.sh {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
        return done.stdout

    def start(self) -> Engines:
        lines = dict(line.split("=", 1) for line in self._sh("start").splitlines() if "=" in line)
        self.engines = Engines(lines["AFTERCLASSES_KAFKA_BOOTSTRAP"], lines["AFTERCLASSES_OPENSEARCH_URL"],
                               lines["AFTERCLASSES_TEST_DATABASE_URL"])
        return self.engines

    def stop_one(self, name: str) -> None:
        self._sh("stop-one", name, timeout=60)

    def start_one(self, name: str) -> None:
        self._sh("start-one", name, timeout=150)

    def stop(self) -> None:
        self._sh("stop", timeout=120)


# --- the product ---------------------------------------------------------------------------------

class ScaledStack(Stack):
    """``afterclasses run`` (free ports) in the scaled mode: the product's env points at ``namespace``."""

    def __init__(self, data_dir: Path, datasets: Path, namespace: Namespace, import_data: bool = True):
        super().__init__(data_dir, datasets)
        self.namespace = namespace
        self.import_data = import_data
        self.env.update(namespace.env())
        self.env["AFTERCLASSES_LOG_LEVEL"] = "WARNING"  # the clients' INFO lines would swamp run.log

    def start(self):
        self.data_dir_log = open(self.output, "w")
        args = ["run"] if self.import_data else ["run", "--no-import"]
        self.proc = subprocess.Popen([*CLI, *args], env=self.env, stdout=self.data_dir_log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self):
        super().stop()
        kill_group(self.proc, signal.SIGKILL)  # whatever of the group outlived the supervisor

    def log_text(self) -> str:
        return self.output.read_text(errors="replace")

    def alive(self) -> None:
        if self.proc.poll() is not None:
            raise AssertionError(f"`afterclasses run` exited with {self.proc.returncode}: {self.log_text()[-3000:]}")

    def ready(self, service: str) -> bool:
        return requests.get(self.url(service) + "/readyz", timeout=5).status_code == 200

    def token(self) -> str:
        return (Path(self.env["AFTERCLASSES_DATA_DIR"]) / "editor-token").read_text().strip()

    def search(self, **params) -> requests.Response:
        return requests.get(self.url("search") + "/v1/search", params=params, timeout=10)

    def total(self, q: str) -> int:
        resp = self.search(q=q)
        return resp.json()["total"] if resp.status_code == 200 else -1

    def found(self, q: str, entry_id: str) -> bool:
        """True when a search for ``q`` lists the entry ``entry_id`` (its text is searchable)."""
        resp = self.search(q=q, per_page=100)
        return resp.status_code == 200 and any(r["id"] == entry_id for r in resp.json()["results"])

    def submit(self, title: str) -> str:
        """A new activity submission (202); its id."""
        resp = requests.post(self.url("ingest") + "/v1/submissions", json={
            "kind": "activity", "provider": {"name": "Fault Tests Club"},
            "activity": {"title": title, "category": "science.robotics", "age_min": 9, "age_max": 13,
                         "venue": {"name": "Library", "lat": 40.867, "lon": -73.85}}}, timeout=10)
        assert resp.status_code == 202, resp.text
        return resp.json()["id"]

    def approve(self, submission_id: str) -> requests.Response:
        return requests.post(f"{self.url('ingest')}/v1/review/{submission_id}/approve",
                             headers={"Authorization": f"Bearer {self.token()}"}, json={"note": "ok"}, timeout=10)

    def publish_new(self, title: str) -> str:
        """Submit and approve a new activity (202, then 200); the id of the live entry."""
        resp = self.approve(self.submit(title))
        assert resp.status_code == 200, resp.text
        return resp.json()["result_id"]
