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
    from xinlian.store.db import open_db

    return open_db()
