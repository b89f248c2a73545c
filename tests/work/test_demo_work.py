"""The sample pipeline: every stage, stalled projects, gap-filling projects, the seed visit, policies, 产学研."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from xinlian.chain.taxonomy import load_chain
from xinlian.demo.work import build_work_demo
from xinlian.store.tables.work import Demand, Institution, Policy, Project, Visit
from xinlian.work import alerts as A
from xinlian.work import academia, policies
from xinlian.work import projects as P
from xinlian.work import visits as W
from xinlian.work.stages import rules

from work_support import make_enterprise

TODAY = date(2025, 3, 31)
LOCAL_NODES = ["sic_substrate", "packaging_test", "ic_design", "sic_epitaxy"]


def _district(db):
    chain = load_chain("semiconductor")
    with db.session() as s:
        for i, node in enumerate(LOCAL_NODES):
            for j in range(2):
                make_enterprise(s, f"示例本地{i}{j}科技有限公司", nodes=[node], specialised=(j == 0),
                                figures=[(2024, {"output_value": 2e8, "revenue": 2e8, "rd_spend": 8e6,
                                                 "employees": 200})])
        for i, leaf in enumerate(n.id for n in chain.leaves() if n.id not in LOCAL_NODES):
            make_enterprise(s, f"示例外地{i}有限公司", region="310115", nodes=[leaf])
        for name in ("常州亦泓科技有限公司", "澎芯半导体(常州)有限公司", "领先光学技术(江苏)有限公司"):
            make_enterprise(s, name)
    return chain


def test_build_work_demo(db):
    chain = _district(db)
    summary = build_work_demo(db, today=TODAY)
    assert "项目" in str(summary) and summary.projects == 16
    ps = P.list_projects(db)
    assert {p["stage"] for p in ps} == set(rules().all_ids())  # every stage, on hold and terminated too
    assert all(p["is_sample"] and "示例" in p["name"] for p in ps)
    gaps = [p for p in ps if p["node_id"] not in LOCAL_NODES]
    assert len(gaps) == summary.gap_projects >= 6
    assert all(chain.is_leaf(p["node_id"]) for p in gaps)
    assert all(p["investor"] and p["investor"].startswith("示例外地") for p in gaps)
    stale = [a for a in A.alerts(db, TODAY) if a.kind == "stale"]
    assert len(stale) >= 4 and all(a.days >= 60 for a in stale)
    assert any(a.kind == "milestone_overdue" for a in A.alerts(db, TODAY))
    assert any(a.kind == "demand_overdue" for a in A.alerts(db, TODAY))
    assert all(len(P.history(db, p["id"])) >= 1 for p in ps)
    done = next(p for p in ps if p["stage"] == "full_production")
    assert [m["to"] for m in P.history(db, done["id"])] == rules().order

    seed = [v for v in W.list_visits(db) if v["source"] == "news"]
    assert len(seed) == 1 and seed[0]["status"] == "confirmed"
    assert all(e["enterprise_id"] for e in seed[0]["enterprises"]) and len(seed[0]["enterprises"]) == 3
    assert seed[0]["officials"][0] == {"name": "恽淇丞", "title": "区委副书记、区长"}
    assert W.get_visit(db, seed[0]["id"])["demands"] == []  # nothing invented about real firms
    assert any(v["status"] == "draft" for v in W.list_visits(db))

    with db.session() as s:
        assert s.query(Policy).count() == 4 and s.query(Institution).count() == 3
        assert s.scalar(select(Demand.id).where(Demand.status == "closed").limit(1)) is not None
        assert all(v.is_sample for v in s.scalars(select(Visit)))
        assert all(p.is_sample for p in s.scalars(select(Project)))
    pols = policies.list_policies(db)
    assert any(policies.eligible_enterprises(db, p["id"], TODAY) for p in pols)
    assert any(r["matches"] for r in academia.match_demands(db))
