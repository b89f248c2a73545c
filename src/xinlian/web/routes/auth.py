"""Log in, log out, change one's own password."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse

from xinlian.users import accounts, sessions
from xinlian.users.accounts import AccountError
from xinlian.web.pages import Ctx, get_ctx, render

router = APIRouter(tags=["auth"])


def safe_next(target: str | None) -> str:
    """Only same-site paths: ``/x`` but never ``//host`` or ``/\\host`` or a full URL."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\n" in target:
        return "/"
    return target


def _set_session_cookie(ctx: Ctx, response, token: str) -> None:
    s = ctx.settings
    response.set_cookie(ctx.web.cookies.session, ctx.web.signer.sign_session(token), httponly=True,
                        samesite="lax", secure=ctx.web.cookies.secure, path="/",
                        max_age=s.session_absolute_hours * 3600)


@router.get("/login", summary="登录页 login form")
def login_form(next: str = "/", ctx: Ctx = Depends(get_ctx)):
    if ctx.user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(ctx, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", summary="登录 log in (form: username, password, csrf_token; code at security level 3)")
def login(username: str = Form(..., max_length=64), password: str = Form(..., max_length=512),
          next: str = Form("/"), code: str = Form("", max_length=16), ctx: Ctx = Depends(get_ctx)):
    web = ctx.web
    username = username.strip()
    if not web.login_ip_limiter.hit(ctx.ip) or not web.login_account_limiter.hit(username.lower()):
        ctx.audit("login", ("user", username[:64]), "failure", detail="rate limited")
        ctx.commit()
        return render(ctx, "login.html", {"next": safe_next(next), "error": "login.rate_limited"}, status=429)
    result = accounts.authenticate(ctx.session, username, password, ip=ctx.ip, now=web.now(), code=code)
    if not result.ok:
        ctx.commit()
        error = "login.no_second_factor" if result.reason == "no_second_factor" else "login.failed"
        return render(ctx, "login.html", {"next": safe_next(next), "error": error}, status=401)
    if ctx.session_token:  # a new session id at every login
        sessions.revoke(ctx.session, ctx.session_token)
    token = sessions.start(ctx.session, result.user, ip=ctx.ip, user_agent=ctx.request.headers.get("user-agent"),
                           now=web.now())
    ctx.commit()
    target = "/account/password" if result.must_change_password else safe_next(next)
    response = RedirectResponse(target, status_code=303)
    _set_session_cookie(ctx, response, token)
    return response


@router.post("/logout", summary="退出 log out (ends the session on the server)")
def logout(ctx: Ctx = Depends(get_ctx)):
    if ctx.session_token:
        sessions.revoke(ctx.session, ctx.session_token)
        ctx.audit("logout", ("user", ctx.user.id if ctx.user else None))
        ctx.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(ctx.web.cookies.session, path="/", secure=ctx.web.cookies.secure, httponly=True,
                           samesite="lax")
    return response


@router.get("/account/password", summary="修改密码页 change-password form")
def password_form(ctx: Ctx = Depends(get_ctx)):
    return render(ctx, "password.html", {"error": None, "problems": [], "done": False})


@router.post("/account/password", summary="修改密码 change own password (form: current, new, confirm)")
def password_change(current: str = Form(..., max_length=512), new: str = Form(..., max_length=512),
                    confirm: str = Form(..., max_length=512), ctx: Ctx = Depends(get_ctx)):
    from xinlian.users.passwords import verify_password

    user = ctx.user
    if not verify_password(user.password_hash, current):
        ctx.audit("user.password", ("user", user.id), "failure", detail="wrong current password")
        ctx.commit()
        return render(ctx, "password.html", {"error": "password.wrong_current", "problems": [], "done": False},
                      status=400)
    if new != confirm:
        return render(ctx, "password.html", {"error": "password.mismatch", "problems": [], "done": False},
                      status=400)
    try:
        accounts.change_password(ctx.session, user, new, actor=user, ip=ctx.ip)
    except AccountError as exc:
        return render(ctx, "password.html", {"error": exc.code, "problems": [p.code for p in exc.problems],
                                             "done": False}, status=400)
    # other sessions of this user end; this one continues under a fresh id
    sessions.revoke_all(ctx.session, user)
    token = sessions.start(ctx.session, user, ip=ctx.ip, user_agent=ctx.request.headers.get("user-agent"),
                           now=ctx.web.now())
    ctx.commit()
    response = RedirectResponse("/", status_code=303)
    _set_session_cookie(ctx, response, token)
    return response

