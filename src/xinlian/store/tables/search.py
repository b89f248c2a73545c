"""The search index shared by enterprises, articles and anything else searched in Chinese (see store.dialect)."""

from __future__ import annotations

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xinlian.store.tables.base import Base


class SearchDoc(Base):
    __tablename__ = "search_doc"
    __table_args__ = (UniqueConstraint("kind", "doc_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    doc_id: Mapped[int] = mapped_column(Integer)
    terms: Mapped[str] = mapped_column(Text, default="")
