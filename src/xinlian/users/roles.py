"""Roles and what each may do.

A route (or a library action) asks for a *permission*; a role grants a set of permissions. Today's roles are
``viewer`` (read), ``analyst`` (read and write the work) and ``admin`` (everything). Issue 9 (等保 三员) adds
``sys_admin``, ``sec_admin`` and ``audit_admin`` by adding rows here: ``users`` (manage accounts and roles) goes
to the security admin, ``audit`` (read the audit log) to the audit admin, ``system`` (settings, imports,
maintenance) to the system admin, and none of them needs to change a route.
"""

from __future__ import annotations

# Permissions, from weakest to strongest. ``anon`` is granted to everyone, logged in or not.
PERMISSIONS = ("anon", "read", "sensitive", "write", "system", "users", "audit")

ROLE_GRANTS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"anon", "read"}),
    "analyst": frozenset({"anon", "read", "sensitive", "write"}),
    "admin": frozenset(PERMISSIONS),
}

ROLES = tuple(ROLE_GRANTS)


def grants(role: str | None, permission: str) -> bool:
    """True when ``role`` (None = anonymous) holds ``permission``."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    if role is None:
        return permission == "anon"
    return permission in ROLE_GRANTS.get(role, frozenset())


def check_role(role: str) -> str:
    if role not in ROLE_GRANTS:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    return role
