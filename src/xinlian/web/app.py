"""The FastAPI application: ``create_app(db=None, settings=None)``.

Server-rendered Jinja2 pages (autoescaped, every template ends in ``.html``), each with a JSON twin; static files
(our CSS and JS, ECharts vendored) under ``/static``; the security layer of ``web.security`` around everything;
every route behind ``pages.get_ctx`` (login, roles from ``access.ROUTE_ROLES``, CSRF, audit). Routers are one
module per area in ``web.routes``; an area whose library is not installed yet is skipped.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import import_module
from pathlib import Path
from typing import Callable
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from xinlian.settings import Settings, get_settings
from xinlian.web.gate import ConcurrencyGate
from xinlian.web.i18n import Translator, pick_lang
from xinlian.web.pages import (Ctx, NeedLogin, NeedPasswordChange, WebError, get_ctx, json_response, json_text,
                               wants_json)
from xinlian.web.security import CookieNames, CookieSigner, RateLimiter, SecurityMiddleware, ViewLog

log = logging.getLogger("xinlian.web")

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# Router modules, in menu order. Each is ``xinlian.web.routes.<name>`` with a ``router``; a module that needs a
# library not written yet raises ImportError naming that library and is skipped.
ROUTERS = ["auth", "dashboard", "chain", "enterprises", "news", "links", "projects", "visits", "policies",
           "imports", "reports", "admin"]


def echarts_file() -> str:
    found = sorted((STATIC / "vendor").glob("echarts-*.min.js"))
    return f"vendor/{found[-1].name}" if found else ""


def make_templates() -> Jinja2Templates:
    # auto_reload off: the templates ship inside the package and never change under a running server, so no
    # os.stat of each template (and of every one it extends or includes) on each page.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.policies["json.dumps_function"] = json_text  # |tojson: NaN as null, dates as text (still HTML-escaped)
    env.filters["yuan"] = format_yuan
    env.filters["num"] = format_number
    env.filters["dt"] = format_datetime
    env.globals["ECHARTS"] = echarts_file()
    env.globals["page_url"] = page_url
    return Jinja2Templates(env=env)


def page_url(request: Request, page: int) -> str:
    """This page's path and query with another ``page``; relative, so the Host header never gets into links."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"] + [("page", str(page))]
    return request.url.path + "?" + urlencode(params)


def format_yuan(value, lang: str = "zh") -> str:
    """Money for people: 亿元 / 万元 in Chinese, million / billion yuan in English."""
    if value is None:
        return "—"
    v = float(value)
    if lang == "en":
        if abs(v) >= 1e9:
            return f"{v / 1e9:,.2f} bn yuan"
        if abs(v) >= 1e6:
            return f"{v / 1e6:,.1f} m yuan"
        return f"{v:,.0f} yuan"
    if abs(v) >= 1e8:
        return f"{v / 1e8:,.2f} 亿元"
    if abs(v) >= 1e4:
        return f"{v / 1e4:,.1f} 万元"
    return f"{v:,.0f} 元"


def format_number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def format_datetime(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        from zoneinfo import ZoneInfo

        return value.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    return str(value)


@dataclass
class WebState:
    db: object
    settings: Settings
    signer: CookieSigner
    cookies: CookieNames
    templates: Jinja2Templates
    login_ip_limiter: RateLimiter
    login_account_limiter: RateLimiter
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    routers: list[str] = field(default_factory=list)
    view_log: ViewLog = field(default_factory=ViewLog)
    skipped: dict[str, str] = field(default_factory=dict)


def secret_for(settings: Settings) -> str:
    if settings.secret_key:
        if len(settings.secret_key) < 32 and settings.mode == "production":
            raise RuntimeError("XINLIAN_SECRET_KEY must be at least 32 characters")
        return settings.secret_key
    if settings.mode in ("demo", "test"):
        return secrets.token_urlsafe(48)  # sessions end when the process ends; fine for a demo
    raise RuntimeError("XINLIAN_SECRET_KEY is required outside demo/test mode "
                       "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')")


def create_app(db=None, settings: Settings | None = None) -> FastAPI:
    """Build the web app over ``db`` (opened from ``settings`` when None)."""
    settings = settings or get_settings()
    if db is None:
        from xinlian.store.db import open_db

        db = open_db(settings.database_url)
    from xinlian.registry.sensitive import check_storage

    check_storage(db)  # figures at rest match the security level, and the level-3 key is there (docs/security.md)
    app = FastAPI(title="芯链 xinlian", version="0.1", docs_url=None, redoc_url=None, openapi_url=None,
                  description="产业链招商与研判 — every page is also JSON (`.json` or `Accept: application/json`).",
                  dependencies=[Depends(get_ctx)])
    app.state.web = WebState(
        db=db, settings=settings, signer=CookieSigner(secret_for(settings)),
        cookies=CookieNames.for_settings(settings), templates=make_templates(),
        login_ip_limiter=RateLimiter(settings.login_rate_per_ip, settings.login_rate_window_s),
        login_account_limiter=RateLimiter(max(settings.lockout_failures * 2, 10), settings.login_rate_window_s),
    )
    app.add_middleware(ConcurrencyGate, limit=settings.web_concurrency)  # inside the security layer
    app.add_middleware(SecurityMiddleware, max_body=settings.upload_max_bytes)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/healthz", summary="健康检查 health check", tags=["system"])
    def healthz(ctx: Ctx = Depends(get_ctx)):
        return {"ok": True}

    @app.get("/openapi.json", summary="OpenAPI schema of every route", tags=["system"])
    def openapi_schema(ctx: Ctx = Depends(get_ctx)):
        return app.openapi()

    for name in ROUTERS:
        try:
            module = import_module(f"xinlian.web.routes.{name}")
        except ImportError as exc:
            if exc.name == f"xinlian.web.routes.{name}":
                continue  # not written
            app.state.web.skipped[name] = str(exc)
            log.warning("web area %s skipped: %s", name, exc)
            continue
        except Exception as exc:  # a library that fails at import must not take the other pages down
            app.state.web.skipped[name] = f"{type(exc).__name__}: {exc}"
            log.error("web area %s skipped: %s", name, exc)
            continue
        app.include_router(module.router)
        app.state.web.routers.append(name)
    install_error_handlers(app)
    return app


def settle_for_serving() -> None:
    """Call once in a server process after ``create_app``, before the first request: the objects alive now (modules,
    templates, taxonomies, compiled rules) stay for the life of the process, so ``gc.freeze`` takes them out of the
    cyclic collector's full passes. Each full pass otherwise walks them all, holding every request in the process
    for about 100 ms at 100k enterprises, several times a minute under load (the p95 of every page). Not for tests or
    library use: only a process that will serve until it exits."""
    import gc

    gc.collect()
    gc.freeze()


def serve(db=None, settings: Settings | None = None, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the app with uvicorn until interrupted (``xinlian serve`` and the lead's ``xinlian demo`` call this)."""
    import uvicorn

    from xinlian.store.durability import ensure_durable

    app = create_app(db, settings)
    ensure_durable(app.state.web.db)  # refuse a database that can lose committed work (docs/security.md)
    settle_for_serving()
    uvicorn.run(app, host=host, port=port, proxy_headers=False, server_header=False, log_level="info")


def _error_response(request: Request, status: int, code: str, detail: str = ""):
    request_id = request.scope.get("state", {}).get("request_id", "")
    if wants_json(request):
        return json_response({"error": code, "detail": detail, "request_id": request_id}, status)
    ctx = getattr(request.state, "ctx", None)
    lang = ctx.lang if ctx else pick_lang(request.query_params.get("lang"), request.cookies.get("xl_lang"))
    templates = request.app.state.web.templates
    return templates.TemplateResponse(request, "error.html", {
        "ctx": ctx, "t": Translator(lang), "user": ctx.who if ctx else None,
        "data": {"status": status, "code": code, "detail": detail, "request_id": request_id}}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError):
        if isinstance(exc, NeedLogin) and not wants_json(request) and request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?next=" + quote(target, safe="/"), status_code=303)
        if isinstance(exc, NeedPasswordChange) and not wants_json(request) and request.method == "GET":
            return RedirectResponse("/account/password", status_code=303)
        return _error_response(request, exc.status, exc.code, exc.detail if exc.code in ("csrf", "refused") else "")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed", 401: "login_required", 403: "forbidden"}.get(
            exc.status_code, "http_error")
        return _error_response(request, exc.status_code, code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        fields = sorted({".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors()})
        return _error_response(request, 422, "invalid_input", ", ".join(fields)[:200])

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        request_id = request.scope.get("state", {}).get("request_id", "")
        log.error("request %s failed", request_id, exc_info=exc)
        response = _error_response(request, 500, "internal")
        from xinlian.web.security import security_headers

        for k, v in security_headers(False):  # this handler runs outside the security middleware
            response.headers[k.decode()] = v.decode()
        response.headers["x-request-id"] = request_id
        return response


__all__ = ["create_app", "serve"]
