"""A small read cache for expensive page data (the diagnosis, the dashboard figures, a node's firms).

``cached(key, compute, session=..., db=...)`` returns a value at most ``TTL_S`` old; an older one is still
returned while a background thread computes a fresh one (stale-while-revalidate), so only the first view after
start waits. Keys start with the database URL, so two databases never share entries.

Several worker processes (``xinlian serve --workers N``) each hold their own entries. Every writer announces its
commit through ``xinlian.store.changes`` (web writes through ``mark_stale()``; registry, sheet and page imports from
the library, so also from the CLI), and every lookup compares the announced token with the one this process last
acted on, so a write taken by one worker, or an import run beside the server, makes every worker compute again.

A value whose computation overlapped a write is stored as already stale (computed again at its next use), and
concurrent requests that miss the same key wait for one computation instead of each running it (after a write, 20
clients would otherwise compute the dashboard figures 20 times at once).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from sqlalchemy.orm import Session

from xinlian.store.changes import announce_change, current_generation

log = logging.getLogger("xinlian.web")

TTL_S = 30.0
# The diagnosis costs about a second of CPU per worker, which stalls every request of that worker while it runs.
# Every writer announces its commit (``store.changes``), so rebuilding an unchanged diagnosis every ``TTL_S`` only
# wastes that second; its time limit merely bounds how late an unannounced change (SQL typed into the database by
# hand, a script using the library directly) shows.
SLOW_TTL_S = 600.0
MAX_ENTRIES = 2000

_entries: dict[tuple, tuple[float | None, Any]] = {}  # (stored at, or None after a write; value)
_refreshing: set[tuple] = set()
_lock = threading.Lock()
_seen_generation: list[str | None] = [None]  # the other workers' last write token this process has acted on
_writes = [0]  # writes this process has acted on: a computation that saw this number change may hold old data
_gates: dict[tuple, threading.Lock] = {}  # one computation at a time per key


def _mark_local() -> None:
    with _lock:
        _writes[0] += 1
        for key, (_, value) in list(_entries.items()):
            _entries[key] = (None, value)


def _follow_other_workers() -> None:
    """Mark everything stale when another process has written since this one last looked."""
    token = current_generation()
    if token != _seen_generation[0]:
        if _seen_generation[0] is not None or token is not None:
            _mark_local()
        _seen_generation[0] = token


def key_for(session: Session, *parts) -> tuple:
    return (str(session.get_bind().url), *parts)


def _store(key: tuple, value: Any, writes_at_start: int) -> None:
    """Keep ``value``; as already stale when a write was acted on while it was computed."""
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            oldest = sorted(_entries.items(), key=lambda kv: kv[1][0] or 0.0)[: MAX_ENTRIES // 4]
            for k, _ in oldest:
                _entries.pop(k, None)
                _gates.pop(k, None)
        _entries[key] = (time.monotonic() if _writes[0] == writes_at_start else None, value)


def _compute_now(key: tuple, compute: Callable[[Session], Any], session: Session) -> Any:
    """Compute ``key`` in this request, unless a request that missed it at the same time already did: the
    others wait for that one computation and take its value (when no write came in between)."""
    asked = time.monotonic()
    with _lock:
        gate = _gates.setdefault(key, threading.Lock())
    with gate:
        with _lock:
            hit = _entries.get(key)
        if hit is not None and hit[0] is not None and hit[0] >= asked:
            return hit[1]  # stored after this request asked, with no write acted on since its computation began
        writes = _writes[0]
        value = compute(session)
        _store(key, value, writes)
        return value


def _refresh(db, key: tuple, compute: Callable[[Session], Any]) -> None:
    with _lock:
        if key in _refreshing:
            return
        _refreshing.add(key)

    def work():
        try:
            writes = _writes[0]
            with db.session() as s:
                value = compute(s)
            _store(key, value, writes)
        except Exception:
            log.exception("background refresh of %s failed", key[1:])
        finally:
            with _lock:
                _refreshing.discard(key)

    threading.Thread(target=work, name="xinlian-cache", daemon=True).start()


def cached(key: tuple, compute: Callable[[Session], Any], *, session: Session, db=None,
           stale_after_write: bool = False, ttl: float | None = None) -> Any:
    """The value for ``key``: fresh from the cache, stale while refreshing (when ``db`` is given), or computed.

    After a write (``mark_stale``) the value is computed again before it is shown, unless ``stale_after_write``
    (for the slow diagnosis: the previous one is shown while a thread computes the new one). ``ttl``: seconds a
    value is served without looking again when no write was announced (``SLOW_TTL_S`` for the diagnosis).
    """
    _follow_other_workers()
    with _lock:
        hit = _entries.get(key)
    if hit is not None:
        written = hit[0] is None
        if not written and time.monotonic() - hit[0] < (TTL_S if ttl is None else ttl):
            return hit[1]
        if db is not None and (not written or stale_after_write):
            _refresh(db, key, compute)
            return hit[1]
    return _compute_now(key, compute, session)


def mark_stale() -> None:
    """After a write: entries are computed again at their next use (see ``stale_after_write``), in this process
    and in every other worker serving from the same ``XINLIAN_HOME``."""
    _mark_local()
    token = announce_change()
    if token is not None:
        _seen_generation[0] = token


def clear() -> None:
    with _lock:
        _entries.clear()
        _gates.clear()
