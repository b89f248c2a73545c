"""Verbs for 等保/密评 set-up: make the field-encryption key, check the crypto backend's known answers; and the
audit log's chain check and retention purge (``xinlian audit verify|purge``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from xinlian.cli.app import acting_user, app, console, fail, open_database, print_json

security_app = typer.Typer(help="安全 security (等保/密评): keys and crypto checks", no_args_is_help=True)
app.add_typer(security_app, name="security")


@security_app.command("keygen")
def keygen_cmd(file: Path = typer.Argument(..., help="密钥文件 / key file to create (mode 0600)")):
    """生成字段加密密钥 Write a new random SM4 key for encrypted fields to FILE (never overwrites)."""
    from xinlian.crypto import CryptoError, get_provider
    from xinlian.crypto.fields import generate_key_file

    try:
        out = generate_key_file(file, get_provider())
    except (CryptoError, NotImplementedError) as exc:
        fail(str(exc))
    console.print(f"已生成 {out}；请设置 XINLIAN_FIELD_KEY_FILE={out.resolve()} 并另行备份该文件（丢失即无法解密）")


@security_app.command("selftest")
def selftest_cmd(json_out: bool = typer.Option(False, "--json", help="JSON output")):
    """密码算法自检 Check the crypto backend against the SM3 and SM4 known-answer vectors."""
    from xinlian.crypto import get_provider
    from xinlian.crypto.selftest import run_selftest

    try:
        results = run_selftest(get_provider())
    except NotImplementedError as exc:
        fail(str(exc))
    if json_out:
        print_json(results)
    else:
        for r in results:
            console.print(f"{'通过' if r['ok'] else '失败'}  {r['check']}")
    if not all(r["ok"] for r in results):
        raise typer.Exit(1)


@security_app.command("encrypt-figures")
def encrypt_figures_cmd(user: str = typer.Option(None, "--user", help="操作人 who is acting (default: shell login)"),
                        json_out: bool = typer.Option(False, "--json", help="JSON output")):
    """加密存量金额 Convert a level-2 database: seal every tax/output/revenue/R&D figure still in clear with SM4-GCM,
    in one transaction (needs XINLIAN_FIELD_KEY_FILE); then set XINLIAN_SECURITY_LEVEL=3."""
    from xinlian.cli.app import acting_user, open_database
    from xinlian.crypto import CryptoError
    from xinlian.registry.sensitive import encrypt_all

    try:
        result = encrypt_all(open_database(), actor=acting_user(user))
    except (CryptoError, NotImplementedError) as exc:
        fail(str(exc))
    if json_out:
        print_json(result)
    else:
        console.print(f"已加密 {result['rows_encrypted']} 行；明文剩余 {result['rows_in_clear']} 行。"
                      "请设置 XINLIAN_SECURITY_LEVEL=3")


@security_app.command("decrypt-figures")
def decrypt_figures_cmd(confirm: bool = typer.Option(False, "--confirm", help="确认把金额还原为明文"),
                        user: str = typer.Option(None, "--user", help="操作人 who is acting (default: shell login)"),
                        json_out: bool = typer.Option(False, "--json", help="JSON output")):
    """还原明文金额 The explicit way back to level 2: put the encrypted figures back in clear, in one transaction.
    Refused without --confirm and while XINLIAN_SECURITY_LEVEL is 3."""
    from xinlian.cli.app import acting_user, open_database
    from xinlian.crypto import CryptoError
    from xinlian.registry.sensitive import FigureStorageError, decrypt_all

    try:
        result = decrypt_all(open_database(), confirm=confirm, actor=acting_user(user))
    except (CryptoError, FigureStorageError, NotImplementedError) as exc:
        fail(str(exc))
    if json_out:
        print_json(result)
    else:
        console.print(f"已还原 {result['rows_decrypted']} 行为明文")


audit_app = typer.Typer(help="审计日志 audit log: chain check and retention purge", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify_cmd(json_out: bool = typer.Option(False, "--json", help="JSON output")):
    """校验审计链 Walk the HMAC-SM3 chain of the audit log; exit 1 and name the first broken row if it does not hold."""
    from xinlian.users.audit import verify

    db = open_database()
    with db.session() as s:
        report = verify(s)
    if json_out:
        print_json(report)
    elif report["ok"]:
        console.print(f"审计链完整 chain ok: {report['rows']} 行，最新 {report['head']['last_id']} "
                      f"{report['head']['last_chain']}")
    else:
        console.print(f"审计链在第 {report['first_bad_id']} 行断开 chain broken at row {report['first_bad_id']}: "
                      f"{report['reason']}")
    if not report["ok"]:
        raise typer.Exit(1)


@audit_app.command("purge")
def audit_purge_cmd(before: datetime = typer.Option(..., "--before", formats=["%Y-%m-%d"],
                                                    help="delete rows older than this date (00:00 UTC)"),
                    user: str = typer.Option("", help="who purges, for the audit row (default: the shell user)")):
    """清理过期审计记录 Delete audit rows older than DATE; refuses anything inside XINLIAN_AUDIT_RETENTION_DAYS
    (≥ 180) and a chain that does not verify. The purge itself is audited and keeps the chain checkable."""
    from xinlian.users.audit import AuditError, purge

    db = open_database()
    try:
        with db.session() as s:
            summary = purge(s, before.date(), username=acting_user(user or None))
    except AuditError as exc:
        fail(str(exc))
    print_json(summary)
