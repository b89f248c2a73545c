"""Test harness: every test that takes ``db`` runs twice, on a real SQLite file and on a real PostgreSQL 15
server that this harness starts itself (see tests/pg.py). Databases are cloned from a migrated template, so a
test starts from an empty, current schema in a few milliseconds."""

from __future__ import annotations

import itertools
import os
import shutil
import sys
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

os.environ.setdefault("XINLIAN_MODE", "test")
os.environ.setdefault("MPLBACKEND", "Agg")

from pg import find_pgbin, start_server  # noqa: E402
from support import ROOT, SHARED, shared_path  # noqa: E402,F401  (re-exported for old imports)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Each test gets its own XINLIAN_HOME and fresh settings."""
    from xinlian.settings import reset_settings

    monkeypatch.setenv("XINLIAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XINLIAN_MODE", "test")
    monkeypatch.delenv("XINLIAN_DB_URL", raising=False)
    monkeypatch.delenv("XINLIAN_AS_OF", raising=False)
    reset_settings()
    yield
    reset_settings()


# --- PostgreSQL ------------------------------------------------------------------------------------------------

_PG_MISSING = "PostgreSQL binaries not found: ALL POSTGRESQL TESTS ARE SKIPPED (install postgresql-15)"


@pytest.fixture(scope="session")
def pg_server():
    if find_pgbin() is None:
        warnings.warn(_PG_MISSING)
        print("\n" + "!" * 80 + "\n" + _PG_MISSING + "\n" + "!" * 80, file=sys.stderr)
        yield None
        return
    server = start_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server):
    if pg_server is None:
        return None
    from xinlian.store.db import make_engine
    from xinlian.store.migrate import upgrade

    pg_server.psql("CREATE DATABASE xl_template")
    engine = make_engine(pg_server.url("xl_template"))
    upgrade(engine)
    engine.dispose()
    return "xl_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    from xinlian.store.db import make_engine
    from xinlian.store.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


_counter = itertools.count()


def _new_db_url(kind: str, request, tmp_path) -> str:
    if kind == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "xinlian.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    server = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip(_PG_MISSING)
    template = request.getfixturevalue("pg_template")
    name = f"t_{os.getpid()}_{next(_counter)}"
    server.psql(f"CREATE DATABASE {name} TEMPLATE {template}")
    return server.url(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, monkeypatch):
    """URL of an empty, migrated database; the test runs once per backend."""
    from xinlian.settings import reset_settings

    url = _new_db_url(request.param, request, tmp_path)
    monkeypatch.setenv("XINLIAN_DB_URL", url)
    reset_settings()
    yield url
    if request.param == "postgres":  # free the disk now, not at the end of the session
        name = url.rsplit("/", 1)[1]
        request.getfixturevalue("pg_server").psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def db(db_url):
    """An open ``Database`` on an empty, migrated schema (SQLite and PostgreSQL)."""
    from xinlian.store.db import open_db

    database = open_db(db_url, upgrade=False)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(request, tmp_path, monkeypatch):
    """Only SQLite (for tests about SQLite itself)."""
    from xinlian.settings import reset_settings
    from xinlian.store.db import open_db

    url = _new_db_url("sqlite", request, tmp_path)
    monkeypatch.setenv("XINLIAN_DB_URL", url)
    reset_settings()
    database = open_db(url, upgrade=False)
    yield database
    database.dispose()
