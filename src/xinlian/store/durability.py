"""Durability settings checked when xinlian starts: a database that can lose committed work is refused.

SQLite: WAL journal, ``synchronous`` FULL (NORMAL only when the operator chose it, see XINLIAN_SQLITE_SYNCHRONOUS),
foreign keys on. PostgreSQL: ``fsync``, ``synchronous_commit`` and ``full_page_writes`` all on — except in test
mode, where the throwaway test server turns them off for speed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from xinlian.settings import get_settings
from xinlian.store.db import Database


class DurabilityError(RuntimeError):
    pass


@dataclass
class Check:
    name: str
    value: str
    wanted: str
    ok: bool


def checks(db: Database, conn=None) -> list[Check]:
    """The durability settings as a connection sees them (default: a fresh connection of ``db``)."""
    if conn is None:
        with db.engine.connect() as fresh:
            return checks(db, fresh)
    out = []
    if db.dialect == "sqlite":
        mode = str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower()
        sync = int(conn.exec_driver_sql("PRAGMA synchronous").scalar())
        fk = int(conn.exec_driver_sql("PRAGMA foreign_keys").scalar())
        wanted_sync = {"FULL": 2, "NORMAL": 1}[get_settings().sqlite_synchronous]
        out += [Check("journal_mode", mode, "wal", mode == "wal"),
                Check("synchronous", str(sync), str(wanted_sync), sync >= wanted_sync),
                Check("foreign_keys", str(fk), "1", fk == 1)]
    else:
        for name in ("fsync", "synchronous_commit", "full_page_writes"):
            # sql-ok: name comes from the fixed tuple of setting names above
            value = conn.execute(text(f"SHOW {name}")).scalar()
            out.append(Check(name, value, "on", value == "on"))
    return out


def ensure_durable(db: Database) -> list[Check]:
    """Raise ``DurabilityError`` naming every unsafe setting (test mode only checks SQLite)."""
    found = checks(db)
    if get_settings().mode == "test" and db.dialect != "sqlite":
        return found
    bad = [c for c in found if not c.ok]
    if bad:
        raise DurabilityError("数据库持久性设置不安全 unsafe durability settings: " +
                              ", ".join(f"{c.name}={c.value} (应为 {c.wanted})" for c in bad))
    return found
