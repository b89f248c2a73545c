"""Security labels (安全标记, 等保 level 3 访问控制 f–g): setting a firm's label and a user's clearance.

Both use the scale of ``xinlian.users.scope.LABELS`` (0 公开 public, 1 内部 internal, 2 敏感 sensitive); the rule that
uses them is in ``xinlian.users.scope``. Only the security administrator sets them (the ``users`` permission on the
web; the shell operator on the CLI). Every change is audited with before and after:

- a firm's label: ``enterprise.label`` rows; the hash-chained audit log then protects the label's history, so a
  label changed directly in the database shows up as a label that no audit row explains (``label_history``);
- a user's clearance: ``user.clearance`` rows, and the column is in the user's HMAC-SM3 seal
  (``xinlian.users.integrity``), so a clearance raised with SQL refuses the login.

This system holds no state secrets: there is no 涉密 level, and 涉密 data must not be entered (docs/security.md).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinlian.store.tables.auth import AuditLog, User
from xinlian.store.tables.registry import Enterprise
from xinlian.users import audit
from xinlian.users.scope import LABELS

_NAMES = {**{str(k): k for k in LABELS}, **{v: k for k, v in LABELS.items()},
          "public": 0, "internal": 1, "sensitive": 2}


def parse_level(text: str | int) -> int:
    """0/1/2, 公开/内部/敏感 or public/internal/sensitive → the level; ValueError for anything else."""
    key = str(text).strip().lower()
    if key not in _NAMES:
        raise ValueError(f"security level must be 0 公开, 1 内部 or 2 敏感, not {text!r} (涉密 data does not belong "
                         "in this system)")
    return _NAMES[key]


def set_label(session: Session, e: Enterprise, level: str | int, *, actor: User | None = None,
              ip: str | None = None) -> Enterprise:
    """Give firm ``e`` the security label ``level``; audited as ``enterprise.label`` with before and after."""
    new = parse_level(level)
    old = e.security_label
    e.security_label = new
    session.flush()
    audit.record(session, actor, "enterprise.label", ("enterprise", e.id), ip=ip,
                 before={"security_label": old}, after={"security_label": new},
                 detail=f"{e.name}: {LABELS.get(old, old)} → {LABELS[new]}")
    return e


def set_clearance(session: Session, user: User, level: str | int, *, actor: User | None = None,
                  ip: str | None = None) -> User:
    """Give ``user`` the clearance ``level`` (resealed by the ORM); audited as ``user.clearance``."""
    from xinlian.users.accounts import _change

    return _change(session, user, actor, ip, "user.clearance", clearance=parse_level(level))


def label_history(session: Session, enterprise_id: int) -> list[dict]:
    """Every audited label change of one firm, oldest first (its last ``after`` should equal the column)."""
    rows = session.scalars(select(AuditLog).where(AuditLog.action == "enterprise.label",
                                                  AuditLog.object_type == "enterprise",
                                                  AuditLog.object_id == str(enterprise_id)).order_by(AuditLog.id))
    return [{"at": r.at, "username": r.username, "before": r.before, "after": r.after} for r in rows]
