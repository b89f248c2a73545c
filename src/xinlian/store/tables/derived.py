"""Summaries derived from the registry, and the log that says when they went stale.

``registry_change`` holds one row per transaction that wrote ``enterprise``, ``enterprise_node`` or
``enterprise_figure`` (PostgreSQL statement triggers, ``dialect.EXTRAS["registry_change_log"]``); a summary in
``derived_summary`` records the snapshot it was computed under and is used again only while no logged transaction
lies outside that snapshot (``xinlian.chain.summary``). SQLite keeps no log (a row trigger would slow every bulk
import several times over), so there summaries are never stored and every diagnosis reads the tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from xinlian.store.tables.base import Base, Timestamp, utcnow


class RegistryChange(Base):
    """A transaction that wrote the registry tables (written by the database's triggers, never by the code)."""

    __tablename__ = "registry_change"

    txid: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    logged_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, server_default=func.current_timestamp())


class DerivedSummary(Base):
    """One stored summary: what it is (``kind``), the hash of everything it depends on (``key``), the snapshot of
    the registry it was computed from, and the summary itself as JSON text."""

    __tablename__ = "derived_summary"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    snapshot: Mapped[str] = mapped_column(Text)
    built_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, server_default=func.current_timestamp())
    payload: Mapped[str] = mapped_column(Text)
