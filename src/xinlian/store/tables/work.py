"""The bureau's daily work: projects through their stages, visits and firms' demands, policies, 产学研 partners.

Stage ids and categories are defined in ``data/rules/`` (see ``xinlian.work.stages``); money is in yuan, land in 亩.
Departments and owners are plain strings (the bureau's own names). Projects carry a ``version`` for optimistic
locking: a save names the version it read, and a save over a newer version is refused (``xinlian.work.projects``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xinlian.store.dialect import JSONType
from xinlian.store.tables.base import Base, Timestamp, utcnow


class Project(Base):
    """One investment project (招商项目) from first lead to full production."""

    __tablename__ = "project"
    __table_args__ = (Index("ix_project_chain_node", "chain", "node_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # natural key for imports: normalised name + "|" + investor id (empty when no investor is known yet)
    match_key: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    investor_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id", ondelete="SET NULL"), index=True)
    chain: Mapped[str | None] = mapped_column(String(64))
    node_id: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(32), index=True)
    held_from: Mapped[str | None] = mapped_column(String(32))  # the stage left when put on hold / terminated
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)  # active | on_hold | terminated
    planned_investment: Mapped[float | None] = mapped_column(Float)  # 计划总投资 (元)
    arrived_investment: Mapped[float | None] = mapped_column(Float)  # 实际到位资金 (元)
    expected_output: Mapped[float | None] = mapped_column(Float)  # 预计达产产值 (元/年)
    expected_tax: Mapped[float | None] = mapped_column(Float)  # 预计税收 (元/年)
    land_mu: Mapped[float | None] = mapped_column(Float)  # 用地 (亩)
    official: Mapped[str | None] = mapped_column(Text)  # 责任领导/责任人
    department: Mapped[str | None] = mapped_column(Text, index=True)  # 责任部门
    signed_on: Mapped[date | None] = mapped_column(Date)
    registered_on: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    production_on: Mapped[date | None] = mapped_column(Date)
    full_production_on: Mapped[date | None] = mapped_column(Date)
    next_milestone: Mapped[str | None] = mapped_column(Text)
    milestone_due: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(16))  # manual | import | demo
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    moves: Mapped[list["ProjectMove"]] = relationship(back_populates="project", cascade="all, delete-orphan",
                                                      order_by="ProjectMove.id")
    problems: Mapped[list["ProjectProblem"]] = relationship(back_populates="project", cascade="all, delete-orphan",
                                                            order_by="ProjectProblem.id")

    EDITABLE = ("name", "investor_id", "chain", "node_id", "planned_investment", "arrived_investment",
                "expected_output", "expected_tax", "land_mu", "official", "department", "signed_on", "registered_on",
                "started_on", "completed_on", "production_on", "full_production_on", "next_milestone",
                "milestone_due", "notes", "is_sample")


class ProjectMove(Base):
    """One stage move: who moved the project, when, from where to where, and why."""

    __tablename__ = "project_move"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(32))  # None for the creation of the project
    to_stage: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # create | forward | skip | back | hold | resume | terminate
    user: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(back_populates="moves")


class ProjectProblem(Base):
    """One item of a project's 问题清单: what blocks it, who solves it by when, and how it was solved."""

    __tablename__ = "project_problem"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text, index=True)
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | closed
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(back_populates="problems")


class Visit(Base):
    """A visit (走访) of officials to enterprises. Drafts may come from a news event and wait for confirmation."""

    __tablename__ = "visit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # natural key for imports: date + sorted normalised enterprise names
    match_key: Mapped[str | None] = mapped_column(Text, index=True)
    visit_date: Mapped[date | None] = mapped_column(Date, index=True)
    officials: Mapped[list | None] = mapped_column(JSONType)  # [{"name": ..., "title": ...}]
    topics: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)  # draft | confirmed
    # the news tables belong to another area: a plain id, no foreign key
    source_article_id: Mapped[int | None] = mapped_column(Integer, index=True)
    source_event: Mapped[dict | None] = mapped_column(JSONType)
    source: Mapped[str | None] = mapped_column(String(16))  # manual | news | import | demo
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)

    enterprises: Mapped[list["VisitEnterprise"]] = relationship(back_populates="visit", cascade="all, delete-orphan",
                                                                order_by="VisitEnterprise.id")
    demands: Mapped[list["Demand"]] = relationship(back_populates="visit", order_by="Demand.id")


class VisitEnterprise(Base):
    """An enterprise visited: the name as recorded, and the registry record when it was matched."""

    __tablename__ = "visit_enterprise"
    __table_args__ = (UniqueConstraint("visit_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(Text)
    match: Mapped[str | None] = mapped_column(Text)  # how the name was matched (exact | alias | none)

    visit: Mapped[Visit] = relationship(back_populates="enterprises")


class Demand(Base):
    """A firm's demand (诉求), followed until closed by the responsible department."""

    __tablename__ = "demand"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    match_key: Mapped[str | None] = mapped_column(Text, index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="SET NULL"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id", ondelete="SET NULL"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text, index=True)  # 责任部门
    owner: Mapped[str | None] = mapped_column(Text)
    raised_on: Mapped[date | None] = mapped_column(Date)
    due: Mapped[date | None] = mapped_column(Date)
    response: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | in_progress | closed
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)

    visit: Mapped[Visit | None] = relationship(back_populates="demands")


class Policy(Base):
    """A policy document with structured eligibility criteria (see ``data/rules/policy_criteria.yaml``)."""

    __tablename__ = "policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    issuer: Mapped[str | None] = mapped_column(Text)
    doc_no: Mapped[str | None] = mapped_column(Text)  # 文号
    issued_on: Mapped[date | None] = mapped_column(Date)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    url: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    benefits: Mapped[str | None] = mapped_column(Text)  # 支持内容
    criteria: Mapped[dict] = mapped_column(JSONType, default=dict)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))


class Institution(Base):
    """A university or research institute (产学研 partner) and what it can do on the chain."""

    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="university")  # university | institute | lab
    region_code: Mapped[str | None] = mapped_column(String(6))
    chain: Mapped[str | None] = mapped_column(String(64))
    nodes: Mapped[list | None] = mapped_column(JSONType)  # chain node ids it can serve
    keywords: Mapped[list | None] = mapped_column(JSONType)  # capabilities in words (工艺, 材料, 设备 …)
    contact: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
