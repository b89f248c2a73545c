"""Reports: the briefing of a chain and region for a period, downloaded as docx, xlsx, html or pdf."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from xinlian.report.period import PeriodError
from xinlian.report.render import FORMATS, render_briefing
from xinlian.web.pages import Ctx, WebError, get_ctx, page
from xinlian.web.routes.chain import region_info

router = APIRouter(tags=["reports"])


def current_quarter(today: date | None = None) -> str:
    today = today or date.today()
    q = (today.month - 1) // 3  # the last finished quarter
    return f"{today.year - 1}-Q4" if q == 0 else f"{today.year}-Q{q}"


@page(router, "/reports", "reports.html", summary="报告 briefings")
def reports(ctx: Ctx = Depends(get_ctx)):
    """The briefing download form: period (2025-03, 2025-Q1, 2025) and format."""
    return {"chain": ctx.settings.chain, "region": region_info(ctx.settings.region), "formats": list(FORMATS),
            "default_period": current_quarter()}


@router.get("/reports/briefing", summary="下载简报 download the briefing (query: period, fmt); recorded as an export")
def briefing(period: str = Query(..., max_length=20), fmt: str = Query("docx", pattern="^(docx|xlsx|html|pdf)$"),
             ctx: Ctx = Depends(get_ctx)):
    try:
        data, media_type, filename = render_briefing(ctx.session, ctx.settings.chain, ctx.settings.region, period,
                                                     fmt, issuer=None)
    except PeriodError as exc:
        raise WebError(400, "refused", str(exc)) from None
    ctx.audit("report.export", ("briefing", f"{ctx.settings.chain}/{ctx.settings.region}/{period}"),
              after={"format": fmt, "bytes": len(data)})
    ctx.commit()
    ascii_name = filename.encode("ascii", "ignore").decode() or f"briefing.{fmt}"
    return Response(data, media_type=media_type, headers={
        "content-disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "content-security-policy": "sandbox; default-src 'none'"})
