"""Helpers shared by tests in several folders. Import them from here, never ``from conftest import``: with one
conftest.py per folder, the module named ``conftest`` at test time is whichever was imported last."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with a clear message when ../shared is absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"../shared is absent ({p} not found): this test reads real pages that are not shipped")
    return p


def sqlite_file_bytes(path: str | Path) -> bytes:
    """What a SQLite database holds on disk: its file, then its WAL and rollback journal when present."""
    path = Path(path)
    data = path.read_bytes()
    for side in ("-wal", "-journal"):
        extra = path.with_name(path.name + side)
        if extra.exists():
            data += extra.read_bytes()
    return data
