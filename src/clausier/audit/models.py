"""The audit log: who changed what, when (every write of every room goes through ``record``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clausier.db.base import Base
from clausier.db.types import Instant


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(Instant, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80), index=True)
    entity_type: Mapped[str] = mapped_column(String(80), index=True)
    entity_id: Mapped[str] = mapped_column(String(80), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    # The summary's message (``Message.as_dict``) when the room wrote a sentence, so that each
    # reader gets it in their language; None for an identifier or an entry written before.
    summary_message: Mapped[dict | None] = mapped_column(JSON, nullable=True, default=None)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
