"""What the daily tick has done: one row per (day, step), so that a second run skips it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clausier.db.base import Base
from clausier.db.types import Instant


class TickRun(Base):
    __tablename__ = "tick_runs"
    __table_args__ = (UniqueConstraint("day", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    step: Mapped[str] = mapped_column(String(200))
    ran_at: Mapped[datetime] = mapped_column(Instant)
    actor: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    # The summary's message (``Message.as_dict``) when the step returned one: read in each
    # reader's language; a run recorded before messages were kept reads as stored.
    summary_message: Mapped[dict | None] = mapped_column(JSON, nullable=True, default=None)
