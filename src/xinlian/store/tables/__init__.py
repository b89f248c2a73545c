"""All tables. Importing this package registers every table module on ``Base.metadata``.

A new area adds its module to ``MODULES``; the migration test then asks for a regenerated migration.
"""

from importlib import import_module

from xinlian.store.tables.base import Base

MODULES = ["files", "search", "registry", "news", "facts", "work", "auth", "derived"]

for _m in MODULES:
    import_module(f"xinlian.store.tables.{_m}")

__all__ = ["Base"]
