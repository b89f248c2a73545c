from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from xinlian.store.db import make_engine
from xinlian.store.dialect import include_object
from xinlian.store.migrate import current, downgrade, upgrade
from xinlian.store.tables import Base


def test_upgrade_gives_the_models_schema(db):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], (
        "models and migrations disagree; run `python -m xinlian.store.migrations.regen` "
        f"(before the first release) or add a migration: {diff[:5]}"
    )
    assert current(db.engine) == "0001"


def test_downgrade_and_upgrade_again(db_url):
    engine = make_engine(db_url)
    downgrade(engine, "base")
    assert "enterprise" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "enterprise" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_durability_pragmas(sqlite_db):
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
