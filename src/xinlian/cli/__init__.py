"""The ``xinlian`` command: one verb per step of the work, each a few lines over a library call.

Each area registers its verbs in its own module (``cli/registry.py``, ``cli/news.py`` …); ``main`` imports them
all. Every listing verb takes ``--json``.
"""

from __future__ import annotations

from importlib import import_module

from xinlian.cli.app import app

AREAS = ["registry", "store", "demo", "news", "chain", "work", "web", "report", "users", "links", "security", "labels"]


def _load_areas() -> None:
    for area in AREAS:
        try:
            import_module(f"xinlian.cli.{area}")
        except ModuleNotFoundError as exc:
            if exc.name != f"xinlian.cli.{area}":
                raise


def main() -> None:
    _load_areas()
    app()


__all__ = ["app", "main"]
