"""Integrity of access-control data (密评 GB/T 39786 8.4 b): an HMAC-SM3 seal over each user's security columns.

``app_user.integrity`` holds ``HMAC-SM3(subkey("user-integrity"), canonical JSON of username, role, region_scope,
active, password_hash, totp_secret, clearance)`` (``clearance`` enters the sealed text only when it differs
from the column default 1, so rows sealed before the column existed stay valid, while any change of the clearance
still changes the text). Every write through the ORM reseals the row (mapper events below), so the application's
own changes (role change, disable, new password, enrolment) keep it valid, while a change made
directly in the database (someone grants themselves ``admin`` with SQL) leaves a row whose seal does not match.
``accounts.authenticate`` and ``sessions.resolve`` check the seal and refuse the user, with an audit row.

An ORM update never launders a tampered row: the seal is renewed only when the row as it was loaded still matched
its old seal. Resealing a row on purpose (after the security administrator has looked at it, or after the master
key changed) is ``reseal`` (``xinlian user reseal NAME``), which is audited.
"""

from __future__ import annotations

import hmac
import json

from sqlalchemy import inspect, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from xinlian.crypto.keys import subkey
from xinlian.store.tables.auth import User, UserSession

SEALED = ("username", "role", "region_scope", "active", "password_hash", "totp_secret", "clearance")
_CLEARANCE_DEFAULT = 1  # app_user.clearance's default: left out of the sealed text (see the module text)
_RESEAL = "_xl_reseal"  # instance flag set by ``reseal``: renew the seal even if the old one did not match


def _seal(values: dict) -> str:
    body = {k: values.get(k) for k in SEALED}
    body["active"] = bool(body["active"])
    clearance = body.pop("clearance")
    if clearance is not None and int(clearance) != _CLEARANCE_DEFAULT:
        body["clearance"] = int(clearance)
    data = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    from xinlian.crypto import get_provider

    provider = get_provider()
    return provider.hmac_sm3(subkey("user-integrity", provider), data).hex()


def expected(user: User) -> str:
    """The seal ``user``'s current column values should carry."""
    return _seal({k: getattr(user, k) for k in SEALED})


def is_intact(user: User) -> bool:
    """True when the stored seal matches the row (checked at login and at every request of a session)."""
    stored = user.integrity
    return isinstance(stored, str) and hmac.compare_digest(stored, expected(user))


def _loaded_values(user: User) -> dict:
    """Each sealed column as it was loaded from the database, before this flush's changes."""
    state = inspect(user)
    out = {}
    for key in (*SEALED, "integrity"):
        hist = state.attrs[key].history
        if hist.deleted:
            out[key] = hist.deleted[0]
        elif hist.unchanged:
            out[key] = hist.unchanged[0]
        else:
            out[key] = getattr(user, key)
    return out


def seal_new(user: User) -> None:
    """Mapper event (before insert), registered by ``store.tables.auth`` so that no insert path can miss it."""
    # column defaults are applied by the INSERT itself, after this event: apply the sealed ones now
    for key in ("role", "active", "clearance"):
        if getattr(user, key) is None:
            setattr(user, key, User.__table__.c[key].default.arg)
    user.integrity = expected(user)


def seal_changed(user: User) -> None:
    """Mapper event (before update): renew the seal only if the row was intact as loaded."""
    if getattr(user, _RESEAL, False):
        user.integrity = expected(user)
        setattr(user, _RESEAL, False)
        return
    old = _loaded_values(user)
    if not any(inspect(user).attrs[k].history.has_changes() for k in SEALED):
        return  # last_login_at, failed_logins ...: the seal does not cover them
    if isinstance(old["integrity"], str) and hmac.compare_digest(old["integrity"], _seal(old)):
        user.integrity = expected(user)
    # else: the row was already tampered with; keep the stale seal so the tampering stays visible


def refuse(session: Session, user: User, *, where: str, ip: str | None = None, at=None,
           separate: bool = False, end_session: str | None = None) -> None:
    """Audit a user refused for a broken seal. With ``separate`` the row is written and committed in a transaction
    of its own, so it stays even though the caller's request is rolled back (a refused session ends in an error
    response); only use it before the caller has written anything (SQLite allows one writer). ``end_session``:
    the id of a session row to revoke in that same transaction."""
    from xinlian.users import audit

    detail = f"user row seal does not match ({where}): security columns changed outside the application"
    bind = session.get_bind()
    if separate and isinstance(bind, Engine):
        with Session(bind=bind) as own:
            if end_session is not None:
                own.execute(update(UserSession).where(UserSession.id == end_session).values(revoked=True))
            audit.record(own, None, "user.integrity", ("user", user.id), "failure", ip=ip,
                         username=user.username, detail=detail, at=at)
            own.commit()
    else:
        audit.record(session, None, "user.integrity", ("user", user.id), "failure", ip=ip,
                     username=user.username, detail=detail, at=at)


def reseal(session: Session, user: User, *, actor: User | None = None, ip: str | None = None,
           detail: str | None = None) -> User:
    """Accept ``user``'s current columns as correct and seal them again (the security administrator's decision)."""
    from xinlian.users import audit

    was_intact = is_intact(user)
    setattr(user, _RESEAL, True)
    flag_modified(user, "integrity")  # makes the row dirty so the before_update event runs
    session.flush()
    audit.record(session, actor, "user.reseal", ("user", user.id), ip=ip,
                 after={"role": user.role, "region_scope": user.region_scope, "active": user.active},
                 detail=detail or ("seal was valid" if was_intact else "seal did not match; accepted as it is"))
    return user
