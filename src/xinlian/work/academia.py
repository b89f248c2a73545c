"""产学研: universities and institutes with capabilities on the chain, matched to firms' technical demands.

A technical demand (category marked ``technical`` in ``work_categories.yaml``) is matched to an institution when
the firm's chain node is one the institution serves (the same node, or one under a node it serves), and/or when
the demand's text names the institution's capability keywords. Each match carries its reasons and a score
(3 per node match, 1 per keyword found) so the list can be sorted and explained.
"""

from __future__ import annotations

from sqlalchemy import select

from xinlian.store.tables.registry import EnterpriseNode
from xinlian.store.tables.work import Demand, Institution
from xinlian.work.common import NotFound, WorkError, enterprise_names, session_of
from xinlian.work.rules import categories

NODE_SCORE = 3.0
KEYWORD_SCORE = 1.0


def add_institution(db, *, name: str, kind: str = "university", region_code: str | None = None,
                    chain: str = "semiconductor", nodes: list[str] | None = None, keywords: list[str] | None = None,
                    contact: str | None = None, notes: str | None = None, is_sample: bool = False) -> dict:
    """Store a university or institute and what it can do (chain nodes it serves, capability keywords)."""
    from xinlian.chain.taxonomy import load_chain

    kinds = categories().institution_kinds
    if kind not in kinds:
        kind = next((k for k, v in kinds.items() if v == kind), kind)
        if kind not in kinds:
            raise WorkError(f"机构类型应为 {'、'.join(kinds.values())} 之一")
    ch = load_chain(chain)
    bad = [n for n in nodes or [] if n not in ch.nodes]
    if bad:
        raise WorkError(f"产业链「{ch.name}」中没有环节: {', '.join(bad)}")
    if not (name or "").strip():
        raise WorkError("机构名称不能为空")
    with session_of(db) as s:
        if s.scalar(select(Institution.id).where(Institution.name == name.strip())) is not None:
            raise WorkError(f"机构「{name}」已存在")
        inst = Institution(name=name.strip(), kind=kind, region_code=region_code, chain=chain, nodes=list(nodes or []),
                           keywords=list(keywords or []), contact=contact, notes=notes, is_sample=is_sample)
        s.add(inst)
        s.flush()
        return institution_dict(inst)


def institution_dict(i: Institution) -> dict:
    return {"id": i.id, "name": i.name, "kind": i.kind, "kind_name": categories().institution_kinds.get(i.kind, i.kind),
            "region_code": i.region_code, "chain": i.chain, "nodes": i.nodes or [], "keywords": i.keywords or [],
            "contact": i.contact, "notes": i.notes, "is_sample": i.is_sample}


def list_institutions(db) -> list[dict]:
    with session_of(db) as s:
        return [institution_dict(i) for i in s.scalars(select(Institution).order_by(Institution.id))]


def _covers(chain, served: list[str], node: str) -> str | None:
    """The served node that covers ``node`` (itself or an ancestor), or None."""
    if node in served:
        return node
    n = chain.nodes.get(node)
    while n is not None and n.parent is not None:
        if n.parent in served:
            return n.parent
        n = chain.nodes.get(n.parent)
    return None


def match_demand(s, d: Demand, institutions: list[Institution], firm_nodes: list[str]) -> list[dict]:
    from xinlian.chain.taxonomy import load_chain

    text = (d.description or "").lower()
    out = []
    for inst in institutions:
        chain = load_chain(inst.chain or "semiconductor")
        reasons, score = [], 0.0
        for node in firm_nodes:
            cover = _covers(chain, inst.nodes or [], node)
            if cover is not None:
                nm = chain.nodes[node].name
                reasons.append(f"企业所在环节「{nm}」属于该机构服务的「{chain.nodes[cover].name}」")
                score += NODE_SCORE
                break
        hits = [k for k in inst.keywords or [] if k and k.lower() in text]
        if hits:
            reasons.append(f"诉求内容提到该机构的能力关键词：{'、'.join(hits)}")
            score += KEYWORD_SCORE * len(hits)
        if score > 0:
            out.append({"institution_id": inst.id, "institution": inst.name, "score": score, "reasons": reasons})
    return sorted(out, key=lambda m: (-m["score"], m["institution_id"]))


def match_demands(db, *, demand_id: int | None = None, open_only: bool = True, limit: int = 3) -> list[dict]:
    """For each technical demand (or the one given), the best-matching institutions with reasons."""
    tech = [c.id for c in categories().demand.values() if c.technical]
    with session_of(db) as s:
        stmt = select(Demand).order_by(Demand.id)
        if demand_id is not None:
            stmt = stmt.where(Demand.id == demand_id)
            if s.get(Demand, demand_id) is None:
                raise NotFound(f"诉求 {demand_id} 不存在")
        else:
            stmt = stmt.where(Demand.category.in_(tech))
            if open_only:
                stmt = stmt.where(Demand.status != "closed")
        demands = list(s.scalars(stmt))
        institutions = list(s.scalars(select(Institution).order_by(Institution.id)))
        eids = {d.enterprise_id for d in demands if d.enterprise_id}
        nodes: dict[int, list[str]] = {}
        if eids:
            for en in s.scalars(select(EnterpriseNode).where(EnterpriseNode.enterprise_id.in_(eids))
                                .order_by(EnterpriseNode.role, EnterpriseNode.id)):
                nodes.setdefault(en.enterprise_id, []).append(en.node_id)
        names = enterprise_names(s, eids)
        out = []
        for d in demands:
            matches = match_demand(s, d, institutions, nodes.get(d.enterprise_id, []))[:limit]
            out.append({"demand_id": d.id, "enterprise_id": d.enterprise_id, "enterprise": names.get(d.enterprise_id),
                        "description": d.description, "matches": matches})
        return out
