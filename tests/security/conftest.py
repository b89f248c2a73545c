"""Fixtures shared by the security tests (fixtures only: helpers that tests import live in tests/support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from xinlian.crypto import get_provider
from xinlian.crypto.fields import generate_key_file
from xinlian.settings import reset_settings


@pytest.fixture
def key_file(tmp_path, monkeypatch) -> Path:
    """A fresh SM4 field key, configured as ``XINLIAN_FIELD_KEY_FILE``."""
    path = generate_key_file(tmp_path / "keys" / "field.key", get_provider("software"))
    monkeypatch.setenv("XINLIAN_FIELD_KEY_FILE", str(path))
    reset_settings()
    return path
