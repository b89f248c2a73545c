"""Fixtures local to the text-cleaning tests: where the shared real pages are, if present."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SEED = SHARED / "fixtures" / "seed" / "wujin-2025-03-06.txt"
SEED_EXPECTED = SHARED / "fixtures" / "seed" / "wujin-2025-03-06.expected.json"
GNE = SHARED / "corpora" / "gne-news-pages"
CONTRACT = SHARED / "contracts" / "article.schema.json"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: real pages live in ../shared beside the repository, not in it")
    return path


@pytest.fixture(scope="session")
def seed_path() -> Path:
    need(SEED_EXPECTED)
    return need(SEED)


@pytest.fixture(scope="session")
def gne_dir() -> Path:
    return need(GNE)
