"""Apache Kafka event log (kafka-python): the port over a real, partitioned, replicated log.

Topics are created on first use with ``partitions`` partitions; a key always lands on the same
partition (Kafka's default murmur2 partitioner), so one key's updates stay ordered. Every topic
and group name gets ``topic_prefix`` on the wire, so several deployments can share one cluster;
callers only ever see the unprefixed names.

Consumer groups are Kafka's own (join, rebalance, offsets stored by the group coordinator), with
auto-commit off: offsets move only when the caller commits, after the effect (at-least-once).
Unlike the in-process adapters, a member keeps its partitions until it is closed, its process
dies and its session expires (``session_timeout_ms``, 45 s), or it goes ``max_poll_interval_ms``
(5 min) without polling; meanwhile nobody else in the group reads them. A consumer object that
is garbage-collected is closed (leaving the group), so an abandoned one holds nothing.

Every kafka-python error is translated into the port's errors here (adapters own their library).
"""
from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections.abc import Iterable, Sequence

import kafka.errors as kerrors
from kafka import (
    ConsumerRebalanceListener,
    KafkaAdminClient,
    KafkaConsumer,
    KafkaProducer,
    OffsetSpec,
    TopicPartition,
)
from kafka.net.compat import KafkaNetClient

from afterclasses.ports.eventlog import (
    Consumer,
    EventLog,
    EventLogError,
    EventLogUnavailable,
    Record,
)

# Errors that retrying cannot fix: the request itself is wrong, or the group moved on.
_CALLER_ERRORS = (
    kerrors.CommitFailedError,
    kerrors.IllegalStateError,
    kerrors.IllegalArgumentError,
    kerrors.KafkaConfigurationError,
    kerrors.MessageSizeTooLargeError,
    kerrors.InvalidTopicError,
)


@contextlib.contextmanager
def _translated(what: str):
    """Turn kafka-python (and socket) errors raised inside the block into the port's errors."""
    try:
        yield
    except EventLogError:
        raise
    except _CALLER_ERRORS as exc:
        raise EventLogError(f"kafka {what}: {_reason(exc)}") from exc
    except (kerrors.KafkaError, OSError) as exc:
        raise EventLogUnavailable(f"kafka {what}: {_reason(exc)}") from exc


def _retrying(call, attempts: int = 10, backoff: float = 0.5):
    """``call()``, again while Kafka answers with a retriable error. A cluster that has just
    started has no group coordinator for some seconds (CoordinatorNotAvailable, its
    __consumer_offsets topic is being made): a consumer starting then waits, instead of crashing."""
    for attempt in range(attempts):
        try:
            return call()
        except kerrors.KafkaError as exc:
            if not exc.retriable or attempt == attempts - 1:
                raise
            time.sleep(backoff)


def _reason(exc: BaseException) -> str:
    # kafka-python errors already start with their class name; others (OSError) do not.
    text, name = str(exc), type(exc).__name__
    return text if text.startswith(name) else f"{name}: {text}"


def _build(client_cls, **config):
    """Construct a kafka-python client without leaking its IO thread when it cannot connect.

    Client constructors start a background IO thread, then bootstrap; when the bootstrap fails
    they raise without stopping that thread. The ``kafka_client`` hook lets us close it.
    """
    made: list[KafkaNetClient] = []

    def net_client(**kw):
        made.append(KafkaNetClient(**kw))
        return made[-1]

    try:
        return client_cls(kafka_client=net_client, **config)
    except BaseException:
        for client in made:
            with contextlib.suppress(Exception):
                client.close()
        raise


# Leaving a group is best effort (the session timeout removes a silent member anyway); bound it,
# because a LeaveGroup queued behind a JoinGroup that waits on an idle member would otherwise
# take a whole request timeout.
_LEAVE_TIMEOUT_MS = 2_000


class _Clients:
    """The log's lazily made admin and producer, apart from the log so a finalizer can close
    them when the log is garbage-collected without being closed."""

    def __init__(self):
        self.lock = threading.Lock()
        self.admin: KafkaAdminClient | None = None
        self.producer: KafkaProducer | None = None
        self.closed = False

    def close(self, timeout_ms: int) -> None:
        with self.lock:
            self.closed = True
            producer, admin = self.producer, self.admin
            self.producer = self.admin = None
        # close() flushes what is still buffered; bound it so shutdown never hangs on Kafka.
        with contextlib.suppress(Exception):
            if producer is not None:
                producer.close(timeout=timeout_ms / 1000)
        with contextlib.suppress(Exception):
            if admin is not None:
                admin.close()


def _decode_key(key: bytes | None) -> str | None:
    # Our producers write UTF-8 keys; a foreign non-UTF-8 key must not make poll() fail.
    return None if key is None else key.decode("utf-8", errors="replace")


class KafkaEventLog(EventLog):
    """The event log on a Kafka cluster.

    :param bootstrap: ``host:port[,host:port…]`` of one or more brokers.
    :param partitions: partitions of the topics this adapter creates (existing topics keep theirs).
    :param topic_prefix: prepended to every topic and group name on the wire.
    :param request_timeout_ms: bound on one broker request (and on ``publish`` waiting for acks).
    :param connect_timeout_ms: how long a client waits for its first broker answer; it bounds
        how fast :meth:`ping` and the first call fail when the cluster is down.
    """

    def __init__(
        self,
        bootstrap: str,
        *,
        partitions: int = 6,
        topic_prefix: str = "",
        client_id: str = "afterclasses",
        request_timeout_ms: int = 10_000,
        connect_timeout_ms: int = 3_000,
        replication_factor: int = 1,
    ):
        if partitions < 1:
            raise ValueError("partitions must be >= 1")
        self.bootstrap = bootstrap
        self.partitions = partitions
        self.topic_prefix = topic_prefix
        self.client_id = client_id
        self.request_timeout_ms = request_timeout_ms
        self.connect_timeout_ms = connect_timeout_ms
        self.replication_factor = replication_factor
        # Clients are made on first use, so building the log (at app start) never needs Kafka up.
        self._clients = _Clients()
        self._finalizer = weakref.finalize(self, self._clients.close, request_timeout_ms)
        self._topic_lock = threading.Lock()
        self._topics: dict[str, list[int]] = {}  # wire name -> partition ids, once known to exist

    # -- names ------------------------------------------------------------------------------

    def wire_name(self, name: str) -> str:
        """The name of a topic or group on the cluster."""
        return self.topic_prefix + name

    def local_name(self, wire: str) -> str:
        return wire[len(self.topic_prefix):] if wire.startswith(self.topic_prefix) else wire

    # -- clients ----------------------------------------------------------------------------

    def client_config(self) -> dict:
        """Settings every kafka-python client of this log shares."""
        return {
            "bootstrap_servers": [b.strip() for b in self.bootstrap.split(",") if b.strip()],
            "client_id": self.client_id,
            "request_timeout_ms": self.request_timeout_ms,
            "bootstrap_timeout_ms": self.connect_timeout_ms,
            # Retry a lost broker every second at most, so /readyz recovers soon after it does.
            "reconnect_backoff_max_ms": 1_000,
        }

    def _admin_client(self) -> KafkaAdminClient:
        clients = self._clients
        with clients.lock:
            if clients.closed:
                raise EventLogError("kafka event log is closed")
            if clients.admin is None:
                with _translated("connect"):
                    clients.admin = _build(KafkaAdminClient, **self.client_config())
            return clients.admin

    def _producer_client(self) -> KafkaProducer:
        clients = self._clients
        with clients.lock:
            if clients.closed:
                raise EventLogError("kafka event log is closed")
            if clients.producer is None:
                with _translated("connect"):
                    clients.producer = _build(
                        KafkaProducer,
                        **self.client_config(),
                        # Durable on return: every in-sync replica has it, and retries can
                        # neither duplicate nor reorder a partition's messages.
                        acks="all",
                        enable_idempotence=True,
                        # We create topics ourselves, with our partition count; a broker-side
                        # auto-create would use the broker default instead.
                        allow_auto_create_topics=False,
                        max_block_ms=self.request_timeout_ms,
                        delivery_timeout_ms=2 * self.request_timeout_ms,
                    )
            return clients.producer

    def _ensure_topics(self, wire_names: Iterable[str]) -> None:
        """Create missing topics (first use) and learn their partitions."""
        missing = [n for n in dict.fromkeys(wire_names) if n not in self._topics]
        if not missing:
            return
        admin = self._admin_client()
        with self._topic_lock, _translated(f"create topics {missing}"):
            missing = [n for n in missing if n not in self._topics]
            if not missing:
                return
            spec = {"num_partitions": self.partitions, "replication_factor": self.replication_factor}
            result = admin.create_topics(
                {name: dict(spec) for name in missing},
                timeout_ms=self.request_timeout_ms,
                raise_errors=False,
            )
            for topic in result["topics"]:
                error = kerrors.for_code(topic["error_code"])
                # Another process (or an earlier run) creating it first is the normal case.
                if error not in (kerrors.NoError, kerrors.TopicAlreadyExistsError):
                    raise error(topic.get("error_message") or topic["name"])
            # Creation is acknowledged before every partition has a leader; wait for that.
            admin.wait_for_topics(missing, timeout_ms=self.request_timeout_ms)
            for topic in admin.describe_topics(missing):
                self._topics[topic["name"]] = sorted(p["partition_index"] for p in topic["partitions"])

    def _partitions(self, wire: str) -> list[TopicPartition]:
        self._ensure_topics([wire])
        return [TopicPartition(wire, p) for p in self._topics[wire]]

    # -- the port ---------------------------------------------------------------------------

    def publish(self, topic: str, messages: Sequence[tuple[str, bytes]]) -> None:
        """Append ``(key, value)`` messages and wait until every in-sync replica has them.

        The key picks the partition (Kafka's default partitioner), so one key's messages stay in
        order. Raises :class:`EventLogUnavailable` when any message is not acknowledged within
        the timeouts; some of the batch may then be stored (at-least-once: retry the whole call).
        """
        if not messages:
            return
        wire = self.wire_name(topic)
        self._ensure_topics([wire])
        producer = self._producer_client()
        with _translated(f"publish to {topic}"):
            futures = [
                producer.send(wire, key=None if key is None else key.encode(), value=bytes(value))
                for key, value in messages
            ]
            deadline = time.monotonic() + 2 * self.request_timeout_ms / 1000 + 1
            producer.flush(timeout=max(0.0, deadline - time.monotonic()))
            # flush() does not raise for failed sends: each future says whether it was stored.
            for future in futures:
                future.get(timeout=max(0.0, deadline - time.monotonic()))

    def consumer(self, group: str | None, topics: Sequence[str]) -> KafkaLogConsumer:
        """A group member (Kafka assigns it a share of the partitions) or, for ``group=None``,
        a reader of every partition from the beginning that never commits.

        Topics are created if missing, so a consumer started before any producer still gets
        partitions. The group's first :meth:`~KafkaLogConsumer.poll` joins the group within
        its timeout.
        """
        wires = [self.wire_name(t) for t in topics]
        self._ensure_topics(wires)
        config = {
            **self.client_config(),
            "group_id": None if group is None else self.wire_name(group),
            "enable_auto_commit": False,  # commit only after the effect (the runner calls it)
            "auto_offset_reset": "earliest",  # a new group starts at offset 0, as the port says
            "allow_auto_create_topics": False,
            # a member killed with -9 holds its partitions until the session expires: 10 s, not
            # kafka-python's 45 s, so a restarted indexer resumes quickly
            "session_timeout_ms": 10_000,
            "heartbeat_interval_ms": 3_000,
        }
        with _translated("connect consumer"):
            kc = _build(KafkaConsumer, **config)
        try:
            with _translated("assign partitions"):
                if group is None:
                    partitions = [tp for w in wires for tp in self._partitions(w)]
                    kc.assign(partitions)
                    kc.seek_to_beginning(*partitions)
                    listener = None
                else:
                    listener = _PendingSeeks(kc)
                    kc.subscribe(topics=wires, listener=listener)
                    # Fetch the topics' metadata before the first join: a group leader that
                    # does not know them yet assigns nothing, and the group has to rebalance
                    # again once the metadata arrives (slow, and racy for a short first poll).
                    kc.bootstrap(timeout_ms=self.request_timeout_ms, refresh=True)
        except BaseException:
            _close_consumer(kc)
            raise
        return KafkaLogConsumer(self, kc, group, listener)

    def end_offsets(self, topic: str) -> dict[int, int]:
        partitions = self._partitions(self.wire_name(topic))
        admin = self._admin_client()
        with _translated(f"end offsets of {topic}"):
            found = admin.list_partition_offsets(
                {tp: OffsetSpec.LATEST for tp in partitions}, timeout_ms=self.request_timeout_ms
            )
        return {tp.partition: found[tp].offset for tp in partitions}

    def committed(self, group: str, topic: str) -> dict[int, int]:
        partitions = self._partitions(self.wire_name(topic))
        admin = self._admin_client()
        wire_group = self.wire_name(group)
        with _translated(f"committed offsets of {group}"):
            found = _retrying(lambda: admin.list_group_offsets({wire_group: partitions}).get(wire_group, {}))
        # Kafka says -1 for a partition the group never committed; the port says 0.
        return {tp.partition: max(0, found[tp].offset) if tp in found else 0 for tp in partitions}

    def ping(self) -> None:
        """Ask a broker for cluster metadata; :class:`EventLogUnavailable` when none answers
        within ``connect_timeout_ms`` (first call) or ``request_timeout_ms``."""
        admin = self._admin_client()
        with _translated("ping"):
            admin.describe_topics([])  # a metadata request naming no topic: brokers only

    def close(self) -> None:
        """Close the admin and producer clients; consumers are closed by their owners."""
        self._finalizer()


class _PendingSeeks(ConsumerRebalanceListener):
    """Applies seeks asked for before the group gave us the partition.

    Holds the kafka-python consumer, never our wrapper, so the wrapper stays collectable.
    """

    def __init__(self, kc: KafkaConsumer):
        self.kc = kc
        self.offsets: dict[TopicPartition, int] = {}

    def on_partitions_revoked(self, revoked):
        pass

    def on_partitions_assigned(self, assigned):
        for tp in assigned:
            if tp in self.offsets:
                self.kc.seek(tp, self.offsets.pop(tp))


def _close_consumer(kc: KafkaConsumer) -> None:
    # No commit on close: positions not committed by the caller are forgotten (port contract).
    with contextlib.suppress(Exception):
        kc.close(autocommit=False, timeout_ms=_LEAVE_TIMEOUT_MS)


class KafkaLogConsumer(Consumer):
    """One kafka-python consumer; like it, not safe to share between threads."""

    def __init__(self, log: KafkaEventLog, kc: KafkaConsumer, group: str | None,
                 seeks: _PendingSeeks | None):
        self._log, self._kc, self._group, self._seeks = log, kc, group, seeks
        # Closing on garbage collection leaves the group at once, instead of holding the
        # partitions until the session times out.
        self._finalizer = weakref.finalize(self, _close_consumer, kc)

    def poll(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]:
        """Records after the current positions, in offset order per partition.

        A group member's first poll joins the group (and is assigned partitions) within
        ``timeout``; if the join takes longer, it returns ``[]`` and the next poll continues it.
        """
        with _translated("poll"):
            # kafka-python keeps polling (joining, resolving positions, fetching) until it has
            # records or the timeout is spent, so the first poll of a new group waits for its
            # assignment instead of returning [] early.
            batches = self._kc.poll(timeout_ms=max(0, int(timeout * 1000)), max_records=max_records)
        out: list[Record] = []
        for tp, records in batches.items():
            topic = self._log.local_name(tp.topic)
            out.extend(
                Record(topic, tp.partition, r.offset, _decode_key(r.key), r.value or b"")
                for r in records
            )
        return out

    def commit(self) -> None:
        """Store the positions reached by poll for the group; blocks until the coordinator
        acknowledges. Raises :class:`EventLogError` when the group has rebalanced since the
        poll (the records will be delivered again) and :class:`EventLogUnavailable` when
        Kafka cannot be reached."""
        if self._group is None:
            return
        with _translated("commit"):
            self._kc.commit(timeout_ms=self._log.request_timeout_ms)

    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Move the position; for a partition not (yet) assigned to this group member, the
        seek applies when the group assigns it here."""
        tp = TopicPartition(self._log.wire_name(topic), partition)
        with _translated("seek"):
            if tp in self._kc.assignment():
                self._kc.seek(tp, offset)
            elif self._seeks is not None:
                self._seeks.offsets[tp] = offset
            else:
                raise EventLogError(f"seek: {topic}[{partition}] is not a partition of this reader")

    def positions(self) -> dict[tuple[str, int], int]:
        """Next offset per assigned partition (a group member before its first assignment:
        none)."""
        out = {}
        with _translated("positions"):
            for tp in self._kc.assignment():
                pos = self._kc.position(tp, timeout_ms=self._log.request_timeout_ms)
                if pos is not None:
                    out[(self._log.local_name(tp.topic), tp.partition)] = pos
        return out

    def close(self) -> None:
        """Leave the group (its partitions go to other members at once); no commit."""
        self._finalizer()
