"""The search indexer: ``catalog.entries`` → the search index, and the full reindex.

The indexer follows the index's ``CURRENT`` pointer: after a reindex swapped a new file in, it
rewinds to the positions that file has applied (stored with its rows), so events it had put
only into the old file are applied again to the new one — nothing is lost in the swap.
"""
from __future__ import annotations

import fcntl
import logging
import threading
from pathlib import Path

from afterclasses.consumers import ConsumerRunner
from afterclasses.contracts import CATALOG_ENTRIES
from afterclasses.ports.eventlog import EventLog
from afterclasses.ports.search import SearchIndex
from afterclasses_search.adapters.sqlite_fts import SqliteSearchIndex, new_index_file

log = logging.getLogger(__name__)
TOPICS = (CATALOG_ENTRIES,)


class Indexer:
    def __init__(self, eventlog: EventLog, index: SearchIndex, group: str, batch: int = 500):
        self.index = index
        self.runner = ConsumerRunner(eventlog, group, TOPICS, self._handle, batch_size=batch)
        # the file may be younger than the group's position (a fresh file after a format
        # change, a deleted file, a reindex while we were down): start from what it holds
        self._rewind_to_index()

    def _handle(self, envelopes, positions) -> None:
        self.index.apply(envelopes, positions=positions)

    def _rewind_to_index(self) -> None:
        stored_positions = getattr(self.index, "stored_positions", None)
        if stored_positions is None:
            return
        stored = stored_positions()
        for (topic, partition), offset in self.runner.consumer.positions().items():
            rewind = min(offset, stored.get((topic, partition), 0))
            if rewind < offset:
                log.info("index behind the group: rewinding %s[%d] from %d to %d", topic, partition, offset, rewind)
                self.runner.consumer.seek(topic, partition, rewind)

    def _follow_swaps(self) -> None:
        reopen = getattr(self.index, "reopen_if_swapped", None)
        if reopen is not None and reopen():
            self._rewind_to_index()

    def run(self, stop: threading.Event | None = None, until_idle: bool = False) -> int:
        stop = stop or threading.Event()
        total = 0
        while not stop.is_set():
            self._follow_swaps()
            n = self.runner.run_once(timeout=0.2 if until_idle else 1.0)
            total += n
            if until_idle and n == 0:
                break
        return total


class ReindexRunning(Exception):
    """Only one reindex of an index at a time."""


def reindex(eventlog: EventLog, directory, *, batch: int = 2000, progress=None) -> tuple[int, str]:
    """Rebuild the index from offset 0 of the log into a fresh file, then swap it in.

    Returns (live documents, file name). Readers keep the old file until the swap; the live
    indexer follows it and re-applies what only the old file got (see :class:`Indexer`).

    :raise ReindexRunning: another reindex of this directory is under way.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".reindex.lock", "w") as lock:
        try:
            # two reindexes at once would delete each other's fresh files
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReindexRunning(f"another reindex of {directory} is running") from None
        fresh = SqliteSearchIndex(directory, file=new_index_file(directory))
        runner = ConsumerRunner(eventlog, None, TOPICS, lambda envs, pos: fresh.apply(envs, positions=pos),
                                batch_size=batch, dead_letters=False)
        while n := runner.run_once(timeout=0.1):
            if progress is not None:
                progress(n)
        fresh.make_live()
        count, name = fresh.count(), fresh.file.name
        fresh.close()
        _remove_old_files(directory, keep={name})
        return count, name


def _remove_old_files(directory: Path, keep: set[str], spare: int = 1) -> None:
    """Delete superseded index files but the newest ``spare`` (kept for a manual rollback).
    Processes that still have one open keep reading it until they follow the pointer."""
    old = sorted((p for p in directory.glob("index-*.db") if p.name not in keep),
                 key=lambda p: p.stat().st_mtime, reverse=True)
    for path in old[spare:]:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
