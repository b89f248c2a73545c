"""The page cache: fresh within its time, recomputed after a write made through the app, stale-while-refresh."""

from __future__ import annotations

import time

from xinlian.web import cache


def test_cached_values_and_writes(sqlite_db, monkeypatch):
    cache.clear()
    calls = []

    def compute(session):
        calls.append(1)
        return len(calls)

    with sqlite_db.session() as s:
        key = cache.key_for(s, "probe")
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 1
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 1  # fresh: not computed again
        cache.mark_stale()
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 2  # after a write: computed before shown
        cache.mark_stale()
        assert cache.cached(key, compute, session=s, db=sqlite_db, stale_after_write=True) == 2  # stale shown
        deadline = time.time() + 5
        while len(calls) < 3 and time.time() < deadline:
            time.sleep(0.02)
        assert len(calls) == 3  # ... while a thread computed the new value
        time.sleep(0.05)
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 3
        monkeypatch.setattr(cache, "TTL_S", 0.0)
        assert cache.cached(key, compute, session=s) == 4  # expired, no db for a background refresh
    cache.clear()


def test_web_write_refreshes_the_dashboard(sqlite_web):
    c = sqlite_web.client("admin")
    before = c.get("/dashboard.json").json()["headline"]["local_firms_all"]
    r = sqlite_web.post(c, "/admin/users", {"username": "fresh", "password": "Qing-Shan 8 Lu", "role": "viewer"})
    assert r.status_code == 303
    from xinlian.store.tables.registry import Enterprise

    with sqlite_web.db.session() as s:
        s.add(Enterprise(name="新来的本地企业", name_norm="新来的本地企业", match_key="n:new", region_code="320412"))
    # made outside the app: shown after a web write or within the cache time
    sqlite_web.post(c, f"/admin/users/{sqlite_web.ids['target']}/unlock")
    assert c.get("/dashboard.json").json()["headline"]["local_firms_all"] == before + 1


def test_a_write_in_another_worker_reaches_this_one(sqlite_db):
    """Workers share nothing but the database and XINLIAN_HOME: another process's ``mark_stale`` is a new token in
    the generation file, and this process computes again before showing a value."""
    import subprocess
    import sys

    cache.clear()
    calls = []

    def compute(session):
        calls.append(1)
        return len(calls)

    with sqlite_db.session() as s:
        key = cache.key_for(s, "probe-workers")
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 1
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 1
        other = subprocess.run([sys.executable, "-c", "from xinlian.web import cache; cache.mark_stale()"],
                               capture_output=True, text=True)
        assert other.returncode == 0, other.stderr
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 2  # computed again, not the old value
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 2
    cache.clear()
