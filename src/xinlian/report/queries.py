"""The briefing's own reads of the database: set-based queries over a period, each ordered so that the same
database and period always give the same rows.

Tables of other areas (work, news, facts) are imported inside the functions that read them; when a module is not
installed the function raises ``SourceMissing`` and the section says so in one line.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from xinlian.chain.taxonomy import Chain
from xinlian.registry import sensitive

__all__ = ["SourceMissing", "stage_totals", "chain_lq", "project_pipeline", "news_events", "new_firms_seen",
           "visits_in", "demands_in"]

STAGES = ("upstream", "midstream", "downstream")


class SourceMissing(RuntimeError):
    """A data source (a table module of another area) is not installed yet."""


def _need(module: str, *names: str, session: Session | None = None):
    """The table module ``module`` with models ``names``; ``SourceMissing`` when the module, a model, or (given a
    session) its table in this database is absent (a database made before that area's migration)."""
    from importlib import import_module
    from sqlalchemy import inspect

    try:
        mod = import_module(module)
    except ModuleNotFoundError as exc:
        raise SourceMissing(f"{module} 尚未安装") from exc
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        raise SourceMissing(f"{module} 缺少 {', '.join(missing)}")
    if session is not None:
        insp = inspect(session.connection())
        absent = [getattr(mod, n).__tablename__ for n in names if not insp.has_table(getattr(mod, n).__tablename__)]
        if absent:
            raise SourceMissing(f"数据库中没有表 {', '.join(absent)}（请升级数据库）")
    return mod


# --------------------------------------------------------------------------- chain figures


def stage_totals(s: Session, chain: Chain, codes: list[str], day: date, year: int | None) -> dict[str, dict]:
    """Per stage and for the whole chain (``"total"``): local active firms founded by ``day`` (or with no founding
    date), each counted once per stage, and their output in ``year`` and ``year - 1`` (the growth is over the firms
    with output in both years)."""
    by_stage = {st: [n.id for n in nodes] for st, nodes in chain.by_stage().items()}
    by_stage["total"] = list(chain.nodes)
    y = year if year is not None else day.year
    # Security level 3: the local firms' output decrypted into a temporary table (registry.sensitive).
    with sensitive.readable_figures(s, [y, y - 1], ("output_value",), params={"codes": list(codes)},
                                    firms="SELECT id FROM enterprise WHERE region_code IN :codes") as fig:
        # sql-ok: fig is enterprise_figure or our own temp table name; values are bound
        sql = text(f"""
SELECT COUNT(*) AS firms, SUM(f1.output_value) AS output, COUNT(f1.output_value) AS with_output,
  SUM(CASE WHEN f0.output_value IS NOT NULL AND f1.output_value IS NOT NULL THEN f1.output_value END) AS both_now,
  SUM(CASE WHEN f0.output_value IS NOT NULL AND f1.output_value IS NOT NULL THEN f0.output_value END) AS both_before
FROM enterprise e
LEFT JOIN {fig} f1 ON f1.enterprise_id = e.id AND f1.year = :year
LEFT JOIN {fig} f0 ON f0.enterprise_id = e.id AND f0.year = :year0
WHERE e.status = 'active' AND e.region_code IN :codes AND (e.founded IS NULL OR e.founded <= :day)
  AND e.id IN (SELECT en.enterprise_id FROM enterprise_node en WHERE en.chain = :chain AND en.node_id IN :nodes)
""").bindparams(bindparam("codes", expanding=True), bindparam("nodes", expanding=True))
        rows = {key: s.execute(sql, {"year": y, "year0": y - 1, "codes": codes, "day": day, "chain": chain.id,
                                     "nodes": nodes or [""]}).mappings().one() for key, nodes in by_stage.items()}
    out: dict[str, dict] = {}
    for key, r in rows.items():
        growth = None
        if r["both_before"] and r["both_now"] is not None and float(r["both_before"]) > 0:
            growth = float(r["both_now"]) / float(r["both_before"]) - 1
        out[key] = {"firms": int(r["firms"]), "output_yuan": float(r["output"]) if r["with_output"] else None,
                    "growth": growth}
    return out


def chain_lq(s: Session, chain: Chain, diag_context: dict, chain_output: float | None) -> float | None:
    """The whole chain's location quotient: (chain output / region output) / (baseline chain / baseline total),
    the baseline chain being the sum of the baseline's leaf nodes (same scope and year as the diagnosis)."""
    base = diag_context.get("baseline") or {}
    region_total = (diag_context.get("region_total") or {}).get("output")
    base_total = (base.get("total") or {}).get("output")
    if not (chain_output and region_total and base_total and base.get("scope") and base.get("year")):
        return None
    leaves = [n.id for n in chain.leaves()]
    sql = text("SELECT SUM(output_value) FROM baseline WHERE scope = :scope AND chain = :chain AND year = :year "
               "AND node_id IN :nodes").bindparams(bindparam("nodes", expanding=True))
    base_chain = s.execute(sql, {"scope": base["scope"], "chain": chain.id, "year": base["year"],
                                 "nodes": leaves}).scalar()
    if not base_chain:
        return None
    return (chain_output / float(region_total)) / (float(base_chain) / float(base_total))


# --------------------------------------------------------------------------- projects


def project_pipeline(s: Session, chain: str, start: date, end: date) -> dict:
    """The chain's projects seen from ``end``: each one's stage on that day (rebuilt from its stage history), the
    moves made in [start, end], the projects created in it, and the money figures as recorded now.

    Returns {"projects": [...], "moves": [...], "created": [...]} ordered by date then id.
    """
    # ProjectProblem and Demand too: the section reads ``work.alerts``, which needs them
    work = _need("xinlian.store.tables.work", "Project", "ProjectMove", "ProjectProblem", "Demand", session=s)
    from xinlian.work.common import local_date

    Project, ProjectMove = work.Project, work.ProjectMove
    rows = list(s.execute(select(Project).where(Project.chain == chain).order_by(Project.id)).scalars())
    ids = [p.id for p in rows]
    moves_by: dict[int, list] = defaultdict(list)
    if ids:
        q = select(ProjectMove).where(ProjectMove.project_id.in_(ids)).order_by(ProjectMove.at, ProjectMove.id)
        for m in s.execute(q).scalars():
            moves_by[m.project_id].append(m)
    from xinlian.work.common import enterprise_names

    investors = enterprise_names(s, [p.investor_id for p in rows])
    projects, moves, created = [], [], []
    for p in rows:
        history = moves_by.get(p.id, [])
        stage_then = None
        held_from = None
        for m in history:
            day = local_date(m.at)
            if day <= end:
                if m.to_stage in ("on_hold", "terminated"):
                    held_from = m.from_stage if m.to_stage == "on_hold" else held_from
                stage_then = m.to_stage
            if start <= day <= end:
                item = {"project_id": p.id, "name": p.name, "date": day, "from": m.from_stage, "to": m.to_stage,
                        "kind": m.kind, "reason": m.reason}
                (created if m.kind == "create" else moves).append(item)
        if not history and p.created_at is not None and local_date(p.created_at) <= end:
            stage_then = p.stage
        if stage_then is None:
            continue  # the project did not exist yet on ``end``
        projects.append({
            "id": p.id, "name": p.name, "node_id": p.node_id, "stage": stage_then, "stage_now": p.stage,
            "department": p.department, "investor": investors.get(p.investor_id),
            "planned_yuan": p.planned_investment, "arrived_yuan": p.arrived_investment,
            "expected_output_yuan": p.expected_output, "milestone": p.next_milestone, "milestone_due": p.milestone_due,
            "last_move": local_date(history[-1].at) if history else None,
        })
    created.sort(key=lambda m: (m["date"], m["project_id"]))
    moves.sort(key=lambda m: (m["date"], m["project_id"]))
    return {"projects": projects, "moves": moves, "created": created}


# --------------------------------------------------------------------------- news


def news_events(s: Session, start: date, end: date) -> dict:
    """Articles published in [start, end] and the events they report.

    Returns {"articles": [{id, title, outlet, date, story_id, copies: [outlets]}], "events": [{type, date, title,
    outlet, outlets, organizations, amount_yuan, evidence}], "has_events": bool}. Republished copies of a story are
    folded into one item whose ``outlets`` lists every source.
    """
    news = _need("xinlian.store.tables.news", "Article", session=s)
    Article = news.Article
    arts = list(s.execute(select(Article).where(Article.published_date >= start, Article.published_date <= end)
                          .order_by(Article.published_date, Article.id)).scalars())
    stories: dict[object, dict] = {}
    order: list[object] = []
    for a in arts:
        key = ("story", a.story_id) if a.story_id is not None else ("article", a.id)
        if key not in stories:
            stories[key] = {"id": a.id, "title": a.title or "（无标题）", "outlet": a.outlet or "未知来源",
                            "date": a.published_date, "story_id": a.story_id, "outlets": [], "article_ids": []}
            order.append(key)
        item = stories[key]
        item["article_ids"].append(a.id)
        if (a.outlet or "未知来源") not in item["outlets"]:
            item["outlets"].append(a.outlet or "未知来源")
    articles = [stories[k] for k in order]
    events: list[dict] = []
    has_events = False
    try:
        facts = _need("xinlian.store.tables.facts", "ArticleEvent", session=s)
    except SourceMissing:
        facts = None
    if facts is not None and arts:
        has_events = True
        by_article = {aid: item for item in articles for aid in item["article_ids"]}
        E = facts.ArticleEvent
        q = select(E).where(E.article_id.in_(list(by_article))).order_by(E.article_id, E.id)
        seen: set = set()
        for ev in s.execute(q).scalars():
            item = by_article[ev.article_id]
            orgs = list(ev.organizations or [])
            key = (item["id"], ev.type, ev.date, tuple(orgs), ev.amount_yuan)
            if key in seen:  # the same event told again by a republished copy
                continue
            seen.add(key)
            day = _iso(ev.date) or item["date"]
            events.append({"type": ev.type, "date": day, "title": item["title"], "outlet": item["outlet"],
                           "outlets": item["outlets"], "organizations": orgs, "amount_yuan": ev.amount_yuan,
                           "evidence": ev.evidence})
        events.sort(key=lambda e: (e["date"] or date.min, e["type"], e["title"]))
    return {"articles": articles, "events": events, "has_events": has_events}


def _iso(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def new_firms_seen(s: Session, start: date, end: date) -> list[dict]:
    """Enterprises the news named for the first time in [start, end] (first = earliest publication date of an
    article with a non-rejected link to them), with the article that first named them; registry firms and new
    candidates (``status='candidate'``) alike, ordered by date then name."""
    facts = _need("xinlian.store.tables.facts", "Mention", "MentionLink", session=s)
    news = _need("xinlian.store.tables.news", "Article", session=s)
    from xinlian.store.tables.registry import Enterprise

    from sqlalchemy import func

    M, L, A = facts.Mention, facts.MentionLink, news.Article
    linked = (L.enterprise_id.is_not(None), L.status != "rejected", A.published_date.is_not(None))
    firsts = (select(L.enterprise_id, func.min(A.published_date).label("first"))
              .join(M, M.id == L.mention_id).join(A, A.id == M.article_id).where(*linked)
              .group_by(L.enterprise_id)
              .having(func.min(A.published_date) >= start, func.min(A.published_date) <= end))
    wanted = {eid: day for eid, day in s.execute(firsts)}
    if not wanted:
        return []
    first: dict[int, tuple] = {}
    q = (select(L.enterprise_id, A.published_date, A.id, A.title, A.outlet)
         .join(M, M.id == L.mention_id).join(A, A.id == M.article_id)
         .where(*linked, L.enterprise_id.in_(list(wanted)), A.published_date >= start, A.published_date <= end)
         .order_by(L.enterprise_id, A.published_date, A.id))
    for eid, day, aid, title, outlet in s.execute(q):
        first.setdefault(eid, (day, aid, title, outlet))
    firms = {e.id: e for e in s.execute(select(Enterprise).where(Enterprise.id.in_(list(wanted)))).scalars()}
    out = []
    for eid in wanted:
        e = firms.get(eid)
        if e is None:
            continue
        day, aid, title, outlet = first[eid]
        out.append({"enterprise_id": eid, "name": e.name, "status": e.status, "region_code": e.region_code,
                    "date": day, "title": title or "（无标题）", "outlet": outlet or "未知来源"})
    out.sort(key=lambda r: (r["date"], r["name"]))
    return out


# --------------------------------------------------------------------------- visits and demands


def visits_in(s: Session, start: date, end: date) -> list[dict]:
    """Confirmed visits dated in [start, end] with the firms visited, ordered by date then id."""
    work = _need("xinlian.store.tables.work", "Visit", "VisitEnterprise", session=s)
    V, VE = work.Visit, work.VisitEnterprise
    rows = list(s.execute(select(V).where(V.status == "confirmed", V.visit_date >= start, V.visit_date <= end)
                          .order_by(V.visit_date, V.id)).scalars())
    firms: dict[int, list[str]] = defaultdict(list)
    if rows:
        for vid, name in s.execute(select(VE.visit_id, VE.name).where(VE.visit_id.in_([v.id for v in rows]))
                                   .order_by(VE.visit_id, VE.id)):
            firms[vid].append(name)
    out = []
    for v in rows:
        officials = "；".join(f"{o.get('title') or ''}{o.get('name') or ''}" for o in (v.officials or [])
                             if isinstance(o, dict))
        out.append({"id": v.id, "date": v.visit_date, "firms": firms.get(v.id, []), "department": v.department,
                    "officials": officials, "topics": v.topics})
    return out


def demands_in(s: Session, start: date, end: date) -> dict:
    """Demands seen from ``end``: raised in [start, end], closed in it, open and overdue on ``end``; per
    department and per category. A demand closed after ``end`` counts as open on ``end``."""
    work = _need("xinlian.store.tables.work", "Demand", session=s)
    from xinlian.work.common import enterprise_names, local_date
    from xinlian.work.rules import categories

    D = work.Demand
    rows = list(s.execute(select(D).order_by(D.id)).scalars())
    names = enterprise_names(s, [d.enterprise_id for d in rows])
    cats = categories().demand
    per_dept: dict[str, Counter] = defaultdict(Counter)
    per_cat: Counter = Counter()
    overdue: list[dict] = []
    totals: Counter = Counter()
    for d in rows:
        raised = d.raised_on or local_date(d.created_at)
        if raised > end:
            continue
        closed = local_date(d.closed_at) if d.closed_at is not None and d.status == "closed" else None
        dept = d.department or "未指定部门"
        is_open = closed is None or closed > end
        if start <= raised <= end:
            per_dept[dept]["raised"] += 1
            per_cat[cats[d.category].name if d.category in cats else d.category] += 1
            totals["raised"] += 1
        if closed is not None and start <= closed <= end:
            per_dept[dept]["closed"] += 1
            totals["closed"] += 1
        if is_open:
            per_dept[dept]["open"] += 1
            totals["open"] += 1
            if d.due is not None and d.due < end:
                per_dept[dept]["overdue"] += 1
                totals["overdue"] += 1
                overdue.append({"id": d.id, "firm": names.get(d.enterprise_id, "未关联企业"), "department": dept,
                                "category": cats[d.category].name if d.category in cats else d.category,
                                "description": d.description, "due": d.due, "days": (end - d.due).days})
    overdue.sort(key=lambda r: (-r["days"], r["id"]))
    return {"per_department": {k: dict(v) for k, v in sorted(per_dept.items())},
            "per_category": dict(sorted(per_cat.items(), key=lambda kv: (-kv[1], kv[0]))),
            "overdue": overdue, "totals": dict(totals)}
