"""Helpers shared by the work modules: sessions from a Database or a Session, errors, time, enterprise lookup."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

BEIJING = timezone(timedelta(hours=8))


class WorkError(ValueError):
    """A refused work action; the message is Chinese and says what to do."""


class NotFound(WorkError):
    pass


def get_or_missing(s: Session, model, ident: int, what: str):
    """The row of ``model`` with id ``ident``; ``NotFound`` ("项目 7 不存在") when there is none."""
    row = s.get(model, ident)
    if row is None:
        raise NotFound(f"{what} {ident} 不存在")
    return row


@contextmanager
def session_of(db) -> Iterator[Session]:
    """Use ``db`` when it is a Session already (the caller owns the transaction), else open one unit of work."""
    if isinstance(db, Session):
        yield db
    else:
        with db.session() as s:
            yield s


def now_utc(when: datetime | None = None) -> datetime:
    if when is None:
        return datetime.now(timezone.utc)
    if when.tzinfo is None:  # a naive time is read as Beijing time, the bureau's clock
        when = when.replace(tzinfo=BEIJING)
    return when.astimezone(timezone.utc)


def as_aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back (stored as UTC); PostgreSQL gives aware ones."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def local_date(value: datetime | date) -> date:
    """The Beijing calendar date of a moment (a date stays itself)."""
    if isinstance(value, datetime):
        return as_aware(value).astimezone(BEIJING).date()
    return value


def show_time(value: datetime | None) -> str:
    if value is None:
        return "未知时间"
    return as_aware(value).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def find_enterprise(s: Session, ref) -> int | None:
    """An enterprise id from an id, a credit code or a name (exact normalised name or alias); None if not found."""
    from xinlian.registry.names import normalise
    from xinlian.store.tables.registry import Enterprise, EnterpriseAlias

    if ref is None or ref == "":
        return None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit() and len(ref.strip()) < 12):
        e = s.get(Enterprise, int(ref))
        return e.id if e else None
    text = str(ref).strip()
    e = s.scalar(select(Enterprise.id).where(Enterprise.credit_code == text.upper()))
    if e:
        return e
    key = normalise(text)
    if not key:
        return None
    ids = s.scalars(select(Enterprise.id).where(Enterprise.name_norm == key).order_by(Enterprise.id)).all()
    if ids:
        return ids[0]
    ids = s.scalars(select(EnterpriseAlias.enterprise_id).where(EnterpriseAlias.alias_norm == key)
                    .order_by(EnterpriseAlias.enterprise_id)).all()
    return ids[0] if ids else None


def match_enterprise(s: Session, name: str) -> tuple[int | None, str]:
    """(enterprise id, how) for a name: ``exact`` normalised name, ``alias``, or ``none``."""
    from xinlian.registry.names import normalise
    from xinlian.store.tables.registry import Enterprise, EnterpriseAlias

    key = normalise(name or "")
    if not key:
        return None, "none"
    eid = s.scalar(select(Enterprise.id).where(Enterprise.name_norm == key).order_by(Enterprise.id).limit(1))
    if eid:
        return eid, "exact"
    eid = s.scalar(select(EnterpriseAlias.enterprise_id).where(EnterpriseAlias.alias_norm == key)
                   .order_by(EnterpriseAlias.enterprise_id).limit(1))
    if eid:
        return eid, "alias"
    return None, "none"


def enterprise_names(s: Session, ids) -> dict[int, str]:
    from xinlian.store.tables.registry import Enterprise

    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(s.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids))).all())


__all__ = ["WorkError", "NotFound", "session_of", "now_utc", "as_aware", "local_date", "show_time",
           "find_enterprise", "match_enterprise", "enterprise_names"]
