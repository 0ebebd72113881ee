"""Tables of notifications: the outbox of letters, e-mails and SMS sent to customers (the table
keeps the name it had in payments: no migration)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clausier.db.base import Base
from clausier.db.types import Instant, Status
from clausier.notifications.rules import MessageStatus


class OutboxMessage(Base):
    """A document sent to a customer: a registered letter (PDF), an e-mail or an SMS."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)     # one message per event
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))    # registered_letter | email | sms
    kind: Mapped[str] = mapped_column(String(40))       # formal_notice | reminder | termination …
    recipient: Mapped[str] = mapped_column(Text, default="", info={"personal": "contact"})
    subject: Mapped[str] = mapped_column(String(300), default="")
    # The subject's message (``Message.as_dict``) when it was written as one: the letter keeps
    # its recipient's language, the staff pages read the subject in theirs.
    subject_message: Mapped[dict | None] = mapped_column(JSON, nullable=True, default=None)
    body: Mapped[str] = mapped_column(Text, default="", info={"personal": "content"})
    file_path: Mapped[str | None] = mapped_column(String(400), nullable=True)
    file_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # queued | sent | failed ; a letter is "sent" once printed for posting
    status: Mapped[MessageStatus] = mapped_column(Status(MessageStatus, 20), default=MessageStatus.QUEUED,
                                                  index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    # When a queued e-mail or SMS is tried again after a failure (notifications.rules.retry_at).
    next_attempt_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    provider_ref: Mapped[str] = mapped_column(String(120), default="")
    created_on: Mapped[date] = mapped_column(Date, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    received_on: Mapped[date | None] = mapped_column(Date, nullable=True)   # AR: first presentation
    created_at: Mapped[datetime] = mapped_column(Instant)
