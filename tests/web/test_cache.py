"""The page cache: fresh within its time, recomputed after a write made through the app, stale-while-refresh."""

from __future__ import annotations

import time

from xinlian.web import cache


class Counter:
    """A ``compute`` for the cache that answers how many times it has been called."""

    def __init__(self):
        self.calls: list[int] = []

    def __call__(self, session) -> int:
        self.calls.append(1)
        return len(self.calls)


def test_cached_values_and_writes(sqlite_db, monkeypatch):
    cache.clear()
    compute = Counter()
    calls = compute.calls

    with sqlite_db.session() as s:
        key = cache.key_for(s, "probe")
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 1
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 1  # fresh: not computed again
        cache.mark_stale()
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 2  # after a write: computed before shown
        cache.mark_stale()
        assert cache.cached(key, compute, session=s, db=sqlite_db, stale_after_write=True) == 2  # stale shown
        deadline = time.time() + 30
        while (len(calls) < 3 or cache._refreshing) and time.time() < deadline:
            time.sleep(0.02)
        assert len(calls) == 3 and not cache._refreshing  # ... while a thread computed and stored the new value
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
    compute = Counter()

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


def test_a_value_computed_across_a_write_is_not_kept_as_fresh(sqlite_db):
    """The write lands while the value is being computed: the value may hold the old data, so the next use
    computes again instead of serving it for the cache's whole time."""
    cache.clear()
    calls = []

    def compute(session):
        calls.append(1)
        if len(calls) == 1:
            cache.mark_stale()  # a write committed by another request during this computation
        return len(calls)

    with sqlite_db.session() as s:
        key = cache.key_for(s, "probe-overlap")
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 1  # shown to the request that asked ...
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 2  # ... but not kept as fresh
        assert cache.cached(key, compute, session=s, db=sqlite_db) == 2
    cache.clear()


def test_concurrent_misses_compute_once(sqlite_db):
    """Requests that miss the same key at the same time wait for one computation; a write in between still
    makes the next request compute again."""
    import threading

    cache.clear()
    calls, started, release = [], threading.Event(), threading.Event()

    def compute(session):
        calls.append(1)
        started.set()
        release.wait(5)
        return len(calls)

    key = ("probe-herd",)
    results = []

    def ask():
        with sqlite_db.session() as s:
            results.append(cache.cached(key, compute, session=s))

    first = threading.Thread(target=ask)
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=ask) for _ in range(4)]
    for t in others:
        t.start()
    time.sleep(0.1)  # the others are waiting for the first computation, not running their own
    release.set()
    for t in [first, *others]:
        t.join(5)
    assert results == [1] * 5 and len(calls) == 1
    cache.mark_stale()
    with sqlite_db.session() as s:
        assert cache.cached(key, compute, session=s) == 2
    cache.clear()


def test_dashboard_lists_come_from_the_cache_and_follow_a_web_write(sqlite_web):
    """The news list and the project funnel are cached like the figures: an article stored outside the app is
    not shown until a write is announced, then it is."""
    from datetime import date

    from xinlian.store.tables.news import Article, Page

    c = sqlite_web.client("admin")
    before = c.get("/dashboard.json").json()
    assert before["funnel"] is not None and before["events"] is not None
    with sqlite_web.db.session() as s:
        s.add(Page(id=9001, source="test://9001", url="http://example.invalid/9001", status="ok"))
        s.flush()
        s.add(Article(id=9001, page_id=9001, title="滆湖新材料项目签约（缓存测试）", published_date=date(2099, 1, 1),
                      outlet="示例日报", text="签约。", warnings=[], body_hash="f" * 64, kind="text",
                      is_canonical=True, chain="semiconductor"))
    assert "缓存测试" not in c.get("/dashboard").text  # cached, nothing announced yet
    sqlite_web.post(c, f"/admin/users/{sqlite_web.ids['target']}/unlock")
    after = c.get("/dashboard.json").json()
    assert after["events"][0]["title"] == "滆湖新材料项目签约（缓存测试）"
    assert after["funnel"] == before["funnel"]
    assert "缓存测试" in c.get("/dashboard").text


def test_a_slow_value_outlives_the_short_time_limit_but_not_a_write(sqlite_db, monkeypatch):
    """The diagnosis is kept for SLOW_TTL_S without a write (rebuilding it costs a second of CPU), yet an announced
    write still makes it computed again."""
    cache.clear()
    compute = Counter()

    monkeypatch.setattr(cache, "TTL_S", 0.0)  # every ordinary entry has expired at once
    with sqlite_db.session() as s:
        key = cache.key_for(s, "slow-probe")
        assert cache.cached(key, compute, session=s, ttl=cache.SLOW_TTL_S) == 1
        assert cache.cached(key, compute, session=s, ttl=cache.SLOW_TTL_S) == 1  # still fresh under the long limit
        assert cache.cached(cache.key_for(s, "fast-probe"), compute, session=s) == 2
        assert cache.cached(cache.key_for(s, "fast-probe"), compute, session=s) == 3  # the short one expired
        cache.mark_stale()
        assert cache.cached(key, compute, session=s, ttl=cache.SLOW_TTL_S) == 4
    cache.clear()
