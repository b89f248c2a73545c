"""Append rows to the audit log: who, when, from where, what, on which object, success or failure, before/after.

The table refuses UPDATE and DELETE (database triggers), so ``record`` is the only way rows change.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from xinlian.store.tables.auth import AuditLog, User

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean(value: str | None, limit: int = 500) -> str | None:
    """No CR/LF or other control characters in logged text (log injection), and a bounded length."""
    if value is None:
        return None
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))[:limit]


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def record(
    session: Session,
    user: User | None,
    action: str,
    obj: tuple[str, Any] | None = None,
    outcome: str = "success",
    before: dict | None = None,
    after: dict | None = None,
    ip: str | None = None,
    *,
    username: str | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """Add one audit row to ``session`` (committed with the caller's unit of work).

    Args:
        user: who acted (None for anonymous events; then ``username`` may name the account tried).
        action: a dotted verb, e.g. ``login``, ``user.create``, ``project.move``.
        obj: ``(object_type, object_id)``.
        outcome: ``success`` or ``failure``.
        before / after: the object's fields before and after a write.
    """
    if outcome not in ("success", "failure"):
        raise ValueError(f"outcome must be success or failure, not {outcome!r}")
    row = AuditLog(
        at=at or datetime.now(timezone.utc),
        user_id=user.id if user is not None else None,
        username=_clean(user.username if user is not None else username, 64),
        ip=_clean(ip, 64),
        action=_clean(action, 64),
        object_type=_clean(obj[0], 64) if obj else None,
        object_id=_clean(str(obj[1]), 128) if obj else None,
        outcome=outcome,
        before=_jsonable(before),
        after=_jsonable(after),
        detail=_clean(detail, 2000),
    )
    session.add(row)
    session.flush()
    return row
