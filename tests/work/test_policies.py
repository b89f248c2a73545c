"""Policy eligibility, one criterion kind at a time (pass and fail), with the reasons."""

from __future__ import annotations

from datetime import date

import pytest

from xinlian.work import policies as Po
from xinlian.work.common import WorkError

from work_support import make_enterprise

ON = date(2025, 6, 1)


@pytest.fixture
def firms(db):
    with db.session() as s:
        return {
            # 武进区, SiC substrate, specialised + high-tech, big and research-heavy, founded 2015
            "big": make_enterprise(s, "样例大芯科技有限公司", region="320412", nodes=["sic_substrate"], specialised=True,
                                   high_tech=True, founded=date(2015, 3, 1),
                                   figures=[(2023, {"output_value": 5e7, "revenue": 5e7, "rd_spend": 1e6,
                                                    "employees": 40}),
                                            (2024, {"output_value": 1.5e8, "revenue": 1.2e8, "rd_spend": 6e6,
                                                    "employees": 120})]),
            # 苏州 (another city), packaging, little giant, small, founded 2021
            "small": make_enterprise(s, "样例小封科技有限公司", region="320505", nodes=["packaging_test"],
                                     little_giant=True, founded=date(2021, 8, 1),
                                     figures=[(2024, {"output_value": 3e7, "revenue": 3e7, "rd_spend": 3e5,
                                                      "employees": 30})]),
        }


def add(db, criteria, **kw):
    return Po.add_policy(db, title="样例政策", criteria=criteria, valid_from=date(2025, 1, 1),
                         valid_to=date(2026, 12, 31), **kw)["id"]


def verdicts(db, pid, on=ON):
    return {r["enterprise_id"]: r for r in Po.eligible_enterprises(db, pid, on, include_failed=True)}


CASES = [
    ({"region": {"code": "320412"}}, True, False, "属于 武进区"),
    ({"region": {"code": "320400", "include_descendants": True}}, True, False, "常州市"),
    ({"region": {"code": "320000"}}, True, True, "江苏省"),
    ({"region": {"code": "320400", "include_descendants": False}}, False, False, "不属于"),
    ({"chain_nodes": {"chain": "semiconductor", "nodes": ["materials"]}}, True, False, "碳化硅衬底"),
    ({"chain_nodes": {"nodes": ["materials"], "include_descendants": False}}, False, False, "不在政策支持"),
    ({"flags_all": ["specialised", "high_tech"]}, True, False, "缺少"),
    ({"flags_any": ["little_giant", "listed"]}, False, True, "具备"),
    ({"figures": [{"field": "output_value", "op": ">=", "value": 1e8}]}, True, False, "2024年产值 1.5 亿元"),
    ({"figures": [{"field": "output_value", "op": ">=", "value": 1e8, "year": 2023}]}, False, False, "2023年产值"),
    ({"figures": [{"field": "employees", "op": ">=", "value": 50}]}, True, False, "从业人员"),
    ({"figures": [{"field": "rd_intensity", "op": ">=", "value": 3}]}, True, False, "研发投入强度 5%"),
    ({"founded_before": "2020-01-01"}, True, False, "成立于 2015-03-01"),
    ({"founded_after": "2020-01-01"}, False, True, "成立于 2021-08-01"),
]


def test_each_criterion_kind(db, firms):
    # one database for all cases (each case is its own policy): cheaper than a database per case
    for criteria, big, small, phrase in CASES:
        pid = add(db, criteria)
        v = verdicts(db, pid)
        assert v[firms["big"]]["eligible"] is big, criteria
        assert v[firms["small"]]["eligible"] is small, criteria
        reasons = " ".join(v[firms["big"]]["why"] + v[firms["small"]]["why"])
        assert phrase in reasons, (criteria, reasons)
        # one reason line per criterion, plus the validity date line, each with its verdict mark
        assert len(v[firms["big"]]["why"]) == 1 + sum(len(x) if k == "figures" else 1 for k, x in criteria.items())
        assert all(w.startswith(("✓", "✗")) for w in v[firms["big"]]["why"])


def test_policy_validity_dates(db, firms):
    pid = add(db, {"flags_any": ["specialised"]})
    assert verdicts(db, pid, date(2025, 6, 1))[firms["big"]]["eligible"] is True
    late = verdicts(db, pid, date(2027, 1, 1))[firms["big"]]
    assert late["eligible"] is False and any("不在有效期内" in w for w in late["why"])
    assert Po.list_policies(db, on=date(2027, 1, 1)) == []


def test_missing_figures_fail_with_reason(db):
    with db.session() as s:
        eid = make_enterprise(s, "样例无数据有限公司")
    pid = add(db, {"figures": [{"field": "tax", "op": ">", "value": 0}]})
    r = verdicts(db, pid)[eid]
    assert r["eligible"] is False and "缺少" in r["why"][-1]


def test_eligible_only_and_policies_for(db, firms):
    a = add(db, {"region": {"code": "320412"}, "flags_all": ["specialised"]})
    b = add(db, {"flags_any": ["little_giant"]})
    assert [r["enterprise_id"] for r in Po.eligible_enterprises(db, a, ON)] == [firms["big"]]
    mine = Po.policies_for(db, firms["small"], ON)
    assert [r["policy_id"] for r in mine] == [b]
    everything = Po.policies_for(db, firms["small"], ON, include_failed=True)
    assert [(r["policy_id"], r["eligible"]) for r in everything] == [(b, True), (a, False)]


@pytest.mark.parametrize("bad,phrase", [
    ({"colour": "red"}, "未知的条件"),
    ({"region": {"code": "32"}}, "六位"),
    ({"chain_nodes": {"nodes": ["warp_drive"]}}, "warp_drive"),
    ({"flags_all": ["famous"]}, "famous"),
    ({"figures": [{"field": "output_value", "op": "==", "value": 1}]}, "比较符"),
    ({"figures": [{"field": "happiness", "op": ">=", "value": 1}]}, "未知的指标"),
    ({"figures": [{"field": "tax", "op": ">=", "value": "多"}]}, "数字"),
    ({"founded_before": "去年"}, "日期"),
])
def test_criteria_are_validated(bad, phrase):
    errors = Po.criteria_errors(bad)
    assert len(errors) == 1 and phrase in errors[0]
    with pytest.raises(WorkError, match=phrase):
        Po.validate_criteria(bad)


def test_invalid_criteria_are_not_stored(db):
    with pytest.raises(WorkError, match="未知的条件"):
        add(db, {"colour": "red"})
    assert Po.list_policies(db) == []
