"""Policies (惠企政策) and the enterprises that qualify, each with the criteria it passed or failed."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query

from xinlian.users import scope as uscope
from xinlian.web.access import scope_prefix
from xinlian.work import policies as wpol
from xinlian.work.common import NotFound
from xinlian.web.pages import Ctx, WebError, get_ctx, page

router = APIRouter(tags=["policies"])

MATCHES_SHOWN = 200


@page(router, "/policies", "policies.html", summary="政策 policies")
def policies(valid_only: bool = Query(False), ctx: Ctx = Depends(get_ctx)):
    """Every policy with its criteria in words (only those valid today with ``valid_only``)."""
    return {"query": {"valid_only": valid_only},
            "items": wpol.list_policies(ctx.session, on=date.today() if valid_only else None)}


@page(router, "/policies/{pid:int}", "policy.html", summary="政策匹配 a policy and the enterprises that qualify")
def policy(pid: int, ctx: Ctx = Depends(get_ctx)):
    """One policy and the registry enterprises that meet every criterion today, with why."""
    items = {p["id"]: p for p in wpol.list_policies(ctx.session)}
    if pid not in items:
        raise WebError(404, "not_found")
    try:
        matches = wpol.eligible_enterprises(ctx.session, pid)
    except NotFound:
        raise WebError(404, "not_found") from None
    matches = uscope.filter_firm_rows(ctx.session, scope_prefix(ctx), matches, key="enterprise_id")
    return {"policy": items[pid], "total": len(matches), "matches": matches[:MATCHES_SHOWN]}
