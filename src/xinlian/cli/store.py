"""Verbs for the database itself: schema upgrade, backup, restore."""

from __future__ import annotations

from pathlib import Path

import typer

from xinlian.cli.app import app, console, db_app, fail, open_database


@db_app.command("upgrade")
def upgrade_cmd():
    """升级数据库结构 Bring the database schema to the newest version."""
    from xinlian.settings import get_settings
    from xinlian.store.migrate import current

    db = open_database()
    console.print(f"{get_settings().database_url.split('@')[-1]}: schema {current(db.engine)}")


@app.command("backup")
def backup_cmd(file: Path = typer.Argument(..., help="备份文件 / backup file")):
    """备份数据库 Back up the whole database to FILE."""
    from xinlian.store.backup import BackupError, backup

    try:
        out = backup(open_database(), file)
    except BackupError as exc:
        fail(str(exc))
    console.print(f"备份完成 backup written: {out} ({out.stat().st_size:,} bytes)")


@app.command("restore")
def restore_cmd(file: Path = typer.Argument(..., help="备份文件 / backup file"),
                yes: bool = typer.Option(False, "--yes", help="不再确认 / do not ask")):
    """从备份恢复 Replace the database with the backup in FILE."""
    from xinlian.store.backup import BackupError, restore

    if not yes and not typer.confirm("恢复将覆盖当前数据库，继续？ Restore replaces the current database. Go on?"):
        raise typer.Exit(1)
    try:
        db = open_database()
        restore(db, file)
    except BackupError as exc:
        fail(str(exc))
    # a restore drops everything written since the backup: the restored database records who did it (等保 审计)
    from xinlian.cli.app import acting_user
    from xinlian.users import audit

    with db.session() as s:
        audit.record(s, None, "db.restore", ("database", file.name[:128]), username=acting_user(None),
                     detail=f"database replaced by the backup {file.name}; later changes are gone")
    console.print("恢复完成 restored.")
