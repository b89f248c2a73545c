"""驾驶舱: the chain's headline figures, the chain map, the project funnel, recent news events, overdue items."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinlian.store.tables.registry import Enterprise
from xinlian.users.scope import filter_alerts
from xinlian.web import cache, plugins
from xinlian.web.access import scope_prefix
from xinlian.web.pages import Ctx, get_ctx, page
from xinlian.web.routes.chain import (chain_map, chain_output, firms_per_node, firms_per_stage, get_chain,
                                      local_clause, local_pairs, region_info, region_prefix)

router = APIRouter(tags=["dashboard"])


@router.get("/", summary="首页 → 驾驶舱 home (redirects to the dashboard)")
def home(ctx: Ctx = Depends(get_ctx)):
    return RedirectResponse("/dashboard", status_code=303)


def figures(session: Session, chain, region: str) -> dict:
    """The chain's local figures (cached by the page: they change only with imports and writes)."""
    prefix = region_prefix(region)
    pairs = local_pairs(session, chain, prefix)
    local_total = session.scalar(select(func.count()).select_from(Enterprise)
                                 .where(Enterprise.status == "active", local_clause(prefix))) or 0
    return {"per_node": firms_per_node(session, chain, prefix, pairs),
            "per_stage": firms_per_stage(session, chain, prefix, pairs),
            "chain_firms": len({eid for eid, _ in pairs}), "local_firms_all": local_total,
            "output": chain_output(session, chain, prefix)}


def headline(ctx: Ctx, figs: dict) -> dict:
    return {"local_firms_all": figs["local_firms_all"], "chain_firms_by_stage": figs["per_stage"],
            "chain_firms": figs["chain_firms"], "output": figs["output"] if ctx.can("sensitive") else None}


@page(router, "/dashboard", "dashboard.html", summary="驾驶舱 dashboard")
def dashboard(ctx: Ctx = Depends(get_ctx)):
    """Headline figures of the configured chain and region, the chain map, and what needs attention."""
    chain = get_chain(ctx)
    region = ctx.settings.region
    diag = plugins.diagnosis(ctx.session, chain.id, region, cached=True, db=ctx.web.db)
    verdicts = plugins.verdicts_by_node(diag)
    figs = cache.cached(cache.key_for(ctx.session, "dashboard", chain.id, region),
                        lambda s: figures(s, chain, region), session=ctx.session, db=ctx.web.db)
    verdict_counts: dict[str, int] = {}
    for v in verdicts.values():
        verdict_counts[v.get("verdict")] = verdict_counts.get(v.get("verdict"), 0) + 1
    return {
        "chain": {"id": chain.id, "name": chain.name, "name_en": chain.name_en},
        "region": region_info(region),
        "headline": headline(ctx, figs),
        "verdict_counts": verdict_counts if diag else None,
        "map": chain_map(chain, figs["per_node"], verdicts),
        # the lists below come from the page cache (plain data; computed again after any announced write)
        "funnel": plugins.project_funnel(ctx.session, cached=True, db=ctx.web.db),
        "events": plugins.recent_events(ctx.session, limit=10, cached=True, db=ctx.web.db),
        # object-level access: a scoped user sees only alerts of projects and demands in their scope (checked on
        # every request, after the cache: the cached alerts are everybody's)
        "overdue": filter_alerts(ctx.session, scope_prefix(ctx),
                                 plugins.overdue_for(ctx.session, ctx.user, cached=True, db=ctx.web.db)),
    }
