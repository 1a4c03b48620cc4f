"""`afterclasses run` as an operator relies on it: a service killed with -9 comes back on its port,
leaving nothing of itself behind, and nothing outlives the supervisor."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import requests

from tests.conftest import DATASETS
from tests.e2e.conftest import Stack


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def gone(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def web_master(stack: Stack) -> int:
    return next(p for p in children(stack.proc.pid) if "afterclasses_web.wsgi" in cmdline(p))


def test_a_web_master_killed_with_9_comes_back_and_leaves_no_worker_behind(tmp_path):
    stack = Stack(tmp_path / "var", DATASETS)
    stack.start("--no-import")
    try:
        stack.wait_until(lambda: requests.get(stack.web_url + "/healthz", timeout=1).ok, 90, "the web")
        master = web_master(stack)
        workers = children(master)
        assert workers, "gunicorn's workers"
        os.kill(master, signal.SIGKILL)
        killed = time.monotonic()
        stack.wait_until(lambda: all(gone(w) for w in workers), 10, "the dead master's workers to go")
        stack.wait_until(lambda: requests.get(stack.web_url + "/healthz", timeout=1).ok and web_master(stack) != master,
                         20, "a new web master to answer")
        assert time.monotonic() - killed < 20
        assert "Address already in use" not in stack.output.read_text()
        everything = [p for c in children(stack.proc.pid) for p in (c, *children(c))]
    finally:
        os.kill(stack.proc.pid, signal.SIGKILL)  # the supervisor dies without cleaning up…
        stack.proc.wait(10)
    # …and its services follow it (each has a process group of its own, and dies with its parent)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not all(gone(p) for p in everything):
        time.sleep(0.2)
    assert all(gone(p) for p in everything), [cmdline(p) for p in everything if not gone(p)]
    stack.data_dir_log.close()


def test_without_the_real_datasets_run_says_where_it_looked_and_stops(tmp_path):
    # a checkout away from ../shared/data would otherwise start empty, know no place, and look healthy
    stack = Stack(tmp_path / "var", tmp_path / "no-such-datasets")
    stack.start()
    try:
        assert stack.proc.wait(timeout=30) == 2
    finally:
        stack.stop()
    output = stack.output.read_text()
    assert "no-such-datasets" in output and "AFTERCLASSES_DATASETS_DIR=" in output
    assert not (tmp_path / "var" / "ingest.db").exists()
