"""Facts read from articles and their links to the registry.

Per article (all replaced when the article is processed again): ``Mention`` (an organisation, person or place as
the text names it), ``MentionLink`` (a proposed or accepted link of a company mention to an enterprise, with score,
method and the features that matched), ``ArticleEvent`` and ``ArticleNode``.

Never replaced: ``LinkJudgement``, the analyst's confirm or reject of (normalised mention name, enterprise). A new
judgement supersedes an older one by time; the pipeline replays the latest one each time it runs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinlian.store.dialect import JSONType
from xinlian.store.tables.base import Base, Timestamp, utcnow

MENTION_KINDS = ("org", "person", "place")
LINK_METHODS = ("exact", "alias", "declared", "fuzzy", "candidate", "confirmed")
LINK_STATUSES = ("proposed", "confirmed", "rejected")
DECISIONS = ("confirm", "reject")


class Mention(Base):
    """An organisation, person or place named in one article."""

    __tablename__ = "fact_mention"
    __table_args__ = (Index("ix_fact_mention_kind_name", "kind", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("news_article.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # org | person | place
    name: Mapped[str] = mapped_column(Text)
    name_norm: Mapped[str | None] = mapped_column(Text, index=True)  # orgs: registry.names.normalise(name)
    sub_kind: Mapped[str | None] = mapped_column(String(16))  # orgs: company, government, ... media; places: division | zone
    title: Mapped[str | None] = mapped_column(Text)  # people
    affiliation: Mapped[str | None] = mapped_column(Text)  # people
    admin_code: Mapped[str | None] = mapped_column(String(6))  # places
    aliases: Mapped[list | None] = mapped_column(JSONType)
    start: Mapped[int | None] = mapped_column(Integer)  # first mention in the body, when known
    end: Mapped[int | None] = mapped_column(Integer)


class MentionLink(Base):
    """A company mention linked (or proposed) to a registry enterprise.

    ``method``: exact (normalised name), alias (former or short name), declared (a 简称 the article declares),
    fuzzy (similar name, needs an analyst), candidate (a new candidate enterprise made for an unknown company),
    confirmed (an analyst's stored confirmation replayed). ``explanation`` lists the features that matched.
    """

    __tablename__ = "fact_mention_link"
    __table_args__ = (Index("ix_fact_mention_link_status_method", "status", "method"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("fact_mention.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id", ondelete="SET NULL"), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    method: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[dict | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class LinkJudgement(Base):
    """An analyst's decision on (normalised mention name, enterprise): confirm or reject. Append-only."""

    __tablename__ = "fact_link_judgement"
    __table_args__ = (Index("ix_fact_link_judgement_key", "name_norm", "enterprise_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_norm: Mapped[str] = mapped_column(Text)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(8))  # confirm | reject
    user: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    mention_name: Mapped[str | None] = mapped_column(Text)  # the name as written when the analyst decided
    link_id: Mapped[int | None] = mapped_column(Integer)  # the link judged (a plain column: links are replaced)


class ArticleEvent(Base):
    """An event an article reports (visit, signing, groundbreaking, production_start, financing, policy)."""

    __tablename__ = "fact_article_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("news_article.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(24), index=True)
    date: Mapped[str | None] = mapped_column(String(10), index=True)  # ISO day
    people: Mapped[list | None] = mapped_column(JSONType)
    organizations: Mapped[list | None] = mapped_column(JSONType)
    amount_yuan: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[str | None] = mapped_column(Text)
    chain_nodes: Mapped[list | None] = mapped_column(JSONType)
    visit_id: Mapped[int | None] = mapped_column(Integer)  # the draft visit made from it, when any


class ArticleNode(Base):
    """A chain node an article is about, with its score and the words that gave the evidence."""

    __tablename__ = "fact_article_node"
    __table_args__ = (Index("ix_fact_article_node_chain_node", "chain", "node_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("news_article.id", ondelete="CASCADE"), index=True)
    chain: Mapped[str] = mapped_column(String(64))
    node_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[list | None] = mapped_column(JSONType)
