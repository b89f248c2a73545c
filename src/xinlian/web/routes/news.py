"""News: the feed, one article with its entities highlighted and linked, its events and cleaning warnings, and
the raw page one click away (served as a text/plain download, never rendered as HTML).

Article text comes from outside: it is only ever put in the page as escaped text segments.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import func, select

from xinlian.ingest.articles import show_article
from xinlian.store.dialect import search
from xinlian.store.rawstore import read_raw
from xinlian.store.tables.facts import ArticleEvent, ArticleNode, Mention, MentionLink
from xinlian.store.tables.news import Article
from xinlian.web.pages import Ctx, WebError, get_ctx, page
from xinlian.web.security import rate_limit
from xinlian.web.routes.chain import get_chain

router = APIRouter(tags=["news"])

PAGE_SIZE = 30
EVENT_TYPES = ("visit", "signing", "groundbreaking", "production_start", "financing", "policy")


@page(router, "/news", "news.html", summary="资讯 news feed")
def feed(q: str | None = Query(None, max_length=100), node: str | None = Query(None, max_length=64),
         event: str | None = Query(None, max_length=24), page_no: int = Query(1, ge=1, le=10_000, alias="page"),
         ctx: Ctx = Depends(get_ctx)):
    """Articles newest first (one per story), by full text, chain node or event type."""
    s = ctx.session
    stmt = select(Article.id, Article.title, Article.published_date, Article.outlet, Article.story_id,
                  Article.is_canonical)
    if q and q.strip():
        rate_limit(ctx, "search")
        stmt = stmt.where(Article.id.in_(search(s, "article", q.strip(), limit=2000)))
    if node:
        stmt = stmt.where(Article.id.in_(select(ArticleNode.article_id).where(ArticleNode.node_id == node)))
    if event:
        stmt = stmt.where(Article.id.in_(select(ArticleEvent.article_id).where(ArticleEvent.type == event)))
    total = s.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = s.execute(stmt.order_by(Article.published_date.desc().nulls_last(), Article.id.desc())
                     .limit(PAGE_SIZE).offset((page_no - 1) * PAGE_SIZE)).all()
    ids = [r.id for r in rows]
    events: dict[int, list[str]] = {}
    if ids:
        for aid, etype in s.execute(select(ArticleEvent.article_id, ArticleEvent.type)
                                    .where(ArticleEvent.article_id.in_(ids))):
            events.setdefault(aid, []).append(etype)
    chain = get_chain(ctx)
    return {"query": {"q": q, "node": node, "event": event, "page": page_no}, "total": total, "page": page_no,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "items": [{"id": r.id, "title": r.title, "date": r.published_date, "outlet": r.outlet,
                       "events": sorted(set(events.get(r.id, [])))} for r in rows],
            "event_types": list(EVENT_TYPES),
            "node_choices": [{"id": n.id, "name": n.name} for n in chain.nodes.values()]}


def highlight(text: str, marks: list[dict]) -> list[dict]:
    """Cut ``text`` into segments; a segment naming a mention carries it (kind, enterprise link)."""
    by_name = {}
    for m in marks:
        if m["name"] and len(m["name"]) >= 2:
            by_name.setdefault(m["name"], m)
    if not by_name or not text:
        return [{"text": text or ""}]
    pattern = re.compile("|".join(re.escape(n) for n in sorted(by_name, key=len, reverse=True)))
    out, pos = [], 0
    for match in pattern.finditer(text):
        if match.start() > pos:
            out.append({"text": text[pos:match.start()]})
        m = by_name[match.group()]
        out.append({"text": match.group(), "kind": m["kind"], "enterprise_id": m.get("enterprise_id"),
                    "status": m.get("status")})
        pos = match.end()
    if pos < len(text):
        out.append({"text": text[pos:]})
    return out


@page(router, "/news/{aid:int}", "article.html", summary="资讯详情 article with entities, events and warnings")
def article(aid: int, ctx: Ctx = Depends(get_ctx)):
    """One article: text with organisations, people and places marked (linked companies go to their profile),
    events with their evidence, the cleaner's warnings, and where the raw page is."""
    a = show_article(ctx.web.db, aid)
    if a is None:
        raise WebError(404, "not_found")
    s = ctx.session
    links: dict[int, tuple[int | None, str]] = {}
    mentions = s.scalars(select(Mention).where(Mention.article_id == aid).order_by(Mention.id)).all()
    if mentions:
        for mid, eid, status in s.execute(
                select(MentionLink.mention_id, MentionLink.enterprise_id, MentionLink.status)
                .where(MentionLink.mention_id.in_([m.id for m in mentions]), MentionLink.status != "rejected")
                .order_by(MentionLink.score.desc())):
            links.setdefault(mid, (eid, status))
    marks = [{"id": m.id, "kind": m.kind, "name": m.name, "sub_kind": m.sub_kind, "title": m.title,
              "affiliation": m.affiliation, "admin_code": m.admin_code,
              "enterprise_id": links.get(m.id, (None, None))[0], "status": links.get(m.id, (None, None))[1]}
             for m in mentions]
    events = [{"type": e.type, "date": e.date, "people": e.people or [], "organizations": e.organizations or [],
               "amount_yuan": e.amount_yuan, "evidence": e.evidence, "chain_nodes": e.chain_nodes or [],
               "visit_id": e.visit_id}
              for e in s.scalars(select(ArticleEvent).where(ArticleEvent.article_id == aid).order_by(ArticleEvent.id))]
    chain = get_chain(ctx)
    nodes = [{"chain": n.chain, "node_id": n.node_id, "score": n.score, "evidence": n.evidence or [],
              "name": chain.nodes[n.node_id].name if n.chain == chain.id and n.node_id in chain.nodes else n.node_id}
             for n in s.scalars(select(ArticleNode).where(ArticleNode.article_id == aid)
                                .order_by(ArticleNode.score.desc()))]
    return {"article": a, "mentions": marks, "segments": highlight(a["text"], marks), "events": events,
            "nodes": nodes, "raw_url": f"/news/{aid}/raw" if a["page"]["raw_sha256"] else None}


@router.get("/news/{aid:int}/raw", summary="原始网页 the raw page as a text/plain download (never rendered)")
def raw(aid: int, ctx: Ctx = Depends(get_ctx)):
    rate_limit(ctx, "export")
    a = show_article(ctx.web.db, aid)
    if a is None or not a["page"]["raw_sha256"]:
        raise WebError(404, "not_found")
    try:
        data = read_raw(a["page"]["raw_sha256"], ctx.settings.raw_dir)
    except FileNotFoundError:
        raise WebError(404, "not_found") from None
    ctx.audit("news.raw_download", ("article", aid))
    ctx.commit()
    return Response(data, media_type="text/plain", headers={
        "content-disposition": f'attachment; filename="article-{aid}-raw.txt"',
        "content-security-policy": "sandbox; default-src 'none'", "x-content-type-options": "nosniff"})
