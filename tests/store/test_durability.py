import pytest

from xinlian.settings import reset_settings
from xinlian.store.durability import DurabilityError, checks, ensure_durable


def test_sqlite_is_durable(sqlite_db):
    assert all(c.ok for c in ensure_durable(sqlite_db))


def test_test_postgres_server_is_reported_as_not_durable(db, monkeypatch):
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    found = {c.name: c.ok for c in checks(db)}
    assert found == {"fsync": False, "synchronous_commit": False, "full_page_writes": False}
    monkeypatch.setenv("XINLIAN_MODE", "production")
    reset_settings()
    with pytest.raises(DurabilityError, match="fsync=off"):
        ensure_durable(db)


def test_sqlite_without_wal_or_sync_is_flagged(sqlite_db):
    with sqlite_db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        bad = {c.name: c.value for c in checks(sqlite_db, conn) if not c.ok}
    assert bad == {"journal_mode": "delete", "synchronous": "0"}
