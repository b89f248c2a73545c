"""Who may call which route: the declared table, checked on every request (default deny).

``ROUTE_ROLES[(path, method)]`` is the permission the route needs (see ``xinlian.users.roles``): ``anon``
(anyone), ``read`` (viewer and up), ``write`` (analyst and up), ``users`` / ``audit`` / ``system`` (admin duties).
A route that is not in this table answers 403 to everyone, and ``tests/web/test_access.py`` fails for any route of
the app that is missing here, so a new route cannot ship without a decision about who may use it.
Pages are listed with their JSON twin (``path.json``).
"""

from __future__ import annotations


def _page(path: str, permission: str) -> dict[tuple[str, str], str]:
    return {(path, "GET"): permission, (path + ".json", "GET"): permission}


ROUTE_ROLES: dict[tuple[str, str], str] = {
    # auth
    ("/login", "GET"): "anon",
    ("/login", "POST"): "anon",
    ("/logout", "POST"): "read",
    ("/account/password", "GET"): "read",
    ("/account/password", "POST"): "read",
    ("/healthz", "GET"): "anon",
    ("/openapi.json", "GET"): "read",
    # dashboard and chain
    ("/", "GET"): "read",
    **_page("/dashboard", "read"),
    **_page("/chain", "read"),
    **_page("/chain/nodes/{node_id}", "read"),
    # enterprises
    **_page("/enterprises", "read"),
    **_page("/enterprises/{eid:int}", "read"),
    # news and the link review queue
    **_page("/news", "read"),
    **_page("/news/{aid:int}", "read"),
    ("/news/{aid:int}/raw", "GET"): "read",
    **_page("/links", "read"),
    ("/links/{link_id:int}/confirm", "POST"): "write",
    ("/links/{link_id:int}/reject", "POST"): "write",
    # projects (work tracking)
    **_page("/projects", "read"),
    **_page("/projects/{pid:int}", "read"),
    ("/projects", "POST"): "write",
    ("/projects/{pid:int}/move", "POST"): "write",
    ("/projects/{pid:int}/problems", "POST"): "write",
    ("/projects/problems/{problem_id:int}/close", "POST"): "write",
    # visits, demands, policies
    **_page("/visits", "read"),
    **_page("/visits/{vid:int}", "read"),
    ("/visits", "POST"): "write",
    ("/visits/{vid:int}/confirm", "POST"): "write",
    ("/demands", "POST"): "write",
    ("/demands/{did:int}/close", "POST"): "write",
    **_page("/policies", "read"),
    **_page("/policies/{pid:int}", "read"),
    # imports (sheets in, bad-row report out)
    **_page("/imports", "write"),
    **_page("/imports/{bid:int}", "write"),
    ("/imports", "POST"): "write",
    # reports (an export: every download is audited)
    **_page("/reports", "read"),
    ("/reports/briefing", "GET"): "read",
    # admin: users (security admin duty) and audit (audit admin duty)
    **_page("/admin/users", "users"),
    ("/admin/users", "POST"): "users",
    ("/admin/users/{uid:int}/role", "POST"): "users",
    ("/admin/users/{uid:int}/clearance", "POST"): "users",
    ("/admin/users/{uid:int}/disable", "POST"): "users",
    ("/admin/users/{uid:int}/enable", "POST"): "users",
    ("/admin/users/{uid:int}/unlock", "POST"): "users",
    ("/admin/users/{uid:int}/password", "POST"): "users",
    **_page("/admin/audit", "audit"),
}

# While a user must change the password, only these routes answer.
PASSWORD_CHANGE_ROUTES = frozenset({"/account/password", "/logout", "/login", "/healthz"})


def iter_routes(app_or_router, prefix: str = ""):
    """Every (path, method) the app answers, walking included routers (HEAD left out: it follows GET)."""
    from fastapi.routing import APIRoute

    for route in getattr(app_or_router, "routes", []):
        original = getattr(route, "original_router", None)
        if original is not None:
            context = getattr(route, "include_context", None)
            yield from iter_routes(original, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(route, APIRoute):
            for method in sorted(route.methods - {"HEAD"}):
                yield prefix + route.path, method


# --- object-level access (region scope) -------------------------------------------------------------------------


def scope_prefix(ctx):
    """What the logged-in user is limited to (``users.scope``): None for no limit, the region prefix at security
    level 2, a ``users.scope.Limit`` (region prefix and clearance, for the security labels) at level 3."""
    from xinlian.users.scope import Limit, limit_for

    user = getattr(ctx, "user", None)
    if user is None:
        return None
    level = ctx.settings.security_level
    clearance = getattr(user, "clearance", None)  # None at level 3: 0, the lowest (default deny)
    try:
        return limit_for(user.region_scope, clearance, level)
    except ValueError:  # a malformed stored scope covers no region code (default deny)
        return "~" if level < 3 else Limit("~", 0 if clearance is None else int(clearance))


def out_of_scope(ctx, kind: str, obj_id) -> Exception:
    """The 404 a route raises for an object outside the user's scope (never 403: that would confirm the id
    exists in another region); the refusal is audited."""
    from xinlian.web.pages import WebError

    detail = f"outside region scope {ctx.user.region_scope}"
    if ctx.settings.security_level >= 3:
        detail += f" or above clearance {getattr(ctx.user, 'clearance', None)}"
    ctx.audit("scope.denied", (kind, obj_id), "failure", detail=detail)
    ctx.session.commit()
    return WebError(404, "not_found")
