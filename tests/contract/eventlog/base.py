"""The event-log contract: every adapter of the port passes these (arroyo's mixin pattern)."""
from __future__ import annotations

import abc
import threading

from afterclasses.consumers import ConsumerRunner
from afterclasses.contracts import decode, dlq_topic
from afterclasses.ports.eventlog import EventLog
from tests.factories import activity_doc, published


class EventLogContract(abc.ABC):
    @abc.abstractmethod
    def make_log(self, tmp_path) -> EventLog:
        """A fresh, empty log."""

    def test_published_messages_are_read_in_order(self, tmp_path):
        log = self.make_log(tmp_path)
        log.publish("t", [(f"k{i % 3}", f"m{i}".encode()) for i in range(10)])
        records = log.consumer("g", ["t"]).poll(100, timeout=1)
        assert [r.value for r in records] == [f"m{i}".encode() for i in range(10)]
        assert [r.offset for r in records] == list(range(10))

    def test_group_resumes_from_committed_offset(self, tmp_path):
        log = self.make_log(tmp_path)
        log.publish("t", [("k", b"a"), ("k", b"b"), ("k", b"c")])
        first = log.consumer("g", ["t"])
        assert [r.value for r in first.poll(2, timeout=1)] == [b"a", b"b"]
        first.commit()
        first.close()
        assert [r.value for r in log.consumer("g", ["t"]).poll(10, timeout=1)] == [b"c"]

    def test_uncommitted_messages_are_delivered_again(self, tmp_path):
        log = self.make_log(tmp_path)
        log.publish("t", [("k", b"a")])
        log.consumer("g", ["t"]).poll(10, timeout=1)  # crashed before commit
        assert [r.value for r in log.consumer("g", ["t"]).poll(10, timeout=1)] == [b"a"]

    def test_groups_are_independent_and_reader_starts_at_zero(self, tmp_path):
        log = self.make_log(tmp_path)
        log.publish("t", [("k", b"a"), ("k", b"b")])
        g1 = log.consumer("g1", ["t"])
        g1.poll(10, timeout=1)
        g1.commit()
        assert len(log.consumer("g2", ["t"]).poll(10, timeout=1)) == 2
        assert len(log.consumer(None, ["t"]).poll(10, timeout=1)) == 2

    def test_lag_counts_uncommitted(self, tmp_path):
        log = self.make_log(tmp_path)
        log.publish("t", [("k", b"x")] * 5)
        c = log.consumer("g", ["t"])
        c.poll(3, timeout=1)
        c.commit()
        assert log.lag("g", "t") == 2
        assert log.end_offsets("t") == {0: 5}

    def test_poll_waits_then_returns_empty(self, tmp_path):
        log = self.make_log(tmp_path)
        assert log.consumer("g", ["t"]).poll(10, timeout=0.2) == []

    def test_poll_wakes_for_a_message_published_meanwhile(self, tmp_path):
        log = self.make_log(tmp_path)
        consumer = log.consumer("g", ["t"])
        timer = threading.Timer(0.1, lambda: log.publish("t", [("k", b"late")]))
        timer.start()
        try:
            assert [r.value for r in consumer.poll(10, timeout=5)] == [b"late"]
        finally:
            timer.join()

    def test_seek_rewinds(self, tmp_path):
        log = self.make_log(tmp_path)
        log.publish("t", [("k", b"a"), ("k", b"b")])
        c = log.consumer("g", ["t"])
        c.poll(10, timeout=1)
        c.seek("t", 0, 1)
        assert [r.value for r in c.poll(10, timeout=1)] == [b"b"]

    def test_runner_dead_letters_poison_and_moves_on(self, tmp_path):
        log = self.make_log(tmp_path)
        good = published(activity_doc())
        log.publish("catalog.entries", [("x", b"\xff not json"), ("y", b'{"id": 1}'), (good.key, good.encode())])
        seen = []
        runner = ConsumerRunner(log, "g", ["catalog.entries"], lambda envs, pos: seen.extend(envs))
        runner.run(until_idle=True)
        assert [e.id for e in seen] == [good.id]
        dead = log.consumer(None, [dlq_topic("catalog.entries")]).poll(10, timeout=1)
        assert [r.key for r in dead] == ["x", "y"]
        assert b"not JSON" in dead[0].value and b"not an envelope" in dead[1].value
        assert log.lag("g", "catalog.entries") == 0

    def test_runner_dead_letters_every_kind_of_poison(self, tmp_path):
        import json

        log = self.make_log(tmp_path)
        good = published(activity_doc())
        base = json.loads(good.encode())

        def variant(**changes):
            data = json.loads(json.dumps(base))
            for key, value in changes.items():
                if key.startswith("payload_"):
                    data["payload"][key[len("payload_"):]] = value
                else:
                    data[key] = value
            return json.dumps(data).encode()

        poison = [
            b"[" * 5000 + b"]" * 5000,                      # nested too deeply
            variant(type=["activity.published"]),            # unhashable type
            variant(version={"v": 1}),
            variant(payload_version=10**30),                 # out of range
            variant(payload_age_min="five"),
            variant(payload_title="Chess X club").replace(b"X", b"\\ud800"),  # a lone surrogate
            variant(payload=[1, 2]),
        ]
        log.publish("catalog.entries", [(f"p{i}", raw) for i, raw in enumerate(poison)] + [(good.key, good.encode())])
        seen = []
        ConsumerRunner(log, "g", ["catalog.entries"], lambda envs, pos: seen.extend(envs)).run(until_idle=True)
        assert [e.id for e in seen] == [good.id]
        assert len(log.consumer(None, [dlq_topic("catalog.entries")]).poll(100, timeout=1)) == len(poison)

    def test_payload_values_reach_consumers_as_the_contract_types(self, tmp_path):
        import json

        log = self.make_log(tmp_path)
        data = json.loads(published(activity_doc()).encode())
        data["payload"]["age_min"], data["payload"]["version"] = "5", "2"
        log.publish("catalog.entries", [("k", json.dumps(data).encode())])
        seen = []
        ConsumerRunner(log, "g", ["catalog.entries"], lambda envs, pos: seen.extend(envs)).run(until_idle=True)
        assert seen[0].payload["age_min"] == 5.0 and seen[0].payload["version"] == 2

    def test_runner_does_not_commit_when_the_handler_keeps_failing(self, tmp_path):
        log = self.make_log(tmp_path)
        env = published(activity_doc())
        log.publish("catalog.entries", [(env.key, env.encode())])

        def broken(envs, pos):
            raise RuntimeError("index down")

        runner = ConsumerRunner(log, "g", ["catalog.entries"], broken, retries=1, backoff=0)
        try:
            runner.run_once()
        except RuntimeError:
            runner.close()  # the crashed worker is gone; its partitions go back to the group
        else:  # pragma: no cover - the contract says it must raise
            raise AssertionError("a persistent handler error must crash the worker")
        assert log.lag("g", "catalog.entries") == 1
        assert decode(log.consumer("g", ["catalog.entries"]).poll(1, timeout=1)[0].value).id == env.id
