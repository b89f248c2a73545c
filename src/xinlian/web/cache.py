"""A small read cache for expensive page data (the diagnosis, the dashboard figures, a node's firms).

``cached(key, compute, session=..., db=...)`` returns a value at most ``TTL_S`` old; an older one is still
returned while a background thread computes a fresh one (stale-while-revalidate), so only the first view after
start waits. Writes made through the web app call ``mark_stale()``; imports made elsewhere (the CLI) show up
within ``TTL_S``. Keys start with the database URL, so two databases never share entries.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from sqlalchemy.orm import Session

log = logging.getLogger("xinlian.web")

TTL_S = 30.0
MAX_ENTRIES = 2000

_entries: dict[tuple, tuple[float | None, Any]] = {}  # (stored at, or None after a write; value)
_refreshing: set[tuple] = set()
_lock = threading.Lock()


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
    """After a write: entries are computed again at their next use (see ``stale_after_write``)."""
    with _lock:
        for key, (_, value) in list(_entries.items()):
            _entries[key] = (None, value)


def clear() -> None:
    with _lock:
        _entries.clear()
