"""Reading stored articles back (lists and one article with its page), and one page read as the article contract.

These are the query functions behind ``xinlian news list/show`` and ``xinlian extract`` (and their web twins).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from sqlalchemy import select

from xinlian.store.db import Database
from xinlian.store.dialect import search
from xinlian.store.tables.news import Article, Page, Story


def list_articles(db: Database, *, limit: int = 50, query: str | None = None, canonical_only: bool = False
                  ) -> list[dict[str, Any]]:
    """Newest stored articles first (by publication date, then id); ``query`` searches title and body."""
    with db.session() as s:
        stmt = select(Article, Page).join(Page, Page.id == Article.page_id)
        if query:
            ids = search(s, "article", query, limit=max(limit * 4, 200))
            if not ids:
                return []
            stmt = stmt.where(Article.id.in_(ids))
        if canonical_only:
            stmt = stmt.where(Article.is_canonical.is_(True))
        stmt = stmt.order_by(Article.published_date.desc().nulls_last(), Article.id.desc()).limit(limit)
        return [
            {
                "id": a.id, "title": a.title, "published": a.published, "outlet": a.outlet, "author": a.author,
                "story_id": a.story_id, "is_canonical": a.is_canonical, "status": p.status,
                "source": p.source, "warnings": len(a.warnings or []), "chars": len(a.text or ""),
            }
            for a, p in s.execute(stmt)
        ]


def show_article(db: Database, article_id: int) -> dict[str, Any] | None:
    """One stored article with its page (source, raw SHA-256, status), warnings and the other copies of its story."""
    with db.session() as s:
        row = s.execute(select(Article, Page).join(Page, Page.id == Article.page_id)
                        .where(Article.id == article_id)).first()
        if row is None:
            return None
        a, p = row
        story = s.get(Story, a.story_id) if a.story_id else None
        copies = []
        if story is not None:
            copies = [{"id": i, "title": t, "outlet": o, "published": pub, "is_canonical": c}
                      for i, t, o, pub, c in s.execute(
                          select(Article.id, Article.title, Article.outlet, Article.published, Article.is_canonical)
                          .where(Article.story_id == story.id, Article.id != a.id).order_by(Article.id))]
        return {
            "id": a.id, "title": a.title, "published": a.published, "outlet": a.outlet, "author": a.author,
            "text": a.text, "warnings": a.warnings or [], "encoding": a.encoding, "kind": a.kind,
            "body_hash": a.body_hash, "created_at": a.created_at,
            "page": {"id": p.id, "source": p.source, "url": p.url, "raw_sha256": p.raw_sha256, "status": p.status,
                     "error": p.error, "fetched_at": p.fetched_at, "http_status": p.http_status,
                     "content_type": p.content_type, "batch_id": p.batch_id},
            "story": None if story is None else {"id": story.id, "size": story.size,
                                                 "canonical_article_id": story.canonical_article_id,
                                                 "is_canonical": a.is_canonical, "other_copies": copies},
        }


def failed_pages(db: Database, *, limit: int = 50) -> list[dict[str, Any]]:
    """The latest pages that could not be read, with their errors."""
    with db.session() as s:
        rows = s.execute(select(Page).where(Page.status == "failed").order_by(Page.id.desc()).limit(limit))
        return [{"id": p.id, "source": p.source, "error": p.error, "raw_sha256": p.raw_sha256} for (p,) in rows]


def page_contract(raw: bytes, *, filename: str | None = None, url: str | None = None,
                  content_type: str | None = None) -> dict[str, Any]:
    """One page read as ``contracts/article.schema.json``: the cleaner's fields, and entities, chain nodes and
    events from ``xinlian.extract.pipeline`` when that stage is installed (empty lists otherwise)."""
    from xinlian.text.clean import clean_page

    art = clean_page(raw, url=url, content_type=content_type, filename=filename)
    out = art.to_contract()
    try:
        pipeline = import_module("xinlian.extract.pipeline")
    except ModuleNotFoundError as exc:
        if exc.name not in ("xinlian.extract", "xinlian.extract.pipeline"):
            raise
        return out
    x = pipeline.extract(art.text, published=art.published, outlet=art.outlet, author=art.author, title=art.title)
    out.update(x.to_contract())
    return out
