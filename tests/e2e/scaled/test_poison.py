"""Poison messages on the real Kafka topic go to ``<prefix>catalog.entries.dlq`` with their reason,
and the running search consumer moves on: valid messages after them are indexed."""
from __future__ import annotations

import json
import os
import time

import pytest

from afterclasses.contracts import CATALOG_ENTRIES
from afterclasses.eventlog.kafka import KafkaEventLog
from tests.e2e.scaled.engines import kill_group, spawn, wait_for
from tests.factories import activity_doc, published

pytestmark = [pytest.mark.kafka, pytest.mark.opensearch]

GROUP = "search-indexer"


def read_all(consumer, count: int, within: float) -> list:
    out, deadline = [], time.monotonic() + within
    while len(out) < count and time.monotonic() < deadline:
        out += consumer.poll(500, timeout=0.5)
    return out


def test_poison_goes_to_the_dlq_topic_and_the_consumer_moves_on(namespace, tmp_path):
    log = namespace.eventlog()
    env = {**os.environ, **namespace.env(), "AFTERCLASSES_DATA_DIR": str(tmp_path / "var"),
           "AFTERCLASSES_LOG_LEVEL": "WARNING"}
    first, second = activity_doc(title="After the poison"), activity_doc(title="Later still")
    key = first["id"]  # one key: the poison lies before the valid message in the same partition
    unknown_type = json.loads(published(activity_doc()).encode())
    unknown_type["type"] = "activity.teleported"
    bad_payload = json.loads(published(activity_doc()).encode())
    bad_payload["payload"]["age_min"] = "eight"
    poison = [
        b"\xff\xfe not even UTF-8",
        b'{"truncated": ',
        b'{"id": "x", "type": "activity.published"}',  # not an envelope
        json.dumps(unknown_type).encode(),
        json.dumps(bad_payload).encode(),
    ]
    consumer = spawn(["consume", "search"], env, tmp_path / "consumer.log")

    def alive():
        assert consumer.poll() is None, (tmp_path / "consumer.log").read_text()[-3000:]

    try:
        index = wait_for(namespace.index, 60, "the indexer to create the index", alive=alive)
        log.publish(CATALOG_ENTRIES, [(key, value) for value in poison] + [(key, published(first).encode())])
        wait_for(lambda: index.get(first["id"]) is not None, 60, "the valid message after the poison to be indexed",
                 alive=alive)

        # on the wire the dead letters are in the prefixed DLQ topic, with where they came from and why
        raw = KafkaEventLog(namespace.engines.kafka, topic_prefix="")
        try:
            dead = read_all(raw.consumer(None, [f"{namespace.prefix}catalog.entries.dlq"]), len(poison), 30)
        finally:
            raw.close()
        assert len(dead) == len(poison)
        letters = [json.loads(r.value) for r in sorted(dead, key=lambda r: r.offset)]
        assert all(r.key == key for r in dead)
        assert all(letter["topic"] == CATALOG_ENTRIES and letter["reason"] for letter in letters)
        assert [letter["reason"].split(":")[0] for letter in letters[:2]] == ["not JSON", "not JSON"]
        assert letters[0]["value_encoding"] == "base64"
        assert "unknown event type" in letters[3]["reason"] and "payload invalid" in letters[4]["reason"]
        assert [letter["offset"] for letter in letters] == sorted(letter["offset"] for letter in letters)

        # the consumer did not stop at the poison: it is still there and keeps indexing
        log.publish(CATALOG_ENTRIES, [(second["id"], published(second).encode())])
        wait_for(lambda: index.get(second["id"]) is not None, 30, "a later valid message to be indexed", alive=alive)
        wait_for(lambda: log.lag(GROUP, CATALOG_ENTRIES) == 0, 30, "the lag to be 0 (poison committed past)")
        assert index.count() == 2
    finally:
        kill_group(consumer)
        log.close()
    assert consumer.returncode == 0
