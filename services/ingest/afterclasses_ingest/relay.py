"""The outbox relay: publishes committed outbox rows to the event log, in commit order.

A crash after publishing but before marking rows published re-publishes them on restart;
consumers are idempotent by entry version, so at-least-once is safe. Run exactly one relay per
store so per-key order is kept.
"""
from __future__ import annotations

import itertools
import logging
import threading

from afterclasses.ports.eventlog import EventLog
from afterclasses_ingest.adapters.store import CatalogStore

log = logging.getLogger(__name__)


def relay_once(store: CatalogStore, eventlog: EventLog, batch: int = 1000) -> int:
    """Publish up to ``batch`` unpublished rows; return how many."""
    with store.reading() as tx:
        rows = tx.unpublished(batch)
    if not rows:
        return 0
    # consecutive rows of one topic go in one publish call, keeping the outbox order
    for topic, group in itertools.groupby(rows, key=lambda r: r["topic"]):
        eventlog.publish(topic, [(r["key"], r["value"]) for r in group])
    with store.transaction() as tx:
        tx.mark_published([r["id"] for r in rows])
    return len(rows)


def run_relay(store: CatalogStore, eventlog: EventLog, *, batch: int = 1000, interval: float = 0.2,
              stop: threading.Event | None = None, until_empty: bool = False) -> int:
    stop = stop or threading.Event()
    total = 0
    while not stop.is_set():
        n = relay_once(store, eventlog, batch)
        total += n
        if n:
            log.info("relayed %d events", n)
            continue
        if until_empty:
            break
        stop.wait(interval)
    return total
