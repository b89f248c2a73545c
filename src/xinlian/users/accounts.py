"""User accounts: create, disable, change role, change password, and verify a login with lockout.

Lockout (等保 身份鉴别 b): after ``lockout_failures`` failed logins in a row the account is locked for
``lockout_minutes``; the right password fails during the lock; the lock ends by itself (so an attacker cannot
lock someone out for good) or when an admin unlocks it. Unknown users and wrong passwords give the same answer
and take the same time. Every change is written to the audit log in the caller's transaction.

At ``security_level`` 3 a login also needs a one-time code (``xinlian.users.totp``); a wrong or reused code counts
as a failed login towards the lock, and a user with no enrolled factor is told to ask the security administrator
(enrolment is an administrator's act, never self-service at first login, so a stolen password alone cannot bind
the attacker's phone). A user row whose integrity seal does not match (``xinlian.users.integrity``: its role or
password hash was edited outside the application) is refused and audited. A successful login re-hashes the
password when the configured scheme or its parameters changed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinlian.settings import get_settings
from xinlian.store.tables.auth import User
from xinlian.users import audit, integrity, passwords, sessions, totp
from xinlian.users.roles import check_role


class AccountError(ValueError):
    """A refused account change; ``code`` is an i18n key, ``problems`` the password-policy problems if any."""

    def __init__(self, code: str, message: str, problems: list | None = None):
        super().__init__(message)
        self.code = code
        self.problems = problems or []


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str  # ok | bad_credentials | locked | no_second_factor
    must_change_password: bool = False

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def snapshot(user: User) -> dict:
    """The fields of a user the audit log keeps (never the hash)."""
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "department": user.department, "region_scope": user.region_scope, "clearance": user.clearance,
            "active": user.active,
            "must_change_password": user.must_change_password, "second_factor": bool(user.totp_secret)}


def get_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def validate_password(password: str, username: str = "") -> None:
    s = get_settings()
    problems = passwords.check_password(password, profile=s.password_profile, min_length=s.password_min_length,
                                        context=(username,))
    if problems:
        raise AccountError("password.rejected", "；".join(p.message for p in problems), problems)


def create_user(session: Session, username: str, password: str, *, role: str = "viewer", display_name: str = "",
                department: str | None = None, region_scope: str | None = None, must_change_password: bool = False,
                actor: User | None = None, ip: str | None = None, check_policy: bool = True) -> User:
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() or ord(c) < 32 for c in username):
        raise AccountError("user.bad_username", "用户名须为 1–64 个字符，不含空白")
    check_role(role)
    if get_user(session, username) is not None:
        raise AccountError("user.exists", f"用户 {username} 已存在")
    if check_policy:
        validate_password(password, username)
    user = User(username=username, display_name=display_name or username,
                password_hash=passwords.hash_password(password), role=role, department=department, region_scope=region_scope, active=True,
                must_change_password=must_change_password, password_changed_at=datetime.now(timezone.utc))
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", ("user", user.id), after=snapshot(user), ip=ip)
    return user


def _change(session: Session, user: User, actor: User | None, ip: str | None, action: str, **fields) -> User:
    before = snapshot(user)
    for key, value in fields.items():
        setattr(user, key, value)
    session.flush()
    audit.record(session, actor, action, ("user", user.id), before=before, after=snapshot(user), ip=ip)
    return user


def set_role(session: Session, user: User, role: str, *, actor: User | None = None, ip: str | None = None) -> User:
    check_role(role)
    if actor is not None and actor.id == user.id and role != user.role:
        raise AccountError("user.own_role", "不能修改自己的角色")
    return _change(session, user, actor, ip, "user.role", role=role)


def disable_user(session: Session, user: User, *, actor: User | None = None, ip: str | None = None) -> User:
    """Disable the account and end every one of its sessions at once."""
    if actor is not None and actor.id == user.id:
        raise AccountError("user.own_disable", "不能停用自己的账号")
    _change(session, user, actor, ip, "user.disable", active=False)
    sessions.revoke_all(session, user)
    return user


def enable_user(session: Session, user: User, *, actor: User | None = None, ip: str | None = None) -> User:
    return _change(session, user, actor, ip, "user.enable", active=True, failed_logins=0, locked_until=None)


def unlock_user(session: Session, user: User, *, actor: User | None = None, ip: str | None = None) -> User:
    return _change(session, user, actor, ip, "user.unlock", failed_logins=0, locked_until=None)


def remove_totp(session: Session, user: User, *, actor: User | None = None, ip: str | None = None) -> User:
    """Take away the user's second factor (lost phone or token); see ``xinlian.users.totp``."""
    totp.remove(session, user, actor=actor, ip=ip)
    return user


def reseal_user(session: Session, user: User, *, actor: User | None = None, ip: str | None = None) -> User:
    """Accept the user row as it is and renew its integrity seal (``xinlian.users.integrity.reseal``)."""
    return integrity.reseal(session, user, actor=actor, ip=ip)


def change_password(session: Session, user: User, new_password: str, *, actor: User | None = None,
                    ip: str | None = None, force_change: bool = False) -> User:
    """Set a new password (checked against the policy); other sessions of the user end."""
    validate_password(new_password, user.username)
    if passwords.verify_password(user.password_hash, new_password):
        raise AccountError("password.same", "新密码不能与旧密码相同")
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = datetime.now(timezone.utc)
    user.must_change_password = force_change
    session.flush()
    audit.record(session, actor or user, "user.password", ("user", user.id), ip=ip,
                 detail="reset by admin" if actor is not None and actor.id != user.id else "changed by user")
    return user


def password_expired(user: User, now: datetime | None = None) -> bool:
    s = get_settings()
    if s.password_profile != "dengbao" or s.password_max_age_days <= 0 or user.password_changed_at is None:
        return False
    return _now(now) - as_utc(user.password_changed_at) > timedelta(days=s.password_max_age_days)


def authenticate(session: Session, username: str, password: str, *, ip: str | None = None,
                 now: datetime | None = None, code: str | None = None) -> LoginResult:
    """Check a login (password, and at level 3 the one-time ``code``), count failures, lock after too many, and
    audit the outcome."""
    s = get_settings()
    now = _now(now)
    user = get_user(session, username)
    if user is None:
        passwords.burn_time(password)
        audit.record(session, None, "login", ("user", username[:64]), "failure", ip=ip, username=username[:64],
                     detail="unknown user", at=now)
        return LoginResult(None, "bad_credentials")
    locked = as_utc(user.locked_until)
    if locked is not None and locked > now:
        passwords.burn_time(password)
        audit.record(session, user, "login", ("user", user.id), "failure", ip=ip, detail="locked", at=now)
        return LoginResult(None, "locked")
    if not integrity.is_intact(user):
        passwords.burn_time(password)
        integrity.refuse(session, user, where="login", ip=ip, at=now)
        audit.record(session, user, "login", ("user", user.id), "failure", ip=ip, at=now,
                     detail="user row failed its integrity check")
        return LoginResult(None, "bad_credentials")
    if not passwords.verify_password(user.password_hash, password):
        return _failed(session, user, s, ip, now, "wrong password")
    if not user.active:
        audit.record(session, user, "login", ("user", user.id), "failure", ip=ip, detail="disabled", at=now)
        return LoginResult(None, "bad_credentials")
    if s.security_level >= 3:
        if not totp.is_enrolled(user):
            audit.record(session, user, "login", ("user", user.id), "failure", ip=ip, at=now,
                         detail="no second factor enrolled")
            return LoginResult(None, "no_second_factor")
        if not totp.check_code(user, code or "", now):
            return _failed(session, user, s, ip, now, "missing, wrong or reused one-time code")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    detail = None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        detail = f"password re-hashed ({s.password_hash})"
    audit.record(session, user, "login", ("user", user.id), "success", ip=ip, at=now, detail=detail)
    return LoginResult(user, "ok", user.must_change_password or password_expired(user, now))


def _failed(session: Session, user: User, s, ip: str | None, now: datetime, why: str) -> LoginResult:
    """A wrong password or one-time code: count it, lock the account after too many in a row."""
    user.failed_logins = (user.failed_logins or 0) + 1
    detail = f"{why} ({user.failed_logins})"
    if user.failed_logins >= s.lockout_failures:
        user.locked_until = now + timedelta(minutes=s.lockout_minutes)
        user.failed_logins = 0
        audit.record(session, user, "user.lockout", ("user", user.id), "success", ip=ip, at=now,
                     detail=f"locked for {s.lockout_minutes} min after {s.lockout_failures} failures")
    audit.record(session, user, "login", ("user", user.id), "failure", ip=ip, detail=detail, at=now)
    return LoginResult(None, "bad_credentials")


def ensure_demo_user(db, username: str = "demo") -> tuple[str, str]:
    """Demo mode only: (re)create ``demo`` as an admin with a fresh random password, returned once.

    Refuses outside ``settings.mode == "demo"`` (or ``test``): a production install has no default account.
    """
    if get_settings().mode not in ("demo", "test"):
        raise AccountError("user.demo_only", "演示账号只能在演示模式下创建")
    password = "Xl-" + secrets.token_urlsafe(12)
    with db.session() as session:
        user = get_user(session, username)
        if user is None:
            create_user(session, username, password, role="admin", display_name="演示用户", check_policy=False)
        else:
            user.password_hash = passwords.hash_password(password)
            user.active = True
            user.failed_logins = 0
            user.locked_until = None
            user.must_change_password = False
            user.password_changed_at = datetime.now(timezone.utc)
            audit.record(session, None, "user.password", ("user", user.id), username="system",
                         detail="demo password regenerated")
    return username, password
