"""Projects: the board by stage (move with a reason), the table, one project with history and problem list.

Thin routes over ``xinlian.work.projects``; each write runs in the request's transaction with its audit row.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse

from xinlian.users import scope as uscope
from xinlian.web.access import out_of_scope, scope_prefix
from xinlian.work import projects as wp
from xinlian.work import stages as st
from xinlian.work.common import NotFound, WorkError
from xinlian.work.rules import categories
from xinlian.web.pages import Ctx, WebError, get_ctx, page
from xinlian.web.routes.auth import safe_next

router = APIRouter(tags=["projects"])

SENSITIVE = ("expected_tax",)


def _mask(ctx: Ctx, p: dict) -> dict:
    if not ctx.can("sensitive"):
        for k in SENSITIVE:
            if k in p:
                p[k] = None
    return p


def stage_choices() -> list[dict]:
    rules = st.rules()
    return [{"id": sid, "name": rules.name(sid), "hold": sid in rules.holds} for sid in rules.all_ids()]


@page(router, "/projects", "projects.html", summary="项目 projects: board by stage and table")
def projects(view: str = Query("board", pattern="^(board|table)$"),
             status: str | None = Query(None, pattern="^(active|on_hold|terminated)$"),
             department: str | None = Query(None, max_length=100), q: str | None = Query(None, max_length=100),
             ctx: Ctx = Depends(get_ctx)):
    """Every project, grouped by stage for the board (搁置/终止 columns last)."""
    found = wp.list_projects(ctx.session, status=status, department=department or None, q=q or None)
    items = [_mask(ctx, p) for p in uscope.filter_projects(ctx.session, scope_prefix(ctx), found)]
    columns = []
    for choice in stage_choices():
        columns.append({**choice, "items": [p for p in items if p["stage"] == choice["id"]]})
    return {"query": {"view": view, "status": status, "department": department, "q": q}, "total": len(items),
            "columns": columns, "projects": items, "stages": stage_choices()}


def _in_scope(ctx: Ctx, pid: int) -> None:
    """404 for a project outside the user's region scope (as if it did not exist)."""
    prefix = scope_prefix(ctx)
    if prefix is not None and pid not in uscope.project_ids_in_scope(ctx.session, prefix, [pid]):
        raise out_of_scope(ctx, "project", pid)


def _project(ctx: Ctx, pid: int) -> dict:
    try:
        p = wp.get_project(ctx.session, pid)
    except NotFound:
        raise WebError(404, "not_found") from None
    _in_scope(ctx, pid)
    return _mask(ctx, p)


@page(router, "/projects/{pid:int}", "project.html", summary="项目详情 project with history and problems")
def project(pid: int, ctx: Ctx = Depends(get_ctx)):
    """One project: fields, stage history (who, when, why) and its problem list."""
    p = _project(ctx, pid)
    if ctx.can("sensitive") and any(p.get(k) is not None for k in SENSITIVE):  # a sensitive view: audited
        ctx.audit_view(("project", pid), detail="figures: " + ", ".join(SENSITIVE))
    return {"project": p, "stages": stage_choices(),
            "problem_categories": [{"id": c.id, "name": c.name} for c in categories().problem.values()]}


def _refused(ctx: Ctx, action: str, pid, exc: Exception, status: int = 400):
    ctx.session.rollback()
    ctx.audit(action, ("project", pid), "failure", detail=str(exc)[:500])
    ctx.commit()
    raise WebError(status, "refused", str(exc))


@router.post("/projects/{pid:int}/move", summary="移动项目阶段 move a project to a stage (form: to_stage, reason, "
             "version); the rules of project_stages.yaml decide, a reason is asked where they require one")
def move(pid: int, to_stage: str = Form(..., max_length=32), reason: str = Form("", max_length=2000),
         version: int | None = Form(None), return_to: str = Form("", max_length=300),
         ctx: Ctx = Depends(get_ctx)):
    before = _project(ctx, pid)
    try:
        after = wp.move(ctx.session, pid, to_stage, ctx.who["username"], reason=reason or None,
                        expected_version=version)
    except wp.ConflictError as exc:
        _refused(ctx, "project.move", pid, exc, 409)
    except WorkError as exc:
        _refused(ctx, "project.move", pid, exc)
    ctx.audit("project.move", ("project", pid), before={"stage": before["stage"], "version": before["version"]},
              after={"stage": after["stage"], "version": after["version"], "reason": reason or None})
    ctx.commit()
    return RedirectResponse(safe_next(return_to) if return_to else f"/projects/{pid}", status_code=303)


@router.post("/projects", summary="新建项目 create a project (form: name, stage, department, official, notes)")
def create(name: str = Form(..., max_length=200), stage: str = Form("lead", max_length=32),
           department: str = Form("", max_length=100), official: str = Form("", max_length=100),
           notes: str = Form("", max_length=2000), ctx: Ctx = Depends(get_ctx)):
    fields = {k: v for k, v in {"department": department, "official": official, "notes": notes}.items() if v}
    try:
        p = wp.add_project(ctx.session, name=name, stage=stage, user=ctx.who["username"], **fields)
    except WorkError as exc:
        _refused(ctx, "project.create", name[:100], exc)
    ctx.audit("project.create", ("project", p["id"]), after={"name": p["name"], "stage": p["stage"], **fields})
    ctx.commit()
    return RedirectResponse(f"/projects/{p['id']}", status_code=303)


@router.post("/projects/{pid:int}/problems", summary="添加问题 add a problem (form: category, description, owner, "
             "due)")
def add_problem(pid: int, category: str = Form(..., max_length=32), description: str = Form(..., max_length=2000),
                owner: str = Form("", max_length=100), due: date | None = Form(None), ctx: Ctx = Depends(get_ctx)):
    _in_scope(ctx, pid)
    try:
        x = wp.add_problem(ctx.session, pid, category=category, description=description, owner=owner or None,
                           due=due, user=ctx.who["username"])
    except NotFound:
        raise WebError(404, "not_found") from None
    except WorkError as exc:
        _refused(ctx, "problem.create", pid, exc)
    ctx.audit("problem.create", ("problem", x["id"]), after={"project_id": pid, "category": x["category"],
                                                            "description": x["description"], "due": x["due"]})
    ctx.commit()
    return RedirectResponse(f"/projects/{pid}", status_code=303)


@router.post("/projects/problems/{problem_id:int}/close", summary="关闭问题 close a problem (form: resolution)")
def close_problem(problem_id: int, resolution: str = Form(..., max_length=2000), ctx: Ctx = Depends(get_ctx)):
    if scope_prefix(ctx) is not None:
        from xinlian.store.tables.work import ProjectProblem

        problem = ctx.session.get(ProjectProblem, problem_id)
        if problem is not None:
            _in_scope(ctx, problem.project_id)
    try:
        x = wp.close_problem(ctx.session, problem_id, resolution=resolution, user=ctx.who["username"])
    except NotFound:
        raise WebError(404, "not_found") from None
    except WorkError as exc:
        _refused(ctx, "problem.close", problem_id, exc)
    ctx.audit("problem.close", ("problem", problem_id), before={"status": "open"},
              after={"status": "closed", "resolution": x["resolution"]})
    ctx.commit()
    return RedirectResponse(f"/projects/{x['project_id']}", status_code=303)
