"""KafkaEventLog on a real broker: the shared contract, plus what only a partitioned log shows.

Every log gets a topic prefix of its own, so tests never see each other's topics or groups.
"""
from __future__ import annotations

import json
import threading
import time
from uuid import uuid4

import pytest

from afterclasses.consumers import ConsumerRunner
from afterclasses.contracts import dlq_topic
from afterclasses.eventlog import make_eventlog
from afterclasses.eventlog.kafka import KafkaEventLog
from afterclasses.ports.eventlog import EventLogUnavailable
from afterclasses.settings import Settings
from tests.conftest import server_url
from tests.contract.eventlog.base import EventLogContract
from tests.factories import activity_doc, published

pytestmark = pytest.mark.kafka


def kafka_log(**options) -> KafkaEventLog:
    """A log on the test broker, in a namespace (topics and groups) of its own."""
    options.setdefault("topic_prefix", f"t{uuid4().hex[:8]}.")
    return KafkaEventLog(server_url("AFTERCLASSES_KAFKA_BOOTSTRAP"), **options)


def read_until(consumer, count: int, within: float = 10.0) -> list:
    """Poll (committing, as the runner does) until ``count`` records came or time is up."""
    out: list = []
    deadline = time.monotonic() + within
    while len(out) < count and time.monotonic() < deadline:
        batch = consumer.poll(500, timeout=0.5)
        if batch:
            out.extend(batch)
            consumer.commit()
    return out


class TestKafkaEventLog(EventLogContract):
    def make_log(self, tmp_path):
        return kafka_log(partitions=1)



def test_keys_stay_ordered_across_partitions_and_a_group_reads_each_message_once():
    log = kafka_log(partitions=3)
    members = [log.consumer("g", ["t"]), log.consumer("g", ["t"])]
    seen: list[list] = [[], []]
    owned: list[set] = [set(), set()]
    errors: list[BaseException] = []
    stop = threading.Event()

    def member(i):
        consumer = members[i]  # each consumer stays on its own thread, as kafka-python needs
        try:
            while not stop.is_set():
                batch = consumer.poll(100, timeout=0.2)
                if batch:  # commit only what was read, as the runner does
                    seen[i].extend(batch)
                    consumer.commit()
                owned[i] = set(consumer.positions())
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            consumer.close()

    threads = [threading.Thread(target=member, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    try:
        # Publish only once the group has settled: both members own a disjoint share.
        everything = {("t", p) for p in range(3)}
        deadline = time.monotonic() + 20
        while not (owned[0] and owned[1] and not owned[0] & owned[1] and owned[0] | owned[1] == everything):
            assert time.monotonic() < deadline and not errors, f"group did not settle: {owned} {errors}"
            time.sleep(0.05)
        expected = [(f"k{k}", f"k{k}:{n}".encode()) for n in range(20) for k in range(10)]
        for start in range(0, len(expected), 50):
            log.publish("t", expected[start:start + 50])
        deadline = time.monotonic() + 20
        while sum(map(len, seen)) < len(expected) and time.monotonic() < deadline and not errors:
            time.sleep(0.05)
        time.sleep(0.5)  # room for a duplicate to show up
    finally:
        stop.set()
        for t in threads:
            t.join(10)

    assert not errors
    assert all(seen), "both members of the group got a share"
    records = seen[0] + seen[1]
    assert sorted(r.value for r in records) == sorted(v for _, v in expected)  # each exactly once
    assert {r.partition for r in records} == {0, 1, 2}
    for k in range(10):
        mine = [r for member_records in seen for r in member_records if r.key == f"k{k}"]
        assert len({r.partition for r in mine}) == 1, "one key, one partition"
        assert [r.value for r in mine] == [f"k{k}:{n}".encode() for n in range(20)]
    assert log.lag("g", "t") == 0
    assert sum(log.end_offsets("t").values()) == 200
    assert len(read_until(log.consumer(None, ["t"]), 200)) == 200  # a reader sees every partition


def test_a_committed_group_resumes_after_close():
    log = kafka_log(partitions=3)
    log.publish("t", [(f"k{i % 6}", f"old{i}".encode()) for i in range(30)])
    first = log.consumer("g", ["t"])
    assert len(read_until(first, 30)) == 30
    first.close()
    assert log.committed("g", "t") == log.end_offsets("t")
    assert log.lag("g", "t") == 0

    log.publish("t", [(f"k{i}", f"new{i}".encode()) for i in range(6)])
    assert log.lag("g", "t") == 6
    second = log.consumer("g", ["t"])
    assert sorted(r.value for r in read_until(second, 6)) == [f"new{i}".encode() for i in range(6)]
    assert second.poll(10, timeout=0.3) == []
    second.close()


def test_dead_letters_land_in_the_prefixed_dlq_topic():
    log = kafka_log(partitions=3)
    good = published(activity_doc())
    log.publish("catalog.entries", [("x", b"\xff not json"), (good.key, good.encode())])
    seen = []
    runner = ConsumerRunner(log, "g", ["catalog.entries"], lambda envs, pos: seen.extend(envs))
    runner.run(until_idle=True)
    runner.close()
    assert [e.id for e in seen] == [good.id]

    # Through the log, names are unprefixed (in the record and in the dead letter itself)...
    [dead] = read_until(log.consumer(None, [dlq_topic("catalog.entries")]), 1)
    assert (dead.topic, dead.key) == ("catalog.entries.dlq", "x")
    assert json.loads(dead.value)["topic"] == "catalog.entries"
    # ...and on the wire the DLQ topic carries the prefix, like every other topic.
    raw = KafkaEventLog(log.bootstrap, topic_prefix="")
    [wire] = read_until(raw.consumer(None, [f"{log.topic_prefix}catalog.entries.dlq"]), 1)
    assert wire.value == dead.value
    raw.close()
    assert log.lag("g", "catalog.entries") == 0


def test_make_eventlog_builds_it_from_settings():
    bootstrap = server_url("AFTERCLASSES_KAFKA_BOOTSTRAP")
    prefix = f"t{uuid4().hex[:8]}."
    log = make_eventlog(Settings(eventlog_backend="kafka", kafka_bootstrap=bootstrap,
                                 kafka_partitions=2, kafka_topic_prefix=prefix))
    assert isinstance(log, KafkaEventLog) and log.topic_prefix == prefix
    log.ping()
    log.publish("t", [("k", b"v")])
    assert set(log.end_offsets("t")) == {0, 1}
    log.close()


def test_ping_and_publish_fail_fast_when_no_broker_answers():
    # Needs no broker: nothing listens on port 1. Default timeouts for ping, short for publish.
    started = time.monotonic()
    with pytest.raises(EventLogUnavailable):
        KafkaEventLog("127.0.0.1:1").ping()
    assert time.monotonic() - started < 5
    with pytest.raises(EventLogUnavailable):
        KafkaEventLog("127.0.0.1:1", connect_timeout_ms=300).publish("t", [("k", b"v")])
