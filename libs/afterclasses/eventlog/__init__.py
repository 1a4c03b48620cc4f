"""Adapters of the event-log port, and the one function that picks among them."""
from __future__ import annotations

from afterclasses.ports.eventlog import EventLog


def make_eventlog(settings) -> EventLog:
    """The event log named by ``AFTERCLASSES_EVENTLOG_BACKEND``."""
    if settings.eventlog_backend == "sqlite":
        from afterclasses.eventlog.sqlite import SqliteEventLog

        return SqliteEventLog(settings.eventlog_file)
    if settings.eventlog_backend == "memory":
        from afterclasses.eventlog.memory import MemoryEventLog

        return MemoryEventLog()
    if settings.eventlog_backend == "kafka":
        from afterclasses.eventlog.kafka import KafkaEventLog

        return KafkaEventLog(
            settings.kafka_bootstrap,
            partitions=settings.kafka_partitions,
            topic_prefix=settings.kafka_topic_prefix,
        )
    raise ValueError(f"AFTERCLASSES_EVENTLOG_BACKEND: unknown backend {settings.eventlog_backend!r}")
