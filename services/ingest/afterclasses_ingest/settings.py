"""Settings of the ingest service (``AFTERCLASSES_*`` environment variables)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from afterclasses.settings import Settings


@dataclasses.dataclass(frozen=True)
class IngestSettings(Settings):
    database_url: str = ""  # default: sqlite:///<data_dir>/ingest.db
    relay_interval: float = 0.2  # seconds between outbox scans when idle
    relay_batch: int = 1000
    editor_session_hours: float = 12.0  # lifetime of an editor's sign-in (bearer token)

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(Path(self.data_dir) / 'ingest.db').resolve()}"
