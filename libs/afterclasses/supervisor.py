"""Embedded mode: every service of the product as child processes of one command.

Imports the real datasets into an empty catalog, starts the APIs under gunicorn plus the outbox
relay and the search indexer, prints the URLs, and restarts any child that dies (with backoff)
until interrupted — then stops them all.
"""
from __future__ import annotations

import ctypes
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from afterclasses.settings import Settings

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


@dataclasses.dataclass
class Child:
    name: str
    argv: list[str]
    env: dict
    url: str | None = None
    proc: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = 0.0

    started_at: float = 0.0

    def start(self) -> None:
        # a process group of its own, so what it leaves behind can be stopped with it (below)
        self.proc = subprocess.Popen(self.argv, env={**os.environ, **self.env}, start_new_session=True,
                                     preexec_fn=_die_with_parent)
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def reap(self) -> None:
        """Kill what the child left in its group: a gunicorn master killed with -9 leaves its
        workers serving its port for up to half its timeout, and its replacement could not bind."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _die_with_parent() -> None:
    """In the child, before exec (Linux): SIGTERM when the supervisor dies, even by kill -9, so no
    service outlives ``afterclasses run`` now that each has a process group of its own."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: Ctrl+C and SIGTERM still stop every child
        pass


PR_SET_PDEATHSIG = 1


def _gunicorn(name: str, app: str, host: str, port: int) -> Child:
    argv = [sys.executable, "-m", "gunicorn", app]
    if GUNICORN_CONF.exists():
        argv[3:3] = ["-c", str(GUNICORN_CONF)]
    return Child(name, argv, {"GUNICORN_BIND": f"{host}:{port}"}, url=f"http://{host}:{port}")


def _cli(name: str, *args: str) -> Child:
    return Child(name, [sys.executable, "-m", "afterclasses.cli", *args], {})


DEV_EDITOR = "dev-editor"


def _secret_file(path: Path, make) -> str:
    """The secret kept in ``path``, made by ``make()`` and written (mode 600) the first time."""
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    value = make()
    # created with mode 600 from the start: never readable by others, not even for a moment
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    path.chmod(0o600)
    return value


def dev_credentials(settings) -> tuple[str, str] | None:
    """Development only: an editor API token (<data_dir>/editor-token) and the password of the
    ``dev-editor`` account (<data_dir>/editor-password), both random, kept mode 600 and reused.

    Outside development (``AFTERCLASSES_ENV``) nothing is created and None is returned: there is
    no default password; operators add editors with ``afterclasses editor add``.
    """
    if settings.env != "development":
        return None
    import secrets

    from afterclasses_ingest import accounts
    from afterclasses_ingest.bootstrap import bootstrap
    from afterclasses_ingest.domain.handlers import utcnow

    data_dir = Path(settings.data_dir)
    ingest = bootstrap(settings)
    try:
        store = ingest.store
        token = _secret_file(data_dir / "editor-token", lambda: secrets.token_urlsafe(24))
        with store.transaction() as tx:
            if tx.token_roles(token, utcnow()) is None:  # new, or the store was reset since
                tx.add_token(token, DEV_EDITOR, ["editor"], utcnow())
        password = _secret_file(data_dir / "editor-password", lambda: secrets.token_urlsafe(15))
        with store.reading() as tx:
            account = tx.get_editor(DEV_EDITOR)
        if account is None:
            accounts.add_editor(store, DEV_EDITOR, password)
        elif accounts.check_password(store, DEV_EDITOR, password) is None:
            # the store was reset or the password changed: the kept file is the truth in development
            accounts.set_password(store, DEV_EDITOR, password)
            accounts.set_disabled(store, DEV_EDITOR, False)
        return token, password
    finally:
        ingest.close()


def prepare(import_data: bool) -> None:
    from afterclasses_ingest.bootstrap import bootstrap
    from afterclasses_ingest.bulk import import_mappings, shipped

    ingest = bootstrap()
    with ingest.store.transaction() as tx:
        empty = tx.count_activities() == 0
    if empty and import_data:
        print("The catalog is empty: importing the real datasets…", flush=True)
        import_mappings(ingest.store, list(shipped().values()), Path(ingest.settings.datasets_dir))
    ingest.close()


def _wait_ready(children: list[Child], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    for child in children:
        if not child.url:
            continue
        while time.monotonic() < deadline:
            try:
                # the web's /readyz asks the APIs in turn: busy indexing, that can take a second
                if requests.get(child.url + "/readyz", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)


def missing_datasets(settings: Settings) -> str | None:
    """Why the real datasets cannot be used, or None. Without them the catalog would start empty
    and the "where" box would know no place, yet every health check would pass."""
    root = Path(settings.datasets_dir)
    if not (root / "gazetteer").is_dir():
        return (f"The real datasets are not in {root.resolve()} (no gazetteer/ there). A checkout looks for them "
                f"beside itself, in ../shared/data; elsewhere, say where they are: "
                f"AFTERCLASSES_DATASETS_DIR=/path/to/shared/data make run")
    return None


def run_embedded(import_data: bool = True) -> int:
    settings = Settings.from_env()
    problem = missing_datasets(settings)
    if problem:
        print(problem, file=sys.stderr, flush=True)
        return 2
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    prepare(import_data)
    from afterclasses_ingest.settings import IngestSettings

    credentials = dev_credentials(IngestSettings.from_env())
    host = settings.bind_host
    from afterclasses_web.settings import WebSettings

    WebSettings.from_env().secret_key()  # made once here, before the web's workers race to make it
    web = _gunicorn("web", "afterclasses_web.wsgi:application", host, settings.web_port)
    web.env.update(AFTERCLASSES_INGEST_URL=f"http://{host}:{settings.ingest_port}",
                   AFTERCLASSES_SEARCH_URL=f"http://{host}:{settings.search_port}")
    children = [
        web,
        _gunicorn("ingest", "afterclasses_ingest.wsgi:application", host, settings.ingest_port),
        _gunicorn("search", "afterclasses_search.wsgi:application", host, settings.search_port),
        _cli("relay", "relay"),
        _cli("search-indexer", "consume", "search"),
    ]
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for child in children:
        child.start()
    _wait_ready(children)
    from afterclasses_search.settings import SearchSettings

    search_backend = SearchSettings.from_env().search_backend
    embedded = settings.eventlog_backend == "sqlite" and search_backend == "sqlite"
    mode = "embedded mode" if embedded else f"event log: {settings.eventlog_backend}, search: {search_backend}"
    print(f"\nAfterclasses is running ({mode}, data in {data_dir.resolve()}):")
    for child in children:
        if child.url:
            print(f"  {child.name:<8} {child.url}   (health: {child.url}/readyz)")
    search = next(c for c in children if c.name == "search")
    print(f"  open:    {web.url}/search?q=tennis&where=10469&age=8")
    print(f"  API:     {search.url}/v1/search?q=tennis&lat=40.8661&lon=-73.8510&radius_km=2")
    if credentials is not None:  # development only: elsewhere there is no default password
        token, password = credentials
        print(f"  editor token (development only): {token}")
        print(f"  editor sign-in (development only): {web.url}/desk  user {DEV_EDITOR}  password {password}")
    print("Press Ctrl+C to stop.\n", flush=True)
    try:
        while not stopping:
            for child in children:
                if not child.alive() and time.monotonic() >= child.next_start:
                    if child.proc is not None:
                        print(f"{child.name} exited with {child.proc.returncode}; restarting", flush=True)
                        child.reap()
                        # back off on a crash loop, not after an occasional crash of a long run
                        healthy_run = time.monotonic() - child.started_at > 60
                        child.restarts = 1 if healthy_run else child.restarts + 1
                    child.next_start = time.monotonic() + min(30, 2 ** min(child.restarts, 5))
                    child.start()
            time.sleep(0.5)
    finally:
        for child in children:
            if child.alive():
                child.proc.terminate()
        for child in children:
            if child.proc is not None:
                try:
                    child.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    pass
                child.reap()
    return 0
