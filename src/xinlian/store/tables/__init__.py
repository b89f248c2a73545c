"""All tables. Importing this package registers every table module on ``Base.metadata``.

A new area adds its module to ``MODULES``; the migration test then asks for a regenerated migration.
"""

from importlib import import_module

from xinlian.store.tables.base import Base

MODULES = ["files", "search", "registry"]
OPTIONAL = ["news", "facts", "work", "auth", "reports"]  # added by later stages; imported when present

for _m in MODULES:
    import_module(f"xinlian.store.tables.{_m}")
for _m in OPTIONAL:
    try:
        import_module(f"xinlian.store.tables.{_m}")
    except ModuleNotFoundError as exc:  # the module is not written yet
        if exc.name != f"xinlian.store.tables.{_m}":
            raise

__all__ = ["Base"]
