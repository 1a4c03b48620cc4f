"""Typed, frozen settings built once from the environment.

Each service subclasses :class:`Settings`; defaults run the embedded mode (SQLite files under
``AFTERCLASSES_DATA_DIR``). Nobody else reads ``os.environ``.
"""
from __future__ import annotations

import dataclasses
import os
import typing
from pathlib import Path

ENV_PREFIX = "AFTERCLASSES_"


def _default_datasets_dir() -> str:
    # a checkout sits beside the shared data: <checkout>/../shared/data
    return str(Path(__file__).resolve().parents[2].parent / "shared" / "data")


def _convert(raw: str, kind: typing.Any, name: str):
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"{name}: expected a boolean, got {raw!r}")
    if kind is int:
        return int(raw)
    if kind is float:
        return float(raw)
    if kind is Path:
        return Path(raw)
    return raw


@dataclasses.dataclass(frozen=True)
class Settings:
    """Settings every service shares. Field ``foo_bar`` reads ``AFTERCLASSES_FOO_BAR``."""

    env: str = "development"  # development | production: development allows generated dev secrets
    data_dir: Path = Path("var")
    eventlog_backend: str = "sqlite"  # sqlite | kafka | memory
    eventlog_path: str = ""  # default: <data_dir>/eventlog.db
    kafka_bootstrap: str = "127.0.0.1:9092"  # host:port[,host:port…] when eventlog_backend=kafka
    kafka_partitions: int = 6  # partitions of the topics the adapter creates
    kafka_topic_prefix: str = ""  # namespaces topics and groups (several deployments, one cluster)
    log_level: str = "INFO"
    bind_host: str = "127.0.0.1"  # where `afterclasses run` binds the services
    web_port: int = 8000
    ingest_port: int = 8001
    search_port: int = 8002
    notify_port: int = 8003
    # the departments' files the shipped mappings read, and the gazetteer of places (ZIPs,
    # districts, metro) under <datasets_dir>/gazetteer
    datasets_dir: str = dataclasses.field(default_factory=_default_datasets_dir)

    @classmethod
    def from_env(cls, environ: typing.Mapping[str, str] | None = None, **overrides):
        """Build settings from ``environ`` (default ``os.environ``); ``overrides`` win."""
        environ = os.environ if environ is None else environ
        hints = typing.get_type_hints(cls)
        values = {}
        for field in dataclasses.fields(cls):
            key = ENV_PREFIX + field.name.upper()
            if key in environ:
                values[field.name] = _convert(environ[key], hints[field.name], key)
        values.update(overrides)
        return cls(**values)

    def path(self, configured: str, default_name: str) -> Path:
        """A file path setting: the configured value, or ``default_name`` under data_dir."""
        return Path(configured) if configured else Path(self.data_dir) / default_name

    @property
    def eventlog_file(self) -> Path:
        return self.path(self.eventlog_path, "eventlog.db")
