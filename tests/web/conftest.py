"""Fixtures for the web tests: an app over the ``db`` fixture (SQLite and PostgreSQL) with one user per role and
a few fictional enterprises, and logged-in TestClients."""

from __future__ import annotations

import pytest

from webdata import PASSWORD, WebEnv, seed


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch):
    """argon2id with a small memory cost: the tests log in hundreds of times (production keeps 64 MiB)."""
    from xinlian.settings import reset_settings

    monkeypatch.setenv("XINLIAN_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("XINLIAN_ARGON2_TIME_COST", "1")
    reset_settings()


@pytest.fixture(scope="session")
def password_hash():
    from xinlian.users.passwords import _hasher_for

    return _hasher_for(1, 1024).hash(PASSWORD)


@pytest.fixture
def web(db, password_hash):
    from xinlian.settings import get_settings
    from xinlian.web.app import create_app

    ids = seed(db, password_hash)
    app = create_app(db, get_settings())
    return WebEnv(app, db, ids)


@pytest.fixture
def sqlite_web(sqlite_db, password_hash):
    from xinlian.settings import get_settings
    from xinlian.web.app import create_app

    ids = seed(sqlite_db, password_hash)
    app = create_app(sqlite_db, get_settings())
    return WebEnv(app, sqlite_db, ids)
