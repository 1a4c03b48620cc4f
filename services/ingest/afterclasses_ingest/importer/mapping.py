"""Declarative mappings: one TOML file per department turns its CSV into import records.

A mapping names its source, the data file (relative to the datasets root), the file format, how
to derive a stable ``source_id`` and a field spec per target field (see ``spec.py``). Mappings
are checked against the data contract when loaded (every target must be a field of
``ActivityFieldsSchema``/``ProviderFieldsSchema``, every fixed category a known slug) and
against the file's header before the first row, so a broken mapping fails loudly at once while a
broken row only yields a ``RowError``.

Reading is pure (no database): ``read_records`` yields one ``ImportRecord`` or ``RowError`` per
data row, in file order, never dropping one.
"""
from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from marshmallow import Schema, ValidationError, fields

from afterclasses import taxonomy
from afterclasses.contracts.schemas import ActivityFieldsSchema, ProviderFieldsSchema
from afterclasses_ingest.importer.errors import MappingError, RowError
from afterclasses_ingest.importer.parsers import ParseContext, text
from afterclasses_ingest.importer.spec import FieldError, Obj, Run, compile_lookups, compile_object

MAPPINGS_DIR = Path(__file__).parent / "mappings"
_TOP_KEYS = {"source", "file", "description", "format", "source_id", "activity", "provider",
             "lookups"}


@dataclass(frozen=True)
class ImportRecord:
    """One department row as contract-shaped fields.

    ``activity`` fits ``ActivityFieldsSchema``, ``provider`` fits ``ProviderFieldsSchema`` (or is
    None when the row names no organisation); ``line`` is where the row starts in the file.
    """

    line: int
    source: str
    source_id: str
    activity: dict
    provider: dict | None


@dataclass(frozen=True)
class SourceId:
    """A row's stable id: one column, or a hash of several (files without an id column).

    Hashed cells are whitespace-normalised first, so identical rows share an id and a re-export
    that only changes padding keeps it.
    """

    column: str | None
    hashed: tuple[str, ...]

    def columns(self) -> set[str]:
        return {self.column} if self.column else set(self.hashed)

    def of(self, cells: dict[str, str]) -> str:
        if self.column:
            value = text(cells[self.column])
            if value is None:
                raise FieldError("source_id", f"column {self.column!r} is empty")
            return value
        joined = "\x1f".join(text(cells[column]) or "" for column in self.hashed)
        return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Mapping:
    source: str
    file: str
    path: Path  # the mapping file itself, for messages
    delimiter: str
    encoding: str
    source_id: SourceId
    activity: Obj
    provider: Obj | None

    def columns(self) -> set[str]:
        provider = self.provider.columns() if self.provider else set()
        return self.source_id.columns() | self.activity.columns() | provider

    def build(self, line: int, cells: dict[str, str], run: Run) -> ImportRecord | RowError:
        """One row's record, or the reason it has none."""
        source_id = None
        try:
            source_id = self.source_id.of(cells)
            activity = self.activity.evaluate(cells, run)
            provider = self.provider.evaluate(cells, run) if self.provider else None
        except FieldError as exc:
            return RowError(line, str(exc), source_id)
        if provider is not None and not provider.get("name"):
            provider = None  # a provider without a name cannot be stored; the activity still can
        return ImportRecord(line, self.source, source_id, activity, provider)


def shipped_mappings() -> list[Path]:
    """The mapping files that ship with the importer."""
    return sorted(MAPPINGS_DIR.glob("*.toml"))


def load_mapping(path: str | Path) -> Mapping:
    """Parse and check a mapping file.

    :raise MappingError: on TOML errors, unknown keys/parsers/lookups, targets that are not
        contract fields, missing required targets or unknown category slugs.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: {exc}") from None
    try:
        return _compile(doc, path)
    except MappingError as exc:
        raise MappingError(f"{path.name}: {exc}") from None


def _compile(doc: dict, path: Path) -> Mapping:
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise MappingError(f"unknown top-level key(s) {', '.join(sorted(unknown))}")
    for key, kind in (("source", str), ("file", str), ("activity", dict), ("provider", dict),
                      ("format", dict), ("lookups", dict)):
        if key in doc and not isinstance(doc[key], kind):
            raise MappingError(f"{key!r} must be a {'table' if kind is dict else 'string'}")
    for key in ("source", "file", "source_id", "activity"):
        if key not in doc:
            raise MappingError(f"missing {key!r}")
    lookups = compile_lookups(doc.get("lookups", {}))
    activity = compile_object(doc["activity"], "activity", lookups)
    provider = compile_object(doc["provider"], "provider", lookups) if "provider" in doc else None
    _check_targets(activity, ActivityFieldsSchema(), "activity")
    if provider:
        _check_targets(provider, ProviderFieldsSchema(), "provider")
    for slug in activity.child("category").constants():
        if not taxonomy.is_known(slug):
            raise MappingError(f"activity.category: unknown category {slug!r}")
    delimiter, encoding = _format(doc.get("format", {}))
    return Mapping(
        source=doc["source"], file=doc["file"], path=path, delimiter=delimiter, encoding=encoding,
        source_id=_source_id(doc["source_id"]), activity=activity, provider=provider,
    )


def _format(fmt: dict) -> tuple[str, str]:
    """``[format]``: kind = "csv"|"tsv", or an explicit delimiter; encoding (BOM-tolerant UTF-8)."""
    unknown = set(fmt) - {"kind", "delimiter", "encoding"}
    if unknown or fmt.get("kind", "csv") not in ("csv", "tsv"):
        raise MappingError("[format] takes kind = \"csv\"|\"tsv\", delimiter and encoding")
    delimiter = fmt.get("delimiter", "\t" if fmt.get("kind") == "tsv" else ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise MappingError("format.delimiter must be one character")
    encoding = fmt.get("encoding", "utf-8-sig")
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise MappingError(f"format.encoding: unknown encoding {encoding!r}") from None
    return delimiter, encoding


def _source_id(spec: dict) -> SourceId:
    if isinstance(spec, dict) and set(spec) == {"column"} and isinstance(spec["column"], str):
        return SourceId(spec["column"], ())
    if (isinstance(spec, dict) and set(spec) == {"hash"} and isinstance(spec["hash"], list)
            and spec["hash"]):
        return SourceId(None, tuple(spec["hash"]))
    raise MappingError("source_id needs either column = \"…\" or hash = [\"…\", …]")


def _check_targets(node: Obj, schema: Schema, where: str) -> None:
    """Every key must be a field of the contract schema; required fields must be mapped."""
    for field_name, field in schema.fields.items():
        if field.required and node.child(field_name) is None:
            raise MappingError(f"{where}.{field_name} is required by the contract but not mapped")
    for key, child in node.children:
        field = schema.fields.get(key)
        if field is None:
            raise MappingError(f"{where}.{key} is not a field of {type(schema).__name__}")
        if isinstance(child, Obj):
            if not isinstance(field, fields.Nested):
                raise MappingError(f"{where}.{key} is a single value, not an object")
            _check_targets(child, field.schema, f"{where}.{key}")


def read_records(mapping: Mapping, datasets_root: str | Path, *, validate: bool = False,
                 gazetteer_root: str | Path | None = None) -> Iterator[ImportRecord | RowError]:
    """Every data row of the mapping's file as an ``ImportRecord`` or a ``RowError``, in order.

    Blank lines are not rows; every other row yields exactly one item. With ``validate`` each
    record is also loaded through the contract schemas and a failure becomes a ``RowError``
    (costs a marshmallow pass per row; the ingest edge validates anyway).

    :raise MappingError: when the file lacks a column the mapping reads.
    :raise OSError, UnicodeDecodeError: when the file cannot be read at all.
    """
    root = Path(datasets_root)
    # the gazetteer ships with the product's data even when a department's file lies elsewhere
    run = Run(ParseContext(Path(gazetteer_root) if gazetteer_root else root))
    with open(root / mapping.file, encoding=mapping.encoding, newline="") as f:
        reader = csv.reader(f, delimiter=mapping.delimiter)
        header = next(reader, None)
        if header is None:
            raise MappingError(f"{mapping.file} has no header row")
        missing = mapping.columns() - set(header)
        if missing:
            raise MappingError(
                f"{mapping.path.name}: {mapping.file} lacks column(s) {sorted(missing)}")
        previous = reader.line_num
        while True:
            # records may span lines (quoted newlines): a row starts after the previous one ended
            line = previous + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # e.g. an oversized field: the reader resumes on the next line
                previous = reader.line_num
                yield RowError(line, f"unreadable row: {exc}")
                continue
            previous = reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                if len(row) < len(header) or any(cell.strip() for cell in row[len(header):]):
                    yield RowError(line, f"expected {len(header)} fields, found {len(row)}")
                    continue
            item = mapping.build(line, dict(zip(header, row)), run)
            if validate and isinstance(item, ImportRecord):
                item = validate_record(item) or item
            yield item


def validate_record(record: ImportRecord) -> RowError | None:
    """The record checked against the contract schemas: None when valid, else a RowError."""
    activity_schema, provider_schema = _schemas()
    try:
        activity_schema.load(record.activity)
        if record.provider is not None:
            provider_schema.load(record.provider)
    except ValidationError as exc:
        return RowError(record.line, f"invalid record: {exc.messages}", record.source_id)
    return None


@functools.cache
def _schemas() -> tuple[Schema, Schema]:
    return ActivityFieldsSchema(), ProviderFieldsSchema()
