"""Server-side login sessions.

The browser holds a random token (in a signed cookie); the database holds only its SHA-256, the user, and the
times that bound it: an idle timeout (``session_idle_minutes`` since the last request) and an absolute lifetime
(``session_absolute_hours`` since login). Logging out revokes the row; disabling a user revokes all of theirs.
Every function takes ``now`` so tests control the clock.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from xinlian.settings import get_settings
from xinlian.store.tables.auth import User, UserSession
from xinlian.users import integrity

TOUCH_EVERY = timedelta(seconds=60)  # write last_seen at most once a minute per session


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def start(session: Session, user: User, *, ip: str | None = None, user_agent: str | None = None,
          now: datetime | None = None) -> str:
    """Open a new session for ``user`` and return its token (a new id at every login)."""
    now = now or datetime.now(timezone.utc)
    token = secrets.token_urlsafe(32)
    hours = get_settings().session_absolute_hours
    session.add(UserSession(id=token_id(token), user_id=user.id, created_at=now, last_seen=now,
                            expires_at=now + timedelta(hours=hours), revoked=False, ip=ip,
                            user_agent=(user_agent or "")[:300]))
    session.flush()
    return token


def resolve(session: Session, token: str, *, now: datetime | None = None) -> tuple[UserSession, User] | None:
    """The live session and its user for ``token``, or None when unknown, revoked, idle too long, past its
    lifetime, when the user is disabled, or when the user row fails its integrity seal (audited). Refreshes
    ``last_seen``."""
    now = now or datetime.now(timezone.utc)
    # one query for both rows (an inner join): this runs at every request of a logged-in user
    row = session.get(UserSession, token_id(token), options=[joinedload(UserSession.user, innerjoin=True)])
    if row is None or row.revoked:
        return None
    user = row.user
    if not integrity.is_intact(user):  # role, scope or hash edited in the database since the login
        integrity.refuse(session, user, where="session", ip=row.ip, at=now, separate=True, end_session=row.id)
        return None
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    if _utc(row.expires_at) <= now or _utc(row.last_seen) + idle <= now or not user.active:
        row.revoked = True
        session.flush()
        return None
    if now - _utc(row.last_seen) >= TOUCH_EVERY:
        row.last_seen = now
        session.flush()
    return row, user


def revoke(session: Session, token: str) -> None:
    row = session.get(UserSession, token_id(token))
    if row is not None:
        row.revoked = True
        session.flush()


def revoke_all(session: Session, user: User) -> int:
    result = session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked.is_(False))
                             .values(revoked=True))
    return result.rowcount or 0


def live_sessions(session: Session, user: User) -> list[UserSession]:
    return list(session.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                          UserSession.revoked.is_(False))))
