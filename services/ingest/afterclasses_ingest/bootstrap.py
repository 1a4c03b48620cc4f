"""The composition root of ingest: the only place that picks adapters from settings."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from afterclasses.eventlog import make_eventlog
from afterclasses.ports.eventlog import EventLog
from afterclasses_ingest.adapters.store import CatalogStore
from afterclasses_ingest.settings import IngestSettings


@dataclasses.dataclass
class Ingest:
    settings: IngestSettings
    store: CatalogStore
    eventlog: EventLog | None = None  # only the relay publishes

    def close(self) -> None:
        self.store.dispose()
        if self.eventlog is not None:
            self.eventlog.close()


def bootstrap(settings: IngestSettings | None = None, *, eventlog: EventLog | None = None,
              with_eventlog: bool = False) -> Ingest:
    settings = settings or IngestSettings.from_env()
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    store = CatalogStore(settings.database)
    store.create_schema()
    if eventlog is None and with_eventlog:
        eventlog = make_eventlog(settings)
    return Ingest(settings=settings, store=store, eventlog=eventlog)
