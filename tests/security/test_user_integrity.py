"""密评 8.4 b (integrity of access-control data): each user row carries an HMAC-SM3 seal over its security
columns. The application's own changes keep it valid; a change made directly in the database refuses the login
and the live sessions of that user, with an audit row, until the security administrator reseals the row."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from webdata import PASSWORD, WebEnv, seed


@pytest.fixture
def web(db, monkeypatch):
    from xinlian.settings import get_settings, reset_settings
    from xinlian.users.passwords import _hasher_for
    from xinlian.web.app import create_app

    monkeypatch.setenv("XINLIAN_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("XINLIAN_ARGON2_TIME_COST", "1")
    reset_settings()
    ids = seed(db, _hasher_for(1, 1024).hash(PASSWORD))
    return WebEnv(create_app(db, get_settings()), db, ids)


def sql(db, stmt: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(stmt), params)


def integrity_rows(db) -> list[tuple[str, str]]:
    from xinlian.store.tables.auth import AuditLog

    with db.session() as s:
        return [(r.username, r.detail) for r in s.query(AuditLog).filter_by(action="user.integrity")
                .order_by(AuditLog.id)]


def test_role_raised_in_the_database_refuses_login_and_is_audited(web):
    sql(web.db, "UPDATE app_user SET role = 'admin' WHERE username = 'viewer'")
    _, r = web.login("viewer")
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    found = integrity_rows(web.db)
    assert len(found) == 1 and found[0][0] == "viewer" and "(login)" in found[0][1]
    from xinlian.users.audit import verify

    with web.db.session() as s:
        assert verify(s)["ok"]  # the refusal is part of the chain


def test_live_session_ends_when_the_row_is_edited(web):
    c = web.client("analyst")
    assert c.get("/account/password").status_code == 200
    sql(web.db, "UPDATE app_user SET region_scope = NULL, role = 'admin' WHERE username = 'analyst'")
    r = c.get("/dashboard.json")
    assert r.status_code == 401
    assert c.get("/dashboard.json").status_code == 401  # the session was ended: no second audit row
    found = integrity_rows(web.db)
    assert len(found) == 1 and found[0][0] == "analyst" and "(session)" in found[0][1]
    from xinlian.store.tables.auth import UserSession

    with web.db.session() as s:
        assert all(x.revoked for x in s.query(UserSession).filter_by(user_id=web.ids["analyst"]))


@pytest.mark.parametrize("stmt", [
    "UPDATE app_user SET region_scope = '110000' WHERE username = 'analyst'",
    "UPDATE app_user SET active = NOT active WHERE username = 'analyst'",
    "UPDATE app_user SET password_hash = password_hash || 'x' WHERE username = 'analyst'",
    "UPDATE app_user SET totp_secret = 'sm4gcm1:AAAA' WHERE username = 'analyst'",
    "UPDATE app_user SET integrity = NULL WHERE username = 'analyst'",
])
def test_every_sealed_column_is_covered(db, stmt):
    from xinlian.store.tables.auth import User
    from xinlian.users import accounts, integrity

    ids = seed(db, _cheap_hash())
    with db.session() as s:
        assert integrity.is_intact(s.get(User, ids["analyst"]))
    sql(db, stmt)
    with db.session() as s:
        assert not integrity.is_intact(s.get(User, ids["analyst"]))
        assert not accounts.authenticate(s, "analyst", PASSWORD).ok


def _cheap_hash() -> str:
    from xinlian.users.passwords import _hasher_for

    return _hasher_for(1, 1024).hash(PASSWORD)


def test_changes_through_the_application_keep_the_seal(web):
    from xinlian.store.tables.auth import User
    from xinlian.users import accounts, integrity

    with web.db.session() as s:
        user = s.get(User, web.ids["viewer"])
        accounts.set_role(s, user, "analyst")
    with web.db.session() as s:  # a fresh load, after the commit expired everything
        user = s.get(User, web.ids["viewer"])
        accounts.disable_user(s, user)
    with web.db.session() as s:
        user = s.get(User, web.ids["viewer"])
        accounts.enable_user(s, user)
        accounts.change_password(s, user, "Qing-Shan 8 Lu")
    with web.db.session() as s:
        assert integrity.is_intact(s.get(User, web.ids["viewer"]))
    _, r = web.login("viewer", "Qing-Shan 8 Lu")
    assert r.status_code == 303
    assert integrity_rows(web.db) == []


def test_an_application_write_does_not_launder_a_tampered_row(web):
    """Someone swaps in a hash they know; a later role change by the admin must not bless the row."""
    from xinlian.store.tables.auth import User
    from xinlian.users import accounts
    from xinlian.users.passwords import _hasher_for

    sql(web.db, "UPDATE app_user SET password_hash = :h WHERE username = 'analyst'",
        h=_hasher_for(1, 1024).hash("Attacker-Pass 9"))
    with web.db.session() as s:
        accounts.set_role(s, s.get(User, web.ids["analyst"]), "viewer")
    _, r = web.login("analyst", "Attacker-Pass 9")
    assert r.status_code == 401
    with web.db.session() as s:  # failed logins count on the row (unsealed columns) without resealing it
        assert s.get(User, web.ids["analyst"]).role == "viewer"


def run(*args):
    from xinlian.cli import _load_areas, app

    _load_areas()
    return CliRunner().invoke(app, list(args))


def test_security_admin_reseals_after_checking(sqlite_db, monkeypatch):
    from xinlian.settings import reset_settings
    from xinlian.store.tables.auth import AuditLog
    from xinlian.users import accounts

    monkeypatch.setenv("XINLIAN_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("XINLIAN_ARGON2_TIME_COST", "1")
    reset_settings()
    with sqlite_db.session() as s:
        accounts.create_user(s, "wangfang", PASSWORD, role="viewer")
    sql(sqlite_db, "UPDATE app_user SET role = 'analyst' WHERE username = 'wangfang'")
    with sqlite_db.session() as s:
        assert not accounts.authenticate(s, "wangfang", PASSWORD).ok
    r = run("user", "reseal", "wangfang")
    assert r.exit_code == 0, r.output
    with sqlite_db.session() as s:
        assert accounts.authenticate(s, "wangfang", PASSWORD).ok
        last = s.query(AuditLog).filter_by(action="user.reseal").one()
        assert last.after["role"] == "analyst" and "did not match" in last.detail
