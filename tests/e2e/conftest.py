"""End-to-end: the product as a user starts it (`afterclasses run`), over HTTP on loopback."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, data_dir, datasets, env: dict | None = None):
        self.ports = {name: free_port() for name in ("web", "ingest", "search", "notify")}
        self.env = {**os.environ, "AFTERCLASSES_DATA_DIR": str(data_dir), "AFTERCLASSES_DATASETS_DIR": str(datasets),
                    **{f"AFTERCLASSES_{k.upper()}_PORT": str(v) for k, v in self.ports.items()}, **(env or {})}
        self.proc = None
        self.output = data_dir.parent / "run.log"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def web_url(self) -> str:
        return self.url("web")

    def start(self, *args: str):
        self.data_dir_log = open(self.output, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "afterclasses.cli", "run", *args], env=self.env,
                                     stdout=self.data_dir_log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"`afterclasses run` exited: {self.output.read_text()[-3000:]}")
            try:
                if predicate():
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise AssertionError(f"timed out waiting for {what}; output: {self.output.read_text()[-3000:]}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.data_dir_log.close()


@pytest.fixture(scope="module")
def stack_env() -> dict:
    """Extra environment for the stack (a test module overrides this fixture to set some)."""
    return {}


@pytest.fixture(scope="module")
def stack(tmp_path_factory, stack_env):
    from tests.conftest import DATASETS

    stack = Stack(tmp_path_factory.mktemp("stack") / "var", DATASETS, env=stack_env)
    started = time.monotonic()
    stack.start()
    # "ready" for a parent means the real data is searchable: both datasets are indexed
    stack.wait_until(lambda: requests.get(stack.url("search") + "/v1/search?per_page=1", timeout=2)
                     .json().get("total", 0) >= 3300, timeout=180, what="the real data to be searchable")
    stack.ready_after = time.monotonic() - started
    # and, as a user sees it, the product says so with its URLs (once every service answers /readyz)
    stack.wait_until(lambda: "Press Ctrl+C to stop." in stack.output.read_text(), timeout=90,
                     what="`afterclasses run` to print its URLs")
    yield stack
    stack.stop()
