from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "data" / "seeds"


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.skip("../shared/data/seeds is not present")
    return SEEDS


@pytest.fixture(scope="session")
def seed_path(seeds_dir):
    def find(prefix: str) -> Path:
        matches = sorted(seeds_dir.glob(f"{prefix}_*.txt"))
        if not matches:
            pytest.skip(f"seed {prefix} not present")
        return matches[0]

    return find


@pytest.fixture(scope="session")
def polnear_dir() -> Path:
    path = SHARED / "data" / "polnear"
    if not path.is_dir():
        pytest.skip("../shared/data/polnear is not present")
    return path
