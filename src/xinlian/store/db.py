"""Engines and sessions for the one configured database.

``open_db(url)`` gives a ``Database`` holding the engine and a session factory; ``Database.session()`` is a
context manager that commits on success and rolls back on error, so every write is transactional. SQLite gets
WAL, ``synchronous=FULL`` (configurable), foreign keys and a busy timeout on every connection.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from xinlian.settings import get_settings


def _sqlite_pragmas(synchronous: str):
    def on_connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # sql-ok: synchronous is the Literal setting FULL or NORMAL
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    return on_connect


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url`` with the settings xinlian relies on."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(get_settings().sqlite_synchronous))
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


@dataclass
class Database:
    url: str
    engine: Engine
    factory: sessionmaker

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        s = self.factory()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_db(url: str | None = None, *, upgrade: bool = True) -> Database:
    """Open the database at ``url`` (default: the configured one), bringing its schema up to date."""
    url = url or get_settings().database_url
    engine = make_engine(url)
    if upgrade:
        from xinlian.store.migrate import upgrade as do_upgrade

        do_upgrade(engine)
    return Database(url=url, engine=engine, factory=sessionmaker(engine, expire_on_commit=False))
