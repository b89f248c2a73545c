"""Verbs for 等保/密评 set-up: make the field-encryption key, check the crypto backend's known answers."""

from __future__ import annotations

from pathlib import Path

import typer

from xinlian.cli.app import app, console, fail, print_json

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
