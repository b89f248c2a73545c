"""Object-level access (checklist 2): a user limited to one region sees only its firms and work records, in pages,
JSON, search and downloads; another region's object opened by id answers 404 and is audited. Both databases."""

from __future__ import annotations

import pytest


def _audit(db, action):
    from xinlian.store.tables.auth import AuditLog

    with db.session() as s:
        return [(r.username, r.object_type, r.object_id, r.outcome) for r in
                s.query(AuditLog).filter_by(action=action).order_by(AuditLog.id)]


@pytest.fixture
def scoped(web, password_hash):
    """Two district analysts (武进 320412 and 南山 440305), one city-wide viewer (3204), an outside candidate firm,
    and a project, a visit and a demand on each side."""
    from datetime import date

    from xinlian.registry.names import normalise
    from xinlian.store.dialect import index_documents
    from xinlian.store.tables.auth import User
    from xinlian.store.tables.registry import Enterprise
    from xinlian.work import projects as wp
    from xinlian.work import visits as wv
    from xinlian.work.rules import categories

    ids = web.ids
    here, there = ids["enterprises"][0], ids["enterprises"][3]  # 320412 and 440305 (webdata.seed)
    with web.db.session() as s:
        for name, role, scope in (("wujin", "analyst", "320412"), ("nanshan", "analyst", "440305"),
                                  ("city", "viewer", "320400")):
            s.add(User(username=name, display_name=name, password_hash=password_hash, role=role,
                       region_scope=scope))
        cand = Enterprise(name="北辰外地靶向半导体有限公司", name_norm=normalise("北辰外地靶向半导体有限公司"),
                          match_key="n:cand", region_code="110108", status="candidate", products="碳化硅外延")
        s.add(cand)
        s.flush()
        index_documents(s, "enterprise", [(cand.id, "北辰外地靶向半导体有限公司 碳化硅外延")])
        ids["candidate"] = cand.id
    cat = next(iter(categories().demand))
    with web.db.session() as s:
        ids["p_here"] = wp.add_project(s, name="武进碳化硅二期", investor_id=here, user="t")["id"]
        ids["p_there"] = wp.add_project(s, name="南山功率模块扩产", investor_id=there, expected_tax=9.9e7,
                                        user="t")["id"]
        ids["p_cand"] = wp.add_project(s, name="北辰外延落地", investor_id=cand.id, user="t")["id"]
        ids["v_here"] = wv.add_visit(s, visit_date=date(2025, 3, 1), enterprises=[here], user="t")["id"]
        ids["v_there"] = wv.add_visit(s, visit_date=date(2025, 3, 2), enterprises=[there], topics="南山走访",
                                      user="t")["id"]
        ids["d_here"] = wv.add_demand(s, description="武进用电增容", category=cat, enterprise=here, user="t")["id"]
        ids["d_there"] = wv.add_demand(s, description="南山人才公寓", category=cat, enterprise=there,
                                       user="t")["id"]
    ids["here"], ids["there"] = here, there
    return web


def test_scope_prefix_rule():
    from xinlian.users.scope import covers, normalise, prefix_of

    assert prefix_of(None) is None and prefix_of("") is None and prefix_of("  ") is None
    assert prefix_of("320412") == "320412"
    assert prefix_of("320400") == "3204"
    assert prefix_of("320000") == "32"
    assert prefix_of("320410") == "320410"  # zeros are stripped in pairs: 320410 is a district of its own
    assert covers("3204", "320412") and not covers("3204", "320512") and not covers("3204", None)
    assert covers(None, None)
    for bad in ("32041x", "3", "3204120", "32 04"):
        with pytest.raises(ValueError):
            normalise(bad)


def test_search_and_lists_show_only_the_users_region(scoped):
    ids = scoped.ids
    c = scoped.login("wujin")[0]
    items = c.get("/enterprises.json?status=all").json()["items"]
    got = {i["id"] for i in items}
    assert ids["there"] not in got
    assert set(ids["enterprises"][:3]) <= got and ids["candidate"] in got  # own firms and the outside target
    for q in ("功率", "IGBT", "公司"):
        found = {i["id"] for i in c.get("/enterprises.json", params={"q": q, "status": "all"}).json()["items"]}
        assert ids["there"] not in found, q
    assert "远山功率器件股份有限公司" not in c.get("/enterprises?q=远山功率").text
    # the unscoped analyst does find it: the filter is the scope, not the query
    everyone = {i["id"] for i in scoped.client("analyst").get("/enterprises.json", params={"q": "IGBT"}).json()["items"]}
    assert ids["there"] in everyone

    projects = {p["id"] for p in c.get("/projects.json?view=table").json()["projects"]}
    assert projects == {ids["p_here"]}  # the candidate investor's project cannot be placed in a district
    visits = c.get("/visits.json").json()
    assert {v["id"] for v in visits["visits"]} == {ids["v_here"]}
    assert {d["id"] for d in visits["demands"]} == {ids["d_here"]}
    assert "南山人才公寓" not in c.get("/visits").text

    other = scoped.login("nanshan")[0]
    assert {p["id"] for p in other.get("/projects.json?view=table").json()["projects"]} == {ids["p_there"]}


def test_city_scope_covers_its_districts(scoped):
    c = scoped.login("city")[0]
    got = {i["id"] for i in c.get("/enterprises.json?status=all").json()["items"]}
    assert set(scoped.ids["enterprises"][:3]) <= got and scoped.ids["there"] not in got


def test_another_regions_object_by_id_is_404_and_audited(scoped):
    ids = scoped.ids
    c = scoped.login("wujin")[0]
    for url in (f"/enterprises/{ids['there']}", f"/enterprises/{ids['there']}.json", f"/projects/{ids['p_there']}",
                f"/projects/{ids['p_there']}.json", f"/visits/{ids['v_there']}.json", f"/projects/{ids['p_cand']}"):
        r = c.get(url)
        assert r.status_code == 404, url
        assert "南山" not in r.text and "远山" not in r.text
    # the same answer as an id that does not exist: nothing tells the two apart
    missing = c.get("/enterprises/987654.json")
    assert missing.status_code == 404 and missing.json()["error"] == c.get(f"/enterprises/{ids['there']}.json").json()["error"]
    assert c.get(f"/enterprises/{ids['here']}.json").status_code == 200
    assert c.get(f"/enterprises/{ids['candidate']}.json").status_code == 200  # outside firms: visible to all
    denied = _audit(scoped.db, "scope.denied")
    assert ("wujin", "enterprise", str(ids["there"]), "failure") in denied
    assert ("wujin", "project", str(ids["p_there"]), "failure") in denied
    # the unscoped analyst opens everything
    a = scoped.client("analyst")
    assert a.get(f"/enterprises/{ids['there']}.json").status_code == 200
    assert a.get(f"/projects/{ids['p_there']}.json").status_code == 200


def test_writes_on_another_regions_records_are_404_and_change_nothing(scoped):
    from xinlian.store.tables.work import Demand, Project, ProjectProblem

    ids = scoped.ids
    c = scoped.login("wujin")[0]
    r = scoped.post(c, f"/projects/{ids['p_there']}/move", {"to_stage": "contact", "reason": "x"})
    assert r.status_code == 404
    r = scoped.post(c, f"/projects/{ids['p_there']}/problems", {"category": "land", "description": "x"})
    assert r.status_code == 404
    r = scoped.post(c, f"/demands/{ids['d_there']}/close", {"response": "已办"})
    assert r.status_code == 404
    r = scoped.post(c, f"/visits/{ids['v_there']}/confirm")
    assert r.status_code == 404
    with scoped.db.session() as s:
        assert s.get(Project, ids["p_there"]).stage == "lead"
        assert s.query(ProjectProblem).filter_by(project_id=ids["p_there"]).count() == 0
        assert s.get(Demand, ids["d_there"]).status == "open"
    # and the owner of the region can
    r = scoped.post(scoped.login("nanshan")[0], f"/demands/{ids['d_there']}/close", {"response": "已办"})
    assert r.status_code == 303


def test_profile_of_a_candidate_hides_other_regions_work(scoped):
    ids = scoped.ids
    data = scoped.login("wujin")[0].get(f"/enterprises/{ids['candidate']}.json").json()
    assert data["projects"] == []  # the candidate's project is not placed in 320412
    assert [p["id"] for p in scoped.client("analyst").get(f"/enterprises/{ids['candidate']}.json")
            .json()["projects"]] == [ids["p_cand"]]


def test_briefing_outside_the_users_region_is_404(scoped):
    """The deployment region is 320412: a user limited to 440305 gets no briefing of it (no region meets)."""
    c = scoped.login("nanshan")[0]
    r = c.get("/reports/briefing", params={"period": "2025-03", "fmt": "html"})
    assert r.status_code == 404
    assert ("nanshan", "briefing", "semiconductor/320412/2025-03", "failure") in _audit(scoped.db, "scope.denied")
    assert not [row for row in _audit(scoped.db, "report.export") if row[0] == "nanshan"]


def test_briefing_region_follows_the_scope(scoped):
    from types import SimpleNamespace

    from xinlian.settings import get_settings
    from xinlian.web.routes.reports import briefing_region

    def ctx(region, scope):
        settings = get_settings().model_copy(update={"region": region})
        user = SimpleNamespace(region_scope=scope) if scope is not None else None
        return SimpleNamespace(settings=settings, user=user)

    assert briefing_region(ctx("320412", None)) == "320412"
    assert briefing_region(ctx("320412", "320400")) == "320412"  # a city user: the district's briefing
    assert briefing_region(ctx("320400", "320412")) == "320412"  # a district user of a city deployment
    assert briefing_region(ctx("320412", "440305")) is None
    assert briefing_region(ctx("320412", "bad!")) is None


def test_link_queue_follows_the_scope(scoped):
    from webdata import seed_news

    news = seed_news(scoped.db, scoped.ids)
    from xinlian.store.tables.facts import MentionLink
    from xinlian.store.tables.news import Article

    with scoped.db.session() as s:  # one proposed link to the 440305 firm
        art = s.get(Article, news["friendly"])
        from xinlian.store.tables.facts import Mention

        m = Mention(article_id=art.id, kind="org", name="远山功率", name_norm="远山功率", sub_kind="company")
        s.add(m)
        s.flush()
        link = MentionLink(mention_id=m.id, enterprise_id=scoped.ids["there"], score=0.8, method="alias",
                           status="proposed", explanation={"reasons": ["简称"]})
        s.add(link)
        s.flush()
        far_link = link.id
    c = scoped.login("wujin")[0]
    queue = {i["link_id"] for i in c.get("/links.json").json()["items"]}
    assert news["proposed_link"] in queue and far_link not in queue
    assert scoped.post(c, f"/links/{far_link}/confirm").status_code == 404
    with scoped.db.session() as s:
        assert s.get(MentionLink, far_link).status == "proposed"



@pytest.fixture
def batches(scoped, password_hash):
    """Import batches with bad-row reports made by the 武进 and 南山 analysts, a city-wide writer, an unscoped
    analyst and the CLI (no user); a second 武进 analyst and a city-scoped analyst to look at them."""
    from xinlian.store.tables.auth import User
    from xinlian.store.tables.files import ImportBatch, ImportError_

    with scoped.db.session() as s:
        s.add(User(username="wujin2", display_name="wujin2", password_hash=password_hash, role="analyst",
                   region_scope="320412"))
        s.add(User(username="citywriter", display_name="citywriter", password_hash=password_hash, role="analyst",
                   region_scope="320400"))
        made = {}
        for who, bad in (("wujin", "武进坏行企业"), ("nanshan", "南山坏行企业"), ("analyst", "全市坏行企业"),
                         (None, "命令行坏行企业"), ("citywriter", "市级坏行企业")):
            b = ImportBatch(kind="enterprises", file_name=f"{who}.csv", status="done", user=who, rows_bad=1)
            s.add(b)
            s.flush()
            s.add(ImportError_(batch_id=b.id, row=2, column="A（企业名称）", value=bad, reason="[error] 测试"))
            made[who] = b.id
    scoped.ids["batches"] = made
    return scoped


def test_import_batches_follow_the_uploaders_scope(batches):
    made = batches.ids["batches"]
    c = batches.login("wujin")[0]
    assert {b["id"] for b in c.get("/imports.json").json()["batches"]} == {made["wujin"]}
    page = c.get("/imports").text
    assert "nanshan.csv" not in page and "analyst.csv" not in page
    assert "武进坏行企业" in c.get(f"/imports/{made['wujin']}").text
    for other in ("nanshan", "analyst", None, "citywriter"):  # another district, unscoped, CLI, the city above
        for url in (f"/imports/{made[other]}", f"/imports/{made[other]}.json"):
            r = c.get(url)
            assert r.status_code == 404 and "坏行企业" not in r.text, (other, url)
    assert ("wujin", "import_batch", str(made["nanshan"]), "failure") in _audit(batches.db, "scope.denied")
    # a colleague of the same district sees the batch; a city-scoped user sees the districts' batches of the city
    same = batches.login("wujin2")[0]
    assert {b["id"] for b in same.get("/imports.json").json()["batches"]} == {made["wujin"]}
    city = batches.login("citywriter")[0]
    assert {b["id"] for b in city.get("/imports.json").json()["batches"]} == {made["wujin"], made["citywriter"]}
    assert city.get(f"/imports/{made['nanshan']}.json").status_code == 404
    # the unscoped analyst sees every batch
    everyone = {b["id"] for b in batches.client("analyst").get("/imports.json").json()["batches"]}
    assert set(made.values()) <= everyone


def test_dashboard_overdue_list_follows_the_scope(scoped):
    from datetime import date

    from xinlian.store.tables.work import Demand, Project

    ids = scoped.ids
    with scoped.db.session() as s:
        for pid in (ids["p_here"], ids["p_there"], ids["p_cand"]):
            p = s.get(Project, pid)
            p.official, p.next_milestone, p.milestone_due = "wujin", "开工", date(2020, 1, 1)
        for did in (ids["d_here"], ids["d_there"]):
            d = s.get(Demand, did)
            d.owner, d.due = "wujin", date(2020, 1, 1)
    c = scoped.login("wujin")[0]
    overdue = c.get("/dashboard.json").json()["overdue"]
    shown = {(a["subject"], a["subject_id"]) for a in overdue}
    assert ("project", ids["p_here"]) in shown and ("demand", ids["d_here"]) in shown
    assert not shown & {("project", ids["p_there"]), ("project", ids["p_cand"]), ("demand", ids["d_there"])}
    page = c.get("/dashboard").text
    assert "南山" not in page and "北辰外延落地" not in page and "远山" not in page
    # without a scope the same alerts are all there (the filter is the scope, not the names)
    from xinlian.users.scope import filter_alerts
    from xinlian.web import plugins
    from xinlian.store.tables.auth import User

    with scoped.db.session() as s:
        user = s.query(User).filter_by(username="wujin").one()
        every = plugins.overdue_for(s, user)
        assert filter_alerts(s, None, every) == every
        assert {("project", ids["p_there"]), ("demand", ids["d_there"])} <= {(a["subject"], a["subject_id"])
                                                                                for a in every}
