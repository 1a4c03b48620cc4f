"""Settings of the search service (``AFTERCLASSES_*`` environment variables)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from afterclasses.settings import Settings


@dataclasses.dataclass(frozen=True)
class SearchSettings(Settings):
    search_backend: str = "sqlite"  # sqlite (opensearch arrives with issue 3)
    search_index_dir: str = ""  # default: <data_dir>/search
    consumer_group: str = "search-indexer"
    consumer_batch: int = 500

    @property
    def index_dir(self) -> Path:
        return self.path(self.search_index_dir, "search")
