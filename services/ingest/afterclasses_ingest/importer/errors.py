"""The importer's errors, kept apart so parsers, mappings and callers share one vocabulary.

Two kinds of trouble need different handling: a broken *mapping file* is the operator's mistake
and stops the import before the first row (``MappingError``, raised); a broken *row* is the
department's data and must never stop the import nor vanish, so it is reported as a value
(``RowError``, yielded in place of the record).
"""
from __future__ import annotations

from dataclasses import dataclass


class ImporterError(Exception):
    """Base of the exceptions the importer raises."""


class MappingError(ImporterError):
    """A mapping file is invalid or does not fit the data file (unknown column, parser, slug)."""


class ParseError(ImporterError):
    """A value parser could not understand its input; ``reason`` says what it saw."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RowError:
    """A data row that could not be imported.

    :param line: physical line (1-based) where the row starts in the file.
    :param reason: human-readable cause, naming the field or column at fault.
    :param source_id: the row's ``source_id`` when it could be computed.
    """

    line: int
    reason: str
    source_id: str | None = None
