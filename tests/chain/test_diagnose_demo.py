"""On the demo district, the diagnosis finds the strong, weak, missing and at-risk nodes the generator built in,
each with its evidence."""

from __future__ import annotations

import pytest

generator = pytest.importorskip("xinlian.demo.generator", reason="the demo generator is not written yet")

from xinlian.chain.diagnose import diagnose  # noqa: E402
from xinlian.chain.rules import load_rules  # noqa: E402


def _plan() -> dict[str, str]:
    if hasattr(generator, "DEMO_PLAN"):
        return {k: (v if isinstance(v, str) else v["verdict"]) for k, v in generator.DEMO_PLAN.items()}
    if hasattr(generator, "planned_verdicts"):
        return generator.planned_verdicts()
    pytest.skip("the demo generator declares no plan (DEMO_PLAN / planned_verdicts)")


def test_demo_plan_is_found_with_evidence(db, tmp_path):
    if not hasattr(generator, "build_demo"):
        pytest.skip("the demo generator has no build_demo yet")
    generator.build_demo(db, tmp_path)
    plan = _plan()
    rules = load_rules()
    result = diagnose(db, "semiconductor", "320412")
    assert result.figures_year is not None
    for node_id, planned in plan.items():
        n = result.node(node_id)
        f = n.figures
        assert n.rule, node_id
        if planned == "weak":
            # A thin node. When two thin suppliers serve an input that many local firms need, the rules call it
            # at risk (supply HHI ≥ 0.5) rather than weak: both say "reinforce this node".
            assert n.verdict in ("weak", "at_risk"), (node_id, n.verdict, n.rule)
            assert 0 < f.local_firms < rules.weak.min_firms or (
                f.location_quotient is not None and f.location_quotient < rules.weak.max_lq), node_id
            if n.verdict == "at_risk":
                assert f.demand["firms"] >= rules.at_risk.min_demand_firms and f.hhi >= rules.at_risk.min_hhi
            continue
        assert n.verdict == planned, (node_id, n.verdict, n.rule)
        if planned == "strong":
            assert f.location_quotient >= rules.strong.min_lq and f.local_firms >= rules.strong.min_firms
            assert n.rule.startswith("强链：区位熵")
        elif planned == "missing":
            assert f.local_firms == 0 and f.demand["firms"] >= rules.missing.min_demand_firms
            assert n.rule.startswith(f"缺链：本地{f.demand['firms']}家企业需要该环节的产品")
            assert n.targets and all(t.reasons for t in n.targets)  # whom to attract, with reasons
        elif planned == "at_risk":
            assert f.local_firms <= rules.at_risk.max_suppliers or f.hhi >= rules.at_risk.min_hhi
            assert n.rule.startswith("断链风险")
