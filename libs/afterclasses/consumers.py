"""The consumer loop every service uses: poll, decode, dispatch, commit; poison to the DLQ.

Offsets are committed only after the handler returned (at-least-once), so handlers must be
idempotent. A message that can never be processed (undecodable, unknown type, invalid payload)
is copied to ``<topic>.dlq`` with the reason and skipped, so it never blocks its partition.
A handler error is retried with backoff, then re-raised so the worker crashes and restarts
from the last commit (arroyo's policy).
"""
from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence

from afterclasses.contracts.events import Envelope, InvalidMessage, decode, dlq_topic
from afterclasses.ports.eventlog import EventLog, Record

log = logging.getLogger(__name__)

Handler = Callable[[list[Envelope], dict], None]
"""Called with a batch of valid envelopes (in log order) and the positions reached after it."""


def dead_letter(record: Record, reason: str) -> bytes:
    """The DLQ message for ``record``: where it came from, why, and its bytes."""
    try:
        text, encoding = record.value.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(record.value).decode(), "base64"
    return json.dumps(
        {
            "reason": reason,
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": record.key,
            "value": text,
            "value_encoding": encoding,
        },
        ensure_ascii=False,
    ).encode()


class ConsumerRunner:
    def __init__(
        self,
        eventlog: EventLog,
        group: str | None,
        topics: Sequence[str],
        handler: Handler,
        *,
        batch_size: int = 500,
        retries: int = 5,
        backoff: float = 0.5,
        dead_letters: bool = True,
    ):
        self.eventlog, self.group, self.topics = eventlog, group, list(topics)
        self.handler, self.batch_size = handler, batch_size
        self.retries, self.backoff = retries, backoff
        self.dead_letters = dead_letters  # False for replays: the poison was dead-lettered already
        self.consumer = eventlog.consumer(group, self.topics)

    def run_once(self, timeout: float = 1.0) -> int:
        """Process one polled batch; return how many records it held (0 when idle)."""
        records = self.consumer.poll(self.batch_size, timeout)
        if not records:
            return 0
        envelopes, poison = [], []
        for record in records:
            try:
                envelopes.append(decode(record.value))
            except InvalidMessage as exc:
                poison.append(record)
                log.warning("dead-lettering %s@%s: %s", record.topic, record.offset, exc)
                if self.dead_letters:
                    self.eventlog.publish(dlq_topic(record.topic), [(record.key, dead_letter(record, str(exc)))])
        if envelopes:
            self._handle(envelopes)
        self.consumer.commit()
        return len(records)

    def _handle(self, envelopes: list[Envelope]) -> None:
        positions = self.consumer.positions()
        for attempt in range(self.retries + 1):
            try:
                self.handler(envelopes, positions)
                return
            except Exception:
                if attempt == self.retries:
                    raise
                log.exception("handler failed (attempt %d), retrying", attempt + 1)
                time.sleep(self.backoff * 2**attempt)

    def caught_up(self) -> bool:
        """True when this consumer has read every topic to its end (a Kafka member that has
        not been assigned its partitions yet has not)."""
        positions = self.consumer.positions()
        for topic in self.topics:
            for partition, end in self.eventlog.end_offsets(topic).items():
                if end and positions.get((topic, partition), -1) < end:
                    return False
        return True

    def idle(self, polled: int, since: float, patience: float = 30.0) -> bool:
        """For ``until_idle`` loops: nothing polled and read to the end, or nothing polled for
        ``patience`` seconds (partitions held by another member, say)."""
        return polled == 0 and (self.caught_up() or time.monotonic() - since > patience)

    def run(self, stop: threading.Event | None = None, until_idle: bool = False) -> int:
        """Loop until ``stop`` is set (or, with ``until_idle``, until the topics are read to their end)."""
        total = 0
        stop = stop or threading.Event()
        last = time.monotonic()
        while not stop.is_set():
            n = self.run_once(timeout=0.2 if until_idle else 1.0)
            total += n
            if n:
                last = time.monotonic()
            elif until_idle and self.idle(n, last):
                break
        return total

    def close(self) -> None:
        self.consumer.close()
