"""The declarative importer for city departments' files (pure: no database, no events).

``load_mapping`` reads a department's TOML mapping (shipped ones: ``shipped_mappings()``);
``read_records`` turns the department's CSV into contract-shaped ``ImportRecord``s, yielding a
``RowError`` instead for each row it cannot import. Storing and publishing is the caller's job.
"""
from afterclasses_ingest.importer.errors import ImporterError, MappingError, ParseError, RowError
from afterclasses_ingest.importer.gazetteer import District, Gazetteer, Okrug, load_gazetteer
from afterclasses_ingest.importer.mapping import (
    ImportRecord,
    Mapping,
    load_mapping,
    read_records,
    shipped_mappings,
    validate_record,
)
from afterclasses_ingest.importer.parsers import PARSERS, ParseContext

__all__ = [
    "PARSERS",
    "District",
    "Gazetteer",
    "ImportRecord",
    "ImporterError",
    "Mapping",
    "MappingError",
    "Okrug",
    "ParseContext",
    "ParseError",
    "RowError",
    "load_gazetteer",
    "load_mapping",
    "read_records",
    "shipped_mappings",
    "validate_record",
]
