"""News and policy pages: every page that came in (``Page``), the clean article read from it (``Article``) and
the story that groups republished copies of one report (``Story``).

A page keeps its raw bytes for good in the raw store (``raw_file``); its article is what ``xinlian.text.clean``
made of them. Runs of ``xinlian ingest`` are ``import_batch`` rows with ``kind='pages'``.

Room is left for the extraction tables (mentions, events): they live in their own module and point at
``news_article.id``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinlian.store.dialect import JSONType
from xinlian.store.tables.base import Base, Timestamp, utcnow

PAGE_STATUSES = ("ok", "duplicate", "failed")


class Page(Base):
    """One page as it came in: where from, its raw bytes (by SHA-256), and whether it could be read.

    ``status``: ``ok`` (a new story or the first copy), ``duplicate`` (its article repeats one already stored,
    exactly or nearly; the article is kept and grouped in the same story), ``failed`` (``error`` says why).
    """

    __tablename__ = "news_page"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    raw_sha256: Mapped[str | None] = mapped_column(ForeignKey("raw_file.sha256"), index=True)
    source: Mapped[str] = mapped_column(Text)  # a path (with #line for .jsonl) or the URL asked for
    url: Mapped[str | None] = mapped_column(Text, index=True)
    fetched_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    http_status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))


class Story(Base):
    """One reported story; republished copies of it (other sites, light edits) are its articles.

    ``canonical_article_id`` is the copy shown for the story (earliest published, then first stored). It is a
    plain column, not a foreign key, because articles point at their story and the cycle would block SQLite.
    """

    __tablename__ = "news_story"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_article_id: Mapped[int | None] = mapped_column(Integer)
    first_seen: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    size: Mapped[int] = mapped_column(Integer, default=1)


class Article(Base):
    """The clean article read from one page: headline, dateline, body and the warnings the cleaner raised."""

    __tablename__ = "news_article"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("news_page.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(40))  # ISO 8601 as the cleaner gave it
    published_date: Mapped[date | None] = mapped_column(Date, index=True)
    outlet: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    warnings: Mapped[list] = mapped_column(JSONType, default=list)
    encoding: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str | None] = mapped_column(String(16))  # html | text, as the cleaner saw the page
    body_hash: Mapped[str] = mapped_column(String(64), index=True)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("news_story.id"), index=True)
    is_canonical: Mapped[bool] = mapped_column(Boolean, default=False)
    chain: Mapped[str | None] = mapped_column(String(32))  # taxonomy the extraction scored it against
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
