"""Alembic environment: the connection comes from xinlian.store.migrate, never from an ini file."""

from alembic import context

from xinlian.store.dialect import include_object
from xinlian.store.tables import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when alembic is run by hand
    from xinlian.store.db import make_engine
    from xinlian.settings import get_settings

    connection = make_engine(get_settings().database_url).connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
