"""The chain diagnosis of a region: a verdict per node (强链/弱链/缺链/断链风险/不适用), its evidence, and targets.

Stages, in order (one ``DiagnoseOptions`` passed through):

1. **Figures** (``figures.compute_figures``): per node, local firms, output, employees, share of the region's
   chain, growth, technology markers, location quotient and three stars against the baseline, demand (local firms
   on the nodes it supplies), local supply ratio and concentration, news signals, pipeline projects (a project in
   投产/达产 counts as a local supplier with its expected output).
2. **Verdicts** (``judge``): rules from ``data/rules/diagnosis.yaml``, checked in order missing → not_applicable →
   at_risk → strong → weak; the first that holds wins and its words, Chinese first, become ``evidence.rule``.
3. **Leaders** (``leaders.find_leaders``): flagged or inferred 链主, their local suppliers and missing inputs.
4. **Targets** (``targets.find_targets``): outside firms for missing and weak leaf nodes, each score the sum of
   named parts with reasons.

``diagnose(...)`` returns a ``Diagnosis``; ``.to_contract()`` is the JSON of
``../shared/contracts/diagnosis.schema.json`` (``xinlian chain diagnose --json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from xinlian.chain.figures import NodeFigures, RegionFigures, compute_figures
from xinlian.chain.leaders import Leader, find_leaders
from xinlian.chain.rules import Rules, load_rules
from xinlian.chain.targets import Target, find_targets
from xinlian.chain.taxonomy import Chain, load_chain
from xinlian.store.dialect import prepare_for_analysis

__all__ = ["DiagnoseOptions", "Diagnosis", "NodeVerdict", "diagnose", "judge", "VERDICT_ZH"]

VERDICT_ZH = {"strong": "强链", "weak": "弱链", "missing": "缺链", "at_risk": "断链风险", "not_applicable": "不适用"}


@dataclass
class DiagnoseOptions:
    """Options of one diagnosis. ``rules`` (or ``rules_path``) override the packaged rules."""

    rules: Rules | None = None
    rules_path: str | Path | None = None
    with_targets: bool = True
    top_n: int | None = None
    # Targets for these nodes whatever their verdict (``xinlian chain targets --node``); None: by the rules.
    target_nodes: list[str] | None = None

    def load_rules(self) -> Rules:
        return self.rules or load_rules(self.rules_path)


@dataclass
class NodeVerdict:
    figures: NodeFigures
    verdict: str
    rule: str
    rule_en: str
    checks: dict
    targets: list[Target] = field(default_factory=list)
    # True when the node qualifies for targets but was beyond ``targets.max_nodes`` (ask for it by node).
    targets_deferred: bool = False

    def to_contract(self) -> dict:
        f = self.figures
        evidence = {
            "local_firms": f.local_firms,
            "output_yuan": f.output_yuan,
            "location_quotient": f.location_quotient,
            "local_supply_ratio": f.local_supply_ratio,
            "rule": self.rule,
            "rule_en": self.rule_en,
            "verdict_zh": VERDICT_ZH[self.verdict],
            "checks": self.checks,
        }
        for key, value in f.to_dict().items():
            if key not in ("id", "name", "stage", "projects", "local_firms", "output_yuan", "location_quotient",
                           "local_supply_ratio"):
                evidence[key] = value
        return {"id": f.id, "name": f.name, "stage": f.stage, "verdict": self.verdict, "evidence": evidence,
                "projects": f.projects, "targets": [t.to_contract() for t in self.targets],
                "targets_deferred": self.targets_deferred}


@dataclass
class Diagnosis:
    chain: str
    chain_name: str
    region: str
    region_name: str | None
    as_of: date
    figures_year: int | None
    nodes: list[NodeVerdict]
    leaders: list[Leader]
    context: dict

    def node(self, node_id: str) -> NodeVerdict:
        for n in self.nodes:
            if n.figures.id == node_id:
                return n
        raise KeyError(node_id)

    def verdicts(self) -> dict[str, str]:
        return {n.figures.id: n.verdict for n in self.nodes}

    def to_contract(self) -> dict:
        """The JSON of the diagnosis contract (extra keys carry the rest of the evidence)."""
        return {
            "chain": self.chain, "chain_name": self.chain_name, "region": self.region,
            "region_name": self.region_name, "as_of": self.as_of.isoformat(), "figures_year": self.figures_year,
            "context": self.context,
            "summary": {v: sum(1 for n in self.nodes if n.verdict == v) for v in VERDICT_ZH},
            "nodes": [n.to_contract() for n in self.nodes],
            "leaders": [l.to_dict() for l in self.leaders],
        }


# --------------------------------------------------------------------------- verdicts


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _num(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _names(items: list[dict], limit: int = 4) -> str:
    names = [i["name"] for i in items[:limit]]
    return "、".join(names) + ("等" if len(items) > limit else "")


def judge(f: NodeFigures, rules: Rules) -> tuple[str, str, str, dict]:
    """The verdict of one node: (verdict, rule in Chinese, rule in English, the checks with their numbers)."""
    demand = f.demand.get("firms", 0)
    users = f.demand.get("nodes_with_local_firms", [])
    lq, firms, share = f.location_quotient, f.local_firms, f.chain_share
    checks: dict[str, Any] = {"local_firms": firms, "demand_firms": demand, "location_quotient": lq,
                              "chain_share": share, "hhi": f.hhi, "hhi_basis": f.hhi_basis}

    if firms == 0:
        if demand >= rules.missing.min_demand_firms:
            return ("missing",
                    f"缺链：本地{demand}家企业需要该环节的产品（下游环节 {_names(users)}），但本地没有供应企业",
                    f"missing: {demand} local firms need this node's output "
                    f"({', '.join(u['id'] for u in users[:4])}) and no local firm supplies it", checks)
        return ("not_applicable", "不适用：本地没有该环节企业，也没有本地企业需要该环节的产品",
                "not applicable: no local firm on the node and no local demand for its output", checks)

    concentrated = f.hhi is not None and f.hhi_basis == "output" and f.hhi >= rules.at_risk.min_hhi
    if demand >= rules.at_risk.min_demand_firms and (firms <= rules.at_risk.max_suppliers or concentrated):
        if firms <= rules.at_risk.max_suppliers:
            who = _names(f.firms, 3)
            zh = f"断链风险：本地仅{firms}家供应企业（{who}），而本地{demand}家企业需要该环节的产品（下游环节 {_names(users)}）"
            en = f"at risk: only {firms} local supplier(s) for an input {demand} local firms need"
        else:
            zh = (f"断链风险：本地供应高度集中（HHI {_num(f.hhi)} ≥ {_num(rules.at_risk.min_hhi)}，共{firms}家），"
                  f"而本地{demand}家企业需要该环节的产品（下游环节 {_names(users)}）")
            en = (f"at risk: local supply concentrated (HHI {_num(f.hhi)} ≥ {_num(rules.at_risk.min_hhi)}) "
                  f"for an input {demand} local firms need")
        return "at_risk", zh, en, checks

    s = rules.strong
    lq_ok = (lq is not None and lq >= s.min_lq) or (lq is None and not s.require_lq)
    share_ok = share is not None and share >= s.min_chain_share
    if lq_ok and firms >= s.min_firms and share_ok:
        lq_text = f"区位熵 {_num(lq)} ≥ {_num(s.min_lq)}" if lq is not None else "无基准（不要求区位熵）"
        return ("strong",
                f"强链：{lq_text}，本地企业 {firms} 家 ≥ {s.min_firms}，占本地产业链产值 {_pct(share)} ≥ {_pct(s.min_chain_share)}",
                f"strong: LQ {_num(lq)} ≥ {s.min_lq}, {firms} local firms ≥ {s.min_firms}, "
                f"{_pct(share)} of the region's chain output ≥ {_pct(s.min_chain_share)}", checks)

    w = rules.weak
    thin = []
    if lq is not None and lq < w.max_lq:
        thin.append((f"区位熵 {_num(lq)} < {_num(w.max_lq)}", f"LQ {_num(lq)} < {w.max_lq}"))
    if firms < w.min_firms:
        thin.append((f"本地企业仅 {firms} 家 < {w.min_firms}", f"only {firms} local firms < {w.min_firms}"))
    if thin:
        checks["band"] = "thin"
        return ("weak", "弱链：" + "，".join(t[0] for t in thin), "weak: " + ", ".join(t[1] for t in thin), checks)

    short = []
    if not lq_ok:
        short.append((f"区位熵 {_num(lq)} 未达 {_num(s.min_lq)}" if lq is not None else "无基准数据，无法计算区位熵",
                      f"LQ {_num(lq)} below {s.min_lq}" if lq is not None else "no baseline for the LQ"))
    if firms < s.min_firms:
        short.append((f"本地企业 {firms} 家未达 {s.min_firms}", f"{firms} firms below {s.min_firms}"))
    if not share_ok:
        short.append((f"占本地产业链产值 {_pct(share)} 未达 {_pct(s.min_chain_share)}",
                      f"chain share {_pct(share)} below {_pct(s.min_chain_share)}"))
    checks["band"] = "middle"
    verdict = rules.otherwise
    label = "弱链（未达强链标准）" if verdict == "weak" else "强链（介于强弱之间，按规则记为强链）"
    return (verdict, label + "：" + "，".join(t[0] for t in short),
            f"{verdict} (between the weak and strong bars): " + ", ".join(t[1] for t in short), checks)


# --------------------------------------------------------------------------- orchestrator


def _as_date(value: date | datetime | str | None) -> date:
    if value is None:
        from xinlian.settings import get_settings

        return get_settings().as_of or date.today()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text_ = str(value).strip()
    if len(text_) == 4 and text_.isdigit():
        return date(int(text_), 12, 31)
    return date.fromisoformat(text_)


def _target_nodes(chain: Chain, nodes: list[NodeVerdict], rules: Rules) -> tuple[list[str], list[str]]:
    """Leaf nodes whose verdict calls for targets, most urgent first, split at ``targets.max_nodes``:
    missing, then thin weak, then other weak (and any other verdict listed), each by local demand."""
    def urgency(n: NodeVerdict) -> tuple:
        kind = 0 if n.verdict == "missing" else 1 if n.checks.get("band") == "thin" else 2
        return (kind, -n.figures.demand.get("firms", 0))

    ranked = sorted((n for n in nodes if n.verdict in rules.targets.verdicts and chain.is_leaf(n.figures.id)),
                    key=urgency)
    ids = [n.figures.id for n in ranked]
    return ids[:rules.targets.max_nodes], ids[rules.targets.max_nodes:]


def _run(session: Session, chain: Chain, region: str, as_of: date, opts: DiagnoseOptions) -> Diagnosis:
    from xinlian.registry import regions

    rules = opts.load_rules()
    prepare_for_analysis(session)
    figs: RegionFigures = compute_figures(session, chain, region, as_of, rules)
    nodes = []
    for node in chain.nodes.values():
        verdict, zh, en, checks = judge(figs.nodes[node.id], rules)
        nodes.append(NodeVerdict(figures=figs.nodes[node.id], verdict=verdict, rule=zh, rule_en=en, checks=checks))
    leaders = find_leaders(session, chain, figs, rules)
    if opts.with_targets:
        if opts.target_nodes is not None:
            wanted, deferred = list(opts.target_nodes), []
        else:
            wanted, deferred = _target_nodes(chain, nodes, rules)
        found = find_targets(session, chain, figs, rules, wanted, leaders, top_n=opts.top_n)
        for n in nodes:
            n.targets = found.get(n.figures.id, [])
            n.targets_deferred = n.figures.id in deferred
    reg = regions.lookup(region)
    context = {
        "local_region_codes": figs.codes,
        "chain_output_yuan": figs.chain_output_yuan,
        "chain_employees": figs.chain_employees,
        "region_total": figs.region_total,
        "baseline": figs.baseline,
        "targets_deferred": [n.figures.id for n in nodes if n.targets_deferred],
        "rules_file": rules.path,
        "rules": rules.to_dict(),
    }
    return Diagnosis(chain=chain.id, chain_name=chain.name, region=region, region_name=reg.name if reg else None,
                     as_of=as_of, figures_year=figs.year, nodes=nodes, leaders=leaders, context=context)


def diagnose(db_or_session, chain: str | Path | Chain = "semiconductor", region: str = "320412",
             as_of: date | str | None = None, options: DiagnoseOptions | None = None) -> Diagnosis:
    """Diagnose ``chain`` in ``region`` as of ``as_of`` (default today; figures of the latest year ≤ its year).

    Args:
        db_or_session: a ``Database`` (a read-only session is opened) or an open SQLAlchemy ``Session``.
        chain: a packaged chain name, a chain YAML path, or a loaded ``Chain``.
        region: a GB/T 2260 code; its subdivisions count as local.
        as_of: a date, ISO text, or a year.
        options: ``DiagnoseOptions`` (rules, targets on/off, targets per node).

    Example:
        >>> d = diagnose(db, "semiconductor", "320412")
        >>> d.node("sic_substrate").verdict
        'missing'
    """
    opts = options or DiagnoseOptions()
    chain_obj = chain if isinstance(chain, Chain) else load_chain(chain)
    day = _as_date(as_of)
    if isinstance(db_or_session, Session):
        return _run(db_or_session, chain_obj, region, day, opts)
    with db_or_session.session() as session:
        return _run(session, chain_obj, region, day, opts)
