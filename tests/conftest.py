"""Fixtures shared by every tier: settings on a temporary data dir, apps, clients, factories."""
from __future__ import annotations

from pathlib import Path

import pytest

from afterclasses.settings import Settings
from afterclasses_ingest.settings import IngestSettings
from afterclasses_search.settings import SearchSettings

ROOT = Path(__file__).resolve().parents[1]
DATASETS = Path(Settings.from_env().datasets_dir)  # beside the checkout, or AFTERCLASSES_DATASETS_DIR


@pytest.fixture
def datasets_root() -> Path:
    return DATASETS


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def ingest_settings(data_dir) -> IngestSettings:
    return IngestSettings(data_dir=data_dir, datasets_dir=str(DATASETS))


@pytest.fixture
def search_settings(data_dir) -> SearchSettings:
    return SearchSettings(data_dir=data_dir)


def server_url(env_var: str) -> str:
    """The URL of a real server for tests that need one.

    Skips when the variable is unset — except under CI=true, where the servers are started by
    `.ci/run` and a missing one is an error, never a skip.
    """
    import os

    value = os.environ.get(env_var)
    if value:
        return value
    if os.environ.get("CI") == "true":
        pytest.fail(f"{env_var} is unset under CI=true: the real server was not started")
    pytest.skip(f"{env_var} is unset (`make test` starts the real servers)")
