"""Append rows to the audit log: who, when, from where, what, on which object, success or failure, before/after.

The table refuses UPDATE and DELETE (database triggers), so ``record`` is the only way rows are added and the
retention ``purge`` the only way old ones leave. Every row carries an HMAC-SM3 chain value over the previous row's
value and its own canonical content (``xinlian.crypto.audit_chain``, key ``subkey("audit-chain")``). ``record``
first moves the one-row ``audit_chain_head`` forward, which locks it (a row lock on PostgreSQL, the write lock on
SQLite) until the caller commits, so two writers can never chain from the same row; ids are handed out by the head,
so a missing id means a deleted row. ``verify`` walks the chain and names the first row that does not hold.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinlian.crypto.audit_chain import GENESIS, chain_digest
from xinlian.store.tables.auth import AuditChainHead, AuditLog, User

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
PURGE_ACTION = "audit.purge"


class AuditError(ValueError):
    """A refused purge (too recent, or the chain does not verify)."""


def _clean(value: str | None, limit: int = 500) -> str | None:
    """No CR/LF or other control characters in logged text (log injection), and a bounded length."""
    if value is None:
        return None
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))[:limit]


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _same_numbers(value: Any) -> Any:
    """JSON as both databases hand it back: PostgreSQL's jsonb turns 1e20 into an integer, so whole floats are
    hashed as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _same_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_same_numbers(v) for v in value]
    return value


def canonical_row(row: AuditLog) -> dict:
    """The fields of ``row`` the chain covers, in a form both databases give back identically."""
    return {"id": row.id, "at": _utc(row.at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "user_id": row.user_id,
            "username": row.username, "ip": row.ip, "action": row.action, "object_type": row.object_type,
            "object_id": row.object_id, "outcome": row.outcome, "before": _same_numbers(row.before),
            "after": _same_numbers(row.after), "detail": row.detail}


def _chain_key() -> bytes:
    from xinlian.crypto.keys import subkey

    return subkey("audit-chain")


def _digest(prev: str, row: AuditLog, key: bytes) -> str:
    from xinlian.crypto import get_provider

    return chain_digest(prev, canonical_row(row), provider=get_provider(), key=key)


def lock_head(session: Session) -> AuditChainHead:
    """The chain head, locked for the rest of the caller's transaction (created on first use)."""
    for _ in range(2):
        moved = session.execute(update(AuditChainHead).where(AuditChainHead.id == 1)
                                .values(last_id=AuditChainHead.last_id).execution_options(synchronize_session=False))
        if moved.rowcount:
            return session.get(AuditChainHead, 1, populate_existing=True)
        from xinlian.crypto.keys import key_id

        # rows written before the chain existed (none in a fresh install) stay outside it
        start = session.scalar(select(func.coalesce(func.max(AuditLog.id), 0)))
        try:
            with session.begin_nested():
                session.add(AuditChainHead(id=1, last_id=start, last_chain=GENESIS, base_id=start,
                                           base_chain=GENESIS, key_id=key_id(_chain_key())))
        except IntegrityError:  # another writer created it first; lock theirs
            pass
    raise RuntimeError("audit_chain_head could not be created")


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
    """Add one audit row to ``session`` (committed with the caller's unit of work), chained to the previous one.

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
        at=_utc(at or datetime.now(timezone.utc)),
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
    session.flush()  # the caller's pending changes first, so their locks are taken before the head's
    head = lock_head(session)
    row.id = head.last_id + 1
    row.chain = _digest(head.last_chain, row, _chain_key())
    head.last_id, head.last_chain = row.id, row.chain
    session.add(row)
    session.flush()
    return row


def verify(session: Session, *, batch: int = 1000) -> dict:
    """Walk the chain from the purge cut to the head.

    Returns ``{"ok", "rows", "first_bad_id", "reason", "head": {"last_id", "last_chain"}, "base_id",
    "key_matches"}``; ``first_bad_id`` is the first row that does not hold (an edited row fails itself; after a
    deleted row, the next row fails; a row missing at the newest end is reported by the id the head expected).
    Keep ``head`` somewhere else (e.g. with the shipped logs): cutting off the newest rows *and* rewinding the head
    is found only by comparing with such a copy.
    """
    from xinlian.crypto.keys import key_id

    head = session.get(AuditChainHead, 1, populate_existing=True)
    key = _chain_key()
    out = {"ok": True, "rows": 0, "first_bad_id": None, "reason": "", "base_id": 0,
           "head": {"last_id": 0, "last_chain": GENESIS}, "key_matches": True}

    def bad(row_id, reason):
        out.update(ok=False, first_bad_id=row_id, reason=reason)
        return out

    if head is None:
        first = session.scalar(select(func.min(AuditLog.id)))
        return out if first is None else bad(first, "rows exist but the chain head is missing")
    out["base_id"] = head.base_id
    out["head"] = {"last_id": head.last_id, "last_chain": head.last_chain}
    if head.key_id and head.key_id != key_id(key):
        out["key_matches"] = False
        return bad(head.base_id + 1, "the chain was sealed with another key (key id "
                   f"{head.key_id}); verify with the key in use when it was written")
    prev, want_id, cut = head.base_chain, head.base_id + 1, None
    query = (select(AuditLog).where(AuditLog.id > head.base_id).order_by(AuditLog.id)
             .execution_options(yield_per=batch))
    result = session.scalars(query)
    try:
        for row in result:
            if row.id != want_id:
                return bad(row.id, f"rows {want_id}..{row.id - 1} are missing")
            if not isinstance(row.chain, str) or row.chain != _digest(prev, row, key):
                return bad(row.id, "chain value does not match: the row was changed, or rows before it removed")
            if row.action == PURGE_ACTION and isinstance(row.after, dict):
                cut = row.after
            prev, want_id = row.chain, want_id + 1
            out["rows"] += 1
    finally:
        result.close()
    if want_id - 1 != head.last_id or prev != head.last_chain:
        return bad(want_id, f"the newest rows are missing: the head says the last row is {head.last_id}")
    if head.base_chain != GENESIS and (cut is None or cut.get("cut_id") != head.base_id
                                       or cut.get("cut_chain") != head.base_chain):
        return bad(head.base_id + 1, "the purge cut is not the one the last audit.purge row recorded")
    return out


def purge(session: Session, before: dt.date | datetime, *, now: datetime | None = None, actor: User | None = None,
          username: str | None = None, ip: str | None = None) -> dict:
    """Delete the audit rows older than ``before`` (a date means 00:00 UTC of that day), keeping the chain checkable.

    Refuses a cut inside ``settings.audit_retention_days`` of ``now`` and a chain that does not verify (a purge
    must not erase the evidence of tampering). Rows are removed from the oldest up to the first row at or after
    the cut; the chain value of the last removed row becomes the head's base and is written into a new
    ``audit.purge`` row, so verification starts there and the base itself is vouched for by the chain.
    """
    from xinlian.settings import get_settings
    from xinlian.store.dialect import audit_purge_allowed

    now = _utc(now or datetime.now(timezone.utc))
    if not isinstance(before, datetime):
        before = datetime(before.year, before.month, before.day, tzinfo=timezone.utc)
    before = _utc(before)
    days = get_settings().audit_retention_days
    keep_from = now - dt.timedelta(days=days)
    if before > keep_from:
        raise AuditError(f"拒绝清理：{before.date()} 之前的审计记录中有保存期（{days} 天）内的记录；"
                         f"最晚只能清理 {keep_from.date()} 之前的记录")
    head = lock_head(session)
    report = verify(session)
    if not report["ok"]:
        raise AuditError(f"拒绝清理：审计链在第 {report['first_bad_id']} 行校验失败（{report['reason']}），"
                         "先保全证据")
    head = session.get(AuditChainHead, 1, populate_existing=True)
    first_young = session.scalar(select(func.min(AuditLog.id)).where(AuditLog.id > head.base_id,
                                                                      AuditLog.at >= before))
    cut = head.last_id if first_young is None else first_young - 1
    deleted = 0
    if cut > head.base_id:
        cut_chain = session.scalar(select(AuditLog.chain).where(AuditLog.id == cut))
        with audit_purge_allowed(session, before):
            deleted = session.execute(delete(AuditLog).where(AuditLog.id <= cut, AuditLog.at < before)
                                      .execution_options(synchronize_session=False)).rowcount or 0
        head.base_id, head.base_chain = cut, cut_chain
        session.flush()
    summary = {"before": before.isoformat(), "cut_id": head.base_id, "cut_chain": head.base_chain,
               "deleted": deleted, "retention_days": days}
    record(session, actor, PURGE_ACTION, ("audit_log", f"<= {head.base_id}"), after=summary, ip=ip,
           username=username, at=now)
    return summary
