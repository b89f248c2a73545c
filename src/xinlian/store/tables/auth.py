"""Users, their server-side sessions and the append-only audit log.

Roles: ``admin`` | ``analyst`` | ``viewer``; issue 9 splits ``admin`` into the three duties of 等保 (三员:
``sys_admin``, ``sec_admin``, ``audit_admin``), so the role column is free text checked by ``xinlian.users``.
A session row is keyed by the SHA-256 of its random token (the cookie holds the token itself, signed), so a
copy of the database does not give working cookies. ``audit_log`` refuses UPDATE and DELETE at the database
level (see ``store.dialect.EXTRAS['audit_append_only']``); each row carries its HMAC-SM3 chain value and
``audit_chain_head`` (one row) holds the chain's newest id and value, the purge cut it restarts from, and the lock
that serialises writers. ``app_user.integrity`` is an HMAC-SM3 over the security-relevant columns of the row
(``xinlian.users.integrity``), so a role edited directly in the database is noticed at login.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xinlian.store.dialect import JSONType
from xinlian.store.tables.base import Base, Timestamp, utcnow


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, active_history=True)
    display_name: Mapped[str] = mapped_column(Text, default="")
    password_hash: Mapped[str] = mapped_column(Text, active_history=True)
    role: Mapped[str] = mapped_column(String(32), default="viewer", active_history=True)
    department: Mapped[str | None] = mapped_column(Text)
    # GB/T 2260 code prefix the user may see (object-level access, issue 9); empty = the whole configured region
    region_scope: Mapped[str | None] = mapped_column(String(6), active_history=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, active_history=True)
    # 安全标记 clearance (等保 level 3): the highest enterprise security_label the user may see (0 公开, 1 内部, 2 敏感)
    clearance: Mapped[int] = mapped_column(Integer, default=1, server_default="1", active_history=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(Timestamp)
    password_changed_at: Mapped[datetime | None] = mapped_column(Timestamp, default=utcnow)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # second factor (等保 level 3): SM4-GCM ciphertext of "algorithm:secret", the last time step used (a code works
    # once), and when it was enrolled
    totp_secret: Mapped[str | None] = mapped_column(Text, active_history=True)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # HMAC-SM3 (hex) over username, role, region_scope, active, password_hash, totp_secret, clearance (密评 8.4 b)
    integrity: Mapped[str | None] = mapped_column(String(64), active_history=True)

    # the sealed columns load their old value before a change (active_history), so the seal check in
    # xinlian.users.integrity always compares the row as it was in the database

    sessions: Mapped[list["UserSession"]] = relationship(back_populates="user")


# Every ORM write of a user row renews its integrity seal. The events live here, next to the model, so that any
# code that adds or changes a User (the web app, the CLI, test fixtures) goes through them; the seal itself is
# computed by xinlian.users.integrity (imported when first needed, to keep this module free of crypto imports).
@event.listens_for(User, "before_insert")
def _seal_new_user(_mapper, _conn, user: User) -> None:
    from xinlian.users import integrity

    integrity.seal_new(user)


@event.listens_for(User, "before_update")
def _seal_changed_user(_mapper, _conn, user: User) -> None:
    from xinlian.users import integrity

    integrity.seal_changed(user)


class UserSession(Base):
    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie token
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(back_populates="sessions")


class AuditLog(Base):
    """One row per security-relevant event or write. Never updated, never deleted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: the row outlives the user
    username: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16), default="success")  # success | failure
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    detail: Mapped[str | None] = mapped_column(Text)
    # HMAC-SM3 (hex) of the previous row's chain value and this row (xinlian.crypto.audit_chain)
    chain: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """The one row (id 1) every audit writer locks and moves forward, so concurrent writers cannot fork the chain.

    ``last_id``/``last_chain``: the newest row. ``base_id``/``base_chain``: the row just before the oldest kept one
    (0 and the genesis value until the first purge), where verification starts. ``key_id``: which key sealed the
    chain (SM3 prefix of the key, so a changed key is reported as such rather than as a broken row).
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_chain: Mapped[str] = mapped_column(String(64))
    base_id: Mapped[int] = mapped_column(BigInteger, default=0)
    base_chain: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(16))
