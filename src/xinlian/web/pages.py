"""How a route is written once and answers in HTML or JSON, and the per-request context every route gets.

A page is a function returning plain data (a dict). ``page(router, "/enterprises", "enterprises.html", ...)``
registers it twice: ``/enterprises`` renders the template (or JSON when the client sends
``Accept: application/json``) and ``/enterprises.json`` returns the same data as JSON. Both appear in the OpenAPI
schema with the summary and tags given.

``get_ctx`` is the one dependency of every route (the app adds it globally): it opens the database session,
finds the logged-in user from the session cookie, picks the language, computes the CSRF token, and enforces
``access.ROUTE_ROLES`` (default deny) and CSRF on unsafe methods. Refusals are audited.
"""

from __future__ import annotations

import json
import math
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as dt_time
from decimal import Decimal
from functools import wraps
from typing import Any, Callable, Iterator

from fastapi import Depends, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.orm import Session

from xinlian.settings import Settings
from xinlian.store.tables.auth import User
from xinlian.users import audit, sessions
from xinlian.users.accounts import password_expired
from xinlian.users.roles import grants
from xinlian.web.access import PASSWORD_CHANGE_ROUTES, ROUTE_ROLES
from xinlian.web.i18n import Translator, pick_lang
from xinlian.web.security import SAFE_METHODS, client_ip, cross_site_reason


def finite(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None (they are not JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def json_text(value: Any, **kw) -> str:
    """JSON for responses and for ``|tojson`` in templates: UTF-8 kept, NaN as null, dates as ISO text."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str, **kw)
    except ValueError:
        return json.dumps(finite(value), ensure_ascii=False, allow_nan=False, default=str, **kw)


class SafeJSONResponse(JSONResponse):
    """JSON with ``<``, ``>`` and ``&`` written as \\u escapes, so no browser can read it as HTML."""

    def render(self, content: Any) -> bytes:
        text = json_text(content, separators=(",", ":"))
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode("utf-8")


class WebError(Exception):
    """An expected refusal, rendered as the error page or JSON: ``code`` is an i18n key under ``error.``."""

    def __init__(self, status: int, code: str, detail: str = ""):
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail


class NeedLogin(WebError):
    def __init__(self):
        super().__init__(401, "login_required")


class NeedPasswordChange(WebError):
    def __init__(self):
        super().__init__(403, "password_change_required")


def wants_json(request: Request) -> bool:
    if request.url.path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


@dataclass
class Ctx:
    """Everything a route needs about this request."""

    request: Request
    session: Session
    settings: Settings
    web: Any  # the WebState of the app
    lang: str
    t: Translator
    ip: str
    user: User | None = None
    session_token: str | None = None
    who: dict | None = None  # plain copy of the user's name and role, safe after a rollback
    csrf_token: str = ""
    extras: dict = field(default_factory=dict)

    @property
    def role(self) -> str | None:
        return self.who["role"] if self.who is not None else None

    def can(self, permission: str) -> bool:
        return grants(self.role, permission, self.settings.security_level)

    def now(self) -> datetime:
        return self.web.now()

    def audit_view(self, obj, detail: str) -> None:
        """Record a view of unmasked sensitive figures (等保 安全审计): one row per user and object per
        ``sensitive_view_audit_minutes``, then commit. Repeated reads of the same page inside the window are the
        same view; without this every page load of an admin would queue a write on SQLite."""
        window = timedelta(minutes=self.settings.sensitive_view_audit_minutes)
        user = self.who["username"] if self.who is not None else None
        if not self.web.view_log.due((user, obj), self.now(), window):
            return
        self.audit("sensitive.view", obj, detail=detail)
        self.commit()

    def audit(self, action: str, obj=None, outcome: str = "success", before=None, after=None, detail=None):
        return audit.record(self.session, self.user, action, obj, outcome, before, after, self.ip, detail=detail)

    def commit(self) -> None:
        self.session.commit()
        if self.request.method not in SAFE_METHODS and self.request.url.path not in ("/login", "/logout"):
            from xinlian.web import cache

            cache.mark_stale()  # a write may change the diagnosis and the figures


def later_cookie(request: Request, name: str, value: str, *, secure: bool, max_age: int | None = None) -> None:
    """Queue a Set-Cookie header (HttpOnly, SameSite=Lax) that ``SecurityMiddleware`` adds to whatever response
    the route returns."""
    holder = Response()
    holder.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/")
    request.scope.setdefault("state", {}).setdefault("set_cookies", []).extend(
        v for k, v in holder.raw_headers if k == b"set-cookie")


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token sent with an unsafe request: header ``X-CSRF-Token`` or form field ``csrf_token``."""
    if request.method in SAFE_METHODS:
        return None
    token = request.headers.get("x-csrf-token")
    if token:
        return token
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


def get_ctx(request: Request, submitted: str | None = Depends(submitted_csrf)) -> Iterator[Ctx]:
    web = request.app.state.web
    with web.db.session() as s:
        lang_q = request.query_params.get("lang")
        lang = pick_lang(lang_q, request.cookies.get("xl_lang"))
        if lang_q == lang:
            later_cookie(request, "xl_lang", lang, max_age=365 * 86400, secure=web.cookies.secure)
        ctx = Ctx(request=request, session=s, settings=web.settings, web=web, lang=lang, t=Translator(lang),
                  ip=client_ip(request, web.settings))
        request.state.ctx = ctx
        token = web.signer.unsign_session(request.cookies.get(web.cookies.session))
        if token:
            found = sessions.resolve(s, token, now=web.now())
            if found is not None:
                ctx.user = found[1]
                ctx.session_token = token
                ctx.who = {"id": ctx.user.id, "username": ctx.user.username, "role": ctx.user.role,
                           "display_name": ctx.user.display_name,
                           "must_change_password": ctx.user.must_change_password}
        pre = web.signer.unsign_pre(request.cookies.get(web.cookies.pre))
        if not pre:
            pre = secrets.token_urlsafe(18)
            later_cookie(request, web.cookies.pre, web.signer.sign_pre(pre), secure=web.cookies.secure)
        ctx.extras["pre"] = pre
        ctx.csrf_token = web.signer.csrf_token(ctx.session_token or pre)

        route = request.scope.get("route")
        key = (getattr(route, "path", request.url.path), request.method)
        required = ROUTE_ROLES.get(key) or ROUTE_ROLES.get((key[0], "GET") if request.method == "HEAD" else key)
        if required is None:  # default deny: a route nobody declared
            ctx.audit("access.undeclared", ("route", f"{key[1]} {key[0]}"), "failure")
            s.commit()
            raise WebError(403, "forbidden")
        if not ctx.can(required):
            if ctx.user is None:
                raise NeedLogin()
            ctx.audit("access.denied", ("route", f"{key[1]} {key[0]}"), "failure", detail=f"needs {required}")
            s.commit()
            raise WebError(403, "forbidden")
        if request.method not in SAFE_METHODS:
            # behind a TLS gateway the app sees http while the browser's Origin says https
            scheme = "https" if web.settings.behind_tls else request.url.scheme
            own = f"{scheme}://{request.url.netloc}"
            reason = cross_site_reason(request.headers, own)
            if reason is None and not web.signer.csrf_ok(ctx.session_token or pre, submitted):
                reason = "missing csrf token" if not submitted else "wrong csrf token"
            if reason is not None:
                ctx.audit("csrf.refused", ("route", f"{key[1]} {key[0]}"), "failure", detail=reason)
                s.commit()
                raise WebError(403, "csrf", reason)
        if ctx.user is not None and key[0] not in PASSWORD_CHANGE_ROUTES and (
                ctx.user.must_change_password or password_expired(ctx.user, web.now())):
            raise NeedPasswordChange()
        yield ctx


def render(ctx: Ctx, template: str, data: dict, status: int = 200) -> HTMLResponse:
    return ctx.web.templates.TemplateResponse(ctx.request, template, {"ctx": ctx, "t": ctx.t, "data": data,
                                                                   "user": ctx.who}, status_code=status)


def _plain_json(value: Any) -> Any:
    """The few non-JSON types our pages return, written as ``jsonable_encoder`` writes them."""
    if isinstance(value, (datetime, date, dt_time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value.as_tuple().exponent >= 0 else float(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(type(value).__name__)


class _EncodedJSON(SafeJSONResponse):
    def render(self, content: Any) -> bytes:
        return content  # already made safe by ``json_response``


def json_response(data: Any, status: int = 200) -> SafeJSONResponse:
    """``data`` as JSON. Plain data (dicts, lists, numbers, text, dates) is written directly, about 10x faster than
    ``jsonable_encoder``, which walks every value in Python; anything else (models, NaN) goes the general way."""
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_plain_json)
    except (TypeError, ValueError):
        return SafeJSONResponse(jsonable_encoder(data), status_code=status)
    body = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode("utf-8")
    return _EncodedJSON(body, status_code=status)


def page(router, path: str, template: str, *, summary: str, tags: list[str] | None = None,
         description: str = "") -> Callable:
    """Register ``fn`` (which takes ``ctx: Ctx = Depends(get_ctx)`` and returns data) as an HTML page at
    ``path`` and its JSON twin at ``path + '.json'``."""

    def deco(fn):
        @wraps(fn)
        def as_json(*args, **kwargs):
            data = fn(*args, **kwargs)
            return data if isinstance(data, Response) else json_response(data)

        @wraps(fn)
        def as_page(*args, **kwargs):
            data = fn(*args, **kwargs)
            if isinstance(data, Response):
                return data
            ctx = kwargs["ctx"]
            if wants_json(ctx.request):
                return json_response(data)
            return render(ctx, template, data)

        as_json.__name__ = fn.__name__ + "_json"
        desc = description or (fn.__doc__ or "").strip()
        router.add_api_route(path + ".json", as_json, methods=["GET"], summary=f"{summary} (JSON)", tags=tags,
                             description=desc, response_class=SafeJSONResponse, name=fn.__name__ + "_json")
        router.add_api_route(path, as_page, methods=["GET"], summary=summary, tags=tags, name=fn.__name__,
                             description=(desc + f"\n\nHTML page; the same data as JSON at `{path}.json` or with "
                                          "`Accept: application/json`."), response_class=HTMLResponse)
        return fn

    return deco


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
