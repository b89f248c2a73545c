"""The Typer application, its sub-commands and the helpers every verb shares (output, errors, progress)."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any, Iterator

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(help="芯链 xinlian: 产业链招商与研判 / industrial-chain intelligence", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
enterprise_app = typer.Typer(help="企业库 enterprise registry", no_args_is_help=True)
import_app = typer.Typer(help="导入表格 import sheets", no_args_is_help=True)
chain_app = typer.Typer(help="产业链 chain taxonomy and diagnosis", no_args_is_help=True)
db_app = typer.Typer(help="数据库 database schema", no_args_is_help=True)
app.add_typer(enterprise_app, name="enterprise")
app.add_typer(import_app, name="import")
app.add_typer(chain_app, name="chain")
app.add_typer(db_app, name="db")

console = Console(stderr=True)


def print_json(data: Any) -> None:
    """JSON on stdout, UTF-8, no ASCII escapes (Chinese stays readable)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def fail(message: str, code: int = 1) -> None:
    console.print(f"[bold red]错误 error:[/] {message}")
    raise typer.Exit(code)


@contextmanager
def progress(description: str, total: int | None = None, unit: str = "") -> Iterator:
    """A progress bar on stderr; yields ``advance(n=1)``. Quiet when stderr is not a terminal."""
    cols = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[rate]}")]
    with Progress(*cols, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(description, total=total, rate="")

        def advance(n: int = 1, rate: str = "") -> None:
            bar.update(task, advance=n, rate=rate)

        yield advance


def acting_user(user: str | None) -> str:
    """Who is acting, for the records a verb writes: ``--user`` or the login name of the shell."""
    if user:
        return user
    import getpass
    import os

    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return os.environ.get("USER") or "cli"


def open_database():
    """The configured database, for a CLI verb. A verb's committed ORM writes (a project moved, a demand closed)
    are announced to a running web app (``store.changes``), so its workers do not show older data for up to their
    cache time; imports announce themselves. The web app does not use this function: it marks its own writes."""
    from xinlian.store.db import open_db

    db = open_db()
    _announce_writes(db.factory)
    return db


def _announce_writes(factory) -> None:
    """After a commit of a session from ``factory`` that flushed anything: ``announce_change()``."""
    from sqlalchemy import event

    from xinlian.store.changes import announce_change

    @event.listens_for(factory, "after_flush")
    def _wrote(session, flush_context):
        session.info["xinlian_wrote"] = True

    @event.listens_for(factory, "after_commit")
    def _committed(session):
        if session.info.pop("xinlian_wrote", False):
            announce_change()

    @event.listens_for(factory, "after_rollback")
    def _rolled_back(session):
        session.info.pop("xinlian_wrote", None)
