"""Checklist 11 (等保 身份鉴别 d): at security level 3 a login needs a one-time code; each code works once and only
within one 30-second step either side of now. Codes are computed here from the enrolled secret and the app's clock
is set by the test (``app.state.web.now``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from webdata import PASSWORD, WebEnv, csrf_of, seed
from xinlian.crypto import get_provider, otp

T0 = datetime(2026, 3, 2, 9, 0, 10, tzinfo=timezone.utc)  # 10 s into a step


@pytest.fixture
def key_file(tmp_path):
    from xinlian.crypto.fields import generate_key_file

    return generate_key_file(tmp_path / "keys" / "field.key", get_provider("software"))


@pytest.fixture
def level3(db, key_file, monkeypatch):
    """The web app at 等保 level 3 over both databases, with the clock at ``T0``."""
    from xinlian.settings import get_settings, reset_settings
    from xinlian.users.passwords import _hasher_for
    from xinlian.web.app import create_app

    monkeypatch.setenv("XINLIAN_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("XINLIAN_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("XINLIAN_FIELD_KEY_FILE", str(key_file))
    monkeypatch.setenv("XINLIAN_SECURITY_LEVEL", "3")
    reset_settings()
    ids = seed(db, _hasher_for(1, 1024).hash(PASSWORD))
    env = WebEnv(create_app(db, get_settings()), db, ids)
    env.app.state.web.now = lambda: T0
    return env


def at(env, when: datetime) -> None:
    env.app.state.web.now = lambda: when


def enrol(env, username: str, algorithm: str | None = None) -> bytes:
    from xinlian.users import accounts, totp

    with env.db.session() as s:
        e = totp.enrol(s, accounts.get_user(s, username), algorithm=algorithm)
    return otp.from_base32(e.secret)


def code(secret: bytes, when: datetime, shift: int = 0, algorithm: str = "sha1") -> str:
    return otp.code_at(secret, otp.time_step(when) + shift, algorithm=algorithm)


def login(env, username: str, one_time: str | None, password: str = PASSWORD):
    c = env.new_client()
    data = {"username": username, "password": password, "csrf_token": csrf_of(c.get("/login").text)}
    if one_time is not None:
        data["code"] = one_time
    return c, c.post("/login", data=data, follow_redirects=False)


def logins(db) -> list[tuple[str, str | None]]:
    from xinlian.store.tables.auth import AuditLog

    with db.session() as s:
        return [(r.outcome, r.detail) for r in s.query(AuditLog).filter_by(action="login").order_by(AuditLog.id)]


# --- the algorithms -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seconds, eight_digits", [
    (59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"), (1234567890, "89005924"),
    (2000000000, "69279037"), (20000000000, "65353130"),
])
def test_sha1_codes_match_rfc_6238_appendix_b(seconds, eight_digits):
    secret = b"12345678901234567890"
    assert otp.code_at(secret, otp.time_step(seconds), digits=8) == eight_digits
    assert otp.code_at(secret, otp.time_step(seconds)) == eight_digits[2:]


def test_sm3_codes_are_six_digits_keyed_and_step_bound():
    secret = bytes(range(20))
    a = otp.code_at(secret, 1000, algorithm="sm3")
    assert len(a) == 6 and a.isdigit()
    assert a == otp.code_at(secret, 1000, algorithm="sm3")
    assert otp.code_at(secret, 1001, algorithm="sm3") != a
    assert otp.code_at(bytes(20), 1000, algorithm="sm3") != a
    # SM3(K || T) folded by adding the digest's eight 32-bit words, mod 10^6: recomputed by hand
    digest = get_provider("software").sm3(secret + (1000).to_bytes(8, "big"))
    folded = sum(int.from_bytes(digest[i:i + 4], "big") for i in range(0, 32, 4)) % 2 ** 32
    assert a == str(folded % 10 ** 6).zfill(6)


def test_match_step_window_and_reuse():
    secret = b"12345678901234567890"
    now = otp.time_step(T0)
    for shift, accepted in ((-2, False), (-1, True), (0, True), (1, True), (2, False)):
        got = otp.match_step(secret, code(secret, T0, shift), T0)
        assert (got == now + shift) if accepted else got is None
    assert otp.match_step(secret, code(secret, T0), T0, last_step=now) is None
    assert otp.match_step(secret, code(secret, T0), T0, last_step=now - 1) == now
    for junk in ("", "12345", "1234567", "abcdef", "１２３４５６"):
        assert otp.match_step(secret, junk, T0) is None
    uri = otp.otpauth_uri(secret, "张三")
    assert uri.startswith("otpauth://totp/xinlian%3A") and f"secret={otp.to_base32(secret)}" in uri
    assert "algorithm=SHA1" in uri and "digits=6" in uri and "period=30" in uri


# --- login at level 3 ----------------------------------------------------------------------------------------------

def test_level3_login_needs_a_code_and_each_code_works_once(level3):
    secret = enrol(level3, "analyst")
    assert 'name="code"' in level3.new_client().get("/login").text
    _, r = login(level3, "analyst", None)
    assert r.status_code == 401
    _, r = login(level3, "analyst", "000000" if code(secret, T0) != "000000" else "111111")
    assert r.status_code == 401
    c, r = login(level3, "analyst", code(secret, T0))
    assert r.status_code == 303 and c.get("/account/password").status_code == 200
    _, r = login(level3, "analyst", code(secret, T0))  # the same code again, same step: refused
    assert r.status_code == 401
    at(level3, T0 + timedelta(seconds=30))
    _, r = login(level3, "analyst", code(secret, T0))  # still inside the window, but already used
    assert r.status_code == 401
    _, r = login(level3, "analyst", code(secret, T0 + timedelta(seconds=30)))
    assert r.status_code == 303
    details = logins(level3.db)
    assert [o for o, _ in details] == ["failure", "failure", "success", "failure", "failure", "success"]
    assert all("one-time code" in d for o, d in details if o == "failure")


def test_codes_one_step_either_side_are_accepted_two_steps_are_not(level3):
    secret = enrol(level3, "viewer")
    _, r = login(level3, "viewer", code(secret, T0, -2))
    assert r.status_code == 401
    _, r = login(level3, "viewer", code(secret, T0, +2))
    assert r.status_code == 401
    _, r = login(level3, "viewer", code(secret, T0, -1))
    assert r.status_code == 303
    _, r = login(level3, "viewer", code(secret, T0, +1))  # a later step than the last used one
    assert r.status_code == 303
    _, r = login(level3, "viewer", code(secret, T0))  # earlier than the last used step: refused
    assert r.status_code == 401


def test_wrong_codes_count_towards_the_lock(level3):
    from xinlian.settings import get_settings

    secret = enrol(level3, "viewer")
    wrong = str((int(code(secret, T0)) + 500000) % 1000000).zfill(6)
    for _ in range(get_settings().lockout_failures):
        assert login(level3, "viewer", wrong)[1].status_code == 401
    _, r = login(level3, "viewer", code(secret, T0))  # right password and right code, but locked
    assert r.status_code == 401
    assert logins(level3.db)[-1] == ("failure", "locked")


def test_user_without_a_factor_is_sent_to_the_security_admin(level3):
    _, r = login(level3, "viewer", "123456")
    assert r.status_code == 401 and "安全管理员" in r.text
    assert logins(level3.db)[-1] == ("failure", "no second factor enrolled")
    _, r = login(level3, "viewer", "123456", password="Wrong-Pass 1")  # a wrong password says nothing more
    assert r.status_code == 401 and "安全管理员" not in r.text


def test_sm3_enrolment_logs_in_with_sm3_codes(level3):
    secret = enrol(level3, "analyst", algorithm="sm3")
    _, r = login(level3, "analyst", code(secret, T0))  # a SHA-1 code for the same secret
    assert r.status_code == 401 or code(secret, T0) == code(secret, T0, algorithm="sm3")
    _, r = login(level3, "analyst", code(secret, T0, algorithm="sm3"))
    assert r.status_code == 303


def test_secret_is_stored_encrypted_and_bound_to_its_user(level3):
    from sqlalchemy import text

    from xinlian.store.tables.auth import User
    from xinlian.users import totp

    secret = enrol(level3, "analyst")
    with level3.db.engine.connect() as conn:
        stored = conn.execute(text("SELECT totp_secret FROM app_user WHERE username = 'analyst'")).scalar()
    assert stored.startswith("sm4gcm1:")
    assert otp.to_base32(secret) not in stored and secret.hex() not in stored
    with level3.db.session() as s:  # the ciphertext copied to another user does not decrypt there
        analyst, viewer = s.get(User, level3.ids["analyst"]), s.get(User, level3.ids["viewer"])
        viewer.totp_secret = analyst.totp_secret
        s.flush()
        assert not totp.check_code(viewer, code(secret, T0), T0)
        assert totp.check_code(analyst, code(secret, T0), T0)


def test_level2_has_no_code_field(web):
    assert 'name="code"' not in web.new_client().get("/login").text


@pytest.fixture
def web(db):
    from xinlian.settings import get_settings
    from xinlian.users.passwords import _hasher_for
    from xinlian.web.app import create_app

    ids = seed(db, _hasher_for(1, 1024).hash(PASSWORD))
    return WebEnv(create_app(db, get_settings()), db, ids)


# --- the enrolment verb --------------------------------------------------------------------------------------------

def run(*args):
    from xinlian.cli import _load_areas, app

    _load_areas()
    return CliRunner().invoke(app, list(args))


def test_cli_enrol_shows_the_secret_once_and_refuses_to_replace_silently(sqlite_db, key_file, monkeypatch):
    from xinlian.settings import reset_settings
    from xinlian.store.tables.auth import AuditLog, User
    from xinlian.users import accounts

    monkeypatch.setenv("XINLIAN_FIELD_KEY_FILE", str(key_file))
    reset_settings()
    with sqlite_db.session() as s:
        accounts.create_user(s, "chief", PASSWORD, role="analyst")
    r = run("user", "totp", "enrol", "chief")
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)
    assert shown["uri"].startswith("otpauth://totp/") and f"secret={shown['secret']}" in shown["uri"]
    assert len(otp.from_base32(shown["secret"])) == otp.SECRET_BYTES
    with sqlite_db.session() as s:
        user = s.query(User).filter_by(username="chief").one()
        assert user.totp_secret.startswith("sm4gcm1:") and shown["secret"] not in user.totp_secret
        assert [a.action for a in s.query(AuditLog).order_by(AuditLog.id)][-1] == "user.totp_enrol"
    r = run("user", "totp", "enrol", "chief")
    assert r.exit_code == 1 and "--replace" in r.output
    r = run("user", "totp", "enrol", "chief", "--replace")
    assert r.exit_code == 0 and json.loads(r.stdout)["secret"] != shown["secret"]
    assert run("user", "totp", "remove", "chief").exit_code == 0
    with sqlite_db.session() as s:
        assert s.query(User).filter_by(username="chief").one().totp_secret is None
    monkeypatch.delenv("XINLIAN_FIELD_KEY_FILE")
    reset_settings()
    r = run("user", "totp", "enrol", "chief")
    assert r.exit_code == 1 and "XINLIAN_FIELD_KEY_FILE" in r.output
