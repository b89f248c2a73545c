"""Administration: users and roles (permission ``users``), the audit log (permission ``audit``)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from xinlian.store.tables.auth import AuditLog, User
from xinlian.users import accounts
from xinlian.users.accounts import AccountError, as_utc
from xinlian.users.labels import set_clearance
from xinlian.users.roles import ROLES, check_role
from xinlian.users.scope import LABELS
from xinlian.web.pages import Ctx, WebError, get_ctx, page, render

router = APIRouter(tags=["admin"])

AUDIT_PAGE = 100


def user_row(u: User) -> dict:
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
            "department": u.department, "region_scope": u.region_scope, "clearance": u.clearance,
            "active": u.active,
            "locked_until": as_utc(u.locked_until), "failed_logins": u.failed_logins,
            "must_change_password": u.must_change_password, "last_login_at": as_utc(u.last_login_at),
            "created_at": as_utc(u.created_at)}


def users_data(ctx: Ctx) -> dict:
    users = ctx.session.scalars(select(User).order_by(User.username)).all()
    labels = [{"level": k, "name": v} for k, v in sorted(LABELS.items())]
    return {"users": [user_row(u) for u in users], "roles": [r for r in ROLES if _assignable(r)],
            "clearances": labels if ctx.settings.security_level >= 3 else []}  # labels count at level 3 only


def _assignable(role: str) -> bool:
    """Roles the users page offers: all but ``admin`` at security level 3 (三员, ``users.roles.check_role``)."""
    try:
        check_role(role)
    except ValueError:
        return False
    return True


@page(router, "/admin/users", "admin_users.html", summary="用户管理 users")
def users(ctx: Ctx = Depends(get_ctx)):
    """Every account with its role, state and last login."""
    return {**users_data(ctx), "error": None}


def _user(ctx: Ctx, uid: int) -> User:
    u = ctx.session.get(User, uid)
    if u is None:
        raise WebError(404, "not_found")
    return u


def _done(ctx: Ctx, fn) -> object:
    """Run an account change; commit and go back to the list, or show the refusal on the list page."""
    try:
        fn()
    except AccountError as exc:
        ctx.session.rollback()
        return render(ctx, "admin_users.html", {**users_data(ctx), "error": exc.code,
                                                "problems": [p.code for p in exc.problems]}, status=400)
    except ValueError as exc:  # an unknown role, or ``admin`` at security_level 3 (users.roles.check_role)
        ctx.session.rollback()
        ctx.audit("user.role", None, "failure", detail=str(exc))
        ctx.commit()
        return render(ctx, "admin_users.html", {**users_data(ctx), "error": "user.bad_role", "problems": []},
                      status=400)
    ctx.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users", summary="新建用户 create a user (form: username, display_name, role, department, "
             "region_scope, password); the user must change the password at first login")
def user_create(username: str = Form(..., max_length=64), password: str = Form(..., max_length=512),
                role: str = Form("viewer", max_length=32), display_name: str = Form("", max_length=100),
                department: str = Form("", max_length=100),
                region_scope: str = Form("", max_length=6, pattern=r"^(\d{2,6})?$"), ctx: Ctx = Depends(get_ctx)):
    return _done(ctx, lambda: accounts.create_user(ctx.session, username, password, role=role,
                                                   display_name=display_name, department=department or None,
                                                   region_scope=region_scope or None,
                                                   must_change_password=True, actor=ctx.user, ip=ctx.ip))


@router.post("/admin/users/{uid:int}/role", summary="修改角色 change a user's role (form: role)")
def user_role(uid: int, role: str = Form(..., max_length=32), ctx: Ctx = Depends(get_ctx)):
    u = _user(ctx, uid)
    return _done(ctx, lambda: accounts.set_role(ctx.session, u, role, actor=ctx.user, ip=ctx.ip))


@router.post("/admin/users/{uid:int}/clearance", summary="设置密级 set a user's clearance (form: clearance 0 公开, "
             "1 内部, 2 敏感; security labels, level 3)")
def user_clearance(uid: int, clearance: int = Form(..., ge=0, le=2), ctx: Ctx = Depends(get_ctx)):
    u = _user(ctx, uid)
    return _done(ctx, lambda: set_clearance(ctx.session, u, clearance, actor=ctx.user, ip=ctx.ip))


@router.post("/admin/users/{uid:int}/disable", summary="停用用户 disable a user (ends their sessions)")
def user_disable(uid: int, ctx: Ctx = Depends(get_ctx)):
    u = _user(ctx, uid)
    return _done(ctx, lambda: accounts.disable_user(ctx.session, u, actor=ctx.user, ip=ctx.ip))


@router.post("/admin/users/{uid:int}/enable", summary="启用用户 enable a user")
def user_enable(uid: int, ctx: Ctx = Depends(get_ctx)):
    u = _user(ctx, uid)
    return _done(ctx, lambda: accounts.enable_user(ctx.session, u, actor=ctx.user, ip=ctx.ip))


@router.post("/admin/users/{uid:int}/unlock", summary="解锁用户 unlock a locked account")
def user_unlock(uid: int, ctx: Ctx = Depends(get_ctx)):
    u = _user(ctx, uid)
    return _done(ctx, lambda: accounts.unlock_user(ctx.session, u, actor=ctx.user, ip=ctx.ip))


@router.post("/admin/users/{uid:int}/password", summary="重置密码 reset a user's password (form: password); "
             "the user must change it at next login")
def user_password(uid: int, password: str = Form(..., max_length=512), ctx: Ctx = Depends(get_ctx)):
    u = _user(ctx, uid)
    return _done(ctx, lambda: accounts.change_password(ctx.session, u, password, actor=ctx.user, ip=ctx.ip,
                                                       force_change=True))


@page(router, "/admin/audit", "admin_audit.html", summary="审计日志 audit log")
def audit_log(action: str | None = Query(None, max_length=64), username: str | None = Query(None, max_length=64),
              outcome: str | None = Query(None, pattern="^(success|failure)$"),
              since: datetime | None = Query(None), page_no: int = Query(1, ge=1, le=100_000, alias="page"),
              ctx: Ctx = Depends(get_ctx)):
    """Audit rows, newest first, filtered by action, user, outcome and time."""
    stmt = select(AuditLog)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if username:
        stmt = stmt.where(AuditLog.username == username)
    if outcome:
        stmt = stmt.where(AuditLog.outcome == outcome)
    if since:
        stmt = stmt.where(AuditLog.at >= since)
    total = ctx.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = ctx.session.scalars(stmt.order_by(AuditLog.id.desc()).limit(AUDIT_PAGE)
                               .offset((page_no - 1) * AUDIT_PAGE)).all()
    actions = ctx.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)).all()
    return {
        "query": {"action": action, "username": username, "outcome": outcome, "since": since, "page": page_no},
        "total": total, "page": page_no, "pages": max(1, -(-total // AUDIT_PAGE)), "actions": list(actions),
        "items": [{"id": r.id, "at": as_utc(r.at), "username": r.username, "ip": r.ip, "action": r.action,
                   "object_type": r.object_type, "object_id": r.object_id, "outcome": r.outcome,
                   "before": r.before, "after": r.after, "detail": r.detail} for r in rows],
    }
