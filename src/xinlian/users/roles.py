"""Roles and what each may do.

A route (or a library action) asks for a *permission*; a role grants a set of permissions. The work roles are
``viewer`` (read), ``analyst`` (read and write the work, see sensitive figures). The three administrators of
等保 三员 each hold one duty and nothing of the other two: ``sec_admin`` (安全管理员) holds ``users`` (create,
disable, unlock accounts, assign roles), ``audit_admin`` (审计管理员) holds ``audit`` (read the audit log, which
nobody can edit: the database refuses UPDATE and DELETE), ``sys_admin`` (系统管理员) holds ``system`` (settings,
maintenance). The three may read the pages (``read``) but hold neither ``write`` nor ``sensitive``: an
administrator does not change the work data nor see tax and output figures.

``admin`` (every permission) is kept for small level-2 installs and for the demo; at ``security_level`` 3 it
holds nothing beyond ``anon`` and cannot be given to anyone (``check_role``), so a level-3 system has no account
that holds two administrator duties. See docs/security.md (三员).
"""

from __future__ import annotations

# Permissions, from weakest to strongest. ``anon`` is granted to everyone, logged in or not.
PERMISSIONS = ("anon", "read", "sensitive", "write", "system", "users", "audit")

# The three administrator duties of 三员; no role other than ``admin`` may hold two of them.
ADMIN_DUTIES = ("system", "users", "audit")

ROLE_GRANTS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"anon", "read"}),
    "analyst": frozenset({"anon", "read", "sensitive", "write"}),
    "sys_admin": frozenset({"anon", "read", "system"}),
    "sec_admin": frozenset({"anon", "read", "users"}),
    "audit_admin": frozenset({"anon", "read", "audit"}),
    "admin": frozenset(PERMISSIONS),
}

ROLES = tuple(ROLE_GRANTS)
THREE_ADMINS = ("sys_admin", "sec_admin", "audit_admin")


def _level() -> int:
    from xinlian.settings import get_settings

    return get_settings().security_level


def role_grants(role: str | None, level: int | None = None) -> frozenset[str]:
    """The permissions ``role`` holds at ``level`` (default: ``settings.security_level``)."""
    if role is None:
        return frozenset({"anon"})
    if role == "admin" and (level if level is not None else _level()) >= 3:
        return frozenset({"anon"})  # no superuser at level 3 (三员)
    return ROLE_GRANTS.get(role, frozenset())


def grants(role: str | None, permission: str, level: int | None = None) -> bool:
    """True when ``role`` (None = anonymous) holds ``permission``."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return permission in role_grants(role, level)


def check_role(role: str, level: int | None = None) -> str:
    """``role`` when it may be given to an account; ValueError for an unknown role, or ``admin`` at level 3."""
    if role not in ROLE_GRANTS:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role == "admin" and (level if level is not None else _level()) >= 3:
        raise ValueError("security_level 3 has no admin superuser: use sys_admin, sec_admin and audit_admin (三员)")
    return role
