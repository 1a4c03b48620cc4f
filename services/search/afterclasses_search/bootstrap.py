"""The composition root of search: picks the index and event-log adapters from settings."""
from __future__ import annotations

import dataclasses

from afterclasses.ports.search import SearchIndex
from afterclasses_search.settings import SearchSettings


@dataclasses.dataclass
class Search:
    settings: SearchSettings
    index: SearchIndex

    def close(self) -> None:
        self.index.close()


def make_index(settings: SearchSettings, **kwargs) -> SearchIndex:
    if settings.search_backend == "sqlite":
        from afterclasses_search.adapters.sqlite_fts import SqliteSearchIndex

        return SqliteSearchIndex(settings.index_dir, **kwargs)
    if settings.search_backend == "opensearch":
        from afterclasses_search.adapters.opensearch import OpenSearchIndex

        return OpenSearchIndex(settings.opensearch_url, settings.opensearch_index, **kwargs)
    raise ValueError(f"AFTERCLASSES_SEARCH_BACKEND: unknown backend {settings.search_backend!r}")


def bootstrap(settings: SearchSettings | None = None, index: SearchIndex | None = None, *,
              reader: bool = False) -> Search:
    """``reader=True`` for the API: it never creates or replaces index files."""
    settings = settings or SearchSettings.from_env()
    return Search(settings=settings, index=index or make_index(settings, create=not reader))
