"""Pages and their JSON twins: same data, escaped hostile text, search and filters, masking, OpenAPI docs."""

from __future__ import annotations

import json

import pytest

from webdata import XSS_NAME
from webdata import seed_news

PAGES = ["/dashboard", "/chain", "/chain/nodes/foundry", "/enterprises", "/enterprises?q=碳化硅",
         "/admin/users", "/admin/audit"]


@pytest.mark.parametrize("path", PAGES)
def test_json_twin_is_the_same_data(sqlite_web, path):
    c = sqlite_web.client("admin")
    base, _, query = path.partition("?")
    twin = c.get(base + ".json" + ("?" + query if query else ""))
    accept = c.get(path, headers={"accept": "application/json"})
    assert twin.status_code == accept.status_code == 200
    assert twin.headers["content-type"].startswith("application/json")
    a, b = twin.json(), accept.json()
    a.pop("items", None) if path == "/admin/audit" else None  # the audit log grows between the two calls
    b.pop("items", None) if path == "/admin/audit" else None
    if path == "/admin/audit":
        a.pop("total"), b.pop("total"), a.pop("pages"), b.pop("pages"), a.pop("actions"), b.pop("actions")
    assert a == b
    html = c.get(path)
    assert html.headers["content-type"].startswith("text/html")


def test_hostile_enterprise_name_is_escaped_everywhere(web):
    c = web.client("admin")
    xss = web.ids["xss"]
    for path in (f"/enterprises/{xss}", "/enterprises?q=公司", "/chain/nodes/foundry", "/dashboard"):
        html = c.get(path).text
        assert "<script>alert(1)" not in html, path
        assert "<img src=x onerror" not in html, path
    html = c.get(f"/enterprises/{xss}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;公司" in html
    raw = c.get(f"/enterprises/{xss}.json")
    assert "<script>" not in raw.text and "\\u003cscript\\u003e" in raw.text
    assert raw.json()["enterprise"]["name"] == XSS_NAME  # the data itself is intact


def test_json_blocks_in_pages_cannot_close_the_script(sqlite_web):
    html = sqlite_web.client("admin").get("/chain/nodes/foundry").text
    for block in html.split('type="application/json"')[1:]:
        body = block.split("</script>", 1)[0]
        assert "<" not in body.split(">", 1)[1]


def test_chinese_search_and_filters(web):
    c = web.client("viewer")
    names = lambda r: [i["name"] for i in r.json()["items"]]  # noqa: E731
    assert names(c.get("/enterprises.json?q=碳化硅")) == ["澄江碳化硅材料有限公司"]
    assert "滆湖晶圆代工有限公司" in names(c.get("/enterprises.json?q=晶圆代工"))
    local = names(c.get("/enterprises.json?scope=local"))
    outside = names(c.get("/enterprises.json?scope=outside"))
    assert "远山功率器件股份有限公司" in outside and "远山功率器件股份有限公司" not in local
    assert set(names(c.get("/enterprises.json?node=foundry"))) == {"滆湖晶圆代工有限公司", XSS_NAME}
    assert names(c.get("/enterprises.json?node=manufacturing")) == names(c.get("/enterprises.json?node=foundry"))
    assert names(c.get("/enterprises.json?region=44")) == ["远山功率器件股份有限公司"]
    high = names(c.get("/enterprises.json?flag=high_tech"))
    assert "澄江碳化硅材料有限公司" in high and "滆湖晶圆代工有限公司" not in high
    assert c.get("/enterprises.json?node=nope").status_code == 404


@pytest.mark.parametrize("q", ["'; DROP TABLE enterprise; --", "\" OR 1=1 --", "碳化硅\" AND \"x", "%_%", "\\",
                               "NEAR(a b)", "*", "a:b", "() OR"])
def test_hostile_search_strings_never_500(sqlite_web, q):
    c = sqlite_web.client("viewer")
    for path in ("/enterprises.json", "/news.json"):
        r = c.get(path, params={"q": q})
        assert r.status_code in (200, 404, 422), (path, q, r.status_code)
    r = c.get("/enterprises.json")
    assert r.json()["total"] == 4


def test_viewer_sees_sensitive_figures_masked(web):
    eid = web.ids["enterprises"][1]
    viewer = web.client("viewer").get(f"/enterprises/{eid}.json").json()
    analyst = web.client("analyst").get(f"/enterprises/{eid}.json").json()
    assert viewer["figures_masked"] and not analyst["figures_masked"]
    assert all(f["tax"] is None and f["output_value"] is None for f in viewer["figures"])
    assert all(f["employees"] for f in viewer["figures"])
    assert analyst["figures"][-1]["tax"] == pytest.approx(1.5e8 * 2 * 0.05)
    assert web.client("viewer").get("/dashboard.json").json()["headline"]["output"] is None


def test_dashboard_and_node_content(web):
    c = web.client("analyst")
    d = c.get("/dashboard.json").json()
    assert d["headline"]["chain_firms"] == 3  # local firms on the chain: two on foundry, one on SiC substrate
    assert d["headline"]["chain_firms_by_stage"] == {"upstream": 1, "midstream": 2, "downstream": 0}
    assert d["headline"]["output"]["year"] == 2024
    assert {n["id"] for n in d["map"]["nodes"]} >= {"foundry", "sic_substrate"}
    assert next(n for n in d["map"]["nodes"] if n["id"] == "foundry")["firms"] == 2
    n = c.get("/chain/nodes/foundry.json").json()
    assert n["local_firms"]["total"] == 2
    assert "silicon_wafer" in [i["id"] for i in n["inputs"]]
    assert c.get("/chain/nodes/nope.json").status_code == 404


def test_openapi_documents_every_route(sqlite_web):
    from xinlian.web.access import iter_routes

    spec = sqlite_web.client("viewer").get("/openapi.json").json()
    for path, method in iter_routes(sqlite_web.app):
        op = spec["paths"].get(path.replace(":int", ""), {}).get(method.lower())
        assert op is not None, (path, method)
        assert op.get("summary") and op.get("tags"), (path, method)
    assert sqlite_web.client(None).get("/openapi.json").status_code == 401


# --- news and links ---------------------------------------------------------------------------------------------

def test_news_feed_and_article(web):
    news = seed_news(web.db, web.ids)
    c = web.client("viewer")
    feed = c.get("/news.json").json()
    assert feed["total"] == 2 and feed["items"][0]["id"] == news["hostile"]
    assert c.get("/news.json?event=signing").json()["items"][0]["id"] == news["friendly"]
    assert [i["id"] for i in c.get("/news.json?q=签约").json()["items"]] == [news["friendly"]]
    a = c.get(f"/news/{news['friendly']}.json").json()
    linked = [s for s in a["segments"] if s.get("enterprise_id")]
    assert linked and linked[0]["text"] == "滆湖晶圆代工有限公司"
    assert a["events"][0]["type"] == "signing"
    html = c.get(f"/news/{news['friendly']}").text
    assert f'<a href="/enterprises/{web.ids["enterprises"][1]}">滆湖晶圆代工有限公司</a>' in html


def test_hostile_article_is_inert(web):
    news = seed_news(web.db, web.ids)
    c = web.client("viewer")
    for path in ("/news", f"/news/{news['hostile']}", "/links", "/dashboard"):
        html = c.get(path).text
        for needle in ("<script>alert", "<img src=x", "javascript:alert", "<b>outlet"):
            assert needle not in html, (path, needle)
    raw = c.get(f"/news/{news['hostile']}/raw")
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("text/plain")
    assert raw.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in raw.headers["content-security-policy"]
    assert b"<script>alert(4)</script>" in raw.content
    assert c.get(f"/news/{news['friendly']}/raw").status_code == 404  # no raw page kept


def test_link_review_confirm_and_reject(web):
    news = seed_news(web.db, web.ids)
    queue = web.client("viewer").get("/links.json").json()["items"]
    assert {q["link_id"] for q in queue} >= {news["proposed_link"]}
    r = web.post(web.client("viewer"), f"/links/{news['proposed_link']}/confirm")
    assert r.status_code == 403
    r = web.post(web.client("analyst"), f"/links/{news['proposed_link']}/confirm", {"note": "核实无误"})
    assert r.status_code == 303
    queue = web.client("analyst").get("/links.json").json()["items"]
    assert news["proposed_link"] not in {q["link_id"] for q in queue}
    other = queue[0]["link_id"]
    r = web.post(web.client("analyst"), f"/links/{other}/reject")
    assert r.status_code == 303
    assert web.client("analyst").get("/links.json").json()["items"] == []
    from xinlian.store.tables.auth import AuditLog
    from xinlian.store.tables.facts import LinkJudgement

    with web.db.session() as s:
        assert [j.decision for j in s.query(LinkJudgement).order_by(LinkJudgement.id)] == ["confirm", "reject"]
        row = s.query(AuditLog).filter_by(action="link.confirm").one()
        assert row.username == "analyst" and row.after["note"] == "核实无误"
    assert web.post(web.client("analyst"), "/links/99999/confirm").status_code == 404


# --- projects ---------------------------------------------------------------------------------------------------

def test_project_board_move_and_problems(web):
    from xinlian.work import projects as wp

    with web.db.session() as s:
        pid = wp.add_project(s, name="<script>alert(11)</script>项目", stage="lead", user="admin")["id"]
    analyst = web.client("analyst")
    board = analyst.get("/projects.json").json()
    lead = next(col for col in board["columns"] if col["id"] == "lead")
    assert [p["id"] for p in lead["items"]] == [pid]
    assert "<script>alert(11)" not in analyst.get("/projects").text
    assert web.post(web.client("viewer"), f"/projects/{pid}/move", {"to_stage": "contact"}).status_code == 403
    r = web.post(analyst, f"/projects/{pid}/move", {"to_stage": "contact", "reason": "电话接洽", "version": 1})
    assert r.status_code == 303
    r = web.post(analyst, f"/projects/{pid}/move", {"to_stage": "signed", "version": 2})
    assert r.status_code == 400 and "不允许" in r.text
    r = web.post(analyst, f"/projects/{pid}/move", {"to_stage": "negotiating", "version": 1})
    assert r.status_code == 409  # stale version
    p = analyst.get(f"/projects/{pid}.json").json()["project"]
    assert p["stage"] == "contact" and p["history"][-1]["reason"] == "电话接洽"
    r = web.post(analyst, f"/projects/{pid}/problems", {"category": "land", "description": "用地指标未落实"})
    assert r.status_code == 303
    problem = analyst.get(f"/projects/{pid}.json").json()["project"]["problems"][0]
    r = web.post(analyst, f"/projects/problems/{problem['id']}/close", {"resolution": "已协调"})
    assert r.status_code == 303
    from xinlian.store.tables.auth import AuditLog

    with web.db.session() as s:
        actions = [(a.action, a.outcome) for a in s.query(AuditLog).filter(AuditLog.object_type.in_(
            ["project", "problem"])).order_by(AuditLog.id)]
        move = s.query(AuditLog).filter_by(action="project.move", outcome="success").one()
        assert move.before["stage"] == "lead" and move.after["stage"] == "contact"
    assert actions == [("project.move", "success"), ("project.move", "failure"), ("project.move", "failure"),
                       ("problem.create", "success"), ("problem.close", "success")]
    assert json.dumps(actions)


def test_pager_links_are_relative(sqlite_web):
    from xinlian.store.tables.registry import Enterprise

    with sqlite_web.db.session() as s:
        s.add_all([Enterprise(name=f"翻页测试企业{i}", name_norm=f"翻页测试企业{i}", match_key=f"p:{i}",
                              region_code="320412") for i in range(60)])
    html = sqlite_web.client("viewer").get("/enterprises?scope=local", headers={"host": "evil.example"}).text
    assert 'href="/enterprises?scope=local&amp;page=2"' in html
    assert "evil.example" not in html


def test_search_pages_and_capped_count(web, monkeypatch):
    from xinlian.web.routes import enterprises as route

    c = web.client("viewer")
    every = c.get("/enterprises.json?q=公司").json()
    assert every["total"] == len(every["items"]) >= 3 and every["total_capped"] is False
    monkeypatch.setattr(route, "PAGE_SIZE", 1)
    monkeypatch.setattr(route, "SEARCH_COUNT_CAP", 2)
    first = c.get("/enterprises.json?q=公司").json()
    assert (first["total"], first["total_capped"], first["pages"]) == (2, True, 2)
    seen = []
    for n in range(1, every["total"] + 2):
        data = c.get(f"/enterprises.json?q=公司&page={n}").json()
        seen += [i["id"] for i in data["items"]]
        assert data["pages"] >= n  # the pager always reaches the page shown
    assert seen == [i["id"] for i in every["items"]]  # page after page: each match once, in the same order
    assert "2+" in c.get("/enterprises?q=公司").text
    one = c.get("/enterprises.json?q=碳化硅").json()
    assert (one["total"], one["total_capped"], one["pages"]) == (1, False, 1)
