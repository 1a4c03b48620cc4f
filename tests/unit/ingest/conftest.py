from pathlib import Path

import pytest

# the shared datasets live beside the repository: /work/main -> /work/shared/data
DATASETS_ROOT = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@pytest.fixture(scope="session")
def datasets_root() -> Path:
    if not DATASETS_ROOT.is_dir():
        pytest.skip(f"shared datasets not found at {DATASETS_ROOT}")
    return DATASETS_ROOT
