"""Stored versions of term sheets: a contract keeps pointing at the version signed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clausier.db.base import Base
from clausier.db.types import Instant


class TermSheetVersion(Base):
    __tablename__ = "term_sheet_versions"
    __table_args__ = (UniqueConstraint("sheet_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sheet_id: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(Instant)
