"""Login, lockout, rate limits, sessions and timeouts, password policy, audit trail (append-only on both DBs)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from webdata import PASSWORD


def rows(db, action=None):
    from xinlian.store.tables.auth import AuditLog

    with db.session() as s:
        q = s.query(AuditLog)
        if action:
            q = q.filter_by(action=action)
        return [dict(action=r.action, outcome=r.outcome, username=r.username, ip=r.ip, detail=r.detail,
                     before=r.before, after=r.after, at=r.at) for r in q.order_by(AuditLog.id)]


# --- login and lockout ------------------------------------------------------------------------------------------

def test_login_success_and_failure_are_audited(web):
    c, r = web.login("analyst")
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert c.get("/dashboard.json").status_code == 200
    _, r = web.login("analyst", "Wrong-Pass 1")
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    _, r = web.login("nobody", "Wrong-Pass 1")
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    logins = rows(web.db, "login")
    assert [x["outcome"] for x in logins] == ["success", "failure", "failure"]
    assert logins[0]["ip"] and logins[0]["at"] is not None
    assert logins[2]["username"] == "nobody" and logins[2]["detail"] == "unknown user"


def test_lockout_after_n_failures_then_timed_unlock(web):
    from xinlian.settings import get_settings
    from xinlian.store.tables.auth import User
    from xinlian.users import accounts

    n = get_settings().lockout_failures
    for _ in range(n):
        _, r = web.login("viewer", "Wrong-Pass 1")
        assert r.status_code == 401
    _, r = web.login("viewer")  # the right password fails while locked, with the same message
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    assert len(rows(web.db, "user.lockout")) == 1
    assert rows(web.db, "login")[-1]["detail"] == "locked"
    with web.db.session() as s:
        locked_until = accounts.as_utc(s.get(User, web.ids["viewer"]).locked_until)
    assert locked_until > datetime.now(timezone.utc) + timedelta(minutes=get_settings().lockout_minutes - 1)
    later = locked_until + timedelta(seconds=1)
    with web.db.session() as s:
        assert accounts.authenticate(s, "viewer", PASSWORD, now=later).ok


def test_admin_unlocks(web):
    for _ in range(5):
        web.login("viewer", "Wrong-Pass 1")
    r = web.post(web.client("admin"), f"/admin/users/{web.ids['viewer']}/unlock")
    assert r.status_code == 303
    _, r = web.login("viewer")
    assert r.status_code == 303
    unlock = rows(web.db, "user.unlock")[-1]
    assert unlock["username"] == "admin" and unlock["before"] is not None


def test_login_rate_limited_per_ip(sqlite_web):
    sqlite_web.app.state.web.login_ip_limiter.limit = 3
    codes = [sqlite_web.login(f"nobody{i}", "Wrong-Pass 1")[1].status_code for i in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
    assert any(r["detail"] == "rate limited" for r in rows(sqlite_web.db, "login"))


def test_login_rate_limited_per_account(sqlite_web):
    limiter = sqlite_web.app.state.web.login_account_limiter
    limiter.limit = 2
    codes = [sqlite_web.login("Target", "Wrong-Pass 1")[1].status_code for _ in range(3)]
    assert codes[-1] == 429


def test_open_redirect_refused(sqlite_web):
    c = sqlite_web.new_client()
    from webdata import csrf_of

    token = csrf_of(c.get("/login").text)
    for bad in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        r = c.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token,
                                   "next": bad}, follow_redirects=False)
        assert r.headers["location"] == "/", bad
        token = csrf_of(c.get("/account/password").text)
        c.cookies.clear()
        token = csrf_of(c.get("/login").text)


# --- sessions ---------------------------------------------------------------------------------------------------

def test_new_session_id_at_login_and_logout_ends_it(sqlite_web):
    c = sqlite_web.new_client()
    c, r = sqlite_web.login("viewer", client=c)
    first = c.cookies["xl_session"]
    c, r = sqlite_web.login("viewer", client=c)  # logging in again while logged in
    assert c.cookies["xl_session"] != first
    stale = sqlite_web.new_client()
    stale.cookies.set("xl_session", first)
    assert stale.get("/dashboard.json").status_code == 401
    old = c.cookies["xl_session"]
    r = sqlite_web.post(c, "/logout")
    assert r.status_code == 303
    replay = sqlite_web.new_client()
    replay.cookies.set("xl_session", old)
    assert replay.get("/dashboard.json").status_code == 401
    assert rows(sqlite_web.db, "logout")


def test_disabling_a_user_ends_their_sessions(web):
    victim = web.client("analyst")
    assert victim.get("/dashboard.json").status_code == 200
    r = web.post(web.client("admin"), f"/admin/users/{web.ids['analyst']}/disable")
    assert r.status_code == 303
    assert victim.get("/dashboard.json").status_code == 401
    _, r = web.login("analyst")
    assert r.status_code == 401
    d = rows(web.db, "user.disable")[-1]
    assert d["before"]["active"] is True and d["after"]["active"] is False


def test_idle_and_absolute_timeouts(sqlite_web):
    from xinlian.settings import get_settings

    s = get_settings()
    state = sqlite_web.app.state.web
    base = datetime.now(timezone.utc)
    state.now = lambda: base
    c, _ = sqlite_web.login("viewer")
    state.now = lambda: base + timedelta(minutes=s.session_idle_minutes - 1)
    assert c.get("/dashboard.json").status_code == 200
    state.now = lambda: base + timedelta(minutes=2 * s.session_idle_minutes - 3)
    assert c.get("/dashboard.json").status_code == 200  # kept alive by the last request
    state.now = lambda: base + timedelta(minutes=3 * s.session_idle_minutes + 1)
    assert c.get("/dashboard.json").status_code == 401  # idle too long

    state.now = lambda: base
    c, _ = sqlite_web.login("viewer")
    t = base
    while t < base + timedelta(hours=s.session_absolute_hours - 1):
        t += timedelta(minutes=s.session_idle_minutes - 5)
        state.now = lambda t=t: t
        assert c.get("/dashboard.json").status_code == 200
    state.now = lambda: base + timedelta(hours=s.session_absolute_hours, minutes=1)
    assert c.get("/dashboard.json").status_code == 401  # past the absolute lifetime


def test_must_change_password_blocks_other_pages(web):
    from webdata import csrf_of

    r = web.post(web.client("admin"), "/admin/users", {"username": "newbie", "password": "Qing-Shan 8 Lu",
                                                        "role": "analyst"})
    assert r.status_code == 303
    c, r = web.login("newbie", "Qing-Shan 8 Lu")
    assert r.headers["location"] == "/account/password"
    assert c.get("/dashboard", follow_redirects=False).headers["location"] == "/account/password"
    assert c.get("/dashboard.json").status_code == 403
    token = csrf_of(c.get("/account/password").text)
    r = c.post("/account/password", data={"current": "Qing-Shan 8 Lu", "new": "short", "confirm": "short",
                                          "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 400
    r = c.post("/account/password", data={"current": "Qing-Shan 8 Lu", "new": "Bai-Yun 9 Jian",
                                          "confirm": "Bai-Yun 9 Jian", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/dashboard.json").status_code == 200


# --- password policy --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("password,codes", [
    ("Ab1!", {"password.too_short"}),
    ("alllowercase", {"password.classes"}),
    ("abcdefg1", {"password.classes"}),
    ("P@ssw0rd", {"password.common"}),
    ("Admin@123", {"password.common", "password.context"}),
    ("Xinlian-2026", {"password.context"}),
    ("Lan-Tian 7 Hao", set()),
    ("a long passphrase of sixty-four characters or more, 7 bridges over water!", set()),
])
def test_password_policy_dengbao(password, codes):
    from xinlian.users.passwords import check_password

    assert {p.code for p in check_password(password)} == codes


def test_password_policy_asvs_and_username_context():
    from xinlian.users.passwords import check_password

    assert check_password("alllowercase but long", profile="asvs") == []
    assert {p.code for p in check_password("Zhang.San-2026", context=("zhang.san",))} == {"password.context"}


def test_hash_is_argon2id_and_no_plaintext_stored(web):
    from xinlian.store.tables.auth import User
    from xinlian.users import accounts

    with web.db.session() as s:
        u = accounts.create_user(s, "hashcheck", "Lan-Tian 7 Hao")
        assert u.password_hash.startswith("$argon2id$")
    with web.db.engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM app_user")) for v in row)
        dump += " ".join(str(v) for row in conn.execute(text("SELECT * FROM audit_log")) for v in row)
    assert "Lan-Tian 7 Hao" not in dump
    assert User  # imported for the table


def test_demo_user_only_in_demo_or_test_mode(sqlite_db, monkeypatch):
    from xinlian.settings import reset_settings
    from xinlian.users import accounts

    username, password = accounts.ensure_demo_user(sqlite_db)
    with sqlite_db.session() as s:
        assert accounts.authenticate(s, username, password).ok
    username2, password2 = accounts.ensure_demo_user(sqlite_db)
    assert password2 != password
    monkeypatch.setenv("XINLIAN_MODE", "production")
    reset_settings()
    with pytest.raises(accounts.AccountError):
        accounts.ensure_demo_user(sqlite_db)


def test_no_default_account(sqlite_db):
    from xinlian.users import accounts

    with sqlite_db.session() as s:
        for name, pw in (("admin", "admin"), ("admin", "admin123"), ("demo", "demo"), ("root", "root")):
            assert not accounts.authenticate(s, name, pw).ok


def test_production_needs_a_secret_key(sqlite_db, monkeypatch):
    from xinlian.settings import get_settings, reset_settings
    from xinlian.web.app import create_app

    monkeypatch.setenv("XINLIAN_MODE", "production")
    reset_settings()
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(sqlite_db, get_settings())


# --- audit trail ------------------------------------------------------------------------------------------------

def test_admin_writes_are_audited_with_before_and_after(web):
    admin = web.client("admin")
    r = web.post(admin, f"/admin/users/{web.ids['target']}/role", {"role": "analyst"})
    assert r.status_code == 303
    change = rows(web.db, "user.role")[-1]
    assert change["username"] == "admin" and change["outcome"] == "success"
    assert change["before"]["role"] == "viewer" and change["after"]["role"] == "analyst"
    r = web.post(admin, "/admin/users", {"username": "auditme", "password": "Qing-Shan 8 Lu", "role": "viewer"})
    assert r.status_code == 303
    created = rows(web.db, "user.create")[-1]
    assert created["after"]["username"] == "auditme"
    assert "argon2" not in str(created["after"]) and "Qing-Shan" not in str(created["after"])
    r = web.post(admin, "/admin/users", {"username": "weak", "password": "123456", "role": "viewer"})
    assert r.status_code == 400 and "密码过于常见" in r.text
    data = admin.get("/admin/audit.json?action=user.role").json()
    assert data["total"] == 1 and data["items"][0]["after"]["role"] == "analyst"


def test_audit_log_is_append_only(db):
    from xinlian.store.tables.auth import AuditLog
    from xinlian.users import audit

    with db.session() as s:
        audit.record(s, None, "test.event", ("thing", 1), username="x\r\nforged-line")
    with db.session() as s:
        row = s.query(AuditLog).one()
        assert "\n" not in row.username and "\\x0a" in row.username
    for stmt in ("UPDATE audit_log SET outcome = 'failure'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(stmt))
    if db.dialect == "postgresql":
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text("TRUNCATE audit_log"))
    with db.session() as s:
        assert s.query(AuditLog).count() == 1 and s.query(AuditLog).one().outcome == "success"


def test_expired_password_must_be_changed(sqlite_web):
    from xinlian.settings import get_settings
    from xinlian.store.tables.auth import User

    days = get_settings().password_max_age_days
    with sqlite_web.db.session() as s:
        s.get(User, sqlite_web.ids["viewer"]).password_changed_at = datetime.now(timezone.utc) - timedelta(days=days + 1)
    c, r = sqlite_web.login("viewer")
    assert r.headers["location"] == "/account/password"
    assert c.get("/enterprises", follow_redirects=False).headers["location"] == "/account/password"
    assert c.get("/account/password").status_code == 200


def test_json_never_carries_nan(web):
    from xinlian.store.tables.registry import EnterpriseFigure

    with web.db.session() as s:
        s.add(EnterpriseFigure(enterprise_id=web.ids["enterprises"][0], year=2022, output_value=float("nan")))
    r = web.client("admin").get(f"/enterprises/{web.ids['enterprises'][0]}.json")
    assert r.status_code == 200 and "NaN" not in r.text
    assert r.json()["figures"][0]["output_value"] is None
    html = web.client("admin").get(f"/enterprises/{web.ids['enterprises'][0]}").text
    assert "NaN" not in html.split('id="figures-data">')[1].split("</script>")[0]
