from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def semeval_dir() -> Path:
    d = DATA / "semeval2023t3-en"
    if not d.is_dir():
        pytest.skip("../shared/data/semeval2023t3-en is not present")
    return d


@pytest.fixture(scope="session")
def ptc_dir() -> Path:
    d = DATA / "ptc"
    if not d.is_dir():
        pytest.skip("../shared/data/ptc is not present")
    return d
