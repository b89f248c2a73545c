"""Visits from news events, confirmation, demands."""

from __future__ import annotations

from datetime import date

import pytest

from tests_work_data import SEED_EVENT
from xinlian.store.tables.work import Visit
from xinlian.work import visits as W
from xinlian.work.common import WorkError

from work_support import make_enterprise


@pytest.fixture
def seed_firms(db):
    with db.session() as s:
        return {
            "亦泓": make_enterprise(s, "常州亦泓科技有限公司"),
            "澎芯": make_enterprise(s, "澎芯半导体(常州)有限公司"),
            "领先": make_enterprise(s, "样例领先光电有限公司", aliases=["领先光学技术(江苏)有限公司"]),
        }


def test_draft_from_event_matches_names_and_aliases(db, seed_firms):
    v = W.draft_from_event(db, 41, SEED_EVENT, user="系统")
    assert v["status"] == "draft" and v["visit_date"] == date(2025, 3, 6)
    assert v["source_article_id"] == 41 and v["source_event"]["type"] == "visit"
    linked = {e["name"]: (e["enterprise_id"], e["match"]) for e in v["enterprises"]}
    assert linked == {"常州亦泓科技有限公司": (seed_firms["亦泓"], "exact"),
                      "澎芯半导体（常州）有限公司": (seed_firms["澎芯"], "exact"),
                      "领先光学技术(江苏)有限公司": (seed_firms["领先"], "alias")}
    assert v["officials"] == [{"name": "恽淇丞", "title": "区委副书记、区长"}, {"name": "王斐", "title": "副区长"}]


def test_unmatched_company_is_kept_and_government_left_out(db):
    v = W.draft_from_event(db, 7, {**SEED_EVENT, "organizations": ["样例未入库科技有限公司", "武进区人民政府"]})
    assert [(e["name"], e["enterprise_id"]) for e in v["enterprises"]] == [("样例未入库科技有限公司", None)]
    with pytest.raises(WorkError, match="没有可识别的企业"):
        W.draft_from_event(db, 8, {**SEED_EVENT, "organizations": ["武进区人民政府"]})
    with pytest.raises(WorkError, match="visit"):
        W.draft_from_event(db, 9, {**SEED_EVENT, "type": "signing"})


def test_same_event_twice_gives_the_same_draft(db, seed_firms):
    a = W.draft_from_event(db, 41, SEED_EVENT)
    b = W.draft_from_event(db, 41, SEED_EVENT)
    assert a["id"] == b["id"]
    with db.session() as s:
        assert s.query(Visit).count() == 1


def test_confirm_keeps_who_and_when(db, seed_firms):
    v = W.draft_from_event(db, 41, SEED_EVENT)
    c = W.confirm_visit(db, v["id"], "分析员甲")
    assert c["status"] == "confirmed" and c["confirmed_by"] == "分析员甲" and c["confirmed_at"] is not None
    with pytest.raises(WorkError, match="已由 分析员甲"):
        W.confirm_visit(db, v["id"], "分析员乙")
    assert [x["id"] for x in W.list_visits(db, status="confirmed", enterprise_id=seed_firms["澎芯"])] == [v["id"]]
    assert W.list_visits(db, status="draft") == []


def test_manual_visit_and_demands(db, seed_firms):
    v = W.add_visit(db, visit_date=date(2025, 5, 8), enterprises=[seed_firms["亦泓"]],
                    officials="副区长王样例；局长陈样例", topics="样例走访", user="甲")
    assert v["status"] == "confirmed" and v["officials_text"] == "副区长王样例；局长陈样例"
    d = W.add_demand(db, visit_id=v["id"], category="用地厂房", description="扩产需要 20 亩工业用地",
                     department="自然资源局", due=date(2025, 6, 30))
    assert d["enterprise_id"] == seed_firms["亦泓"] and d["raised_on"] == date(2025, 5, 8)
    assert d["category"] == "land_space" and d["status"] == "open"
    with pytest.raises(WorkError, match="诉求类别"):
        W.add_demand(db, visit_id=v["id"], category="天气", description="x")
    with pytest.raises(WorkError, match="找不到企业"):
        W.add_demand(db, enterprise="样例不存在有限公司", category="融资", description="x")
    with pytest.raises(WorkError, match="答复"):
        W.close_demand(db, d["id"], response=" ")
    closed = W.close_demand(db, d["id"], response="已协调园区标准厂房", user="乙")
    assert closed["status"] == "closed" and closed["closed_by"] == "乙"
    shown = W.get_visit(db, v["id"])
    assert [x["status"] for x in shown["demands"]] == ["closed"]
    assert W.list_demands(db, open_only=True) == []


def test_overdue_demand_listing(db, seed_firms):
    W.add_demand(db, enterprise=seed_firms["澎芯"], category="融资", description="样例贷款", due=date(2025, 1, 31))
    W.add_demand(db, enterprise=seed_firms["澎芯"], category="人才", description="样例招聘", due=date(2025, 3, 31))
    assert [d["description"] for d in W.list_demands(db, overdue_on=date(2025, 2, 1))] == ["样例贷款"]
    assert [d["description"] for d in W.list_demands(db, category="人才")] == ["样例招聘"]
