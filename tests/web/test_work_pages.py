"""Visits and demands, policies with their matches, briefing downloads: pages, JSON twins, writes audited."""

from __future__ import annotations

import pytest

from webdata import XSS_NAME


def audit(db, action):
    from xinlian.store.tables.auth import AuditLog

    with db.session() as s:
        return [(a.username, a.outcome, a.after) for a in s.query(AuditLog).filter_by(action=action)]


def test_visits_and_demands(web):
    c = web.client("analyst")
    r = web.post(c, "/visits", {"visit_date": "2025-03-02", "enterprises": "滆湖晶圆代工有限公司、不在库的某公司",
                                "officials": "区长 王某", "topics": "二期扩产用地"})
    assert r.status_code == 303, r.text[:300]
    vid = int(r.headers["location"].rsplit("/", 1)[1])
    v = c.get(f"/visits/{vid}.json").json()["visit"]
    assert [e["enterprise_id"] is not None for e in v["enterprises"]] == [True, False]
    r = web.post(c, "/demands", {"description": "需要新增用地50亩", "category": "land_space", "visit_id": vid,
                                 "due": "2025-04-01"})
    assert r.status_code == 303
    demand = c.get(f"/visits/{vid}.json").json()["visit"]["demands"][0]
    assert demand["enterprise_id"] == web.ids["enterprises"][1]  # the visit's only registry firm
    r = web.post(c, f"/demands/{demand['id']}/close", {"response": "已协调国土部门"})
    assert r.status_code == 303
    listing = c.get("/visits.json").json()
    assert listing["visits"][0]["id"] == vid and listing["demands"][0]["status"] == "closed"
    assert web.post(c, "/demands", {"description": "x", "category": "nope"}).status_code == 400
    assert web.post(web.client("viewer"), "/visits", {"enterprises": "x"}).status_code == 403
    assert audit(web.db, "visit.create")[0][0] == "analyst"
    assert audit(web.db, "demand.close")[0][2]["status"] == "closed"
    html = c.get(f"/visits/{vid}").text
    assert "二期扩产用地" in html and "需要新增用地50亩" in html


def test_draft_visit_from_news_is_confirmed(sqlite_web):
    from xinlian.work import visits as wv

    with sqlite_web.db.session() as s:
        vid = wv.add_visit(s, visit_date=None, enterprises=[XSS_NAME], status="draft", source="news")["id"]
    c = sqlite_web.client("analyst")
    assert "<script>alert(1)" not in c.get("/visits").text
    r = sqlite_web.post(c, f"/visits/{vid}/confirm")
    assert r.status_code == 303
    assert c.get(f"/visits/{vid}.json").json()["visit"]["status"] == "confirmed"
    assert sqlite_web.post(c, f"/visits/{vid}/confirm").status_code == 400  # already confirmed


def test_policies_and_matches(web):
    from xinlian.work import policies as wpol

    with web.db.session() as s:
        pid = wpol.add_policy(s, title="高新技术企业研发奖励", criteria={"flags_all": ["high_tech"],
                              "region": {"code": "320412", "include_descendants": True}})["id"]
    c = web.client("viewer")
    items = c.get("/policies.json").json()["items"]
    assert items[0]["title"] == "高新技术企业研发奖励" and items[0]["criteria_text"]
    matches = c.get(f"/policies/{pid}.json").json()["matches"]
    names = {m["name"] for m in matches}
    assert names == {"澄江碳化硅材料有限公司", XSS_NAME}  # high-tech and local
    assert all(m["why"] for m in matches)
    assert "<script>alert(1)" not in c.get(f"/policies/{pid}").text
    profile = c.get(f"/enterprises/{web.ids['enterprises'][0]}.json").json()
    assert [p["title"] for p in profile["policies"]] == ["高新技术企业研发奖励"]
    assert c.get("/policies/9999.json").status_code == 404


def test_briefing_download_is_an_audited_export(sqlite_web):
    pytest.importorskip("xinlian.report.render")
    c = sqlite_web.client("viewer")
    r = c.get("/reports/briefing?period=2025-Q1&fmt=xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert r.headers["content-disposition"].startswith("attachment")
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    assert audit(sqlite_web.db, "report.export")[0][:2] == ("viewer", "success")
    assert c.get("/reports/briefing?period=nonsense&fmt=xlsx").status_code == 400
    assert c.get("/reports/briefing?period=2025-Q1&fmt=exe").status_code == 422
    assert "2025-Q1" in c.get("/reports").text or c.get("/reports.json").json()["default_period"]
