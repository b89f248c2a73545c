"""Reports: the briefing of a chain and region for a period, downloaded as docx, xlsx, html or pdf."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from xinlian.report.period import PeriodError
from xinlian.report.render import FORMATS, render_briefing
from xinlian.users.scope import hidden_firm_names
from xinlian.web.access import out_of_scope, scope_prefix
from xinlian.web.pages import Ctx, WebError, get_ctx, page
from xinlian.web.security import rate_limit
from xinlian.web.routes.chain import region_info, region_prefix

router = APIRouter(tags=["reports"])


def current_quarter(today: date | None = None) -> str:
    today = today or date.today()
    q = (today.month - 1) // 3  # the last finished quarter
    return f"{today.year - 1}-Q4" if q == 0 else f"{today.year}-Q{q}"


def briefing_region(ctx: Ctx) -> str | None:
    """The region a user's briefing covers: the deployment's region, or the user's narrower region scope; None
    when the scope and the deployment's region do not meet (object-level access, ``users.scope``)."""
    region = ctx.settings.region
    from xinlian.users.scope import region_part

    prefix = region_part(scope_prefix(ctx))  # the region part only: a briefing is placed by region
    if prefix is None or region_prefix(region).startswith(prefix):
        return region  # no scope, or one that covers the whole deployment region
    if prefix.startswith(region_prefix(region)):
        return ctx.user.region_scope.strip()  # a district of a city deployment: its own briefing
    return None


@page(router, "/reports", "reports.html", summary="报告 briefings")
def reports(ctx: Ctx = Depends(get_ctx)):
    """The briefing download form: period (2025-03, 2025-Q1, 2025) and format."""
    region = briefing_region(ctx) or ctx.settings.region
    return {"chain": ctx.settings.chain, "region": region_info(region), "formats": list(FORMATS),
            "default_period": current_quarter(), "masked": not ctx.can("sensitive")}


@router.get("/reports/briefing", summary="下载简报 download the briefing (query: period, fmt); recorded as an export")
def briefing(period: str = Query(..., max_length=20), fmt: str = Query("docx", pattern="^(docx|xlsx|html|pdf)$"),
             ctx: Ctx = Depends(get_ctx)):
    rate_limit(ctx, "export")
    region = briefing_region(ctx)
    if region is None:
        raise out_of_scope(ctx, "briefing", f"{ctx.settings.chain}/{ctx.settings.region}/{period}")
    masked = not ctx.can("sensitive")  # field-level access: the download hides what the pages hide
    hidden = hidden_firm_names(ctx.session, scope_prefix(ctx))  # security labels above the user's clearance
    try:
        data, media_type, filename = render_briefing(ctx.session, ctx.settings.chain, region, period, fmt,
                                                     issuer=None, masked=masked, hidden_firms=hidden)
    except PeriodError as exc:
        raise WebError(400, "refused", str(exc)) from None
    ctx.audit("report.export", ("briefing", f"{ctx.settings.chain}/{region}/{period}"),
              after={"format": fmt, "bytes": len(data), "masked": masked, "firms_hidden": len(hidden)})
    ctx.commit()
    ascii_name = filename.encode("ascii", "ignore").decode() or f"briefing.{fmt}"
    return Response(data, media_type=media_type, headers={
        "content-disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "content-security-policy": "sandbox; default-src 'none'"})
