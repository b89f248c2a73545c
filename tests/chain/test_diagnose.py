"""The diagnosis on a hand-built district (tests/chain/diagnose_fixtures.py) whose verdicts are known in advance,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from diagnose_fixtures import (EXPECTED, EXPECTED_TARGETS, LOCAL, YEAR, build_district,  # noqa: E402
                               write_chain)

from xinlian.chain.diagnose import DiagnoseOptions, diagnose  # noqa: E402
from xinlian.chain.figures import location_quotient  # noqa: E402


@pytest.fixture
def district(db, tmp_path):
    ids = build_district(db)
    return db, write_chain(tmp_path), ids


def run(district, **kw):
    db, chain_path, _ids = district
    return diagnose(db, chain_path, kw.pop("region", LOCAL), kw.pop("as_of", f"{YEAR + 1}-06-30"), **kw)


def test_every_verdict_is_the_one_the_district_was_built_for(district):
    result = run(district)
    assert result.verdicts() == EXPECTED
    assert result.figures_year == YEAR
    for n in result.nodes:
        assert n.rule and n.rule_en, n.figures.id


def test_missing_node_names_the_local_firms_that_need_it(district):
    n = run(district).node("substrate")
    assert n.verdict == "missing"
    assert n.figures.local_firms == 0
    assert n.figures.demand["firms"] == 6
    assert n.rule == "缺链：本地6家企业需要该环节的产品（下游环节 晶圆制造），但本地没有供应企业"


def test_one_supplier_and_concentrated_supply_are_at_risk(district):
    result = run(district)
    gas, resist = result.node("gas"), result.node("resist")
    assert gas.verdict == "at_risk" and gas.figures.local_firms == 1
    assert "本地仅1家供应企业（澄江特种气体有限公司）" in gas.rule and "6家企业需要" in gas.rule
    assert resist.verdict == "at_risk" and resist.figures.local_firms == 2
    assert resist.figures.hhi == pytest.approx(0.95 ** 2 + 0.05 ** 2, abs=1e-4)
    assert "HHI 0.91" in resist.rule


def test_strong_node_carries_its_numbers(district):
    fab = run(district).node("fab")
    assert fab.verdict == "strong"
    f = fab.figures
    assert f.local_firms == 6  # the neighbouring district's fab is not local
    assert f.output_yuan == pytest.approx(3e10)
    # LQ by hand: (3e10 / 1e11) / (1e12 / 1e14) = 30
    assert f.location_quotient == pytest.approx(30.0)
    assert f.lq["basis"] == "output"
    assert f.chain_share == pytest.approx(3e10 / 3.55e10)
    assert f.growth["cagr"] == pytest.approx(2 ** (1 / 3) - 1, abs=1e-4)
    assert (f.growth["from_year"], f.growth["to_year"]) == (YEAR - 3, YEAR)
    assert f.stars == {"size": True, "size_share": 0.03, "specialisation": True, "focus": True, "focus_share": 0.3,
                       "count": 3}
    assert f.firms[0]["name"] == "澄芯晶圆制造有限公司" and "chain_leader" in f.firms[0]["flags"]
    assert "区位熵 30.00 ≥ 1.25" in fab.rule and "本地企业 6 家 ≥ 5" in fab.rule


def test_thin_and_middle_nodes_are_weak_with_the_reason(district):
    result = run(district)
    assert result.node("car").rule == "弱链：本地企业仅 2 家 < 3"
    assert result.node("phone").figures.location_quotient == pytest.approx(0.45)
    assert result.node("phone").rule == "弱链：区位熵 0.45 < 0.80"
    pack = result.node("pack")
    assert pack.checks["band"] == "middle" and pack.rule.startswith("弱链（未达强链标准）")
    assert result.node("optics").verdict == "not_applicable"


def test_group_node_aggregates_its_children(district):
    m = run(district).node("materials").figures
    assert m.is_group
    assert m.local_firms == 3
    assert m.output_yuan == pytest.approx(1.3e9)
    assert m.demand["firms"] == 6
    # Growth only over firms with figures in both years: the gas firm, flat.
    assert m.growth["cagr"] == pytest.approx(0.0) and m.growth["firms_in_both_years"] == 1


def test_local_supply_ratio_and_input_concentration(district):
    result = run(district)
    fab = result.node("fab").figures
    assert fab.local_supply_ratio == pytest.approx(2 / 3, abs=1e-4)
    inputs = {i["id"]: i for i in fab.supply["inputs"]}
    assert inputs["gas"]["local_suppliers"] == 1 and inputs["gas"]["hhi"] == pytest.approx(1.0)
    assert fab.supply["missing_inputs"] == ["substrate"]
    assert result.node("pack").figures.local_supply_ratio == 1.0
    assert result.node("car").figures.local_supply_ratio == 1.0
    assert result.node("gas").figures.local_supply_ratio is None  # upstream: not computed by default


def test_location_quotient_by_hand_and_employee_fallback():
    lq = location_quotient({"output": 2e9, "employees": 100}, {"output": 1e11, "employees": 1e4},
                           {"output": 1e12, "employees": 1e4}, {"output": 1e14, "employees": 1e6})
    assert lq["value"] == pytest.approx(2.0) and lq["basis"] == "output"
    lq = location_quotient({"output": None, "employees": 300}, {"output": 1e11, "employees": 1e4},
                           {"output": 1e12, "employees": 1e4}, {"output": 1e14, "employees": 1e6})
    assert lq["value"] == pytest.approx(3.0) and lq["basis"] == "employees"
    lq = location_quotient({"output": 1e9}, {"output": 1e11}, None, {"output": 1e14})
    assert lq["value"] is None and "no baseline" in lq["reason"]


def test_targets_are_ranked_and_each_score_is_the_sum_of_its_reasons(district):
    _db, _path, ids = district
    targets = run(district).node("substrate").targets
    by_id = {v: k for k, v in ids.items()}
    assert [(by_id[int(t.enterprise_id)], t.score) for t in targets] == EXPECTED_TARGETS
    for t in targets:
        points = [float(re.search(r"\+(\d+(?:\.\d+)?)$", r).group(1)) for r in t.reasons]
        assert sum(points) == pytest.approx(t.score)
        assert sum(p["points"] for p in t.parts) == pytest.approx(t.score)
    top = targets[0]
    assert top.reasons[0] == "主营环节匹配（衬底）+30"
    assert "规模：产值 50.0 亿元，位列候选前 50%（4 家候选）+5" in top.reasons
    assert any(r.startswith("链主关联：为本地链主「澄芯晶圆制造有限公司」") for r in top.reasons)
    # Only missing and weak nodes get targets; the candidate record never appears.
    result = run(district)
    assert result.node("fab").targets == [] and result.node("gas").targets == []
    assert all(t.name != "待核实衬底公司" for t in targets)


def test_top_n_limits_the_targets(district):
    targets = run(district, options=DiagnoseOptions(top_n=2)).node("substrate").targets
    assert len(targets) == 2


def test_leaders_flagged_and_inferred_with_missing_inputs(district):
    leaders = {l.name: l for l in run(district).leaders}
    f1 = leaders["澄芯晶圆制造有限公司"]
    assert f1.how == "flagged"
    assert [i["id"] for i in f1.missing_inputs] == ["substrate"]
    assert {i["id"]: i["local_suppliers"] for i in f1.inputs} == {"substrate": 0, "gas": 1, "resist": 2}
    r1 = leaders["滆湖光刻材料有限公司"]
    assert r1.how == "inferred" and "6 家企业需要" in r1.why


def test_a_prefecture_counts_its_districts(district):
    result = run(district, region="320400")
    assert result.node("fab").figures.local_firms == 7  # 新北区's fab firm is now local
    assert "320411" in result.context["local_region_codes"]


def test_rules_file_changes_the_verdict(district, tmp_path):
    from xinlian.chain.rules import RULES_PATH

    text = RULES_PATH.read_text(encoding="utf-8").replace("min_demand_firms: 5", "min_demand_firms: 10")
    custom = tmp_path / "rules.yaml"
    custom.write_text(text, encoding="utf-8")
    result = run(district, options=DiagnoseOptions(rules_path=custom))
    assert result.node("gas").verdict == "weak"  # one firm: no longer at risk, but thin
    assert result.node("gas").rule == "弱链：本地企业仅 1 家 < 3"


def test_no_figures_no_baseline_still_diagnoses(db, tmp_path):
    result = diagnose(db, write_chain(tmp_path), LOCAL, "2026-01-01")
    assert result.figures_year is None
    assert set(result.verdicts().values()) == {"not_applicable"}


def test_contract_json_validates(district):
    import jsonschema

    from support import shared_path

    schema = json.loads(shared_path("contracts", "diagnosis.schema.json").read_text(encoding="utf-8"))
    data = json.loads(json.dumps(run(district).to_contract(), ensure_ascii=False, default=str))
    jsonschema.validate(data, schema)
    node = next(n for n in data["nodes"] if n["id"] == "substrate")
    assert node["evidence"]["rule"].startswith("缺链") and node["targets"][0]["reasons"]
    assert data["as_of"] == f"{YEAR + 1}-06-30"


@pytest.mark.parametrize("producing", ["production", "full_production"])
def test_projects_in_production_move_the_figures(district, producing):
    # stage ids as xinlian.work stores them (data/rules/project_stages.yaml)
    work = pytest.importorskip("xinlian.store.tables.work")
    db = district[0]
    with db.session() as s:
        s.add(work.Project(match_key="p1", name="示例衬底项目", chain="minichain", node_id="substrate", stage=producing,
                           expected_output=2e9))
        s.add(work.Project(match_key="p2", name="示例光学项目", chain="minichain", node_id="optics",
                           stage="negotiating"))
    result = run(district)
    sub = result.node("substrate")
    assert sub.figures.local_firms == 1 and sub.figures.output_yuan == pytest.approx(2e9)
    assert sub.verdict != "missing"
    assert [p["stage"] for p in sub.figures.projects] == [producing]
    optics = result.node("optics")
    assert optics.verdict == "not_applicable" and optics.to_contract()["projects"][0]["stage"] == "negotiating"


def test_targets_go_to_the_most_urgent_nodes_first(district, tmp_path):
    from xinlian.chain.rules import RULES_PATH

    custom = tmp_path / "rules.yaml"
    custom.write_text(RULES_PATH.read_text(encoding="utf-8").replace("max_nodes: 15", "max_nodes: 1"),
                      encoding="utf-8")
    result = run(district, options=DiagnoseOptions(rules_path=custom))
    assert result.node("substrate").targets and not result.node("substrate").targets_deferred
    # the weak nodes qualify but wait to be asked for, node by node
    assert set(result.context["targets_deferred"]) == {"frame", "car", "phone", "pack"}
    assert result.node("car").to_contract()["targets_deferred"] is True


def test_growth_falls_back_to_a_later_start_year(district):
    from xinlian.store.tables.registry import EnterpriseFigure

    db, _path, ids = district
    with db.session() as s:  # 汽车电子 has no figures three years back; C1 reported one year back
        s.add(EnterpriseFigure(enterprise_id=ids["C1"], year=YEAR - 1, output_value=4e8))
    g = run(district).node("car").figures.growth
    assert (g["from_year"], g["firms_in_both_years"]) == (YEAR - 1, 1)
    assert g["cagr"] == pytest.approx(0.25)
