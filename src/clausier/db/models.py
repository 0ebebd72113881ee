"""Tables that belong to no domain: named locks for writers that must not run twice at once."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from clausier.db.base import Base


class AppLock(Base):
    __tablename__ = "app_locks"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
