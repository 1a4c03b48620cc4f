"""Event contracts shared by producers and consumers: envelope, topics, payload schemas."""
from afterclasses.contracts.events import (
    CATALOG_ENTRIES,
    COMMUNITY_COMMENTS,
    Envelope,
    InvalidMessage,
    decode,
    dlq_topic,
    new_event,
)

__all__ = [
    "CATALOG_ENTRIES",
    "COMMUNITY_COMMENTS",
    "Envelope",
    "InvalidMessage",
    "decode",
    "dlq_topic",
    "new_event",
]
