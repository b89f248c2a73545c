"""Helpers for the linking tests: fictional enterprises and articles written straight into the tables."""

from __future__ import annotations

from sqlalchemy import func, select

from xinlian.registry.names import normalise
from xinlian.store.tables.facts import Mention, MentionLink
from xinlian.store.tables.news import Article, Page
from xinlian.store.tables.registry import Enterprise, EnterpriseAlias, EnterpriseNode


def add_enterprise(s, name: str, *, region: str | None = "320412", aliases=(), nodes=(), status: str = "active") -> int:
    """One registry enterprise; ``aliases`` are (alias, kind) pairs or plain short names."""
    key = normalise(name)
    e = Enterprise(name=name, name_norm=key, match_key=f"n:{key}|{region or ''}", region_code=region, status=status)
    s.add(e)
    s.flush()
    for a in aliases:
        alias, kind = a if isinstance(a, tuple) else (a, "short")
        s.add(EnterpriseAlias(enterprise_id=e.id, alias=alias, alias_norm=normalise(alias), kind=kind))
    for n in nodes:
        s.add(EnterpriseNode(enterprise_id=e.id, chain="semiconductor", node_id=n, source="import"))
    s.flush()
    return e.id


def add_article(s, text: str, *, published: str = "2025-03-06T10:00:00+08:00", outlet: str | None = "武进新闻",
                author: str | None = None, title: str | None = None) -> int:
    p = Page(source=f"test:{abs(hash(text))}", status="ok")
    s.add(p)
    s.flush()
    a = Article(page_id=p.id, text=text, published=published, outlet=outlet, author=author, title=title,
                body_hash=f"{abs(hash(text)):x}", chain="semiconductor")
    s.add(a)
    s.flush()
    return a.id


def links_of(db, article_id: int) -> dict[str, list[tuple]]:
    """mention name -> [(enterprise_id, method, status, score)] for one article."""
    out: dict[str, list[tuple]] = {}
    with db.session() as s:
        rows = s.execute(select(Mention.name, MentionLink.enterprise_id, MentionLink.method, MentionLink.status,
                                MentionLink.score)
                         .join(MentionLink, MentionLink.mention_id == Mention.id)
                         .where(Mention.article_id == article_id).order_by(MentionLink.id))
        for name, eid, method, status, score in rows:
            out.setdefault(name, []).append((eid, method, status, score))
    return out


def count(db, model, *where) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))
