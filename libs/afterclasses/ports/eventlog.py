"""The event-log port: an append-only, partitioned log with consumer groups.

Adapters: ``afterclasses.eventlog.sqlite.SqliteEventLog`` (embedded default, one file shared by
processes), ``afterclasses.eventlog.memory.MemoryEventLog`` (one process; tests).
Delivery is at-least-once: a consumer commits its position only after the effect.
"""
from __future__ import annotations

import abc
import dataclasses
from collections.abc import Sequence


class EventLogError(Exception):
    """Base of the port's errors."""


class EventLogUnavailable(EventLogError):
    """The log cannot be reached or written right now; the caller may retry later."""


@dataclasses.dataclass(frozen=True)
class Record:
    """One stored message. ``offset`` is its position within ``(topic, partition)``."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes


class Consumer(abc.ABC):
    """Reads topics in offset order per partition, from the group's committed position."""

    @abc.abstractmethod
    def poll(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]:
        """Return up to ``max_records`` records after the current positions, advancing them.

        Blocks up to ``timeout`` seconds when nothing is there; returns ``[]`` then. Records of
        one partition come in offset order. Raises :class:`EventLogUnavailable`.
        """

    @abc.abstractmethod
    def commit(self) -> None:
        """Durably store the positions reached by :meth:`poll` for this consumer's group.

        Call only after the records' effects are durable (at-least-once). A consumer without a
        group (a reader) ignores this.
        """

    @abc.abstractmethod
    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Move the position of ``(topic, partition)``; the next poll starts at ``offset``."""

    @abc.abstractmethod
    def positions(self) -> dict[tuple[str, int], int]:
        """The next offset to read per ``(topic, partition)``."""

    def close(self) -> None:
        """Release resources; uncommitted positions are forgotten."""


class EventLog(abc.ABC):
    @abc.abstractmethod
    def publish(self, topic: str, messages: Sequence[tuple[str, bytes]]) -> None:
        """Append ``(key, value)`` messages durably, in order; one key always maps to one
        partition, so one entry's updates stay ordered. Returns once stored.
        Raises :class:`EventLogUnavailable`."""

    @abc.abstractmethod
    def consumer(self, group: str | None, topics: Sequence[str]) -> Consumer:
        """A consumer of ``topics`` starting at the group's committed positions (offset 0 for a
        new group). ``group=None`` gives a reader that starts at offset 0 and never commits
        (replays, reindexing)."""

    @abc.abstractmethod
    def end_offsets(self, topic: str) -> dict[int, int]:
        """Per partition, the offset the next published message will get."""

    @abc.abstractmethod
    def committed(self, group: str, topic: str) -> dict[int, int]:
        """Per partition, the group's committed position (partitions never committed: 0)."""

    def lag(self, group: str, topic: str) -> int:
        """Messages of ``topic`` the group has not yet committed."""
        ends = self.end_offsets(topic)
        done = self.committed(group, topic)
        return sum(end - done.get(p, 0) for p, end in ends.items())

    def ping(self) -> None:
        """Raise :class:`EventLogUnavailable` when the log is unreachable (for /readyz)."""

    def close(self) -> None:
        """Release connections."""
