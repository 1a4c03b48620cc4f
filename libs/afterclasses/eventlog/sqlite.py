"""Embedded event log: one SQLite file shared by every process on the machine.

One partition per topic, so the log is totally ordered per topic (and therefore per key).
WAL mode lets readers poll while a writer appends; ``synchronous=FULL`` because a published
message must survive a power cut, not only a crashed process.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from afterclasses.ports.eventlog import Consumer, EventLog, EventLogUnavailable, Record

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    topic TEXT NOT NULL,
    offset INTEGER NOT NULL,
    key TEXT,
    value BLOB NOT NULL,
    stored_at REAL NOT NULL,
    PRIMARY KEY (topic, offset)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_offsets (
    grp TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (grp, topic, partition)
) WITHOUT ROWID;
"""
_POLL_INTERVAL = 0.05  # seconds between looks at the file while a poll waits


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


class SqliteEventLog(EventLog):
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._conn = _connect(self.path)
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise EventLogUnavailable(f"event log {self.path}: {exc}") from exc

    def _run(self, fn):
        with self._lock:
            try:
                return fn(self._conn)
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise EventLogUnavailable(f"event log {self.path}: {exc}") from exc

    def publish(self, topic: str, messages: Sequence[tuple[str, bytes]]) -> None:
        if not messages:
            return

        def tx(conn):
            # IMMEDIATE takes the write lock first, so two publishers never pick the same offset
            conn.execute("BEGIN IMMEDIATE")
            (nxt,) = conn.execute(
                "SELECT COALESCE(MAX(offset) + 1, 0) FROM events WHERE topic = ?", (topic,)
            ).fetchone()
            now = time.time()
            conn.executemany(
                "INSERT INTO events (topic, offset, key, value, stored_at) VALUES (?, ?, ?, ?, ?)",
                [(topic, nxt + i, key, bytes(value), now) for i, (key, value) in enumerate(messages)],
            )
            conn.execute("COMMIT")

        self._run(tx)

    def consumer(self, group, topics):
        return SqliteConsumer(self, group, list(topics))

    def end_offsets(self, topic):
        (nxt,) = self._run(
            lambda c: c.execute(
                "SELECT COALESCE(MAX(offset) + 1, 0) FROM events WHERE topic = ?", (topic,)
            ).fetchone()
        )
        return {0: nxt}

    def committed(self, group, topic):
        rows = self._run(
            lambda c: c.execute(
                "SELECT partition, next_offset FROM group_offsets WHERE grp = ? AND topic = ?",
                (group, topic),
            ).fetchall()
        )
        return {0: 0, **dict(rows)}

    def ping(self):
        self._run(lambda c: c.execute("SELECT 1").fetchone())

    def close(self):
        with self._lock:
            self._conn.close()


class SqliteConsumer(Consumer):
    def __init__(self, log: SqliteEventLog, group: str | None, topics: list[str]):
        self._log, self._group = log, group
        self._pos = {(t, 0): (log.committed(group, t)[0] if group else 0) for t in topics}

    def poll(self, max_records=500, timeout=1.0):
        deadline = time.monotonic() + timeout
        while True:
            out = self._fetch(max_records)
            if out or time.monotonic() >= deadline:
                return out
            time.sleep(min(_POLL_INTERVAL, max(0.0, deadline - time.monotonic())))

    def _fetch(self, max_records):
        out: list[Record] = []
        for (topic, part), pos in self._pos.items():
            if len(out) >= max_records:
                break
            rows = self._log._run(
                lambda c, topic=topic, pos=pos, out=out: c.execute(
                    "SELECT offset, key, value FROM events WHERE topic = ? AND offset >= ? "
                    "ORDER BY offset LIMIT ?",
                    (topic, pos, max_records - len(out)),
                ).fetchall()
            )
            # a value written as TEXT by some other tool is still bytes to the consumer
            out.extend(Record(topic, part, off, key, val.encode("utf-8", "surrogatepass") if isinstance(val, str)
                              else bytes(val)) for off, key, val in rows)
            if rows:
                self._pos[(topic, part)] = rows[-1][0] + 1
        return out

    def commit(self):
        if self._group is None:
            return
        rows = [(self._group, t, p, off) for (t, p), off in self._pos.items()]

        def tx(conn):
            conn.executemany(
                "INSERT INTO group_offsets (grp, topic, partition, next_offset) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (grp, topic, partition) DO UPDATE SET next_offset = excluded.next_offset",
                rows,
            )

        self._log._run(tx)

    def seek(self, topic, partition, offset):
        self._pos[(topic, partition)] = offset

    def positions(self):
        return dict(self._pos)
