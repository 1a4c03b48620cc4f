"""The search-index port: a projection of ``catalog.entries`` that answers the finder's queries.

Adapters: ``afterclasses_search.adapters.sqlite_fts.SqliteSearchIndex`` (embedded default).
"""
from __future__ import annotations

import abc
import dataclasses
from collections.abc import Sequence

from afterclasses.contracts.events import Envelope

SORTS = ("best", "distance", "newest")
AGE_BANDS = (("0-2", 0, 2.999), ("3-5", 3, 5.999), ("6-9", 6, 9.999), ("10-13", 10, 13.999),
             ("14-17", 14, 17.999), ("18+", 18, 200))
"""Age bands of the facet: (label, lowest age, highest age). An activity falls in every band
some age of which it accepts; one with no stated ages falls in all."""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SearchError(Exception):
    """Base of the port's errors."""


class SearchUnavailable(SearchError):
    """The index cannot answer right now (503)."""


@dataclasses.dataclass(frozen=True)
class SearchQuery:
    """What a parent asks. Empty tuples mean "no filter"; several values of one facet mean "any of"."""

    q: str = ""
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    sort: str = "best"
    age: float | None = None
    categories: tuple[str, ...] = ()
    free: bool | None = None
    days: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()  # provider ids, any of (a plain filter, not a facet)
    exclude: tuple[str, ...] = ()  # activity ids left out ("similar activities nearby")
    page: int = 1
    per_page: int = 20
    language: str = "en"  # of facet labels

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclasses.dataclass(frozen=True)
class Hit:
    doc: dict
    score: float
    distance_km: float | None


@dataclasses.dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    label: str | None = None
    selected: bool = False
    depth: int = 0  # tree depth, for the category facet


@dataclasses.dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]


class SearchIndex(abc.ABC):
    @abc.abstractmethod
    def apply(self, events: Sequence[Envelope]) -> int:
        """Project catalog events into the index, idempotently: an event whose entry version is
        not newer than the stored one changes nothing (replays, late duplicates). Durable on
        return. Returns how many entries changed. Raises :class:`SearchUnavailable`."""

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResult:
        """Matching published activities, one page of them ranked per ``query.sort``, with
        disjunctive facet counts. Any text is a safe query. Raises :class:`SearchUnavailable`."""

    @abc.abstractmethod
    def venues(self, prefix: str, limit: int) -> list[dict]:
        """Up to ``limit`` distinct venues of published activities with a point, for a "where"
        box: those whose name or address has a word starting with ``prefix`` (case and ё/е
        folded; the prefix may span words, "central pa" finds "Central Park").

        A venue is ``{"name", "address", "district", "city", "lat", "lon"}`` as the documents
        carry it; documents that differ in any of the six are different venues. Ordered: venues
        whose whole name starts with the prefix first, then by how many activities they hold,
        then by a fixed key of the six (every adapter alike). Leading punctuation of the prefix
        is ignored; one with no letter or digit finds nothing. Raises :class:`SearchUnavailable`.
        """

    @abc.abstractmethod
    def get(self, entry_id: str) -> dict | None:
        """The published document of one activity, or None."""

    @abc.abstractmethod
    def count(self) -> int:
        """How many published activities the index holds."""

    def ping(self) -> None:
        """Raise :class:`SearchUnavailable` when the index cannot answer."""

    def close(self) -> None:
        """Release resources."""

    # --- rebuilding (a projection is rebuilt from the log and swapped in) -----------------
    def create_fresh(self) -> SearchIndex:
        """A new, empty index that is not live: fill it with :meth:`apply`, then
        :meth:`make_live` it. Readers keep the current one meanwhile."""
        raise NotImplementedError

    def make_live(self) -> None:
        """Atomically make this (fresh) index the one every reader and writer uses."""
        raise NotImplementedError

    def reindex_lock(self):
        """A context manager held for a whole rebuild, so two rebuilds never run at once.

        :raise SearchError: another rebuild holds it.
        """
        import contextlib

        return contextlib.nullcontext()

    def reopen_if_swapped(self) -> bool:
        """Follow a swap made by a rebuild; True when the live index changed."""
        return False

    def stored_positions(self) -> dict[tuple[str, int], int]:
        """Log positions whose events this index holds, stored with its data."""
        return {}

    @property
    def name(self) -> str | None:
        """The live (or, for a fresh one, the pinned) index's name."""
        return None
