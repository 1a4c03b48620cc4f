"""In-process event log (one partition per topic): for tests and single-process tools."""
from __future__ import annotations

import threading
from collections.abc import Sequence

from afterclasses.ports.eventlog import Consumer, EventLog, Record


class MemoryEventLog(EventLog):
    def __init__(self):
        self._topics: dict[str, list[Record]] = {}
        self._committed: dict[tuple[str, str], int] = {}
        self._cond = threading.Condition()

    def publish(self, topic: str, messages: Sequence[tuple[str, bytes]]) -> None:
        with self._cond:
            log = self._topics.setdefault(topic, [])
            for key, value in messages:
                log.append(Record(topic, 0, len(log), key, bytes(value)))
            self._cond.notify_all()

    def consumer(self, group, topics):
        return _MemoryConsumer(self, group, list(topics))

    def end_offsets(self, topic):
        with self._cond:
            return {0: len(self._topics.get(topic, []))}

    def committed(self, group, topic):
        with self._cond:
            return {0: self._committed.get((group, topic), 0)}


class _MemoryConsumer(Consumer):
    def __init__(self, log: MemoryEventLog, group, topics):
        self._log, self._group = log, group
        self._pos = {(t, 0): (log.committed(group, t)[0] if group else 0) for t in topics}

    def poll(self, max_records=500, timeout=1.0):
        with self._log._cond:
            self._log._cond.wait_for(self._has_data, timeout=timeout)
            out: list[Record] = []
            for (topic, part), pos in self._pos.items():
                batch = self._log._topics.get(topic, [])[pos: pos + max_records - len(out)]
                out.extend(batch)
                self._pos[(topic, part)] = pos + len(batch)
            return out

    def _has_data(self):
        return any(len(self._log._topics.get(t, [])) > pos for (t, _), pos in self._pos.items())

    def commit(self):
        if self._group is None:
            return
        with self._log._cond:
            for (topic, _), pos in self._pos.items():
                self._log._committed[(self._group, topic)] = pos

    def seek(self, topic, partition, offset):
        self._pos[(topic, partition)] = offset

    def positions(self):
        return dict(self._pos)
