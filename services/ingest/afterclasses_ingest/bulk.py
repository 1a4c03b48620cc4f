"""Bulk import entry point: mapping files → importer → catalog, with a progress bar and report."""
from __future__ import annotations

import logging
import time
from pathlib import Path

from tqdm import tqdm

from afterclasses_ingest.adapters.store import CatalogStore
from afterclasses_ingest.domain.imports import import_records
from afterclasses_ingest.importer import MappingError, load_mapping, read_records, shipped_mappings

log = logging.getLogger(__name__)


def shipped() -> dict[str, Path]:
    """Shipped mappings by name (file stem), e.g. ``nyc-dycd``."""
    return {p.stem: p for p in shipped_mappings()}


def _count_rows(path: Path) -> int | None:
    try:
        with open(path, "rb") as f:
            return max(sum(1 for _ in f) - 1, 0)  # physical lines: an upper bound for the bar
    except OSError:
        return None


def import_mappings(store: CatalogStore, paths: list[Path], datasets_root: Path, *, progress: bool = True,
                    echo=print, gazetteer_root: Path | None = None) -> list[dict]:
    """Import each mapping's file (relative to ``datasets_root``); print a summary and the rows
    that could not be imported. Place lookups read ``gazetteer_root`` (default: datasets_root)."""
    reports = []
    for path in paths:
        started = time.perf_counter()
        try:
            mapping = load_mapping(path)
            records = read_records(mapping, datasets_root, gazetteer_root=gazetteer_root)
            with tqdm(total=_count_rows(datasets_root / mapping.file), unit="row", desc=mapping.source,
                      disable=not progress or None, leave=False) as bar:
                report = import_records(store, records, source=mapping.source, actor=f"import:{mapping.source}",
                                        progress=bar.update)
        except (MappingError, OSError, UnicodeDecodeError) as exc:
            echo(f"{path.name}: cannot import: {exc}")
            reports.append({"mapping": str(path), "fatal": str(exc)})
            continue
        result = report.as_dict()
        result["seconds"] = round(time.perf_counter() - started, 2)
        echo(f"{mapping.source}: {result['rows']} rows — {result['created']} new, {result['updated']} updated, "
             f"{result['unchanged']} unchanged, {len(result['errors'])} not imported ({result['seconds']} s)")
        for err in result["errors"][:20]:
            echo(f"  line {err['line']}: {err['reason']}")
        if len(result["errors"]) > 20:
            echo(f"  … {len(result['errors']) - 20} more in submission {result['submission_id']}")
        reports.append(result)
    return reports
