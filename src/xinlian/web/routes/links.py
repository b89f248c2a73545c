"""The link review queue: proposed links of company mentions to registry enterprises, confirmed or rejected by an
analyst (stored as judgements by ``xinlian.link.review``, replayed on every pipeline run)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse

from xinlian.link import review
from xinlian.users import scope as uscope
from xinlian.web.access import out_of_scope, scope_prefix
from xinlian.web.pages import Ctx, WebError, get_ctx, page
from xinlian.web.routes.auth import safe_next

router = APIRouter(tags=["links"])


@page(router, "/links", "links.html", summary="关联审核 link review queue")
def queue(method: str | None = Query(None, pattern="^(exact|alias|declared|fuzzy|candidate)$"),
          limit: int = Query(100, ge=1, le=500), ctx: Ctx = Depends(get_ctx)):
    """Links waiting for an analyst, with the score and the reasons that proposed them."""
    items = review.review_queue(ctx.session, limit=limit, method=method)
    return {"query": {"method": method, "limit": limit},
            "items": uscope.filter_firm_rows(ctx.session, scope_prefix(ctx), items, key="enterprise_id")}


def _judge(ctx: Ctx, link_id: int, decision: str, note: str, return_to: str):
    fn = review.confirm if decision == "confirm" else review.reject
    if (prefix := scope_prefix(ctx)) is not None:
        from xinlian.store.tables.facts import MentionLink

        link = ctx.session.get(MentionLink, link_id)
        if link is not None and not uscope.filter_firm_rows(ctx.session, prefix, [{"id": link.enterprise_id}]):
            raise out_of_scope(ctx, "link", link_id)
    try:
        out = fn(ctx.session, link_id, ctx.who["username"], note or None)
    except review.ReviewError as exc:
        ctx.session.rollback()
        ctx.audit(f"link.{decision}", ("link", link_id), "failure", detail=str(exc))
        ctx.commit()
        raise WebError(404 if "不存在" in str(exc) else 400, "refused", str(exc)) from None
    ctx.audit(f"link.{decision}", ("link", link_id), before={"status": "proposed"},
              after={"status": out["status"], "enterprise_id": out["enterprise_id"], "mention": out["mention"],
                     "note": note or None})
    ctx.commit()
    return RedirectResponse(safe_next(return_to) if return_to else "/links", status_code=303)


@router.post("/links/{link_id:int}/confirm", summary="确认关联 confirm a link (form: note)")
def confirm(link_id: int, note: str = Form("", max_length=1000), return_to: str = Form("", max_length=300),
            ctx: Ctx = Depends(get_ctx)):
    return _judge(ctx, link_id, "confirm", note, return_to)


@router.post("/links/{link_id:int}/reject", summary="驳回关联 reject a link (form: note)")
def reject(link_id: int, note: str = Form("", max_length=1000), return_to: str = Form("", max_length=300),
           ctx: Ctx = Depends(get_ctx)):
    return _judge(ctx, link_id, "reject", note, return_to)
