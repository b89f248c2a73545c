"""A small read cache for expensive page data (the diagnosis, the dashboard figures, a node's firms).

``cached(key, compute, session=..., db=...)`` returns a value at most ``TTL_S`` old; an older one is still
returned while a background thread computes a fresh one (stale-while-revalidate), so only the first view after
start waits. Keys start with the database URL, so two databases never share entries.

Several worker processes (``xinlian serve --workers N``) each hold their own entries. Every writer announces its
commit through ``xinlian.store.changes`` (web writes through ``mark_stale()``; registry, sheet and page imports from
the library, so also from the CLI), and every lookup compares the announced token with the one this process last
acted on, so a write taken by one worker, or an import run beside the server, makes every worker compute again.
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
MAX_ENTRIES = 2000

_entries: dict[tuple, tuple[float | None, Any]] = {}  # (stored at, or None after a write; value)
_refreshing: set[tuple] = set()
_lock = threading.Lock()
_seen_generation: list[str | None] = [None]  # the other workers' last write token this process has acted on


def _mark_local() -> None:
    with _lock:
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


def _store(key: tuple, value: Any) -> None:
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            oldest = sorted(_entries.items(), key=lambda kv: kv[1][0] or 0.0)[: MAX_ENTRIES // 4]
            for k, _ in oldest:
                _entries.pop(k, None)
        _entries[key] = (time.monotonic(), value)


def _refresh(db, key: tuple, compute: Callable[[Session], Any]) -> None:
    with _lock:
        if key in _refreshing:
            return
        _refreshing.add(key)

    def work():
        try:
            with db.session() as s:
                value = compute(s)
            _store(key, value)
        except Exception:
            log.exception("background refresh of %s failed", key[1:])
        finally:
            with _lock:
                _refreshing.discard(key)

    threading.Thread(target=work, name="xinlian-cache", daemon=True).start()


def cached(key: tuple, compute: Callable[[Session], Any], *, session: Session, db=None,
           stale_after_write: bool = False) -> Any:
    """The value for ``key``: fresh from the cache, stale while refreshing (when ``db`` is given), or computed.

    After a write (``mark_stale``) the value is computed again before it is shown, unless ``stale_after_write``
    (for the slow diagnosis: the previous one is shown while a thread computes the new one).
    """
    _follow_other_workers()
    with _lock:
        hit = _entries.get(key)
    if hit is not None:
        written = hit[0] is None
        if not written and time.monotonic() - hit[0] < TTL_S:
            return hit[1]
        if db is not None and (not written or stale_after_write):
            _refresh(db, key, compute)
            return hit[1]
    value = compute(session)
    _store(key, value)
    return value


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
