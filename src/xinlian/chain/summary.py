"""Stored summaries of the diagnosis's heavy queries, used again while the registry has not changed.

The diagnosis spends most of its time in two reads of the large tables: the region's own figures per node
(``figures._region_parts``: the figures year, per-node totals, top firms, demand, the chain total) and the ranked
pool of outside candidates for the target nodes (``targets._rank_pool``). Their results depend only on the
registry tables (enterprise, enterprise_node, enterprise_figure) and on what the caller asks (chain, region codes,
year, rules), so ``reuse(session, kind, key, compute)`` stores them in ``derived_summary`` under a hash of ``key``
with the registry snapshot taken before computing, and hands the stored copy back while no transaction that wrote
those tables committed outside that snapshot (``store.dialect.registry_unchanged_since``). Every write counts,
whoever makes it (importer, placement, link confirmation, web and CLI edits, hand-typed SQL): the database logs
it by triggers, so a summary is never stale. Everything else (baselines, region totals, news, projects, leaders,
the pool's details) is read afresh on every diagnosis.

Not stored: on SQLite (no change log, ``dialect.registry_snapshot`` gives None), at security level 3 (the
summaries hold firms' money figures, which must not rest in clear), and when ``XINLIAN_DIAGNOSIS_SUMMARIES`` is
off. Then ``reuse`` simply computes.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

from xinlian.registry import sensitive
from xinlian.store import dialect
from xinlian.store.tables.derived import DerivedSummary

__all__ = ["reuse", "enabled", "summary_key"]


def enabled(session: Session) -> bool:
    """True when summaries may be stored and used on this database."""
    from xinlian.settings import get_settings

    return bool(get_settings().diagnosis_summaries) and not sensitive.encrypted() and dialect.dialect_name(
        session) == "postgresql"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not storable in a summary: {type(value).__name__}")


def summary_key(kind: str, key: dict) -> str:
    """The hash a summary is stored under: of its kind and everything it depends on besides the registry."""
    return hashlib.sha256(json.dumps([kind, key], sort_keys=True, default=str).encode("utf-8")).hexdigest()


def reuse(session: Session, kind: str, key: dict, compute: Callable[[], Any]) -> Any:
    """The value of ``compute()``, from the stored summary when it is current, else computed and stored.

    ``key`` must name everything besides the registry tables that the value depends on (chain structure, region
    codes, years, rules); ``compute`` must return JSON data (dicts with string keys, lists, numbers, text, None)
    and may read only the registry tables and the caller's arguments."""
    if not enabled(session):
        return compute()
    digest = summary_key(kind, key)
    row = session.execute(text("SELECT snapshot, payload FROM derived_summary WHERE key = :k"), {"k": digest}).first()
    if row is not None and dialect.registry_unchanged_since(session, row[0]):
        return json.loads(row[1])
    snapshot = dialect.registry_snapshot(session)  # before compute() reads anything
    value = compute()
    payload = json.dumps(value, default=_plain, ensure_ascii=False)
    dialect.upsert(session, DerivedSummary.__table__, [{"key": digest, "kind": kind, "snapshot": snapshot,
                                                "payload": payload}], keys=["key"], update=["kind", "snapshot", "payload"])
    dialect.prune_registry_changes(session)
    # The stored copy is what later runs get: hand back the same (JSON has no tuples, and keys are text).
    return json.loads(payload)
