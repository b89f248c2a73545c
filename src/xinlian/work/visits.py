"""Visits (走访) to enterprises and the demands (诉求) firms raise, followed until closed.

A visit can start as a draft made from a news event (``draft_from_event``): the event's organisations are matched
to registry enterprises by normalised name or alias, its people become the officials, and an analyst confirms it
(``confirm_visit``). Demands carry a category (``data/rules/work_categories.yaml``), a responsible department, an
owner and a due date; overdue ones appear in ``xinlian.work.alerts``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from importlib import resources

import yaml
from sqlalchemy import select

from xinlian.store.tables.work import Demand, Visit, VisitEnterprise
from xinlian.work.common import (WorkError, as_aware, enterprise_names, get_or_missing, match_enterprise, now_utc,
                                 session_of, show_time)
from xinlian.work.rules import categories


# --- officials ------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _title_words() -> tuple[str, ...]:
    data = yaml.safe_load(resources.files("xinlian.data.lexicons").joinpath("titles.yaml").read_text("utf-8"))
    words = {w for w in data.get("base", []) if isinstance(w, str)}
    return tuple(sorted(words, key=len, reverse=True))


def split_official(text: str) -> dict:
    """``区委副书记、区长恽淇丞`` → {"name": "恽淇丞", "title": "区委副书记、区长"}; a bare name keeps title None."""
    t = re.sub(r"\s+", "", text or "")
    best = None
    for w in _title_words():
        i = t.rfind(w)
        if i >= 0:
            end = i + len(w)
            rest = t[end:]
            if 2 <= len(rest) <= 4 and re.fullmatch(r"[\u4e00-\u9fff·]+", rest) and (best is None or end > best):
                best = end
    if best is None:
        return {"name": t, "title": None}
    return {"name": t[best:], "title": t[:best]}


def _officials(raw) -> list[dict]:
    out = []
    for item in raw or []:
        if isinstance(item, dict):
            out.append({"name": str(item.get("name", "")).strip(), "title": item.get("title") or None})
        elif isinstance(item, str) and item.strip():
            for part in re.split(r"[；;\n]", item):
                if part.strip():
                    out.append(split_official(part))
    return out


def parse_officials(text: str | None) -> list[dict]:
    """Officials as typed in a sheet: ``区长张三；副区长李四`` (separated by ；, ; or new lines)."""
    return _officials([text] if text else [])


def officials_text(officials: list | None) -> str:
    return "；".join(f"{o.get('title') or ''}{o.get('name') or ''}" for o in officials or [])


# --- visits ---------------------------------------------------------------------------------------------------

def visit_key(visit_date: date | None, names: list[str]) -> str:
    from xinlian.registry.names import normalise

    return f"{visit_date or ''}|" + ",".join(sorted({normalise(n) for n in names if n}))


def _is_company(name: str) -> bool:
    from xinlian.registry.names import basic, normalise

    return normalise(name) != basic(name).lower()


def _attach_enterprises(s, v: Visit, enterprises: list) -> None:
    seen = {ve.name for ve in v.enterprises}
    for ref in enterprises:
        if isinstance(ref, int):
            eid, how = ref, "id"
            name = enterprise_names(s, [ref]).get(ref)
            if name is None:
                raise WorkError(f"企业 {ref} 不存在")
        else:
            name = str(ref).strip()
            if not name:
                continue
            eid, how = match_enterprise(s, name)
        if name in seen:
            continue
        seen.add(name)
        v.enterprises.append(VisitEnterprise(name=name, enterprise_id=eid, match=how))


def add_visit(db, *, visit_date: date | None, enterprises: list, officials: list | str | None = None,
              topics: str | None = None, notes: str | None = None, department: str | None = None,
              status: str = "confirmed", user: str | None = None, source: str = "manual",
              is_sample: bool = False, when: datetime | None = None) -> dict:
    """Record a visit. Enterprises are ids or names (names are matched to the registry, unmatched kept as typed).
    A visit entered by an analyst is confirmed unless ``status='draft'``."""
    if status not in ("draft", "confirmed"):
        raise WorkError(f"走访状态应为 draft 或 confirmed: {status!r}")
    if not enterprises:
        raise WorkError("走访至少应有一家企业")
    at = now_utc(when)
    offs = _officials([officials] if isinstance(officials, str) else officials)
    with session_of(db) as s:
        v = Visit(visit_date=visit_date, officials=offs, topics=topics, notes=notes, department=department,
                  status=status, source=source, created_by=user, created_at=at, is_sample=is_sample)
        if status == "confirmed":
            v.confirmed_by, v.confirmed_at = user, at
        s.add(v)
        _attach_enterprises(s, v, enterprises)
        v.match_key = visit_key(visit_date, [ve.name for ve in v.enterprises])
        s.flush()
        return visit_dict(s, v)


def draft_from_event(db, article_id: int | None, event: dict, *, user: str | None = None,
                     is_sample: bool = False) -> dict:
    """A draft visit from a news event (``article.schema.json`` events, ``type: visit``).

    Organisations are matched to enterprises (exact normalised name, then alias); unmatched names that look like
    companies are kept unlinked, government bodies are left out. The same event of the same article gives back
    the draft already made instead of a second one.
    """
    from xinlian.registry.values import ValueProblem
    from xinlian.registry.values import date as parse_date

    if not isinstance(event, dict) or event.get("type") != "visit":
        raise WorkError(f"只能从走访(visit)事件生成走访草稿，收到: {event.get('type') if isinstance(event, dict) else event!r}")
    try:
        when = parse_date((event.get("date") or "")[:10]) if event.get("date") else None
    except ValueProblem as exc:
        raise WorkError(f"事件日期无法识别: {exc}") from exc
    with session_of(db) as s:
        firms: list[str] = []
        for org in event.get("organizations") or []:
            eid, how = match_enterprise(s, org)
            if eid is not None or _is_company(org):
                firms.append(org)
        if not firms:
            raise WorkError("事件中没有可识别的企业，无法生成走访草稿")
        key = visit_key(when, firms)
        if article_id is not None:
            existing = s.scalar(select(Visit).where(Visit.source_article_id == article_id, Visit.match_key == key))
            if existing is not None:
                return visit_dict(s, existing)
        v = Visit(visit_date=when, officials=_officials(event.get("people")), status="draft", source="news",
                  source_article_id=article_id, source_event=dict(event), created_by=user, is_sample=is_sample,
                  notes=event.get("evidence"), created_at=now_utc())
        s.add(v)
        _attach_enterprises(s, v, firms)
        v.match_key = key
        s.flush()
        return visit_dict(s, v)


def confirm_visit(db, visit_id: int, user: str, when: datetime | None = None) -> dict:
    """An analyst confirms a draft visit (who and when are kept)."""
    with session_of(db) as s:
        v = get_or_missing(s, Visit, visit_id, "走访")
        if v.status == "confirmed":
            raise WorkError(f"走访 {visit_id} 已由 {v.confirmed_by or '他人'} 于 {show_time(v.confirmed_at)} 确认")
        v.status, v.confirmed_by, v.confirmed_at = "confirmed", user, now_utc(when)
        s.flush()
        return visit_dict(s, v)


def visit_dict(s, v: Visit, *, with_demands: bool = False) -> dict:
    out = {"id": v.id, "visit_date": v.visit_date, "officials": v.officials or [],
           "officials_text": officials_text(v.officials), "topics": v.topics, "notes": v.notes,
           "department": v.department, "status": v.status, "source": v.source,
           "source_article_id": v.source_article_id, "source_event": v.source_event, "created_by": v.created_by,
           "created_at": as_aware(v.created_at), "confirmed_by": v.confirmed_by,
           "confirmed_at": as_aware(v.confirmed_at), "is_sample": v.is_sample,
           "enterprises": [{"name": ve.name, "enterprise_id": ve.enterprise_id, "match": ve.match}
                           for ve in v.enterprises]}
    if with_demands:
        out["demands"] = [demand_dict(d) for d in s.scalars(select(Demand).where(Demand.visit_id == v.id)
                                                            .order_by(Demand.id))]
    return out


def get_visit(db, visit_id: int) -> dict:
    with session_of(db) as s:
        v = get_or_missing(s, Visit, visit_id, "走访")
        return visit_dict(s, v, with_demands=True)


def list_visits(db, *, status: str | None = None, enterprise_id: int | None = None, since: date | None = None,
                until: date | None = None, is_sample: bool | None = None) -> list[dict]:
    stmt = select(Visit).order_by(Visit.visit_date.desc(), Visit.id.desc())
    if status:
        stmt = stmt.where(Visit.status == status)
    if enterprise_id is not None:
        stmt = stmt.where(Visit.id.in_(select(VisitEnterprise.visit_id)
                                       .where(VisitEnterprise.enterprise_id == enterprise_id)))
    if since:
        stmt = stmt.where(Visit.visit_date >= since)
    if until:
        stmt = stmt.where(Visit.visit_date <= until)
    if is_sample is not None:
        stmt = stmt.where(Visit.is_sample.is_(is_sample))
    with session_of(db) as s:
        return [visit_dict(s, v) for v in s.scalars(stmt)]


# --- demands --------------------------------------------------------------------------------------------------

def demand_key(enterprise: str | int | None, raised_on: date | None, description: str) -> str:
    from xinlian.registry.names import basic

    return f"{enterprise or ''}|{raised_on or ''}|{basic(description or '').lower()}"


def demand_dict(d: Demand, enterprise_name: str | None = None) -> dict:
    cats = categories()
    return {"id": d.id, "visit_id": d.visit_id, "enterprise_id": d.enterprise_id, "enterprise": enterprise_name,
            "category": d.category,
            "category_name": cats.demand[d.category].name if d.category in cats.demand else d.category,
            "description": d.description, "department": d.department, "owner": d.owner, "raised_on": d.raised_on,
            "due": d.due, "response": d.response, "status": d.status,
            "status_name": cats.demand_status.get(d.status, d.status), "created_at": as_aware(d.created_at),
            "created_by": d.created_by, "closed_at": as_aware(d.closed_at), "closed_by": d.closed_by,
            "is_sample": d.is_sample}


def add_demand(db, *, description: str, category: str, enterprise: int | str | None = None,
               visit_id: int | None = None, department: str | None = None, owner: str | None = None,
               due: date | None = None, raised_on: date | None = None, status: str = "open",
               response: str | None = None, user: str | None = None, is_sample: bool = False,
               when: datetime | None = None) -> dict:
    """Record a demand. ``enterprise`` is an id or a name; with a visit and no enterprise, the visit's only
    enterprise is used."""
    from xinlian.work.common import find_enterprise

    cats = categories()
    try:
        cat = cats.resolve("demand", category)
    except ValueError as exc:
        raise WorkError(f"诉求类别: {exc}") from exc
    if status not in cats.demand_status:
        raise WorkError(f"诉求状态应为 {'、'.join(cats.demand_status)} 之一: {status!r}")
    if not (description or "").strip():
        raise WorkError("诉求内容不能为空")
    at = now_utc(when)
    with session_of(db) as s:
        eid = None
        if enterprise not in (None, ""):
            eid = find_enterprise(s, enterprise)
            if eid is None:
                raise WorkError(f"企业库中找不到企业 {enterprise!r}")
        v = None
        if visit_id is not None:
            v = get_or_missing(s, Visit, visit_id, "走访")
            linked = [ve.enterprise_id for ve in v.enterprises if ve.enterprise_id]
            if eid is None and len(linked) == 1:
                eid = linked[0]
        d = Demand(visit_id=visit_id, enterprise_id=eid, category=cat, description=description.strip(),
                   department=department, owner=owner, due=due,
                   raised_on=raised_on or (v.visit_date if v is not None else None), status=status,
                   response=response, created_by=user, created_at=at, is_sample=is_sample)
        if status == "closed":
            d.closed_at, d.closed_by = at, user
        d.match_key = demand_key(eid, d.raised_on, d.description)
        s.add(d)
        s.flush()
        return demand_dict(d, enterprise_names(s, [eid]).get(eid))


def update_demand(db, demand_id: int, *, status: str | None = None, response: str | None = None,
                  user: str | None = None, when: datetime | None = None, **fields) -> dict:
    """Change a demand's status, response or follow-up fields (department, owner, due)."""
    cats = categories()
    allowed = {"department", "owner", "due", "category", "description"}
    if set(fields) - allowed:
        raise WorkError(f"不能修改的字段: {sorted(set(fields) - allowed)}")
    with session_of(db) as s:
        d = get_or_missing(s, Demand, demand_id, "诉求")
        if "category" in fields:
            fields["category"] = cats.resolve("demand", fields["category"])
        for k, v in fields.items():
            setattr(d, k, v)
        if response is not None:
            d.response = response
        if status is not None:
            if status not in cats.demand_status:
                raise WorkError(f"诉求状态应为 {'、'.join(cats.demand_status)} 之一: {status!r}")
            if status == "closed" and not (d.response or "").strip():
                raise WorkError("办结诉求须填写办理答复(response)")
            if status == "closed" and d.status != "closed":
                d.closed_at, d.closed_by = now_utc(when), user
            elif status != "closed":
                d.closed_at, d.closed_by = None, None
            d.status = status
        s.flush()
        return demand_dict(d, enterprise_names(s, [d.enterprise_id]).get(d.enterprise_id))


def close_demand(db, demand_id: int, *, response: str, user: str | None = None,
                 when: datetime | None = None) -> dict:
    """Close a demand with the answer given to the firm."""
    if not (response or "").strip():
        raise WorkError("办结诉求须填写办理答复")
    return update_demand(db, demand_id, status="closed", response=response, user=user, when=when)


def list_demands(db, *, status: str | None = None, department: str | None = None, enterprise_id: int | None = None,
                 category: str | None = None, visit_id: int | None = None, open_only: bool = False,
                 overdue_on: date | None = None) -> list[dict]:
    stmt = select(Demand).order_by(Demand.due.is_(None), Demand.due, Demand.id)
    if status:
        stmt = stmt.where(Demand.status == status)
    if open_only or overdue_on is not None:
        stmt = stmt.where(Demand.status != "closed")
    if overdue_on is not None:
        stmt = stmt.where(Demand.due < overdue_on)
    if department:
        stmt = stmt.where(Demand.department == department)
    if enterprise_id is not None:
        stmt = stmt.where(Demand.enterprise_id == enterprise_id)
    if category:
        stmt = stmt.where(Demand.category == categories().resolve("demand", category))
    if visit_id is not None:
        stmt = stmt.where(Demand.visit_id == visit_id)
    with session_of(db) as s:
        rows = list(s.scalars(stmt))
        names = enterprise_names(s, [d.enterprise_id for d in rows])
        return [demand_dict(d, names.get(d.enterprise_id)) for d in rows]
