"""Backup and restore of the whole database.

SQLite: the online backup API (a consistent copy even while others write), restored the same way into the live
file, then checked with ``PRAGMA integrity_check``. PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore
--clean --single-transaction`` (binaries from PATH or /usr/lib/postgresql/*/bin). ``table_checksums`` gives a
per-table row count and digest, used by the tests to prove a round trip loses nothing.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from xinlian.store.db import Database


class BackupError(RuntimeError):
    pass


def _sqlite_path(db: Database) -> str:
    return make_url(db.url).database


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for cand in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return cand
    raise BackupError(f"{name} not found: install the PostgreSQL client (postgresql-client-15)")


def _pg_args(db: Database) -> tuple[list[str], dict]:
    u = make_url(db.url)
    args = ["-h", u.host or str(u.query.get("host", "localhost")), "-p", str(u.port or 5432),
            "-U", u.username or "postgres", "-d", u.database]
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    return args, env


def backup(db: Database, target: str | Path) -> Path:
    """Write a backup of ``db`` to ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if db.dialect == "sqlite":
        src = sqlite3.connect(_sqlite_path(db))
        dst = sqlite3.connect(target)
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        args, env = _pg_args(db)
        proc = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "-f", str(target), *args],
                              env=env, capture_output=True, text=True)
        if proc.returncode:
            raise BackupError(f"pg_dump failed: {proc.stderr.strip()}")
    return target


def restore(db: Database, source: str | Path) -> None:
    """Replace the contents of ``db`` with the backup at ``source``."""
    source = Path(source)
    if not source.exists():
        raise BackupError(f"{source}: backup file not found")
    if db.dialect == "sqlite":
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            src.close()
            raise BackupError(f"{source}: the backup fails SQLite's integrity check")
        db.engine.dispose()
        dst = sqlite3.connect(_sqlite_path(db))
        try:
            with dst:
                src.backup(dst)
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("restored database fails SQLite's integrity check")
        finally:
            dst.close()
            src.close()
    else:
        db.engine.dispose()
        args, env = _pg_args(db)
        proc = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                               *args, str(source)], env=env, capture_output=True, text=True)
        if proc.returncode:
            raise BackupError(f"pg_restore failed: {proc.stderr.strip()}")


def table_checksums(db: Database) -> dict[str, tuple[int, str]]:
    """For every table: (row count, SHA-256 over its rows in primary-key order)."""
    out: dict[str, tuple[int, str]] = {}
    insp = inspect(db.engine)
    with db.engine.connect() as conn:
        for table in sorted(insp.get_table_names()):
            if table.startswith("search_fts") or table == "alembic_version":
                continue
            pk = insp.get_pk_constraint(table).get("constrained_columns") or []
            cols = [c["name"] for c in insp.get_columns(table) if c["name"] != "terms_arr"]
            order = ", ".join(f'"{c}"' for c in (pk or cols))
            # sql-ok: table and column names read from the database's own schema, quoted; no values
            rows = conn.execute(text(f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "{table}" '
                                     f"ORDER BY {order}"))
            h = hashlib.sha256()
            n = 0
            for row in rows:
                h.update(repr(tuple(_canon(v) for v in row)).encode())
                n += 1
            out[table] = (n, h.hexdigest())
    return out


def _canon(v):
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, (bytes, memoryview)):
        return hashlib.sha256(bytes(v)).hexdigest()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, bool):
        return int(v)
    return v
