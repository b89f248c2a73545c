"""Enterprises: search (Chinese full text) with filters, and the profile of one firm."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import false, func, select

from xinlian.store.dialect import search_hits
from xinlian.store.tables.registry import Enterprise, EnterpriseNode
from xinlian.users import scope as uscope
from xinlian.web import plugins
from xinlian.web.access import out_of_scope, scope_prefix
from xinlian.web.pages import Ctx, WebError, get_ctx, page
from xinlian.web.routes.chain import get_chain, local_clause, region_info, region_prefix
from xinlian.web.security import rate_limit

router = APIRouter(tags=["enterprises"])

PAGE_SIZE = 50
# A search is counted up to this many firms and then shown as "500+" (``total_capped``), with pages beyond reached
# one at a time: counting every match of a common word costs many times more than the page itself.
SEARCH_COUNT_CAP = 500
SENSITIVE_FIGURES = ("output_value", "revenue", "tax", "rd_spend")  # masked for roles without ``sensitive``


# What the list shows: read as plain rows (no ORM objects), which halves the Python work of a page of 50.
LIST_COLUMNS = (Enterprise.id, Enterprise.name, Enterprise.credit_code, Enterprise.region_code, Enterprise.status,
                Enterprise.is_sample, *(getattr(Enterprise, f) for f in Enterprise.FLAGS))


def enterprise_brief(e) -> dict:
    """The short form of an enterprise (an ``Enterprise`` or a row of ``LIST_COLUMNS``)."""
    return {"id": e.id, "name": e.name, "credit_code": e.credit_code, "region_code": e.region_code,
            "status": e.status, "is_sample": e.is_sample, "flags": [f for f in Enterprise.FLAGS if getattr(e, f)]}


@page(router, "/enterprises", "enterprises.html", summary="企业库 enterprises: search and filters")
def enterprises(
    q: str | None = Query(None, max_length=100, description="名称、简称、产品 (Chinese full text)"),
    node: str | None = Query(None, max_length=64, description="chain node id (its sub-nodes included)"),
    region: str | None = Query(None, max_length=6, pattern=r"^(\d{2,6})?$", description="GB/T 2260 code or prefix"),
    flag: list[Literal["high_tech", "specialised", "little_giant", "chain_leader", "listed"]] = Query([]),
    scope: Literal["all", "local", "outside"] = Query("all"),
    status: Literal["active", "candidate", "all"] = Query("active"),
    page_no: int = Query(1, ge=1, le=10_000, alias="page"),
    ctx: Ctx = Depends(get_ctx),
):
    """Enterprises matching every filter given, 50 a page."""
    s = ctx.session
    chain = get_chain(ctx)
    stmt = select(Enterprise)
    order = Enterprise.id
    hits = None
    if q and q.strip():
        rate_limit(ctx, "search")
        hits = search_hits(s, "enterprise", q.strip())
        if hits is None:  # nothing searchable in the query (punctuation only): no firm matches
            stmt = stmt.where(false())
        else:  # the index first, so a page of a common word reads a page of matches, not all of them
            stmt = select(Enterprise).select_from(hits).join(Enterprise, Enterprise.id == hits.c.doc_id)
            order = hits.c.pos
    if (limited := uscope.enterprise_clause(scope_prefix(ctx))) is not None:  # object-level access
        stmt = stmt.where(limited)
    if node:
        if node not in chain.nodes:
            raise WebError(404, "not_found")
        nodes = [node, *chain.descendants(node)]
        on_node = select(EnterpriseNode.enterprise_id).where(EnterpriseNode.chain == chain.id,
                                                              EnterpriseNode.node_id.in_(nodes))
        stmt = stmt.where(Enterprise.id.in_(on_node))
    if region:
        stmt = stmt.where(Enterprise.region_code.like(region_prefix(region) + "%"))
    for f in flag:
        stmt = stmt.where(getattr(Enterprise, f).is_(True))
    local = region_prefix(ctx.settings.region)
    if scope == "local":
        stmt = stmt.where(local_clause(local))
    elif scope == "outside":
        stmt = stmt.where(~local_clause(local) | Enterprise.region_code.is_(None))
    if status != "all":
        stmt = stmt.where(Enterprise.status == status)
    rows = s.execute(stmt.with_only_columns(*LIST_COLUMNS).order_by(order).limit(PAGE_SIZE)
                     .offset((page_no - 1) * PAGE_SIZE)).all()
    capped = False
    if hits is not None and page_no == 1 and len(rows) < PAGE_SIZE:
        total = len(rows)  # the page holds every match: no count needed
    elif hits is not None:
        total = s.scalar(select(func.count()).select_from(
            stmt.with_only_columns(Enterprise.id).limit(SEARCH_COUNT_CAP + 1).subquery()))
        capped = total > SEARCH_COUNT_CAP
        total = min(total, SEARCH_COUNT_CAP)
    else:
        total = s.scalar(select(func.count()).select_from(stmt.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    if capped:  # past the counted ones: one more page at a time while pages are full
        pages = max(pages, page_no + (1 if len(rows) == PAGE_SIZE else 0))
    node_rows = s.execute(select(EnterpriseNode.enterprise_id, EnterpriseNode.node_id)
                          .where(EnterpriseNode.enterprise_id.in_([e.id for e in rows]),
                                 EnterpriseNode.chain == chain.id)).all() if rows else []
    nodes_of: dict[int, list[dict]] = {}
    for eid, nid in node_rows:
        if nid in chain.nodes:
            nodes_of.setdefault(eid, []).append({"id": nid, "name": chain.nodes[nid].name})
    items = [{**enterprise_brief(e), "local": bool(e.region_code and e.region_code.startswith(local)),
              "nodes": nodes_of.get(e.id, [])} for e in rows]
    return {
        "query": {"q": q, "node": node, "region": region, "flag": list(flag), "scope": scope, "status": status,
                  "page": page_no},
        "total": total, "total_capped": capped, "page": page_no, "page_size": PAGE_SIZE, "pages": pages,
        "items": items,
        "node_choices": [{"id": n.id, "name": n.name, "stage": n.stage} for n in chain.nodes.values()],
    }


@page(router, "/enterprises/{eid:int}", "enterprise.html", summary="企业档案 enterprise profile")
def enterprise(eid: int, ctx: Ctx = Depends(get_ctx)):
    """One enterprise: identity, flags, aliases, chain nodes with evidence, yearly figures (sensitive figures
    masked for roles without the right to see them)."""
    e = ctx.session.get(Enterprise, eid)
    if e is None:
        raise WebError(404, "not_found")
    prefix = scope_prefix(ctx)
    if not uscope.enterprise_visible(prefix, e):
        raise out_of_scope(ctx, "enterprise", eid)
    chain = get_chain(ctx)
    sensitive = ctx.can("sensitive")
    figures = []
    for f in e.figures:
        row = {"year": f.year}
        for field in f.FIELDS:
            value = getattr(f, field)
            row[field] = None if (field in SENSITIVE_FIGURES and not sensitive) else value
        figures.append(row)
    nodes = []
    for n in e.nodes:
        known = chain.nodes.get(n.node_id) if n.chain == chain.id else None
        nodes.append({"chain": n.chain, "node_id": n.node_id, "name": known.name if known else n.node_id,
                      "stage": known.stage if known else None, "role": n.role, "evidence": n.evidence,
                      "source": n.source, "score": n.score})
    local = region_prefix(ctx.settings.region)
    data = {
        "enterprise": {**enterprise_brief(e), "address": e.address, "founded": e.founded, "legal_rep": e.legal_rep,
                       "products": e.products, "source": e.source, "updated_at": e.updated_at,
                       "local": bool(e.region_code and e.region_code.startswith(local)),
                       "region": region_info(e.region_code) if e.region_code else None},
        "aliases": [{"alias": a.alias, "kind": a.kind, "source": a.source} for a in e.aliases],
        "nodes": nodes,
        "figures": figures,
        "figures_masked": not sensitive,
        **scoped_extras(ctx, prefix, plugins.enterprise_extras(ctx.session, eid)),
    }
    if sensitive and figures:  # a view of unmasked tax and output figures is a security event (等保 安全审计)
        ctx.audit_view(("enterprise", eid), detail="figures: " + ", ".join(SENSITIVE_FIGURES))
    return data


def scoped_extras(ctx: Ctx, prefix: str | None, extras: dict) -> dict:
    """The profile's work items (projects, visits) limited to the user's region scope."""
    if prefix is None:
        return extras
    if extras.get("projects"):
        ok = uscope.project_ids_in_scope(ctx.session, prefix, [p["id"] for p in extras["projects"]])
        extras["projects"] = [p for p in extras["projects"] if p["id"] in ok]
    if extras.get("visits"):
        ok = uscope.visit_ids_in_scope(ctx.session, prefix, [v["id"] for v in extras["visits"]])
        extras["visits"] = [v for v in extras["visits"] if v["id"] in ok]
    return extras
