"""The search indexer: ``catalog.entries`` → the search index, and the full reindex.

The indexer follows the index's ``CURRENT`` pointer: after a reindex swapped a new file in, it
rewinds to the positions that file has applied (stored with its rows), so events it had put
only into the old file are applied again to the new one — nothing is lost in the swap.
"""
from __future__ import annotations

import logging
import threading

from afterclasses.consumers import ConsumerRunner
from afterclasses.contracts import CATALOG_ENTRIES
from afterclasses.ports.eventlog import EventLog
from afterclasses.ports.search import SearchIndex

log = logging.getLogger(__name__)
TOPICS = (CATALOG_ENTRIES,)


class Indexer:
    def __init__(self, eventlog: EventLog, index: SearchIndex, group: str, batch: int = 500):
        self.index = index
        self.runner = ConsumerRunner(eventlog, group, TOPICS, self._handle, batch_size=batch)

    def _handle(self, envelopes, positions) -> None:
        self.index.apply(envelopes, positions=positions)

    def _follow_swaps(self) -> None:
        reopen = getattr(self.index, "reopen_if_swapped", None)
        if reopen is not None and reopen():
            stored = self.index.stored_positions()
            for (topic, partition), offset in self.runner.consumer.positions().items():
                rewind = min(offset, stored.get((topic, partition), 0))
                if rewind < offset:
                    log.info("index swapped: rewinding %s[%d] to %d", topic, partition, rewind)
                    self.runner.consumer.seek(topic, partition, rewind)

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


def reindex(eventlog: EventLog, directory, *, batch: int = 2000, progress=None) -> tuple[int, str]:
    """Rebuild the index from offset 0 of the log into a fresh file, then swap it in.

    Returns (live documents, file name). Readers keep the old file until the swap.
    """
    from afterclasses_search.adapters.sqlite_fts import SqliteSearchIndex, new_index_file

    fresh = SqliteSearchIndex(directory, file=new_index_file(directory))
    runner = ConsumerRunner(eventlog, None, TOPICS, lambda envs, pos: fresh.apply(envs, positions=pos),
                            batch_size=batch, dead_letters=False)
    while True:
        n = runner.run_once(timeout=0.1)
        if progress is not None:
            progress(n)
        if n == 0:
            break
    fresh.make_live()
    count, name = fresh.count(), fresh.file.name
    fresh.close()
    _remove_old_files(directory, keep={name})
    return count, name


def _remove_old_files(directory, keep: set[str], spare: int = 1) -> None:
    """Delete superseded index files but the newest ``spare`` (kept for a manual rollback).
    Processes that still have one open keep reading it until they follow the pointer."""
    from pathlib import Path

    old = sorted((p for p in Path(directory).glob("index-*.db") if p.name not in keep),
                 key=lambda p: p.stat().st_mtime, reverse=True)
    for path in old[spare:]:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
