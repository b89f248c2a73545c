"""Visits (走访) and the demands (诉求) firms raise: lists, one visit, confirm a draft, record and close demands."""

from __future__ import annotations

import re
from datetime import date

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse

from xinlian.users import scope as uscope
from xinlian.web.access import out_of_scope, scope_prefix
from xinlian.work import visits as wv
from xinlian.work.common import NotFound, WorkError
from xinlian.work.rules import categories
from xinlian.web.pages import Ctx, WebError, get_ctx, page

router = APIRouter(tags=["visits"])


def _refuse(ctx: Ctx, action: str, obj, exc: Exception):
    ctx.session.rollback()
    ctx.audit(action, obj, "failure", detail=str(exc)[:500])
    ctx.commit()
    raise WebError(404 if isinstance(exc, NotFound) else 400, "refused", str(exc))


def _visit_in_scope(ctx: Ctx, vid: int) -> None:
    """404 for a visit outside the user's region scope (as if it did not exist)."""
    prefix = scope_prefix(ctx)
    if prefix is not None and vid not in uscope.visit_ids_in_scope(ctx.session, prefix, [vid]):
        raise out_of_scope(ctx, "visit", vid)


@page(router, "/visits", "visits.html", summary="走访与诉求 visits and demands")
def visits(status: str | None = Query(None, pattern="^(draft|confirmed)$"),
           demand_status: str | None = Query(None, max_length=16), ctx: Ctx = Depends(get_ctx)):
    """Visits newest first (drafts from the news wait for confirmation) and the demands with their due dates."""
    cats = categories()
    prefix = scope_prefix(ctx)
    return {"query": {"status": status, "demand_status": demand_status},
            "visits": uscope.filter_visits(ctx.session, prefix, wv.list_visits(ctx.session, status=status)),
            "demands": uscope.filter_demands(ctx.session, prefix,
                                             wv.list_demands(ctx.session, status=demand_status or None)),
            "demand_categories": [{"id": c.id, "name": c.name} for c in cats.demand.values()],
            "demand_statuses": [{"id": k, "name": v} for k, v in cats.demand_status.items()],
            "today": date.today()}


@page(router, "/visits/{vid:int}", "visit.html", summary="走访详情 one visit with its demands")
def visit(vid: int, ctx: Ctx = Depends(get_ctx)):
    """One visit: who went, which firms, what was discussed, the demands raised."""
    try:
        v = wv.get_visit(ctx.session, vid)
    except NotFound:
        raise WebError(404, "not_found") from None
    _visit_in_scope(ctx, vid)
    v["demands"] = uscope.filter_demands(ctx.session, scope_prefix(ctx), v.get("demands") or [])
    return {"visit": v, "demand_categories": [{"id": c.id, "name": c.name} for c in categories().demand.values()]}


@router.post("/visits", summary="记录走访 record a visit (form: visit_date, enterprises separated by 、 or commas, "
             "officials, topics, department)")
def create_visit(visit_date: date | None = Form(None), enterprises: str = Form(..., max_length=2000),
                 officials: str = Form("", max_length=1000), topics: str = Form("", max_length=2000),
                 department: str = Form("", max_length=100), ctx: Ctx = Depends(get_ctx)):
    names = [n.strip() for n in re.split(r"[、,，;；\n]", enterprises) if n.strip()]
    try:
        v = wv.add_visit(ctx.session, visit_date=visit_date, enterprises=names, officials=officials or None,
                         topics=topics or None, department=department or None, user=ctx.who["username"])
    except WorkError as exc:
        _refuse(ctx, "visit.create", ("visit", None), exc)
    ctx.audit("visit.create", ("visit", v["id"]), after={"visit_date": v["visit_date"], "enterprises": names,
                                                        "topics": topics or None})
    ctx.commit()
    return RedirectResponse(f"/visits/{v['id']}", status_code=303)


@router.post("/visits/{vid:int}/confirm", summary="确认走访 confirm a draft visit made from the news")
def confirm_visit(vid: int, ctx: Ctx = Depends(get_ctx)):
    _visit_in_scope(ctx, vid)
    try:
        wv.confirm_visit(ctx.session, vid, ctx.who["username"])
    except WorkError as exc:
        _refuse(ctx, "visit.confirm", ("visit", vid), exc)
    ctx.audit("visit.confirm", ("visit", vid), before={"status": "draft"}, after={"status": "confirmed"})
    ctx.commit()
    return RedirectResponse(f"/visits/{vid}", status_code=303)


@router.post("/demands", summary="记录诉求 record a demand (form: description, category, enterprise, visit_id, due, "
             "department, owner)")
def create_demand(description: str = Form(..., max_length=2000), category: str = Form(..., max_length=32),
                  enterprise: str = Form("", max_length=200), visit_id: int | None = Form(None),
                  due: date | None = Form(None), department: str = Form("", max_length=100),
                  owner: str = Form("", max_length=100), ctx: Ctx = Depends(get_ctx)):
    ent: int | str | None = int(enterprise) if enterprise.isdigit() else (enterprise or None)
    try:
        d = wv.add_demand(ctx.session, description=description, category=category, enterprise=ent,
                          visit_id=visit_id, due=due, department=department or None, owner=owner or None,
                          user=ctx.who["username"])
    except WorkError as exc:
        _refuse(ctx, "demand.create", ("demand", None), exc)
    ctx.audit("demand.create", ("demand", d["id"]), after={"description": d["description"],
                                                          "category": d["category"], "due": d["due"]})
    ctx.commit()
    return RedirectResponse(f"/visits/{visit_id}" if visit_id else "/visits", status_code=303)


@router.post("/demands/{did:int}/close", summary="办结诉求 close a demand (form: response)")
def close_demand(did: int, response: str = Form(..., max_length=2000), ctx: Ctx = Depends(get_ctx)):
    if (prefix := scope_prefix(ctx)) is not None:
        from xinlian.store.tables.work import Demand

        d = ctx.session.get(Demand, did)
        if d is not None and not uscope.filter_demands(ctx.session, prefix, [{"enterprise_id": d.enterprise_id,
                                                                              "visit_id": d.visit_id}]):
            raise out_of_scope(ctx, "demand", did)
    try:
        d = wv.close_demand(ctx.session, did, response=response, user=ctx.who["username"])
    except WorkError as exc:
        _refuse(ctx, "demand.close", ("demand", did), exc)
    ctx.audit("demand.close", ("demand", did), after={"status": d["status"], "response": d["response"]})
    ctx.commit()
    return RedirectResponse(f"/visits/{d['visit_id']}" if d.get("visit_id") else "/visits", status_code=303)
