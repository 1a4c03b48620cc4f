"""The search indexer: ``catalog.entries`` → the search index, and the full reindex.

The indexer follows the index's ``CURRENT`` pointer: after a reindex swapped a new file in, it
rewinds to the positions that file has applied (stored with its rows), so events it had put
only into the old file are applied again to the new one — nothing is lost in the swap.
"""
from __future__ import annotations

import logging
import threading
import time

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
        # the file may be younger than the group's position (a fresh file after a format
        # change, a deleted file, a reindex while we were down): start from what it holds
        self._rewind_to_index()

    def _handle(self, envelopes, positions) -> None:
        self.index.apply(envelopes, positions=positions)

    def _rewind_to_index(self) -> None:
        """Seek back to what the index holds wherever the group is ahead of it.

        The group's committed offsets count too, not only this member's positions: a Kafka
        member has no partitions before its first poll, and the log adapter applies a seek to a
        partition once it is assigned.
        """
        stored = self.index.stored_positions()
        runner = self.runner
        current = dict(runner.consumer.positions())
        if runner.group is not None:
            for topic in runner.topics:
                for partition, offset in runner.eventlog.committed(runner.group, topic).items():
                    current.setdefault((topic, partition), offset)
        for (topic, partition), offset in current.items():
            rewind = min(offset, stored.get((topic, partition), 0))
            if rewind < offset:
                log.info("index behind the group: rewinding %s[%d] from %d to %d", topic, partition, offset, rewind)
                runner.consumer.seek(topic, partition, rewind)

    def _follow_swaps(self) -> None:
        if self.index.reopen_if_swapped():
            self._rewind_to_index()

    def close(self) -> None:
        self.runner.close()

    def run(self, stop: threading.Event | None = None, until_idle: bool = False) -> int:
        stop = stop or threading.Event()
        total, last = 0, time.monotonic()
        while not stop.is_set():
            self._follow_swaps()
            n = self.runner.run_once(timeout=0.2 if until_idle else 1.0)
            total += n
            if n:
                last = time.monotonic()
            elif until_idle and self.runner.idle(n, last):
                break
        return total


def reindex(eventlog: EventLog, index: SearchIndex, *, batch: int = 2000, progress=None) -> tuple[int, str]:
    """Rebuild the index from offset 0 of the log into a fresh one, then swap it in.

    Works for every adapter that can build a fresh index (a new SQLite file, a new OpenSearch
    index behind the alias). Returns (live documents, name). Readers keep the old index until
    the swap; the live indexer follows it and re-applies what only the old one got (see
    :class:`Indexer`).

    :raise SearchError: another rebuild of this index is under way.
    """
    with index.reindex_lock():
        fresh = index.create_fresh()
        try:
            runner = ConsumerRunner(eventlog, None, TOPICS, lambda envs, pos: fresh.apply(envs, positions=pos),
                                    batch_size=batch, dead_letters=False)
            try:
                while n := runner.run_once(timeout=0.1):
                    if progress is not None:
                        progress(n)
            finally:
                runner.close()
            fresh.make_live()
            return fresh.count(), fresh.name
        finally:
            fresh.close()
