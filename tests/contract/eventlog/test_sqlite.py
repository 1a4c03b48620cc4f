import multiprocessing

from afterclasses.eventlog.sqlite import SqliteEventLog
from tests.contract.eventlog.base import EventLogContract


class TestSqliteEventLog(EventLogContract):
    def make_log(self, tmp_path):
        return SqliteEventLog(tmp_path / "log.db")


def _publish_many(path, worker):
    log = SqliteEventLog(path)
    for i in range(50):
        log.publish("t", [(f"w{worker}", f"{worker}:{i}".encode())])


def test_processes_publishing_at_once_get_distinct_offsets_and_keep_key_order(tmp_path):
    path = tmp_path / "log.db"
    SqliteEventLog(path).close()
    procs = [multiprocessing.get_context("spawn").Process(target=_publish_many, args=(path, w)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    records = SqliteEventLog(path).consumer(None, ["t"]).poll(1000, timeout=1)
    assert [r.offset for r in records] == list(range(150))
    for w in range(3):
        mine = [int(r.value.decode().split(":")[1]) for r in records if r.key == f"w{w}"]
        assert mine == list(range(50))


def test_a_value_stored_as_text_reaches_the_consumer_as_bytes(tmp_path):
    import sqlite3

    log = SqliteEventLog(tmp_path / "log.db")
    with sqlite3.connect(tmp_path / "log.db") as conn:
        conn.execute("INSERT INTO events VALUES ('t', 0, 'k', 'garbage', 0)")
    assert log.consumer(None, ["t"]).poll(10, timeout=1)[0].value == b"garbage"
