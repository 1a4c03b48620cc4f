"""Settings of the search service (``AFTERCLASSES_*`` environment variables)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from afterclasses.settings import Settings


@dataclasses.dataclass(frozen=True)
class SearchSettings(Settings):
    search_backend: str = "sqlite"  # sqlite | opensearch
    search_index_dir: str = ""  # default: <data_dir>/search (sqlite)
    opensearch_url: str = "http://127.0.0.1:9200"  # the cluster (opensearch)
    opensearch_index: str = "afterclasses-activities"  # the alias readers and writers use (opensearch)
    consumer_group: str = "search-indexer"
    consumer_batch: int = 500

    @property
    def index_dir(self) -> Path:
        return self.path(self.search_index_dir, "search")
