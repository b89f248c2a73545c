"""Checklist 25 (ASVS 11.4.2): a stored password hash is moved to the configured scheme and parameters at the next
successful login, in both directions between argon2id and PBKDF2-HMAC-SM3 (the GM scheme, 密评 8.4 a), and when
the argon2id or PBKDF2 parameters change either way. A failed login never rewrites the hash."""

from __future__ import annotations

import pytest

from webdata import PASSWORD


@pytest.fixture
def configure(monkeypatch):
    """Set the hashing settings (cheap parameters: the tests hash many times)."""
    from xinlian.settings import reset_settings

    def apply(scheme="argon2id", memory=1024, time_cost=1, iterations=2000):
        monkeypatch.setenv("XINLIAN_PASSWORD_HASH", scheme)
        monkeypatch.setenv("XINLIAN_ARGON2_MEMORY_KIB", str(memory))
        monkeypatch.setenv("XINLIAN_ARGON2_TIME_COST", str(time_cost))
        monkeypatch.setenv("XINLIAN_PBKDF2_SM3_ITERATIONS", str(iterations))
        reset_settings()

    apply()
    return apply


def make_user(db, name="liwei"):
    from xinlian.users import accounts

    with db.session() as s:
        return accounts.create_user(s, name, PASSWORD, role="analyst").id


def stored(db, user_id) -> str:
    from xinlian.store.tables.auth import User

    with db.session() as s:
        return s.get(User, user_id).password_hash


def login(db, password=PASSWORD, name="liwei"):
    from xinlian.store.tables.auth import AuditLog
    from xinlian.users import accounts

    with db.session() as s:
        ok = accounts.authenticate(s, name, password).ok
    with db.session() as s:
        last = s.query(AuditLog).filter_by(action="login").order_by(AuditLog.id.desc()).first()
        return ok, last.detail


def test_argon2id_to_gm_scheme_and_back(db, configure):
    uid = make_user(db)
    first = stored(db, uid)
    assert first.startswith("$argon2id$")
    configure(scheme="pbkdf2_sm3", iterations=2000)
    assert login(db, "Wrong-Pass 1") == (False, "wrong password (1)")
    assert stored(db, uid) == first  # a failed login changes nothing
    ok, detail = login(db)
    gm = stored(db, uid)
    assert ok and detail == "password re-hashed (pbkdf2_sm3)" and gm.startswith("pbkdf2_sm3$2000$")
    assert PASSWORD not in gm
    assert login(db) == (True, None) and stored(db, uid) == gm  # already current: left alone
    configure(scheme="argon2id")
    ok, detail = login(db)
    assert ok and detail == "password re-hashed (argon2id)" and stored(db, uid).startswith("$argon2id$")


def test_changed_parameters_rehash_either_way(db, configure):
    uid = make_user(db)
    assert "m=1024,t=1" in stored(db, uid)
    configure(memory=2048, time_cost=2)
    assert login(db)[0] and "m=2048,t=2" in stored(db, uid)
    configure(memory=1024, time_cost=1)  # weaker parameters are applied too, as argon2's own check does
    assert login(db)[0] and "m=1024,t=1" in stored(db, uid)
    configure(scheme="pbkdf2_sm3", iterations=2000)
    assert login(db)[0] and stored(db, uid).startswith("pbkdf2_sm3$2000$")
    configure(scheme="pbkdf2_sm3", iterations=3000)
    assert login(db)[0] and stored(db, uid).startswith("pbkdf2_sm3$3000$")
    configure(scheme="pbkdf2_sm3", iterations=2000)
    assert login(db)[0] and stored(db, uid).startswith("pbkdf2_sm3$2000$")


def test_password_profile_is_policy_not_hashing(db, configure, monkeypatch):
    """dengbao/asvs decide which passwords are accepted; the stored hash stays what it was."""
    from xinlian.settings import reset_settings

    uid = make_user(db)
    before = stored(db, uid)
    monkeypatch.setenv("XINLIAN_PASSWORD_PROFILE", "asvs")
    reset_settings()
    assert login(db) == (True, None) and stored(db, uid) == before


def test_new_users_and_password_changes_use_the_configured_scheme(db, configure):
    from xinlian.store.tables.auth import User
    from xinlian.users import accounts, passwords

    configure(scheme="pbkdf2_sm3", iterations=2000)
    uid = make_user(db)
    assert stored(db, uid).startswith("pbkdf2_sm3$2000$")
    configure(scheme="argon2id")
    with db.session() as s:
        accounts.change_password(s, s.get(User, uid), "Qing-Shan 8 Lu")
    assert stored(db, uid).startswith("$argon2id$")
    assert passwords.verify_password(stored(db, uid), "Qing-Shan 8 Lu")
    assert not passwords.verify_password("pbkdf2_sm3$2000$zz$00", "x")  # malformed: false, no exception


def test_web_login_with_the_gm_scheme(sqlite_db, configure):
    from webdata import WebEnv, seed
    from xinlian.settings import get_settings
    from xinlian.store.tables.auth import User
    from xinlian.users.passwords import _hasher_for
    from xinlian.web.app import create_app

    ids = seed(sqlite_db, _hasher_for(1, 1024).hash(PASSWORD))
    configure(scheme="pbkdf2_sm3", iterations=2000)
    env = WebEnv(create_app(sqlite_db, get_settings()), sqlite_db, ids)
    c, r = env.login("viewer")
    assert r.status_code == 303
    with sqlite_db.session() as s:
        assert s.get(User, ids["viewer"]).password_hash.startswith("pbkdf2_sm3$2000$")
    c, r = env.login("viewer")  # and the GM hash verifies at the next login
    assert r.status_code == 303
