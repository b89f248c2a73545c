"""429 past the configured burst on search, export and import (checklist 19), per user and client IP, with a
sliding window driven by a clock the test controls."""

from __future__ import annotations

import io


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def _limit(env, bucket: str, n: int) -> Clock:
    from xinlian.web.security import limiter_for

    limiter = limiter_for(env.app.state.web, bucket)
    clock = Clock()
    limiter.limit, limiter.clock = n, clock
    return clock


def _limited(db):
    from xinlian.store.tables.auth import AuditLog

    with db.session() as s:
        return [(r.username, r.object_id, r.detail) for r in s.query(AuditLog).filter_by(action="rate.limited")]


def test_defaults_are_settings():
    from xinlian.settings import Settings

    s = Settings()
    assert (s.search_rate, s.export_rate, s.import_rate, s.rate_window_s) == (120, 20, 10, 60)


def test_search_is_limited_per_user_with_a_sliding_window(web):
    clock = _limit(web, "search", 3)
    c = web.client("analyst")
    codes = [c.get("/enterprises.json", params={"q": "碳化硅"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert c.get("/news.json", params={"q": "签约"}).status_code == 429  # one budget for every search
    assert c.get("/enterprises.json").status_code == 200  # listing without a query is not a search
    r = c.get("/enterprises", params={"q": "碳化硅"})
    assert r.status_code == 429 and "操作过于频繁" in r.text
    # another user from the same address has a budget of their own
    assert web.client("viewer").get("/enterprises.json", params={"q": "碳化硅"}).status_code == 200
    rows = _limited(web.db)
    assert rows and rows[0][0] == "analyst" and "GET /enterprises.json" in rows[0][1] and "search" in rows[0][2]
    clock.t += 59  # still inside the window: the refused attempts counted too
    assert c.get("/enterprises.json", params={"q": "碳化硅"}).status_code == 429
    clock.t += 61
    assert c.get("/enterprises.json", params={"q": "碳化硅"}).status_code == 200


def test_search_limit_counts_per_client_ip(sqlite_web):
    from xinlian.web.security import limiter_for

    _limit(sqlite_web, "search", 1)
    limiter = limiter_for(sqlite_web.app.state.web, "search")
    c = sqlite_web.client("analyst")
    assert c.get("/enterprises.json", params={"q": "晶圆"}).status_code == 200
    assert c.get("/enterprises.json", params={"q": "晶圆"}).status_code == 429
    uid = sqlite_web.ids["analyst"]
    keys = [k for k in limiter._events if k.startswith(f"{uid}|")]
    assert keys == [f"{uid}|testclient"]  # the key is user + address


def test_briefing_and_raw_downloads_share_the_export_limit(sqlite_web):
    from webdata import seed_news

    news = seed_news(sqlite_web.db, sqlite_web.ids)
    clock = _limit(sqlite_web, "export", 1)
    c = sqlite_web.client("viewer")
    assert c.get(f"/news/{news['hostile']}/raw").status_code == 200
    assert c.get(f"/news/{news['hostile']}/raw").status_code == 429
    r = c.get("/reports/briefing", params={"period": "2025-03", "fmt": "html"})
    assert r.status_code == 429  # refused before any work is done
    clock.t += 61
    assert c.get(f"/news/{news['hostile']}/raw").status_code == 200


def test_imports_are_limited(sqlite_web):
    _limit(sqlite_web, "import", 2)
    c = sqlite_web.client("analyst")

    def upload():
        return sqlite_web.post(c, "/imports", {"kind": "projects"},
                               files={"file": ("x.txt", io.BytesIO(b"not a sheet"), "text/plain")})

    assert [upload().status_code for _ in range(3)] == [415, 415, 429]
    assert any("import" in (d or "") for _, _, d in _limited(sqlite_web.db))
