"""Reading the registry: lists with filters and one enterprise with everything known about it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false, select
from sqlalchemy.orm import Session, selectinload

from xinlian.registry import regions
from xinlian.store import dialect
from xinlian.store.tables.registry import Enterprise, EnterpriseNode

FLAG_LABELS = {"high_tech": "高新技术企业", "specialised": "专精特新", "little_giant": "专精特新“小巨人”",
               "chain_leader": "链主", "listed": "上市"}


@dataclass
class EnterpriseFilter:
    q: str | None = None  # Chinese full-text over names, short names, products
    node: str | None = None
    chain: str | None = None
    region: str | None = None  # a code: the region and everything below it
    local_to: str | None = None  # with ``local``: inside (True) or outside (False) this region
    local: bool | None = None
    flags: tuple[str, ...] = ()
    status: str | None = "active"
    limit: int = 100
    offset: int = 0


def region_codes_within(code: str) -> list[str]:
    """The code and every code below it in GB/T 2260."""
    out, todo = [], [code]
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(r.code if hasattr(r, "code") else r for r in regions.children(c))
    return out


def list_enterprises(session: Session, f: EnterpriseFilter) -> tuple[int, list[Enterprise]]:
    """Enterprises matching the filter, newest names first; returns (total, page)."""
    stmt = select(Enterprise)
    if f.q:  # every match, filtered in the same query (not the first few thousand ids, then filtered)
        hits = dialect.search_hits(session, "enterprise", f.q)
        if hits is None:
            stmt = stmt.where(false())
        else:
            stmt = select(Enterprise).select_from(hits).join(Enterprise, Enterprise.id == hits.c.doc_id)
    if f.node:
        from xinlian.chain.taxonomy import load_chain
        from xinlian.settings import get_settings

        chain = f.chain or get_settings().chain
        wanted = [f.node, *load_chain(chain).descendants(f.node)]
        stmt = stmt.where(Enterprise.id.in_(select(EnterpriseNode.enterprise_id).where(
            EnterpriseNode.chain == chain, EnterpriseNode.node_id.in_(wanted))))
    if f.region:
        stmt = stmt.where(Enterprise.region_code.in_(region_codes_within(f.region)))
    if f.local is not None and f.local_to:
        inside = Enterprise.region_code.in_(region_codes_within(f.local_to))
        stmt = stmt.where(inside if f.local else (~inside | Enterprise.region_code.is_(None)))
    for flag in f.flags:
        if flag not in FLAG_LABELS:
            raise ValueError(f"unknown flag {flag!r}; known: {', '.join(FLAG_LABELS)}")
        stmt = stmt.where(getattr(Enterprise, flag).is_(True))
    if f.status:
        stmt = stmt.where(Enterprise.status == f.status)
    from sqlalchemy import func

    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page = session.execute(stmt.order_by(Enterprise.id).limit(f.limit).offset(f.offset)
                           .options(selectinload(Enterprise.nodes))).scalars().all()
    return total, list(page)


def get_enterprise(session: Session, ident: str | int) -> Enterprise | None:
    """By id, credit code or exact name."""
    opts = [selectinload(Enterprise.aliases), selectinload(Enterprise.nodes), selectinload(Enterprise.figures)]
    s = str(ident).strip()
    if s.isdigit() and len(s) < 18:
        return session.get(Enterprise, int(s), options=opts)
    stmt = select(Enterprise).options(*opts)
    found = session.execute(stmt.where(Enterprise.credit_code == s.upper())).scalar()
    if found is None:
        from xinlian.registry.names import normalise

        found = session.execute(stmt.where(Enterprise.name_norm == normalise(s)).order_by(Enterprise.id)).scalar()
    return found


def enterprise_summary(e: Enterprise) -> dict:
    region = regions.lookup(e.region_code) if e.region_code else None
    return {
        "id": str(e.id), "credit_code": e.credit_code, "name": e.name, "region_code": e.region_code,
        "region": region.name if region else None, "status": e.status, "is_sample": e.is_sample,
        "flags": [FLAG_LABELS[f] for f in FLAG_LABELS if getattr(e, f)],
        "nodes": [n.node_id for n in e.nodes],
    }


def enterprise_detail(e: Enterprise) -> dict:
    d = enterprise_summary(e)
    d.update({
        "address": e.address, "founded": e.founded.isoformat() if e.founded else None, "legal_rep": e.legal_rep,
        "products": e.products, "source": e.source,
        "aliases": [{"alias": a.alias, "kind": a.kind} for a in e.aliases],
        "nodes": [{"chain": n.chain, "node_id": n.node_id, "role": n.role, "evidence": n.evidence,
                   "source": n.source} for n in e.nodes],
        "figures": [{"year": f.year, "output_value": f.output_value, "revenue": f.revenue, "tax": f.tax,
                     "employees": f.employees, "rd_spend": f.rd_spend, "patents": f.patents} for f in e.figures],
    })
    return d
