"""A small fictional district for the briefing tests, written through the registry tables and the real work API.

Built so that the answers are known: between 2023 and 2024 the 功率模块封装 node goes from 弱链 (LQ 0.05) to 强链
(LQ 2.0) on the same five firms; 晶圆代工 stays 强链; 硅片 is 缺链 with three outside firms to attract. A local firm
is named like an HTML tag, and so are a project and a news headline, to check escaping.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from xinlian.registry.names import normalise
from xinlian.store.tables.registry import Baseline, Enterprise, EnterpriseFigure, EnterpriseNode, RegionTotal

LOCAL = "320412"
OUTSIDE = "310115"
BJ = timezone(timedelta(hours=8))
SCRIPT_FIRM = "<script>alert(1)</script>测试电子有限公司"
SCRIPT_TITLE = "<script>alert(2)</script>测芯晶圆扩产项目签约"


def at(d: date, hour: int = 10) -> datetime:
    return datetime.combine(d, time(hour), tzinfo=BJ)


def _firm(s, name: str, region: str, node: str, outputs: dict[int, float], status: str = "active", **flags) -> int:
    e = Enterprise(name=name, name_norm=normalise(name), match_key=f"n:{normalise(name)}|{region}", region_code=region,
                   status=status, **flags)
    s.add(e)
    s.flush()
    s.add(EnterpriseNode(enterprise_id=e.id, chain="semiconductor", node_id=node, role="main"))
    for year, out in outputs.items():
        s.add(EnterpriseFigure(enterprise_id=e.id, year=year, output_value=out, revenue=out, employees=100,
                               rd_spend=out * 0.06, patents=25))
    s.flush()
    return e.id


def build_district(db) -> dict:
    """Write the district; returns the ids the tests need."""
    ids: dict = {}
    with db.session() as s:
        ids["foundry"] = [_firm(s, f"测芯晶圆{i}有限公司", LOCAL, "foundry", {2023: 1e9, 2024: 1.1e9}) for i in range(5)]
        ids["module"] = [_firm(s, f"测芯模块{i}有限公司", LOCAL, "power_module", {2023: 1e7, 2024: 4e8})
                         for i in range(5)]
        ids["script"] = _firm(s, SCRIPT_FIRM, LOCAL, "nev_vehicles", {2023: 4e8, 2024: 5e8})
        ids["wafer_out"] = [_firm(s, f"外地硅片{i}有限公司", OUTSIDE, "silicon_wafer", {2024: (i + 1) * 1e9},
                                  high_tech=True) for i in range(3)]
        ids["candidate"] = _firm(s, "新见光电候选有限公司", OUTSIDE, "lasers", {}, status="candidate")
        for year in (2023, 2024):
            s.add(Baseline(scope="000000", chain="semiconductor", node_id="*", year=year, output_value=1e13,
                           employees=1e8, firms=None))
            for node in ("foundry", "power_module", "nev_vehicles", "silicon_wafer"):
                s.add(Baseline(scope="000000", chain="semiconductor", node_id=node, year=year, output_value=1e11,
                               employees=1e6, firms=100))
            s.add(RegionTotal(region_code=LOCAL, year=year, output_value=1e11, employees=500000))
    _work(db, ids)
    _news(db, ids)
    ids["script_name"], ids["script_title"] = SCRIPT_FIRM, SCRIPT_TITLE
    return ids


def _work(db, ids: dict) -> None:
    from xinlian.work import projects as P
    from xinlian.work import visits as W

    p1 = P.add_project(db, name="测试硅片新建项目", user="测试员", when=at(date(2024, 3, 10)), chain="semiconductor",
                       node_id="silicon_wafer", investor_id=ids["wafer_out"][2], planned_investment=5e8,
                       department="投资促进局")
    P.move(db, p1["id"], "contact", "测试员", when=at(date(2024, 5, 1)))
    P.move(db, p1["id"], "negotiating", "测试员", when=at(date(2024, 11, 20)))
    p2 = P.add_project(db, name="<b>测试</b>模块扩产项目", stage="signed", user="测试员", when=at(date(2023, 6, 1)),
                       chain="semiconductor", node_id="power_module", planned_investment=1e9,
                       arrived_investment=2e8, department="工业和信息化局")
    P.move(db, p2["id"], "registered", "测试员", when=at(date(2024, 2, 1)))
    P.add_project(db, name="测试期后项目", user="测试员", when=at(date(2025, 1, 5)), chain="semiconductor",
                  node_id="foundry", planned_investment=3e8)
    ids["projects"] = [p1["id"], p2["id"]]
    v = W.add_visit(db, visit_date=date(2024, 6, 1), enterprises=[ids["script"]], officials="副区长测试",
                    topics="测试：经营情况", department="工业和信息化局", user="测试员", when=at(date(2024, 6, 1)))
    W.add_demand(db, description="=SUM(1,2)测试：扩产贷款", category="融资", visit_id=v["id"], department="工业和信息化局",
                 due=date(2024, 7, 1), user="测试员", when=at(date(2024, 6, 1)))
    d2 = W.add_demand(db, description="测试：厂房过渡", category="用地厂房", enterprise=ids["module"][0],
                      department="投资促进局", due=date(2024, 9, 1), raised_on=date(2024, 8, 1), user="测试员",
                      when=at(date(2024, 8, 1)))
    W.close_demand(db, d2["id"], response="测试：已协调", user="测试员", when=at(date(2024, 8, 20)))
    W.add_demand(db, description="测试：上年诉求", category="人才", enterprise=ids["module"][1], department="科技局",
                 raised_on=date(2023, 5, 1), user="测试员", when=at(date(2023, 5, 1)))


def _news(db, ids: dict) -> None:
    from xinlian.store.tables.facts import ArticleEvent, Mention, MentionLink
    from xinlian.store.tables.news import Article, Page, Story

    with db.session() as s:
        story = Story(size=2)
        s.add(story)
        s.flush()
        rows = [("测试日报", SCRIPT_TITLE, date(2024, 5, 5)), ("测试转载网", SCRIPT_TITLE + "（转载）", date(2024, 5, 5))]
        arts = []
        for i, (outlet, title, day) in enumerate(rows):
            page = Page(source=f"test:{i}", status="ok")
            s.add(page)
            s.flush()
            a = Article(page_id=page.id, title=title, published_date=day, published=day.isoformat(), outlet=outlet,
                        text="测试正文", body_hash=f"h{i}", story_id=story.id, is_canonical=(i == 0))
            s.add(a)
            s.flush()
            arts.append(a)
        story.canonical_article_id = arts[0].id
        for a in arts:  # both copies report the same event: the briefing lists it once with both outlets
            s.add(ArticleEvent(article_id=a.id, type="signing", date="2024-05-05", organizations=["测芯晶圆0有限公司"],
                               amount_yuan=3e9, evidence="测芯晶圆0有限公司扩产项目签约"))
        page = Page(source="test:old", status="ok")
        s.add(page)
        s.flush()
        old = Article(page_id=page.id, title="测试旧闻", published_date=date(2023, 3, 1), outlet="测试日报", text="旧",
                      body_hash="old")
        s.add(old)
        s.flush()
        s.add(ArticleEvent(article_id=old.id, type="financing", date="2023-03-01", organizations=[],
                           amount_yuan=1e8))
        for article, eid, name in [(arts[0], ids["candidate"], "新见光电候选有限公司"),
                                   (arts[0], ids["foundry"][0], "测芯晶圆0有限公司"),
                                   (old, ids["foundry"][1], "测芯晶圆1有限公司")]:
            m = Mention(article_id=article.id, kind="org", name=name, name_norm=normalise(name))
            s.add(m)
            s.flush()
            s.add(MentionLink(mention_id=m.id, enterprise_id=eid, score=1.0, method="exact", status="proposed"))


@pytest.fixture
def district(db):
    return build_district(db)
