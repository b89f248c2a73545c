"""等保 三员 (checklist 4): the system, security and audit administrators each hold one duty and none of the others';
``admin`` is refused at security_level 3; the audit log can be read by the audit admin only and edited by nobody."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text


def _set_level(monkeypatch, level: int) -> None:
    from xinlian.settings import reset_settings

    monkeypatch.setenv("XINLIAN_SECURITY_LEVEL", str(level))
    reset_settings()


def test_each_admin_holds_exactly_one_duty_and_no_work_rights():
    from xinlian.users.roles import ADMIN_DUTIES, THREE_ADMINS, grants

    held = {}
    for role in THREE_ADMINS:
        duties = {d for d in ADMIN_DUTIES if grants(role, d, level=2)}
        assert len(duties) == 1, (role, duties)
        held[role] = duties.pop()
        assert not grants(role, "write", level=2) and not grants(role, "sensitive", level=2), role
    assert held == {"sys_admin": "system", "sec_admin": "users", "audit_admin": "audit"}
    # no other role holds any administrator duty, except the level-2 superuser
    from xinlian.users.roles import ROLES

    for role in ROLES:
        if role not in THREE_ADMINS and role != "admin":
            assert not any(grants(role, d, level=2) for d in ADMIN_DUTIES), role


def test_admin_superuser_exists_only_below_level_3():
    from xinlian.users.roles import PERMISSIONS, check_role, grants

    assert all(grants("admin", p, level=2) for p in PERMISSIONS)
    assert [p for p in PERMISSIONS if grants("admin", p, level=3)] == ["anon"]
    assert check_role("admin", level=2) == "admin"
    with pytest.raises(ValueError, match="三员"):
        check_role("admin", level=3)
    for role in ("sys_admin", "sec_admin", "audit_admin", "analyst", "viewer"):
        assert check_role(role, level=3) == role
    with pytest.raises(ValueError):
        check_role("root", level=2)


def _cli(*args, input=None):
    from typer.testing import CliRunner

    from xinlian.cli import _load_areas, app

    _load_areas()
    return CliRunner().invoke(app, list(args), input=input)


def test_cli_creates_the_three_admins_and_refuses_admin_at_level_3(sqlite_db, monkeypatch):
    for name, role in (("xt", "sys_admin"), ("aq", "sec_admin"), ("sj", "audit_admin")):
        r = _cli("user", "create", name, "--role", role, "--password-stdin", input="Lan-Tian 7 Hao\n")
        assert r.exit_code == 0, r.output
    r = _cli("user", "create", "qu", "--role", "viewer", "--region-scope", "320412", "--password-stdin",
             input="Lan-Tian 7 Hao\n")
    assert r.exit_code == 0, r.output
    r = _cli("user", "create", "bad", "--region-scope", "32x", "--password-stdin", input="Lan-Tian 7 Hao\n")
    assert r.exit_code == 1
    _set_level(monkeypatch, 3)
    r = _cli("user", "create", "root", "--role", "admin", "--password-stdin", input="Lan-Tian 7 Hao\n")
    assert r.exit_code == 1 and "三员" in r.output
    assert _cli("user", "role", "xt", "admin").exit_code == 1
    users = {u["username"]: u["role"] for u in json.loads(_cli("user", "list", "--json").stdout)}
    assert users == {"xt": "sys_admin", "aq": "sec_admin", "sj": "audit_admin", "qu": "viewer"}
    from xinlian.store.tables.auth import User

    with sqlite_db.session() as s:
        assert s.query(User).filter_by(username="qu").one().region_scope == "320412"


def test_audit_admin_reads_the_log_but_cannot_change_users(web):
    from xinlian.store.tables.auth import User

    c = web.client("audit_admin")
    assert c.get("/admin/audit.json").status_code == 200
    target = web.ids["target"]
    for path, data in (("/admin/users", {"username": "x1", "password": "Lan-Tian 8 Hao", "role": "admin"}),
                       (f"/admin/users/{target}/role", {"role": "audit_admin"}),
                       (f"/admin/users/{target}/disable", None), (f"/admin/users/{target}/password",
                                                                 {"password": "Lan-Tian 9 Hao"})):
        assert web.post(c, path, data).status_code == 403, path
    assert c.get("/admin/users.json").status_code == 403
    with web.db.session() as s:
        u = s.get(User, target)
        assert (u.role, u.active) == ("viewer", True)
        assert s.query(User).filter_by(username="x1").count() == 0


def test_security_admin_manages_users_but_cannot_read_the_audit_log(web):
    from xinlian.store.tables.auth import User

    c = web.client("sec_admin")
    for path in ("/admin/audit", "/admin/audit.json"):
        assert c.get(path).status_code == 403
    r = web.post(c, "/admin/users", {"username": "newbie", "password": "Lan-Tian 8 Hao", "role": "analyst",
                                    "region_scope": "320412"})
    assert r.status_code == 303, r.text[:300]
    r = web.post(c, f"/admin/users/{web.ids['target']}/role", {"role": "audit_admin"})
    assert r.status_code == 303
    with web.db.session() as s:
        assert s.get(User, web.ids["target"]).role == "audit_admin"
        new = s.query(User).filter_by(username="newbie").one()
        assert (new.role, new.region_scope) == ("analyst", "320412")
    # an unknown role is a refusal, not a server error
    r = web.post(c, f"/admin/users/{web.ids['target']}/role", {"role": "root"})
    assert r.status_code == 400


def test_system_admin_holds_neither_users_nor_audit(web):
    c = web.client("sys_admin")
    assert c.get("/admin/users.json").status_code == 403
    assert c.get("/admin/audit.json").status_code == 403
    assert web.post(c, f"/admin/users/{web.ids['target']}/disable").status_code == 403
    assert web.post(c, "/projects", {"name": "系统管理员不应建项目"}).status_code == 403  # no work rights


def test_admins_see_sensitive_figures_masked(web):
    eid = web.ids["enterprises"][0]
    for role in ("sys_admin", "sec_admin", "audit_admin"):
        data = web.client(role).get(f"/enterprises/{eid}.json").json()
        assert data["figures_masked"] is True
        assert all(f["tax"] is None and f["output_value"] is None for f in data["figures"]), role


def test_nobody_can_edit_the_audit_log(web):
    from xinlian.web.access import iter_routes

    writes = [(p, m) for p, m in iter_routes(web.app) if "audit" in p and m != "GET"]
    assert writes == []  # no route changes the log
    web.client("audit_admin").get("/admin/audit.json")
    for stmt in ("UPDATE audit_log SET outcome = 'failure'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"):
            with web.db.engine.begin() as conn:
                conn.execute(text(stmt))


def test_admin_role_is_refused_at_level_3_in_the_web(web, monkeypatch):
    from xinlian.store.tables.auth import User

    admin = web.client("admin")  # logged in while the level is 2
    sec = web.client("sec_admin")
    assert admin.get("/admin/users.json").status_code == 200
    _set_level(monkeypatch, 3)
    monkeypatch.setattr(web.app.state.web.settings, "security_level", 3)  # the app reads its own settings
    for path in ("/admin/users.json", "/admin/audit.json", "/enterprises.json"):
        assert admin.get(path).status_code == 403, path
    r = web.post(sec, f"/admin/users/{web.ids['target']}/role", {"role": "admin"})
    assert r.status_code == 400
    with web.db.session() as s:
        assert s.get(User, web.ids["target"]).role == "viewer"


def test_users_page_offers_the_three_admins_and_no_admin_at_level_3(web, monkeypatch):
    c = web.client("sec_admin")
    roles = c.get("/admin/users.json").json()["roles"]
    assert {"sys_admin", "sec_admin", "audit_admin", "admin"} <= set(roles)
    _set_level(monkeypatch, 3)
    roles = c.get("/admin/users.json").json()["roles"]
    assert "admin" not in roles and {"sys_admin", "sec_admin", "audit_admin"} <= set(roles)
    assert "安全管理员" in c.get("/admin/users").text
