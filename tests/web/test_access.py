"""The route × role matrix, generated from the app's router and compared with ``access.ROUTE_ROLES``."""

from __future__ import annotations

import re

import pytest
from xinlian.users.roles import grants
from xinlian.web.access import ROUTE_ROLES, iter_routes

from webdata import ROLES


def app_routes(app) -> list[tuple[str, str]]:
    return list(iter_routes(app))


def concrete(path: str, ids: dict) -> str:
    values = {"node_id": "foundry", "eid": str(ids["enterprises"][0]), "uid": str(ids["target"]),
              "aid": str(ids.get("article", 1)), "pid": str(ids.get("project", 1))}

    def sub(m):
        name = m.group(1).split(":")[0]
        return values.get(name, "1")

    return re.sub(r"\{([^}]+)\}", sub, path)


def test_every_route_is_declared(sqlite_web):
    routes = app_routes(sqlite_web.app)
    missing = [r for r in routes if r not in ROUTE_ROLES]
    assert not missing, f"routes missing from web.access.ROUTE_ROLES (decide who may call them): {missing}"
    assert len(routes) > 20


def test_no_stale_declarations(sqlite_web):
    """Entries for routes of areas that are installed must exist in the app (catches typos in the table)."""
    routes = set(app_routes(sqlite_web.app))
    areas = sqlite_web.app.state.web.routers
    known_prefixes = {"/login", "/logout", "/account", "/healthz", "/openapi.json", "/", "/dashboard", "/chain",
                      "/enterprises", "/admin", *(f"/{area}" for area in areas)}
    stale = [k for k in ROUTE_ROLES if k not in routes and any(
        k[0] == p or k[0].startswith(p + "/") or k[0].startswith(p + ".") for p in known_prefixes)]
    assert not stale, f"declared but not routed: {stale} (areas: {areas})"


def test_undeclared_route_is_refused(sqlite_web):
    app = sqlite_web.app
    from fastapi import Depends

    from xinlian.web.pages import get_ctx

    @app.get("/undeclared-probe")
    def probe(ctx=Depends(get_ctx)):
        return {"leak": True}

    r = sqlite_web.client("admin").get("/undeclared-probe")
    assert r.status_code == 403
    assert "leak" not in r.text


@pytest.mark.parametrize("role", [None, *ROLES])
def test_route_role_matrix(web, role):
    """Every route for one role: allowed → neither 401 nor 403; refused → login (anon) or 403 (logged in)."""
    client = web.client(role)
    routes = [r for r in app_routes(web.app) if r[0] not in ("/logout", "/login")]
    problems = []
    for path, method in routes:
        url = concrete(path, web.ids)
        allowed = grants(role, ROUTE_ROLES[(path, method)])
        if method == "GET":
            r = client.get(url, follow_redirects=False)
        else:
            r = web.post(client, url)
        if allowed:
            ok = r.status_code not in (401, 403) and not (
                r.status_code == 303 and r.headers.get("location", "").startswith("/login"))
        elif role is None:
            ok = r.status_code == 401 or (r.status_code == 303 and r.headers["location"].startswith("/login"))
        else:
            ok = r.status_code == 403
        if r.status_code >= 500:
            ok = False
        if not ok:
            problems.append((method, url, r.status_code, "allowed" if allowed else "refused"))
    assert not problems, problems


def test_anonymous_json_gets_401_and_html_gets_login(web):
    c = web.client(None)
    r = c.get("/enterprises.json")
    assert r.status_code == 401 and r.json()["error"] == "login_required"
    r = c.get("/enterprises", headers={"accept": "application/json"})
    assert r.status_code == 401
    r = c.get("/enterprises?q=x", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/enterprises")


def test_viewer_cannot_write_and_analyst_cannot_administer(web):
    r = web.post(web.client("viewer"), "/admin/users", {"username": "x", "password": "Aa1!aaaaaaa", "role": "admin"})
    assert r.status_code == 403
    for path in ("/admin/users", "/admin/audit", "/admin/audit.json"):
        assert web.client("analyst").get(path).status_code == 403
    r = web.post(web.client("analyst"), f"/admin/users/{web.ids['viewer']}/role", {"role": "admin"})
    assert r.status_code == 403
    from xinlian.store.tables.auth import AuditLog, User

    with web.db.session() as s:
        assert s.get(User, web.ids["viewer"]).role == "viewer"
        denied = s.query(AuditLog).filter_by(action="access.denied", username="analyst").count()
    assert denied >= 3
