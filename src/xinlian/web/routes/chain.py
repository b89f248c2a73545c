"""The chain map (upstream → midstream → downstream) and the page of one chain node."""

from __future__ import annotations

import copy

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinlian.chain.taxonomy import Chain, load_chain
from xinlian.registry.sensitive import figure_table, local_firms, readable_figures
from xinlian.store.tables.registry import Enterprise, EnterpriseNode
from xinlian.users import scope as uscope
from xinlian.web import cache, plugins
from xinlian.web.access import scope_prefix
from xinlian.web.pages import Ctx, WebError, get_ctx, page

router = APIRouter(tags=["chain"])

STAGES = ("upstream", "midstream", "downstream")


def region_prefix(code: str) -> str:
    """The GB/T 2260 prefix that covers a region: 320412 → 320412, 320400 → 3204, 320000 → 32."""
    code = (code or "").strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def local_clause(prefix: str):
    """Region codes starting with ``prefix``, as a range so both databases use the index (LIKE would not)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "~"
    return (Enterprise.region_code >= prefix) & (Enterprise.region_code < upper)


def region_info(code: str) -> dict:
    try:
        from xinlian.registry.regions import lookup

        r = lookup(code)
    except Exception:
        r = None
    return {"code": code, "name": r.name if r else code}


def get_chain(ctx: Ctx, chain_id: str | None = None) -> Chain:
    try:
        return load_chain(chain_id or ctx.settings.chain)
    except (FileNotFoundError, KeyError, ValueError):
        raise WebError(404, "not_found") from None


def local_ids(session: Session, prefix: str) -> list[int]:
    """Ids of the active enterprises of the region (by the region index)."""
    return list(session.scalars(select(Enterprise.id).where(local_clause(prefix), Enterprise.status == "active")))


def local_pairs(session: Session, chain: Chain, prefix: str) -> list[tuple[int, str]]:
    """(enterprise id, node id) of every active local firm placed on the chain.

    Two steps on purpose: local firms are a small share of the registry, and starting from the region index is
    much faster than letting the planner start from the chain index (every firm of the chain)."""
    ids = local_ids(session, prefix)
    pairs: list[tuple[int, str]] = []
    for start in range(0, len(ids), 5000):
        pairs.extend(tuple(r) for r in session.execute(
            select(EnterpriseNode.enterprise_id, EnterpriseNode.node_id)
            .where(EnterpriseNode.chain == chain.id, EnterpriseNode.enterprise_id.in_(ids[start:start + 5000]))))
    return pairs


def firms_per_node(session: Session, chain: Chain, prefix: str, pairs=None) -> dict[str, int]:
    firms: dict[str, set[int]] = {}
    for eid, node_id in pairs if pairs is not None else local_pairs(session, chain, prefix):
        firms.setdefault(node_id, set()).add(eid)
    return {node_id: len(ids) for node_id, ids in firms.items()}


def firms_per_stage(session: Session, chain: Chain, prefix: str, pairs=None) -> dict[str, int]:
    firms: dict[str, set[int]] = {stage: set() for stage in STAGES}
    for eid, node_id in pairs if pairs is not None else local_pairs(session, chain, prefix):
        node = chain.nodes.get(node_id)
        if node is not None and node.stage in firms:
            firms[node.stage].add(eid)
    return {stage: len(ids) for stage, ids in firms.items()}


def chain_output(session: Session, chain: Chain, prefix: str, node_ids: list[str] | None = None) -> dict:
    """Sum of the latest year's output of the local firms on the chain (or on ``node_ids``)."""
    on_chain = select(EnterpriseNode.id).where(EnterpriseNode.enterprise_id == Enterprise.id,
                                               EnterpriseNode.chain == chain.id)
    if node_ids is not None:
        on_chain = on_chain.where(EnterpriseNode.node_id.in_(node_ids))
    firms, params = local_firms(prefix)  # security level 3: decrypted in a temporary table (registry.sensitive)
    with readable_figures(session, None, ("output_value",), firms=firms, params=params) as name:
        f = figure_table(name)
        rows = session.execute(
            select(f.c.year, func.sum(f.c.output_value), func.count(f.c.output_value))
            .join(Enterprise, Enterprise.id == f.c.enterprise_id)
            .where(Enterprise.status == "active", local_clause(prefix), on_chain.exists())
            .group_by(f.c.year).order_by(f.c.year.desc()).limit(1)).first()
    if rows is None:
        return {"year": None, "output_yuan": None, "firms_reporting": 0}
    year, total, n = rows
    return {"year": year, "output_yuan": float(total) if total is not None else None, "firms_reporting": n}


def chain_map(chain: Chain, counts: dict[str, int], verdicts: dict[str, dict]) -> dict:
    """Leaves of the chain laid out in columns, one column per top-level group, upstream on the left."""
    nodes, columns = [], []
    for root in chain.roots():
        leaves = [n for n in chain.descendants(root.id) if chain.is_leaf(n)] or [root.id]
        columns.append({"id": root.id, "name": root.name, "name_en": root.name_en, "stage": root.stage})
        col = len(columns) - 1
        for row, node_id in enumerate(leaves):
            n = chain.nodes[node_id]
            v = verdicts.get(node_id, {})
            nodes.append({"id": n.id, "name": n.name, "name_en": n.name_en, "stage": n.stage, "group": root.id,
                          "col": col, "row": row, "firms": counts.get(n.id, 0), "verdict": v.get("verdict")})
    shown = {n["id"] for n in nodes}
    edges = [{"source": e.src, "target": e.dst} for e in chain.edges if e.src in shown and e.dst in shown]
    return {"chain": chain.id, "columns": columns, "nodes": nodes, "edges": edges,
            "coloured_by": "verdict" if verdicts else "firms"}


def map_data(ctx: Ctx, chain: Chain) -> dict:
    prefix = region_prefix(ctx.settings.region)
    diag = plugins.diagnosis(ctx.session, chain.id, ctx.settings.region, cached=True, db=ctx.web.db)
    counts = cache.cached(cache.key_for(ctx.session, "per_node", chain.id, prefix),
                          lambda s: firms_per_node(s, chain, prefix), session=ctx.session, db=ctx.web.db)
    return chain_map(chain, counts, plugins.verdicts_by_node(diag))


def node_firms(s: Session, c: Chain, ids: list[str], prefix: str, limit: int) -> dict:
    """The local firms on some nodes, biggest latest output first, and their total output."""
    rows = s.execute(
        select(Enterprise.id, Enterprise.name, Enterprise.region_code, EnterpriseNode.node_id, EnterpriseNode.role,
               EnterpriseNode.evidence)
        .join(EnterpriseNode, EnterpriseNode.enterprise_id == Enterprise.id)
        .where(EnterpriseNode.chain == c.id, EnterpriseNode.node_id.in_(ids), Enterprise.status == "active",
               local_clause(prefix))).all()
    latest: dict[int, tuple[int, float | None]] = {}
    firm_ids = list({r.id for r in rows})
    firms, params = local_firms(prefix)  # security level 3: decrypted in a temporary table (registry.sensitive)
    with readable_figures(s, None, ("output_value",), firms=firms, params=params) as name:
        f = figure_table(name)
        for start in range(0, len(firm_ids), 5000):
            for eid, year, value in s.execute(select(f.c.enterprise_id, f.c.year, f.c.output_value)
                                              .where(f.c.enterprise_id.in_(firm_ids[start:start + 5000]))):
                if eid not in latest or year > latest[eid][0]:
                    latest[eid] = (year, value)
    rows.sort(key=lambda r: (-(latest.get(r.id, (0, None))[1] or 0), r.id))
    firms = [{"id": r.id, "name": r.name, "region_code": r.region_code, "node_id": r.node_id,
              "node_name": c.nodes[r.node_id].name if r.node_id in c.nodes else r.node_id, "role": r.role,
              "evidence": r.evidence, "output_yuan": latest.get(r.id, (None, None))[1],
              "year": latest.get(r.id, (None, None))[0]} for r in rows[:limit]]
    return {"firms": firms, "total": len(firm_ids), "output": chain_output(s, c, prefix, ids)}


@page(router, "/chain", "chain.html", summary="产业链图谱 chain map")
def chain_page(chain: str | None = Query(None, max_length=64), ctx: Ctx = Depends(get_ctx)):
    """The chain as a graph of its nodes, coloured by verdict (or by local firm count before diagnosis)."""
    c = get_chain(ctx, chain)
    return {"chain": {"id": c.id, "name": c.name, "name_en": c.name_en}, "region": region_info(ctx.settings.region),
            "map": map_data(ctx, c)}


@page(router, "/chain/nodes/{node_id}", "node.html", summary="产业链环节 chain node")
def node_page(node_id: str, chain: str | None = Query(None, max_length=64), limit: int = Query(50, ge=1, le=500),
              ctx: Ctx = Depends(get_ctx)):
    """One node: its local firms, inputs and outputs, verdict with evidence and rule, projects, ranked targets."""
    c = get_chain(ctx, chain)
    if node_id not in c.nodes:
        raise WebError(404, "not_found")
    n = c.nodes[node_id]
    ids = [node_id, *c.descendants(node_id)]
    prefix = region_prefix(ctx.settings.region)
    s = ctx.session
    base = cache.cached(cache.key_for(s, "node", c.id, node_id, prefix, limit),
                        lambda sess: node_firms(sess, c, ids, prefix, limit), session=s, db=ctx.web.db)
    sensitive = ctx.can("sensitive")
    firms = [{**f, "output_yuan": f["output_yuan"] if sensitive else None} for f in base["firms"]]
    total = base["total"]
    diag = plugins.diagnosis(s, c.id, ctx.settings.region, cached=True, db=ctx.web.db)
    verdict = copy.deepcopy(plugins.verdicts_by_node(diag).get(node_id))
    if verdict and not ctx.can("sensitive"):  # per-firm figures are sensitive; aggregates are not
        for firm in verdict.get("evidence", {}).get("firms", []) or []:
            firm["output_yuan"] = None
    if (limit_to := scope_prefix(ctx)) is not None:  # object-level access: named firms and projects in scope
        firms = uscope.filter_firm_rows(s, limit_to, firms)
        if verdict:
            evidence = verdict.get("evidence") or {}
            named = [f for f in evidence.get("firms") or [] if str(f.get("enterprise_id", "")).isdigit()]
            ok = {r["id"] for r in uscope.filter_firm_rows(s, limit_to, [{"id": int(f["enterprise_id"])}
                                                                        for f in named])}
            if "firms" in evidence:
                evidence["firms"] = [f for f in named if int(f["enterprise_id"]) in ok]
            shown = uscope.project_ids_in_scope(s, limit_to, [p.get("id") for p in verdict.get("projects") or []])
            verdict["projects"] = [p for p in verdict.get("projects") or [] if p.get("id") in shown]
    if sensitive and any(f["output_yuan"] is not None for f in firms):  # per-firm output shown: audited
        ctx.audit_view(("chain_node", f"{c.id}/{node_id}"), detail="figures: output_value per firm")

    def brief(i: str) -> dict:
        m = c.nodes[i]
        return {"id": m.id, "name": m.name, "name_en": m.name_en, "stage": m.stage}

    return {
        "chain": {"id": c.id, "name": c.name},
        "node": {**brief(node_id), "keywords": list(n.keywords), "industry_codes": list(n.industry_codes),
                 "parent": brief(n.parent) if n.parent else None},
        "children": [brief(i) for i in c.children(node_id)],
        "inputs": [brief(i) for i in c.inputs_of(node_id)],
        "outputs": [brief(i) for i in c.outputs_of(node_id)],
        "local_firms": {"total": total, "shown": len(firms), "items": firms},
        "output": base["output"] if sensitive else None,
        "diagnosis_available": diag is not None,
        "verdict": {"verdict": verdict.get("verdict"), "evidence": verdict.get("evidence", {}),
                    "missing_inputs": [brief(i) for i in ((verdict.get("evidence") or {}).get("supply") or {})
                                       .get("missing_inputs", []) if i in c.nodes]} if verdict else None,
        "projects": (verdict or {}).get("projects", []),
        "targets": (verdict or {}).get("targets", []),
    }
