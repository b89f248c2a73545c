"""Security layer: headers, CSRF refusals of each kind, cookies, body limits, generic errors, templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webdata import PASSWORD, XSS_NAME, csrf_of

WEB = Path(__file__).resolve().parents[2] / "src" / "xinlian" / "web"


def audit_actions(db, action: str) -> list:
    from xinlian.store.tables.auth import AuditLog

    with db.session() as s:
        return [(r.outcome, r.detail) for r in s.query(AuditLog).filter_by(action=action).order_by(AuditLog.id)]


# --- headers ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/login", "/dashboard", "/enterprises.json", "/nope", "/static/app.css"])
def test_security_headers_on_every_response(sqlite_web, path):
    r = sqlite_web.client("viewer").get(path)
    csp = r.headers["content-security-policy"]
    for part in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                 "frame-ancestors 'none'"):
        assert part in csp
    assert "http" not in csp and "unsafe-eval" not in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-request-id"]
    if path.startswith("/static"):
        assert "no-store" not in r.headers["cache-control"]
    else:
        assert r.headers["cache-control"] == "no-store"


def test_pages_have_no_inline_script_and_no_outside_source(sqlite_web):
    c = sqlite_web.client("admin")
    for path in ("/dashboard", "/chain", "/chain/nodes/foundry", "/enterprises", f"/enterprises/{sqlite_web.ids['xss']}",
                 "/admin/users", "/admin/audit", "/login"):
        html = c.get(path).text
        for tag in re.findall(r"<script[^>]*>", html):
            assert 'src="/static/' in tag or 'type="application/json"' in tag, (path, tag)
        assert "http://" not in html and "https://" not in html, path
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html), path  # no event-handler attributes


def test_echarts_is_vendored_with_version_and_licence():
    vendor = WEB / "static" / "vendor"
    files = sorted(p.name for p in vendor.iterdir())
    js = [f for f in files if re.fullmatch(r"echarts-\d+\.\d+\.\d+\.min\.js", f)]
    assert js, files
    version = js[0][len("echarts-"):-len(".min.js")]
    assert f"echarts-{version}.LICENSE" in files and f"echarts-{version}.NOTICE" in files
    charts = (WEB / "static" / "charts.js").read_text()
    assert "echarts.format.encodeHTML" in charts
    assert "innerHTML" not in charts


# --- CSRF -------------------------------------------------------------------------------------------------------

def _try_create(env, headers=None, token: str | None = "good"):
    c = env.client("admin")
    data = {"username": "mallory", "password": "Zz9!Kestrel-Pond", "role": "viewer"}
    if token == "good":
        data["csrf_token"] = env.csrf(c)
    elif token is not None:
        data["csrf_token"] = token
    return c.post("/admin/users", data=data, headers=headers or {}, follow_redirects=False)


def _user_exists(env, name="mallory") -> bool:
    from xinlian.store.tables.auth import User

    with env.db.session() as s:
        return s.query(User).filter_by(username=name).count() == 1


@pytest.mark.parametrize("case", ["missing", "wrong", "other_session", "origin_cross", "origin_null",
                                  "fetch_cross_site", "referer_cross"])
def test_csrf_refusals(web, case):
    if case == "missing":
        r = _try_create(web, token=None)
    elif case == "wrong":
        r = _try_create(web, token="0" * 64)
    elif case == "other_session":  # a valid token of another user's session
        r = _try_create(web, token=web.csrf(web.client("viewer")))
    elif case == "origin_cross":
        r = _try_create(web, headers={"origin": "http://evil.example"})
    elif case == "origin_null":
        r = _try_create(web, headers={"origin": "null"})
    elif case == "fetch_cross_site":
        r = _try_create(web, headers={"sec-fetch-site": "cross-site"})
    else:
        r = _try_create(web, headers={"referer": "http://evil.example/form"})
    assert r.status_code == 403
    assert not _user_exists(web)
    refused = audit_actions(web.db, "csrf.refused")
    assert refused and refused[-1][0] == "failure"


def test_csrf_accepts_good_token_and_same_origin(web):
    r = _try_create(web, headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"})
    assert r.status_code == 303, r.text[:300]
    assert _user_exists(web)


def test_csrf_header_token_works_for_scripts(sqlite_web):
    c = sqlite_web.client("admin")
    r = c.post(f"/admin/users/{sqlite_web.ids['target']}/unlock", headers={"x-csrf-token": sqlite_web.csrf(c)},
               follow_redirects=False)
    assert r.status_code == 303


def test_login_form_needs_csrf_too(sqlite_web):
    c = sqlite_web.new_client()
    c.get("/login")
    r = c.post("/login", data={"username": "admin", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    assert "xl_session" not in r.cookies


def test_no_get_route_changes_state(sqlite_web):
    from xinlian.store.tables.auth import User

    c = sqlite_web.client("admin")
    for path in ("/admin/users", "/logout", f"/admin/users/{sqlite_web.ids['target']}/disable"):
        assert c.get(path, follow_redirects=False).status_code in (200, 405)
    with sqlite_web.db.session() as s:
        assert s.get(User, sqlite_web.ids["target"]).active


# --- cookies ----------------------------------------------------------------------------------------------------

def test_session_cookie_flags(sqlite_web):
    c, r = sqlite_web.login("viewer")
    cookies = r.headers.get_list("set-cookie")
    session = [h for h in cookies if h.startswith("xl_session=")]
    assert session, cookies
    assert "HttpOnly" in session[0] and "SameSite=lax" in session[0] and "Path=/" in session[0]
    assert "Secure" not in session[0]


def test_cookies_behind_tls_get_host_prefix_and_secure(sqlite_db, password_hash, monkeypatch):
    from xinlian.settings import get_settings, reset_settings
    from xinlian.web.app import create_app

    from webdata import WebEnv, seed

    monkeypatch.setenv("XINLIAN_BEHIND_TLS", "true")
    reset_settings()
    ids = seed(sqlite_db, password_hash)
    env = WebEnv(create_app(sqlite_db, get_settings()), sqlite_db, ids)
    c = env.new_client()
    c.base_url = "https://testserver"
    r = c.get("https://testserver/login")
    token = csrf_of(r.text)
    r = c.post("https://testserver/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    session = [h for h in r.headers.get_list("set-cookie") if "xl_session" in h][0]
    assert session.startswith("__Host-xl_session=") and "Secure" in session and "Path=/" in session
    assert "Domain" not in session


def test_tampered_session_cookie_is_anonymous(sqlite_web):
    c = sqlite_web.client("viewer")
    value = c.cookies["xl_session"]
    c.cookies.set("xl_session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert c.get("/dashboard.json").status_code == 401


# --- body limits and errors -------------------------------------------------------------------------------------

def test_body_over_limit_is_413_before_parsing(sqlite_db, password_hash, monkeypatch):
    from xinlian.settings import get_settings, reset_settings
    from xinlian.web.app import create_app

    from webdata import WebEnv, seed

    monkeypatch.setenv("XINLIAN_UPLOAD_MAX_BYTES", "1000")
    reset_settings()
    env = WebEnv(create_app(sqlite_db, get_settings()), sqlite_db, seed(sqlite_db, password_hash))
    c = env.client("admin")
    r = c.post("/admin/users", content=b"username=" + b"x" * 5000, follow_redirects=False,
               headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert r.headers["x-content-type-options"] == "nosniff"

    def chunks():  # no Content-Length: the streamed body is counted
        for _ in range(10):
            yield b"x" * 500

    r = c.post("/admin/users", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_server_error_is_generic_with_request_id(sqlite_web, monkeypatch):
    from xinlian.web import access
    from xinlian.web.routes import dashboard

    def boom(*a, **k):
        raise RuntimeError("secret internals: SELECT password_hash FROM app_user")

    monkeypatch.setattr(dashboard, "headline", boom)
    c = sqlite_web.client("viewer")
    for path in ("/dashboard", "/dashboard.json"):
        r = c.get(path)
        assert r.status_code == 500
        assert "secret internals" not in r.text and "Traceback" not in r.text and "password_hash" not in r.text
        assert r.headers["x-request-id"] in r.text
        assert r.headers["content-security-policy"]
    assert access.ROUTE_ROLES  # the table is untouched


def test_validation_errors_do_not_echo_input(sqlite_web):
    r = sqlite_web.client("viewer").get("/enterprises.json?page=<script>")
    assert r.status_code == 422
    assert "<script>" not in r.text


# --- templates --------------------------------------------------------------------------------------------------

def test_templates_are_html_and_autoescaped(sqlite_web):
    files = [p for p in (WEB / "templates").rglob("*") if p.is_file()]
    assert files and all(p.suffix == ".html" for p in files), [p.name for p in files if p.suffix != ".html"]
    env = sqlite_web.app.state.web.templates.env
    assert env.autoescape is True
    for p in files:
        text = p.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", "") and "Markup(" not in text, p.name
        assert "autoescape false" not in text, p.name
    for p in WEB.rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        assert "Markup(" not in text and "autoescape=False" not in text, p.name


def test_i18n_key_sets_are_equal_and_cover_templates():
    from xinlian.web.i18n import messages

    zh, en = messages("zh"), messages("en")
    assert set(zh) == set(en), sorted(set(zh) ^ set(en))
    used = set()
    for p in (WEB / "templates").rglob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_]+\.[a-z_.]+)'\)", p.read_text(encoding="utf-8")))
    assert used and not (used - set(zh)), sorted(used - set(zh))


def test_english_switch_sets_cookie(sqlite_web):
    c = sqlite_web.client("viewer")
    r = c.get("/dashboard?lang=en")
    assert "Dashboard" in r.text and 'lang="en"' in r.text
    assert "xl_lang=en" in ";".join(r.headers.get_list("set-cookie"))
    r = c.get("/enterprises")
    assert "Enterprises" in r.text
    r = c.get("/enterprises?lang=zh")
    assert "企业库" in r.text


def test_behind_tls_gateway_the_https_origin_is_ours(sqlite_db, password_hash, monkeypatch):
    """The gateway terminates TLS: the app sees http, the browser sends Origin https://host; that is same-site."""
    from xinlian.settings import get_settings, reset_settings
    from xinlian.web.app import create_app

    from webdata import WebEnv, seed

    monkeypatch.setenv("XINLIAN_BEHIND_TLS", "true")
    reset_settings()
    env = WebEnv(create_app(sqlite_db, get_settings()), sqlite_db, seed(sqlite_db, password_hash))
    c = env.new_client()
    r = c.get("http://testserver/login")
    pre = [h.split(";")[0] for h in r.headers.get_list("set-cookie") if h.startswith("__Host-xl_pre=")][0]
    form = {"username": "viewer", "password": PASSWORD, "csrf_token": csrf_of(r.text)}
    r = c.post("http://testserver/login", data=form, headers={"origin": "http://testserver", "cookie": pre},
               follow_redirects=False)
    assert r.status_code == 403  # plain http origin is not the site the browser is on
    r = c.post("http://testserver/login", data=form, headers={"origin": "https://testserver", "cookie": pre},
               follow_redirects=False)
    assert r.status_code == 303
