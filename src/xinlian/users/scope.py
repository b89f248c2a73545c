"""Object-level access: which firms and work records a user with a ``region_scope`` may see (ASVS 8.2.2).

The rule, in one place (every route that lists or opens an object calls it):

- A user without ``region_scope`` (None or empty) sees everything their role allows.
- A scope is a GB/T 2260 code; it covers the codes that start with its *prefix*, the code with trailing ``00``
  pairs removed: ``320412`` covers 320412 only, ``320400`` covers every district of the city (3204xx),
  ``320000`` the province (32xxxx). Pairs, not single zeros, because the code's levels are two digits each
  (``320410`` stays a district of its own).
- **Enterprises**: in scope when their ``region_code`` is covered. Outside firms (``status == "candidate"``, the
  attraction targets found in public sources) are visible to every user: they are nobody's district data, and
  every district's investment staff work on the same target list. Their figures stay masked by role as usual.
  A firm with no region code is out of scope (default deny).
- **Work records** (projects, visits, demands) have no region column of their own; a record belongs to the
  registry firms it names: a project to its investor, a visit to the firms visited, a demand to its firm (or,
  without one, to its visit). A record is in scope when it names at least one firm and *every* firm it names
  lies in the scope by region code (candidates count by their own region here: a project of an outside investor
  cannot be placed in a district, so it is hidden from scoped users). Records naming no registry firm are hidden
  from scoped users.
- Opening an object out of scope by id answers **404, not 403**: a 403 would confirm that the id exists in
  another district. Refusals are audited by the route (``scope.denied``).

Functions take the scope *prefix* (``prefix_of(user.region_scope)``; None = no restriction) so the routes compute
it once per request.

**Security labels** (安全标记, 等保 level 3 访问控制 f–g): at ``security_level`` 3 each firm carries
``enterprise.security_label`` (0 公开 public, 1 内部 internal, 2 敏感 sensitive) and each user a ``clearance`` on the
same scale. A firm is visible only when ``security_label <= clearance``, *in addition to* the region rule, and for
candidates too (the label is about the firm's data, not its district). Work records follow their firms as above: a
record naming a firm above the user's clearance is hidden (a record naming no firm stays visible to an unscoped
user). At level 2 labels are ignored. The routes pass a ``Limit`` (region prefix and clearance) instead of the bare
prefix when labels apply (``web.access.scope_prefix``); every function here takes either, and None still means no
restriction at all. Refusals answer 404 exactly like a region refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Union

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from xinlian.store.tables.registry import Enterprise

_CODE = re.compile(r"^\d{2,6}$")

LABELS = {0: "公开", 1: "内部", 2: "敏感"}  # security_label / clearance levels (no 涉密 level: see docs/security.md)


@dataclass(frozen=True)
class Limit:
    """What a user may see at security level 3: a region prefix (None: any region) and a clearance."""

    prefix: str | None
    clearance: int


Restriction = Union[str, Limit, None]  # a bare region prefix, a Limit, or None (no restriction)


def limit_for(region_scope: str | None, clearance: int | None, level: int) -> Restriction:
    """The restriction of a user: the bare region prefix at level 2 (labels ignored), a ``Limit`` at level 3.
    ValueError for a malformed region scope (the caller decides to deny)."""
    prefix = prefix_of(region_scope)
    if level < 3:
        return prefix
    return Limit(prefix, 0 if clearance is None else int(clearance))


def region_part(limit: Restriction) -> str | None:
    """The region prefix of a restriction (None: any region)."""
    return limit.prefix if isinstance(limit, Limit) else limit


def clearance_of(limit: Restriction) -> int | None:
    """The clearance of a restriction (None: labels not enforced)."""
    return limit.clearance if isinstance(limit, Limit) else None


def label_visible(limit: Restriction, label: int | None) -> bool:
    """True when a firm labelled ``label`` may be seen under ``limit`` (always True without labels)."""
    clearance = clearance_of(limit)
    return clearance is None or (label or 0) <= clearance


def hidden_firm_names(session: Session, limit: Restriction) -> list[str]:
    """Names (and aliases of three characters or more) of the firms above ``limit``'s clearance: what a document
    built for the whole region, like the briefing, must not name to this user. Empty without labels."""
    from xinlian.store.tables.registry import EnterpriseAlias

    clearance = clearance_of(limit)
    if clearance is None:
        return []
    above = select(Enterprise.id).where(Enterprise.security_label > clearance)
    names = set(session.scalars(select(Enterprise.name).where(Enterprise.id.in_(above))))
    names |= {a for a in session.scalars(select(EnterpriseAlias.alias).where(
        EnterpriseAlias.enterprise_id.in_(above))) if a and len(a) >= 3}
    return sorted(names)


def _label_clause(clearance: int):
    return Enterprise.security_label <= clearance


def normalise(scope: str | None) -> str | None:
    """A scope as stored: None for no restriction; ValueError for anything but 2–6 digits."""
    scope = (scope or "").strip()
    if not scope:
        return None
    if not _CODE.match(scope):
        raise ValueError(f"region scope must be a GB/T 2260 code of 2–6 digits, not {scope!r}")
    return scope


def prefix_of(scope: str | None) -> str | None:
    """The code prefix a scope covers (``320400`` → ``3204``), or None when the user is not restricted."""
    scope = normalise(scope)
    if scope is None:
        return None
    while len(scope) > 2 and scope.endswith("00"):
        scope = scope[:-2]
    return scope


def covers(prefix: Restriction, region_code: str | None) -> bool:
    """True when a region code lies in the scope (always True without a scope)."""
    prefix = region_part(prefix)
    if prefix is None:
        return True
    return bool(region_code) and region_code.startswith(prefix)


def _region_range(prefix: str):
    """``region_code`` starting with ``prefix`` as a range, so both databases can use the index."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return (Enterprise.region_code >= prefix) & (Enterprise.region_code < upper)


def enterprise_clause(limit: Restriction):
    """A WHERE clause on ``Enterprise`` for the firms a scoped user may see (None: no restriction)."""
    prefix, clearance = region_part(limit), clearance_of(limit)
    region = None if prefix is None else or_(_region_range(prefix), Enterprise.status == "candidate")
    if clearance is None:
        return region
    return _label_clause(clearance) if region is None else and_(region, _label_clause(clearance))


def enterprise_visible(limit: Restriction, e: Enterprise) -> bool:
    prefix = region_part(limit)
    return (label_visible(limit, e.security_label)
            and (prefix is None or e.status == "candidate" or covers(prefix, e.region_code)))


def firms_in_scope(session: Session, limit: Restriction, ids: Iterable[int | None]) -> set[int]:
    """The ids among ``ids`` of firms whose region lies in the scope (by region code only, whatever their
    status: the test for work records) and whose label the user's clearance allows."""
    wanted = {i for i in ids if i is not None}
    prefix, clearance = region_part(limit), clearance_of(limit)
    if prefix is None and clearance is None:
        return wanted
    conditions = ([] if prefix is None else [_region_range(prefix)]) + \
        ([] if clearance is None else [_label_clause(clearance)])
    found: set[int] = set()
    chunk = sorted(wanted)
    for start in range(0, len(chunk), 5000):
        found.update(session.scalars(select(Enterprise.id).where(Enterprise.id.in_(chunk[start:start + 5000]),
                                                                 *conditions)))
    return found


def record_visible(firm_ids: Iterable[int | None], in_scope: set[int], limit: Restriction) -> bool:
    """A work record naming ``firm_ids`` is visible when it names at least one firm and all are in scope (without
    a region scope, a record naming no firm is visible; the firms it names must still pass their labels)."""
    if limit is None:
        return True
    named = {i for i in firm_ids if i is not None}
    if region_part(limit) is None:
        return named <= in_scope
    return bool(named) and named <= in_scope


def filter_projects(session: Session, prefix: str | None, projects: list[dict]) -> list[dict]:
    """Project dicts (``work.projects.project_dict``) a scoped user may see: those of an investor in scope."""
    if prefix is None:
        return projects
    ok = firms_in_scope(session, prefix, (p.get("investor_id") for p in projects))
    return [p for p in projects if record_visible([p.get("investor_id")], ok, prefix)]


def visit_firms(visit: dict) -> list[int | None]:
    return [e.get("enterprise_id") for e in visit.get("enterprises") or []]


def filter_visits(session: Session, prefix: str | None, visits: list[dict]) -> list[dict]:
    """Visit dicts (``work.visits.visit_dict``) whose visited registry firms are all in scope."""
    if prefix is None:
        return visits
    ok = firms_in_scope(session, prefix, (i for v in visits for i in visit_firms(v)))
    return [v for v in visits if record_visible(visit_firms(v), ok, prefix)]


def demand_firms(session: Session, demand: dict) -> list[int | None]:
    """The firms a demand names: its own firm, else those of its visit."""
    if demand.get("enterprise_id") is not None:
        return [demand["enterprise_id"]]
    if demand.get("visit_id") is None:
        return []
    from xinlian.store.tables.work import VisitEnterprise

    return list(session.scalars(select(VisitEnterprise.enterprise_id)
                                .where(VisitEnterprise.visit_id == demand["visit_id"])))


def filter_demands(session: Session, prefix: str | None, demands: list[dict]) -> list[dict]:
    """Demand dicts (``work.visits.demand_dict``) a scoped user may see."""
    if prefix is None:
        return demands
    named = [(d, demand_firms(session, d)) for d in demands]
    ok = firms_in_scope(session, prefix, (i for _, ids in named for i in ids))
    return [d for d, ids in named if record_visible(ids, ok, prefix)]


def filter_firm_rows(session: Session, prefix: str | None, rows: list[dict], key: str = "id") -> list[dict]:
    """Rows naming one firm each (``row[key]`` an enterprise id): those the scoped user may see as firms
    (in scope by region, or a candidate)."""
    if prefix is None:
        return rows
    ids = {r.get(key) for r in rows if r.get(key) is not None}
    visible: set[int] = set()
    chunk = sorted(ids)
    for start in range(0, len(chunk), 5000):
        visible.update(session.scalars(select(Enterprise.id).where(Enterprise.id.in_(chunk[start:start + 5000]),
                                                                   enterprise_clause(prefix))))
    return [r for r in rows if r.get(key) in visible]


def project_ids_in_scope(session: Session, prefix: str | None, ids: Iterable[int | None]) -> set[int]:
    """The ids among ``ids`` of projects a scoped user may see (their investor lies in the scope)."""
    from xinlian.store.tables.work import Project

    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return set()
    investors = dict(session.execute(select(Project.id, Project.investor_id).where(Project.id.in_(wanted))).all())
    if prefix is None:
        return set(investors)
    ok = firms_in_scope(session, prefix, investors.values())
    return {pid for pid, inv in investors.items() if record_visible([inv], ok, prefix)}


def visit_ids_in_scope(session: Session, prefix: str | None, ids: Iterable[int | None]) -> set[int]:
    """The ids among ``ids`` of visits a scoped user may see (every visited registry firm in scope)."""
    from xinlian.store.tables.work import VisitEnterprise

    wanted = sorted({i for i in ids if i is not None})
    if prefix is None or not wanted:
        return set(wanted)
    named: dict[int, list] = {}
    for vid, fid in session.execute(select(VisitEnterprise.visit_id, VisitEnterprise.enterprise_id)
                                    .where(VisitEnterprise.visit_id.in_(wanted))):
        named.setdefault(vid, []).append(fid)
    ok = firms_in_scope(session, prefix, (i for fids in named.values() for i in fids))
    return {vid for vid in wanted if record_visible(named.get(vid, []), ok, prefix)}


# --------------------------------------------------------------------------- import batches and alerts
#
# Import batches carry no firm of their own that could place them; what they hold (the bad-row report: names, credit
# codes, cell values) came from the sheet the uploader had. A batch therefore belongs to the *region scope of the
# user who made it* (``import_batch.user`` is the username): a scoped user sees the batches made by users whose
# scope lies inside their own (their own, their district colleagues', and for a city scope its districts'). Batches
# of unscoped users (a city-wide registry import), of the CLI (no user, or a shell name that is no account) and of
# accounts since removed are hidden from scoped users: default deny.


def importer_prefixes(session: Session, usernames: Iterable[str | None]) -> dict[str, str | None]:
    """{username: scope prefix} of the accounts among ``usernames`` (an unscoped account maps to None; names that
    are no account are missing). A malformed stored scope maps to an impossible prefix, covering nothing."""
    from xinlian.store.tables.auth import User

    wanted = sorted({u for u in usernames if u})
    out: dict[str, str | None] = {}
    for start in range(0, len(wanted), 5000):
        for name, scope in session.execute(select(User.username, User.region_scope)
                                           .where(User.username.in_(wanted[start:start + 5000]))):
            try:
                out[name] = prefix_of(scope)
            except ValueError:
                out[name] = "x"
    return out


def batch_visible(prefix: str | None, uploader_prefix: str | None, known: bool = True) -> bool:
    """A batch made by a user with ``uploader_prefix`` is visible to a user limited to ``prefix`` when the
    uploader was scoped too and inside that scope (``known`` False: the uploader is no account)."""
    prefix = region_part(prefix)  # batches carry no firm: labels do not apply to them
    if prefix is None:
        return True
    return known and uploader_prefix is not None and uploader_prefix.startswith(prefix)


def filter_batches(session: Session, prefix: str | None, batches: list[dict]) -> list[dict]:
    """Batch dicts (with ``user``) a scoped user may see (see the rule above)."""
    if region_part(prefix) is None:
        return batches
    owners = importer_prefixes(session, (b.get("user") for b in batches))
    return [b for b in batches if batch_visible(prefix, owners.get(b.get("user")), b.get("user") in owners)]


def filter_alerts(session: Session, prefix: str | None, items: list[dict] | None) -> list[dict] | None:
    """Alert dicts (``work.alerts.Alert.to_dict``) a scoped user may see: an alert of a project or a project's
    problem follows its project, an alert of a demand follows the demand (its firm, else its visit's firms).
    Anything else, or an alert that names no record, is hidden from scoped users."""
    if prefix is None or items is None:
        return items
    from xinlian.store.tables.work import Demand

    projects = project_ids_in_scope(session, prefix, (a.get("project_id") for a in items))
    demand_ids = sorted({a.get("subject_id") for a in items if a.get("subject") == "demand"
                         and a.get("subject_id") is not None})
    demands = [{"id": d.id, "enterprise_id": d.enterprise_id, "visit_id": d.visit_id}
               for d in session.scalars(select(Demand).where(Demand.id.in_(demand_ids or [-1])))]
    shown = {d["id"] for d in filter_demands(session, prefix, demands)}
    out = []
    for a in items:
        if a.get("subject") == "demand":
            ok = a.get("subject_id") in shown
        elif a.get("project_id") is None:
            ok = region_part(prefix) is None  # names no record: only labels apply, and there is none to check
        else:
            ok = a.get("project_id") in projects
        if ok:
            out.append(a)
    return out
