"""``xinlian user ...``: accounts of the web app (create, list, disable, set role, unlock)."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import typer

from xinlian.cli.app import app, console, fail, open_database, print_json

user_app = typer.Typer(help="用户 web users and roles", no_args_is_help=True)
app.add_typer(user_app, name="user")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("密码 password", hide_input=True)
    second = typer.prompt("再次输入 again", hide_input=True)
    if first != second:
        fail("两次输入的密码不一致 passwords differ")
    return first


@user_app.command("create")
def create(username: str, role: str = typer.Option(
               "viewer", help="viewer | analyst | sys_admin | sec_admin | audit_admin | admin (admin: level 2 only)"),
           display_name: str = typer.Option("", help="姓名"), department: str = typer.Option("", help="部门"),
           region_scope: str = typer.Option("", help="GB/T 2260 code: the user sees only firms and work of this "
                                            "region (empty: all)"),
           password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from stdin"),
           must_change: bool = typer.Option(False, help="force a password change at first login")):
    """Create a user (the first admin of an install is made this way; there is no default account)."""
    from xinlian.users.accounts import AccountError, create_user

    password = _read_password(password_stdin)
    db = open_database()
    try:
        with db.session() as s:
            from xinlian.users.scope import normalise

            user = create_user(s, username, password, role=role, display_name=display_name,
                               department=department or None, region_scope=normalise(region_scope),
                               must_change_password=must_change)
            print_json({"id": user.id, "username": user.username, "role": user.role})
    except (AccountError, ValueError) as exc:
        fail(str(exc))


@user_app.command("list")
def list_(json_: bool = typer.Option(False, "--json", help="JSON output")):
    """Every user with role and state."""
    from sqlalchemy import select

    from xinlian.store.tables.auth import User

    db = open_database()
    with db.session() as s:
        rows = [{"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
                 "active": u.active, "locked_until": u.locked_until, "last_login_at": u.last_login_at}
                for u in s.scalars(select(User).order_by(User.username))]
    if json_:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['username']:<20} {r['role']:<8} {'active' if r['active'] else 'disabled'}")


@contextmanager
def _user_session(username: str, *errors: type[Exception]):
    """The named user inside one write session; ``errors`` (and account errors) end the command with their text."""
    from xinlian.users import accounts

    db = open_database()
    try:
        with db.session() as s:
            user = accounts.get_user(s, username)
            if user is None:
                fail(f"没有用户 {username} no such user")
            yield s, user
    except (accounts.AccountError, ValueError, *errors) as exc:
        fail(str(exc))


def _change(username: str, action: str, **kw) -> None:
    from xinlian.users import accounts

    with _user_session(username) as (s, user):
        getattr(accounts, action)(s, user, **kw)
        print_json(accounts.snapshot(user))


@user_app.command("disable")
def disable(username: str):
    """Disable a user and end all of their sessions."""
    _change(username, "disable_user")


@user_app.command("enable")
def enable(username: str):
    _change(username, "enable_user")


@user_app.command("role")
def role(username: str, role: str = typer.Argument(
        ..., help="viewer | analyst | sys_admin | sec_admin | audit_admin | admin (admin: level 2 only)")):
    """Change a user's role."""
    _change(username, "set_role", role=role)


@user_app.command("unlock")
def unlock(username: str):
    """Unlock an account locked after failed logins."""
    _change(username, "unlock_user")


@user_app.command("password")
def password(username: str, password_stdin: bool = typer.Option(False, "--password-stdin"),
             must_change: bool = typer.Option(True, help="force a change at next login")):
    """Set a user's password (checked against the policy)."""
    _change(username, "change_password", new_password=_read_password(password_stdin), force_change=must_change)


totp_app = typer.Typer(help="动态口令 second login factor (security level 3)", no_args_is_help=True)
user_app.add_typer(totp_app, name="totp")


@totp_app.command("enrol")
def totp_enrol(username: str,
               replace: bool = typer.Option(False, "--replace", help="replace an existing secret (lost phone)"),
               algorithm: str = typer.Option("", help="sha1 | sm3 (default: XINLIAN_TOTP_ALGORITHM)")):
    """登记动态口令 Give USERNAME a one-time-code secret; prints it (base32) and an otpauth:// URI once."""
    from xinlian.crypto import CryptoError
    from xinlian.users import totp

    with _user_session(username, totp.TotpError, CryptoError) as (s, user):
        out = totp.enrol(s, user, replace=replace, algorithm=algorithm or None)
    print_json(out.as_dict())
    console.print("请当面交给用户录入手机或令牌；密钥不再显示 (shown once: hand it over in person, it is not kept "
                  "in clear)")


@totp_app.command("remove")
def totp_remove(username: str):
    """取消动态口令 Remove USERNAME's second factor (at level 3 they cannot log in until enrolled again)."""
    _change(username, "remove_totp")


@user_app.command("reseal")
def reseal(username: str):
    """重新封印 Accept USERNAME's row as it is and renew its integrity seal (after checking a reported mismatch,
    or after the master key changed)."""
    _change(username, "reseal_user")
