"""Chain leaders (链主) of a region: who they are, which local firms supply them, what they still buy from outside.

A leader is a local firm flagged ``chain_leader`` in the registry, or inferred: the largest local output on a node
whose output at least ``leaders.min_local_dependents`` local firms need (and at least ``min_output_yuan``). For
each leader, the input nodes of its nodes are listed with their local suppliers; inputs with no local supplier
are the natural 补链 targets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from xinlian.chain.figures import RegionFigures, inputs_of_subtree, outputs_of_subtree
from xinlian.chain.rules import Rules
from xinlian.chain.taxonomy import Chain
from xinlian.registry import sensitive

__all__ = ["Leader", "find_leaders", "leader_ties"]


@dataclass
class Leader:
    enterprise_id: str
    name: str
    how: str  # flagged | inferred
    why: str
    nodes: list[dict] = field(default_factory=list)
    output_yuan: float | None = None
    inputs: list[dict] = field(default_factory=list)
    missing_inputs: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _inferred(chain: Chain, figs: RegionFigures, rules: Rules) -> dict[str, tuple[str, float]]:
    """{enterprise_id: (node_id, output)} for the top firm of every leaf node with enough local dependents."""
    out: dict[str, tuple[str, float]] = {}
    for node in chain.leaves():
        nf = figs.nodes[node.id]
        if nf.demand.get("firms", 0) < rules.leaders.min_local_dependents or not nf.firms:
            continue
        top = nf.firms[0]
        if top["output_yuan"] is None or top["output_yuan"] < rules.leaders.min_output_yuan:
            continue
        if top["enterprise_id"] not in out or out[top["enterprise_id"]][1] < top["output_yuan"]:
            out[top["enterprise_id"]] = (node.id, top["output_yuan"])
    return out


def find_leaders(session: Session, chain: Chain, figs: RegionFigures, rules: Rules) -> list[Leader]:
    """The region's chain leaders with their local suppliers and their inputs without one, largest first."""
    inferred = _inferred(chain, figs, rules)
    ids = [int(i) for i in inferred]
    sql = """
SELECT e.id, e.name, e.chain_leader, en.node_id, en.role, f.output_value
FROM enterprise e JOIN enterprise_node en ON en.enterprise_id = e.id AND en.chain = :chain
LEFT JOIN {fig} f ON f.enterprise_id = e.id AND f.year = :year
WHERE e.status = 'active' AND e.region_code IN :codes AND (e.chain_leader OR e.id IN :ids)
ORDER BY e.id, en.node_id"""
    # Security level 3: the local firms' output decrypted into a temporary table (registry.sensitive).
    with sensitive.readable_figures(session, [figs.year or 0], ("output_value",),
                                    firms="SELECT id FROM enterprise WHERE region_code IN :codes AND "
                                          "(chain_leader OR id IN :ids)",
                                    params={"codes": list(figs.codes), "ids": ids or [-1]}) as fig:
        rows = session.execute(text(sql.format(fig=fig)).bindparams(bindparam("codes", expanding=True),
                                                                    bindparam("ids", expanding=True)),
                               {"chain": chain.id, "codes": figs.codes, "ids": ids or [-1],
                                "year": figs.year or 0}).all()
    leaders: dict[str, Leader] = {}
    for eid, name, flagged, node_id, role, output in rows:
        key = str(eid)
        if key not in leaders:
            if flagged:
                how, why = "flagged", "企业库标记为链主 flagged as chain leader in the registry"
            else:
                node, out = inferred[key]
                nf = figs.nodes[node]
                how = "inferred"
                why = (f"推断：「{nf.name}」本地产值第一（{out / 1e8:.2f} 亿元），本地 {nf.demand['firms']} 家企业需要该环节产品"
                       f" / inferred: largest output on {node}, needed by {nf.demand['firms']} local firms")
            leaders[key] = Leader(enterprise_id=key, name=name, how=how, why=why,
                                  output_yuan=float(output) if output is not None else None)
        if node_id in chain.nodes:
            leaders[key].nodes.append({"id": node_id, "name": chain.nodes[node_id].name, "role": role})
    for leader in leaders.values():
        seen: set[str] = set()
        for n in leader.nodes:
            for i in inputs_of_subtree(chain, n["id"]):
                if i in seen:
                    continue
                seen.add(i)
                nf = figs.nodes[i]
                entry = {"id": i, "name": nf.name, "local_suppliers": nf.local_firms,
                         "suppliers": [{"enterprise_id": f["enterprise_id"], "name": f["name"]}
                                       for f in nf.firms if f["enterprise_id"] != leader.enterprise_id][:10]}
                leader.inputs.append(entry)
                if nf.local_firms == 0:
                    leader.missing_inputs.append({"id": i, "name": nf.name, "verdict_hint": "补链 target"})
    return sorted(leaders.values(), key=lambda l: (-(l.output_yuan or 0), l.enterprise_id))


def leader_ties(chain: Chain, leaders: list[Leader]) -> dict[str, list[tuple[str, str, str]]]:
    """For each node, its ties to local leaders: {node_id: [(kind, leader name, leader node name)]}.

    kind ``supplier``: the node supplies a leader's node; ``tier2``: it supplies the suppliers of a leader's node;
    ``customer``: it buys from a leader's node.
    """
    ties: dict[str, list[tuple[str, str, str]]] = {}

    def add(node: str, kind: str, leader: Leader, via: str) -> None:
        entry = (kind, leader.name, chain.nodes[via].name)
        if entry not in ties.setdefault(node, []):
            ties[node].append(entry)

    for leader in leaders:
        for n in leader.nodes:
            for s in inputs_of_subtree(chain, n["id"]):
                for d in [s, *chain.descendants(s)]:
                    add(d, "supplier", leader, n["id"])
                    for s2 in inputs_of_subtree(chain, d):
                        add(s2, "tier2", leader, n["id"])
            for c in outputs_of_subtree(chain, n["id"]):
                for d in [c, *chain.descendants(c)]:
                    add(d, "customer", leader, n["id"])
    return ties
