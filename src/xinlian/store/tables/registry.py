"""The enterprise registry: local firms and outside firms to attract, their names, chain nodes and figures."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (func, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xinlian.store.dialect import JSONType
from xinlian.store.tables.base import Base, Timestamp, utcnow


class Enterprise(Base):
    __tablename__ = "enterprise"
    __table_args__ = (
        Index("ix_enterprise_name_norm_region", "name_norm", "region_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    # The upsert key: the credit code when known, else "n:" + normalised name + "|" + region code.
    match_key: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    # No index of its own: ix_enterprise_name_norm_region leads with it (one B-tree less for every import).
    name_norm: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    founded: Mapped[date | None] = mapped_column(Date)
    legal_rep: Mapped[str | None] = mapped_column(Text)
    products: Mapped[str | None] = mapped_column(Text)
    # None means the sources say nothing. 高新技术企业 / 专精特新 / 专精特新"小巨人" / 链主 / 上市
    high_tech: Mapped[bool | None] = mapped_column(Boolean)
    specialised: Mapped[bool | None] = mapped_column(Boolean)
    little_giant: Mapped[bool | None] = mapped_column(Boolean)
    chain_leader: Mapped[bool | None] = mapped_column(Boolean)
    listed: Mapped[bool | None] = mapped_column(Boolean)
    # active: a registry record; candidate: a company first seen in the news, awaiting an analyst
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    # 安全标记 (等保 level 3, issue 9): 0 公开 public, 1 内部 internal, 2 敏感 sensitive; a user sees the firm only when
    # their app_user.clearance is at least this (xinlian.users.scope; ignored at security_level 2)
    security_label: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    source: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, server_default=func.current_timestamp())
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow,
                                                 server_default=func.current_timestamp())
    version: Mapped[int] = mapped_column(Integer, default=1)

    aliases: Mapped[list["EnterpriseAlias"]] = relationship(back_populates="enterprise", cascade="all, delete-orphan")
    nodes: Mapped[list["EnterpriseNode"]] = relationship(back_populates="enterprise", cascade="all, delete-orphan")
    figures: Mapped[list["EnterpriseFigure"]] = relationship(back_populates="enterprise", cascade="all, delete-orphan",
                                                             order_by="EnterpriseFigure.year")

    FLAGS = ("high_tech", "specialised", "little_giant", "chain_leader", "listed")


class EnterpriseAlias(Base):
    """Former names, short names and 简称 declared in texts."""

    __tablename__ = "enterprise_alias"
    __table_args__ = (UniqueConstraint("enterprise_id", "alias"),)  # its leading column serves the foreign key

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(Text)
    alias_norm: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(String(16), default="short")  # former | short | declared
    source: Mapped[str | None] = mapped_column(Text)

    enterprise: Mapped[Enterprise] = relationship(back_populates="aliases")


class EnterpriseNode(Base):
    """An enterprise placed on a chain node, with the role it plays and the evidence for it."""

    __tablename__ = "enterprise_node"
    # The chain diagnosis reads a node's firms and roles from the (chain, node) index alone (covering: no table
    # read for each of the node's thousands of candidates).
    __table_args__ = (UniqueConstraint("enterprise_id", "chain", "node_id"),
                      Index("ix_enterprise_node_chain_node_firm", "chain", "node_id", "enterprise_id", "role"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No index of its own: the unique (enterprise_id, chain, node_id) leads with it and serves the foreign key.
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    chain: Mapped[str] = mapped_column(String(64))
    node_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="main")  # main | secondary
    evidence: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="import")  # import | news | analyst | demo
    score: Mapped[float] = mapped_column(Float, default=1.0)

    enterprise: Mapped[Enterprise] = relationship(back_populates="nodes")


class EnterpriseFigure(Base):
    """Yearly figures of one enterprise; money in yuan."""

    __tablename__ = "enterprise_figure"
    # The chain diagnosis reads one or a few years of figures for tens of thousands of firms at a time; this
    # covering index (firm, year, then the values it reads) answers those reads without touching the table. Its
    # leading column also serves the foreign key, so enterprise_id needs no index of its own.
    __table_args__ = (UniqueConstraint("enterprise_id", "year"),
                      Index("ix_enterprise_figure_firm_year_values", "enterprise_id", "year", "output_value",
                            "revenue", "employees", "rd_spend", "patents"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    output_value: Mapped[float | None] = mapped_column(Float)
    revenue: Mapped[float | None] = mapped_column(Float)
    tax: Mapped[float | None] = mapped_column(Float)
    employees: Mapped[int | None] = mapped_column(Integer)
    rd_spend: Mapped[float | None] = mapped_column(Float)
    patents: Mapped[int | None] = mapped_column(Integer)
    # 等保 level 3 (XINLIAN_SECURITY_LEVEL=3, xinlian.registry.sensitive): the money figures are kept only as
    # SM4-GCM ciphertext ``sm4gcm1:<base64>`` here and the plain columns above stay NULL; at level 2 these are NULL.
    output_value_enc: Mapped[str | None] = mapped_column(Text)
    revenue_enc: Mapped[str | None] = mapped_column(Text)
    tax_enc: Mapped[str | None] = mapped_column(Text)
    rd_spend_enc: Mapped[str | None] = mapped_column(Text)

    enterprise: Mapped[Enterprise] = relationship(back_populates="figures")

    FIELDS = ("output_value", "revenue", "tax", "employees", "rd_spend", "patents")


class Baseline(Base):
    """Reference figures for location quotients: a scope (national ``000000`` or a province code), a year, and a
    chain node (``*`` for the whole economy of the scope)."""

    __tablename__ = "baseline"
    __table_args__ = (UniqueConstraint("scope", "chain", "node_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(6))
    chain: Mapped[str] = mapped_column(String(64))
    node_id: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    output_value: Mapped[float | None] = mapped_column(Float)
    employees: Mapped[float | None] = mapped_column(Float)
    firms: Mapped[int | None] = mapped_column(Integer)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(Text)


class RegionTotal(Base):
    """Whole-economy figures of a region (all industries), the denominator of its location quotients."""

    __tablename__ = "region_total"
    __table_args__ = (UniqueConstraint("region_code", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    output_value: Mapped[float | None] = mapped_column(Float)
    employees: Mapped[float | None] = mapped_column(Float)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
