"""``xinlian user ...`` verbs over a real database (no default account; the first admin is made here)."""

from __future__ import annotations

import json

from typer.testing import CliRunner


def run(*args, input=None):
    from xinlian.cli import _load_areas, app

    _load_areas()
    return CliRunner().invoke(app, list(args), input=input)


def test_user_create_list_role_disable(sqlite_db):
    r = run("user", "create", "chief", "--role", "admin", "--password-stdin", input="Lan-Tian 7 Hao\n")
    assert r.exit_code == 0, r.output
    r = run("user", "create", "weak", "--password-stdin", input="123456\n")
    assert r.exit_code == 1 and "常见" in r.output
    r = run("user", "create", "chief", "--password-stdin", input="Lan-Tian 7 Hao\n")
    assert r.exit_code == 1
    r = run("user", "list", "--json")
    users = json.loads(r.stdout)
    assert [(u["username"], u["role"], u["active"]) for u in users] == [("chief", "admin", True)]
    assert run("user", "role", "chief", "analyst").exit_code == 0
    assert run("user", "disable", "chief").exit_code == 0
    users = json.loads(run("user", "list", "--json").stdout)
    assert users[0]["role"] == "analyst" and users[0]["active"] is False
    assert run("user", "role", "nobody", "viewer").exit_code == 1
    from xinlian.store.tables.auth import AuditLog

    with sqlite_db.session() as s:
        assert [a.action for a in s.query(AuditLog).order_by(AuditLog.id)] == ["user.create", "user.role",
                                                                                "user.disable"]


def test_serve_refuses_without_secret_in_production(sqlite_db, monkeypatch):
    from xinlian.settings import reset_settings

    monkeypatch.setenv("XINLIAN_MODE", "production")
    reset_settings()
    r = run("serve", "--port", "1")
    assert r.exit_code == 1 and "SECRET_KEY" in r.output
