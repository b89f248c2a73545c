"""Storing what an article says: mentions, links, events and chain nodes, per article.

``store_extraction(session, article_id, extraction, chain)`` replaces the article's derived rows (mentions and
their links, events, nodes) with those of ``extraction`` — an ``xinlian.extract`` ``Extraction`` or its contract
dict — links the company mentions (``link.linker``) and adds chain-node evidence (source ``news``) to the
enterprises linked for sure. Judgements are never touched, so running it again gives the same rows.
``process_article(db, article_id)`` is extract + link + store, plus a draft visit per visit event when the work
module is there. ``store_extractions(session, pairs)`` is the ingest pipeline's hook (stage 9).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from xinlian.link.index import RegistryIndex, cached_index, norm
from xinlian.link.linker import ArticleContext, LinkOptions, Linker, OrgMention, latest_judgements
from xinlian.store.tables.facts import ArticleEvent, ArticleNode, Mention, MentionLink
from xinlian.store.tables.news import Article
from xinlian.store.tables.registry import EnterpriseNode

log = logging.getLogger(__name__)
DEFAULT_CHAIN = "semiconductor"


@dataclass
class ArticleFacts:
    """An extraction in the plain form stored here (from an ``Extraction`` or from its contract dict)."""

    orgs: list[dict] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)
    places: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    chain_nodes: list[dict] = field(default_factory=list)


def _first(spans) -> tuple[int | None, int | None]:
    spans = [tuple(s) for s in (spans or []) if s]
    return min(spans) if spans else (None, None)


def facts_of(extraction: Any) -> ArticleFacts:
    """Accept an ``Extraction`` (offsets and per-company nodes kept) or the contract dict (``to_contract()``)."""
    if isinstance(extraction, dict):
        ents = extraction.get("entities") or {}
        return ArticleFacts(
            orgs=[{"name": o["name"], "kind": o.get("kind"), "aliases": list(o.get("aliases") or []),
                   "start": None, "end": None, "nodes": []} for o in ents.get("organizations") or []],
            people=[{"name": p["name"], "title": p.get("title"), "affiliation": p.get("affiliation"),
                     "start": None, "end": None} for p in ents.get("people") or []],
            places=[{"name": p["name"], "admin_code": p.get("admin_code"), "kind": None, "start": None, "end": None}
                    for p in ents.get("places") or []],
            events=[dict(e) for e in extraction.get("events") or []],
            chain_nodes=[dict(n) for n in extraction.get("chain_nodes") or []],
        )
    company_nodes = getattr(extraction, "company_nodes", {}) or {}
    return ArticleFacts(
        orgs=[{"name": o.name, "kind": o.kind, "aliases": list(o.aliases), "start": _first(o.mentions)[0],
               "end": _first(o.mentions)[1], "nodes": [n.id for n in company_nodes.get(o.name, [])[:3]]}
              for o in extraction.organizations],
        people=[{"name": p.name, "title": p.title, "affiliation": p.affiliation, "start": _first(p.mentions)[0],
                 "end": _first(p.mentions)[1]} for p in extraction.people],
        places=[{"name": p.name, "admin_code": p.admin_code, "kind": p.kind, "start": _first(p.mentions)[0],
                 "end": _first(p.mentions)[1]} for p in extraction.places],
        events=[{"type": e.type, "date": e.date, "people": list(e.people), "organizations": list(e.organizations),
                 "amount_yuan": e.amount_yuan, "evidence": e.evidence} for e in extraction.events],
        chain_nodes=[{"id": n.id, "score": n.score, "evidence": list(n.evidence)} for n in extraction.chain_nodes],
    )


def clear_article(session: Session, article_id: int) -> None:
    """Delete the article's derived rows (links go with their mentions); judgements stay."""
    mention_ids = select(Mention.id).where(Mention.article_id == article_id)
    session.execute(delete(MentionLink).where(MentionLink.mention_id.in_(mention_ids)))
    session.execute(delete(Mention).where(Mention.article_id == article_id))
    session.execute(delete(ArticleEvent).where(ArticleEvent.article_id == article_id))
    session.execute(delete(ArticleNode).where(ArticleNode.article_id == article_id))


def place_enterprise(session: Session, enterprise_id: int, chain: str, nodes: Iterable[dict], min_score: float,
                     article_id: int | None = None) -> int:
    """Add news evidence of chain placement to an enterprise: one ``EnterpriseNode`` (source ``news``, role
    ``secondary``) per node at or above ``min_score``. Placements from imports or analysts are left as they are;
    a news placement gains the new evidence words. Returns how many nodes were added or extended."""
    changed = 0
    for n in nodes:
        if float(n.get("score") or 0) < min_score:
            continue
        words = [w for w in n.get("evidence") or [] if w]
        tag = f"新闻#{article_id}: " if article_id else "新闻: "
        row = session.scalar(select(EnterpriseNode).where(EnterpriseNode.enterprise_id == enterprise_id,
                                                          EnterpriseNode.chain == chain,
                                                          EnterpriseNode.node_id == n["id"]))
        if row is None:
            session.add(EnterpriseNode(enterprise_id=enterprise_id, chain=chain, node_id=n["id"], role="secondary",
                                       source="news", score=round(float(n["score"]), 4),
                                       evidence=tag + "、".join(words)))
            changed += 1
        elif row.source == "news":
            line = tag + "、".join(words)
            if line not in (row.evidence or "").split("\n"):
                row.evidence = "\n".join(x for x in [row.evidence, line] if x)
                row.score = max(row.score or 0.0, round(float(n["score"]), 4))
                changed += 1
    session.flush()
    return changed


def store_extraction(session: Session, article_id: int, extraction: Any, chain: str | None = DEFAULT_CHAIN, *,
                     index: RegistryIndex | None = None, options: LinkOptions | None = None) -> dict:
    """Write one article's mentions, links, events and nodes, replacing what an earlier run wrote for it.

    Args:
        session: the caller's unit of work (nothing is committed here).
        article_id: ``news_article.id``.
        extraction: an ``Extraction`` or its contract dict.
        chain: the taxonomy the chain nodes belong to.
        index: the registry index (default: the cached index of the session's database).
        options: ``LinkOptions``.

    Returns:
        A summary: counts and, per linked mention, its proposals.
    """
    chain = chain or DEFAULT_CHAIN
    facts = facts_of(extraction)
    index = index if index is not None else cached_index(session.get_bind(), session)
    linker = Linker(session, index, options)
    clear_article(session, article_id)

    org_rows = []
    for o in facts.orgs:
        row = Mention(article_id=article_id, kind="org", name=o["name"], name_norm=norm(o["name"]) or None,
                      sub_kind=o.get("kind"), aliases=o.get("aliases") or [], start=o.get("start"), end=o.get("end"))
        org_rows.append((o, row))
        session.add(row)
    for p in facts.people:
        session.add(Mention(article_id=article_id, kind="person", name=p["name"], title=p.get("title"),
                            affiliation=p.get("affiliation"), start=p.get("start"), end=p.get("end")))
    for p in facts.places:
        session.add(Mention(article_id=article_id, kind="place", name=p["name"], admin_code=p.get("admin_code"),
                            sub_kind=p.get("kind"), start=p.get("start"), end=p.get("end")))
    session.flush()

    ctx = ArticleContext(article_id, [p["admin_code"] for p in facts.places if p.get("admin_code")], chain)
    judged = latest_judgements(session, [r.name_norm for _o, r in org_rows if r.name_norm])
    links_out: list[dict] = []
    placed: set[int] = set()
    for o, row in org_rows:
        m = OrgMention(o["name"], o.get("kind") or "company", list(o.get("aliases") or []), list(o.get("nodes") or []))
        proposals = linker.link(m, ctx, judged.get(row.name_norm or "", {}))
        for p in proposals:
            session.add(MentionLink(mention_id=row.id, enterprise_id=p.enterprise_id, score=p.score, method=p.method,
                                    explanation=p.explanation, status=p.status))
            if p.status == "confirmed" and p.enterprise_id is not None and p.enterprise_id not in placed:
                nodes = [n for n in facts.chain_nodes if not o.get("nodes") or n["id"] in o["nodes"]]
                place_enterprise(session, p.enterprise_id, chain, nodes, linker.rules.min_node_score, article_id)
                placed.add(p.enterprise_id)
        if proposals:
            links_out.append({"mention": o["name"], "proposals": [p.as_dict() for p in proposals]})

    node_ids = [n["id"] for n in facts.chain_nodes]
    event_rows = []
    for e in facts.events:
        ev = ArticleEvent(article_id=article_id, type=e["type"], date=(e.get("date") or None) and str(e["date"])[:10],
                          people=list(e.get("people") or []), organizations=list(e.get("organizations") or []),
                          amount_yuan=e.get("amount_yuan"), evidence=e.get("evidence"), chain_nodes=node_ids[:5])
        session.add(ev)
        event_rows.append((e, ev))
    for n in facts.chain_nodes:
        session.add(ArticleNode(article_id=article_id, chain=chain, node_id=n["id"], score=float(n.get("score") or 0),
                                evidence=list(n.get("evidence") or [])))
    session.flush()
    return {"article_id": article_id, "mentions": len(org_rows) + len(facts.people) + len(facts.places),
            "organizations": len(org_rows), "links": links_out, "events": [ev.id for _e, ev in event_rows],
            "nodes": len(facts.chain_nodes), "placed": sorted(placed), "_event_rows": event_rows}


def _visits_module():
    try:
        from xinlian.work import visits
    except ImportError:
        return None
    return visits if hasattr(visits, "draft_from_event") else None


def draft_visits(session: Session, article_id: int, event_rows: list, chain_nodes: list[str]) -> list[dict]:
    """A draft visit per visit event (``xinlian.work.visits.draft_from_event``), when that module exists."""
    visits = _visits_module()
    out: list[dict] = []
    if visits is None:
        return out
    for e, ev in event_rows:
        if e.get("type") != "visit":
            continue
        event = {k: e.get(k) for k in ("type", "date", "people", "organizations", "amount_yuan", "evidence")}
        event["chain_nodes"] = chain_nodes
        try:
            with session.begin_nested():
                draft = visits.draft_from_event(session, article_id, event)
        except Exception as exc:  # a visit that cannot be drafted is a note, never a failed article
            out.append({"event_id": ev.id, "error": f"{type(exc).__name__}: {exc}"})
            continue
        ev.visit_id = draft.get("id")
        out.append({"event_id": ev.id, "visit_id": draft.get("id")})
    session.flush()
    return out


def _finish(session: Session, article_id: int, summary: dict, make_visits: bool) -> dict:
    rows = summary.pop("_event_rows")
    summary["visits"] = draft_visits(session, article_id, rows, summary.get("chain_nodes", [])) if make_visits else []
    return summary


def store_extractions(session: Session, pairs: list[tuple[int, dict]], *, make_visits: bool = True) -> list[dict]:
    """The ingest pipeline's hook (stage 9): store and link each (article id, extraction contract) pair."""
    if not pairs:
        return []
    index = cached_index(session.get_bind(), session)
    chains = dict(session.execute(select(Article.id, Article.chain).where(Article.id.in_([a for a, _c in pairs]))).all())
    out = []
    for article_id, contract in pairs:
        summary = store_extraction(session, article_id, contract, chains.get(article_id) or DEFAULT_CHAIN, index=index)
        summary["chain_nodes"] = [n["id"] for n in contract.get("chain_nodes") or []]
        out.append(_finish(session, article_id, summary, make_visits))
    return out


def process_article(db, article_id: int, *, chain: str | None = None, make_visits: bool = True,
                    index: RegistryIndex | None = None, options: LinkOptions | None = None) -> dict:
    """Extract, link and store one stored article (again): the registry's names help find short company names.

    Args:
        db: a ``Database`` (one unit of work is opened) or a ``Session`` (the caller's).
        article_id: ``news_article.id``.
        chain: taxonomy to score (default: the article's, else semiconductor).
    Returns:
        The summary of ``store_extraction`` plus the visits drafted.
    Raises:
        LookupError: no such article.
    """
    from xinlian.extract.pipeline import extract

    def run(s: Session) -> dict:
        art = s.get(Article, article_id)
        if art is None:
            raise LookupError(f"文章 {article_id} 不存在")
        use_chain = chain or art.chain or DEFAULT_CHAIN
        idx = index if index is not None else cached_index(db, s)
        x = extract(art.text or "", published=art.published, outlet=art.outlet, author=art.author, title=art.title,
                    chain=use_chain, names=idx.names_for_extract())
        summary = store_extraction(s, article_id, x, use_chain, index=idx, options=options)
        summary["chain_nodes"] = [n.id for n in x.chain_nodes]
        return _finish(s, article_id, summary, make_visits)

    if isinstance(db, Session):
        return run(db)
    with db.session() as s:
        return run(s)


def process_all(db, *, chain: str | None = None, make_visits: bool = True, progress=None) -> dict:
    """``process_article`` for every stored article, one unit of work each; failures are listed, not raised."""
    with db.session() as s:
        ids = list(s.scalars(select(Article.id).order_by(Article.id)))
    done, failed = 0, []
    for aid in ids:
        try:
            process_article(db, aid, chain=chain, make_visits=make_visits)
            done += 1
        except Exception as exc:  # one bad article never stops the run
            log.warning("article %s: %s", aid, exc)
            failed.append({"article_id": aid, "error": f"{type(exc).__name__}: {exc}"})
        if progress is not None:
            progress()
    return {"articles": len(ids), "processed": done, "failed": failed}
