"""The web app's view of the libraries that other stages provide (diagnosis, work tracking, news).

Each function returns None when its library is not installed yet, so a page shows what exists and says what
does not. A library that raises is logged and treated as absent for that request (the page still renders).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from xinlian.web import cache

log = logging.getLogger("xinlian.web")

def has_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _compute_diagnosis(session: Session, chain_id: str, region: str, as_of: date | None) -> dict | None:
    from xinlian.chain.diagnose import diagnose

    try:
        return diagnose(session, chain_id, region, as_of or date.today()).to_contract()
    except Exception:  # a failing library must not take the page down
        log.exception("diagnosis failed for %s %s", chain_id, region)
        return None


def diagnosis(session: Session, chain_id: str, region: str, as_of: date | None = None, *,
              cached: bool = False, db=None) -> dict | None:
    """The diagnosis contract (``contracts/diagnosis.schema.json``) for a chain and region, or None.

    With ``cached`` the result goes through ``web.cache`` (given ``db``, a stale one is shown while a thread
    computes the fresh one, so only the first view after start waits for the diagnosis).
    """
    try:
        import xinlian.chain.diagnose  # noqa: F401
    except ImportError:
        return None
    if not cached:
        return _compute_diagnosis(session, chain_id, region, as_of)
    return cache.cached(cache.key_for(session, "diagnosis", chain_id, region, as_of),
                        lambda s: _compute_diagnosis(s, chain_id, region, as_of), session=session, db=db,
                        stale_after_write=True, ttl=cache.SLOW_TTL_S)


def verdicts_by_node(diag: dict | None) -> dict[str, dict]:
    if not diag:
        return {}
    return {n["id"]: n for n in diag.get("nodes", [])}


def _through_cache(session: Session, name: str, compute, *parts, cached: bool, db) -> Any:
    """``compute(session)`` directly, or through ``web.cache`` under ``name`` (plain data, so a cached value is
    returned as is, never rebuilt per request). ``compute`` raises on failure: nothing is cached then, and the
    caller treats the library as absent for this request."""
    if not cached:
        return compute(session)
    return cache.cached(cache.key_for(session, name, *parts), compute, session=session, db=db)


def _funnel_counts(session: Session) -> list[dict]:
    from sqlalchemy import func, select

    from xinlian.store.tables.work import Project
    from xinlian.work import stages as st

    rules = st.rules()
    counts = dict(session.execute(select(Project.stage, func.count()).group_by(Project.stage)).all())
    return [{"stage": sid, "name": rules.name(sid), "count": counts.get(sid, 0)} for sid in rules.all_ids()]


def project_funnel(session: Session, *, cached: bool = False, db=None) -> list[dict] | None:
    """Active projects counted by stage, in pipeline order (None before work tracking exists). With ``cached``
    the counts come through ``web.cache`` (computed again after any announced write)."""
    try:
        import xinlian.store.tables.work  # noqa: F401
        import xinlian.work.stages  # noqa: F401
    except ImportError:
        return None
    try:
        return [dict(row) for row in _through_cache(session, "funnel", _funnel_counts, cached=cached, db=db)]
    except Exception:
        log.exception("project funnel failed")
        return None


def _newest_articles(session: Session, limit: int) -> list[dict]:
    from sqlalchemy import select

    from xinlian.store.tables.news import Article

    rows = session.execute(select(Article.id, Article.title, Article.published_date, Article.outlet)
                           .order_by(Article.published_date.desc().nulls_last(), Article.id.desc())
                           .limit(limit)).all()
    return [{"article_id": r.id, "title": r.title, "date": r.published_date, "outlet": r.outlet} for r in rows]


def recent_events(session: Session, limit: int = 10, *, cached: bool = False, db=None) -> list[dict] | None:
    """The newest articles with their events when the extraction stored them (None before news exists). With
    ``cached`` the list comes through ``web.cache`` (computed again after any announced write, e.g. a page import)."""
    try:
        import xinlian.store.tables.news  # noqa: F401
    except ImportError:
        return None
    try:
        return [dict(row) for row in _through_cache(session, "recent_events", lambda s: _newest_articles(s, limit),
                                                     limit, cached=cached, db=db)]
    except Exception:
        log.exception("recent events failed")
        return None


def _alert_dicts(session: Session) -> list[dict]:
    """Every alert due today as plain dicts, with the page's ``text``, ``due`` and ``url`` added."""
    from xinlian.work.alerts import alerts

    out = []
    for a in alerts(session):
        d = a.to_dict() if hasattr(a, "to_dict") else dict(a)
        d["text"] = f"{d.get('kind_name', '')}：{d.get('title', '')} — {d.get('message', '')}"
        d["due"] = d.get("since")
        if d.get("project_id"):
            d["url"] = f"/projects/{d['project_id']}"
        out.append(d)
    return out


def overdue_for(session: Session, user, *, cached: bool = False, db=None) -> list[dict] | None:
    """Overdue items (milestones, problems, follow-ups) for this user (None before work alerts exist).

    The alerts are computed once for everybody (with ``cached``: once per day and announced write, through
    ``web.cache``) and then picked by the user's names; the caller applies the user's scope (``filter_alerts``).
    """
    try:
        import xinlian.work.alerts  # noqa: F401
        from xinlian.work.common import local_date, now_utc
    except ImportError:
        return None
    if user is None:
        return []
    try:
        names = {n.strip() for n in (user.username, user.display_name, user.department) if n and n.strip()}
        if not names:
            return []
        # the day is in the key: an alert falls due at midnight (Beijing), not when the cache next expires
        every = _through_cache(session, "alerts", _alert_dicts, local_date(now_utc()), cached=cached, db=db)
        seen: dict[tuple, dict] = {}
        for d in every:
            if names & {d.get("department"), d.get("owner"), d.get("official")}:
                seen[(d.get("subject"), d.get("subject_id"), d.get("kind"))] = dict(d)
        return sorted(seen.values(), key=lambda d: -(d.get("days") or 0))
    except Exception:
        log.exception("alerts failed")
        return None


def enterprise_extras(session: Session, enterprise_id: int, limit: int = 20) -> dict:
    """What the other stages know about one enterprise: news timeline, links to review, visits, projects and the
    policies it qualifies for. Each key is None when its library is not installed."""
    from sqlalchemy import select

    out: dict[str, Any] = {"news": None, "links": None, "visits": None, "projects": None, "policies": None}
    try:
        from xinlian.store.tables.facts import Mention, MentionLink
        from xinlian.store.tables.news import Article

        rows = session.execute(
            select(Article.id, Article.title, Article.published_date, Article.outlet, MentionLink.id,
                   MentionLink.status, MentionLink.method, MentionLink.score, Mention.name)
            .join(Mention, Mention.article_id == Article.id).join(MentionLink, MentionLink.mention_id == Mention.id)
            .where(MentionLink.enterprise_id == enterprise_id, MentionLink.status != "rejected")
            .order_by(Article.published_date.desc().nulls_last(), Article.id.desc()).limit(limit * 3)).all()
        news, links, seen = [], [], set()
        for aid, title, day, outlet, link_id, status, method, score, name in rows:
            if aid not in seen:
                seen.add(aid)
                news.append({"article_id": aid, "title": title, "date": day, "outlet": outlet, "status": status})
            if status == "proposed":
                links.append({"link_id": link_id, "article_id": aid, "article_title": title, "mention": name,
                              "method": method, "score": score})
        out["news"], out["links"] = news[:limit], links[:limit]
    except ImportError:
        pass
    except Exception:
        log.exception("enterprise news failed")
    try:
        from xinlian.store.tables.work import Project, Visit, VisitEnterprise

        out["projects"] = [{"id": i, "name": n, "stage": st} for i, n, st in session.execute(
            select(Project.id, Project.name, Project.stage).where(Project.investor_id == enterprise_id)
            .order_by(Project.id))]
        out["visits"] = [{"id": i, "visit_date": d, "status": st, "topics": tp} for i, d, st, tp in session.execute(
            select(Visit.id, Visit.visit_date, Visit.status, Visit.topics)
            .join(VisitEnterprise, VisitEnterprise.visit_id == Visit.id)
            .where(VisitEnterprise.enterprise_id == enterprise_id)
            .order_by(Visit.visit_date.desc().nulls_last()).limit(limit))]
    except ImportError:
        pass
    except Exception:
        log.exception("enterprise work items failed")
    try:
        from xinlian.work.policies import policies_for

        out["policies"] = [p for p in policies_for(session, enterprise_id) if p.get("eligible")][:limit]
    except ImportError:
        pass
    except Exception:  # NotFound for a candidate enterprise, or a failing rule file
        out["policies"] = []
    return out
