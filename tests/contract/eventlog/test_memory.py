from afterclasses.eventlog.memory import MemoryEventLog
from tests.contract.eventlog.base import EventLogContract


class TestMemoryEventLog(EventLogContract):
    def make_log(self, tmp_path):
        return MemoryEventLog()
