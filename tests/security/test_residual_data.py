"""Residual data (checklist 24, 等保 剩余信息保护): a deleted sensitive value is gone from the SQLite file after
commit and checkpoint, because ``open_db`` sets ``PRAGMA secure_delete=ON``."""

from __future__ import annotations

from sqlalchemy import delete

from support import sqlite_file_bytes
from xinlian.store.tables.registry import Enterprise, EnterpriseFigure

MARK = "残留检查QZ7X9示例企业"


def _file_bytes(url: str) -> bytes:
    return sqlite_file_bytes(url.removeprefix("sqlite:///"))


def test_secure_delete_is_on_and_a_deleted_name_leaves_no_trace(sqlite_db):
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    with sqlite_db.session() as s:
        e = Enterprise(match_key="test:residual", name=MARK, name_norm=MARK, region_code="320412",
                       figures=[EnterpriseFigure(year=2025, tax=123456789.25)])
        s.add(e)
    with sqlite_db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    url = str(sqlite_db.engine.url)
    assert MARK.encode("utf-8") in _file_bytes(url)  # the check can fail: the name is in the file before
    with sqlite_db.session() as s:
        s.execute(delete(EnterpriseFigure))
        s.execute(delete(Enterprise).where(Enterprise.match_key == "test:residual"))
    with sqlite_db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert MARK.encode("utf-8") not in _file_bytes(url)
