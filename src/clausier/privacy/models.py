"""Personal-data tables: purge runs and their reports, legal holds, shortened retention periods,
contact-centre recordings, data-subject requests, sub-processors and their change notices and
objections, audit requests, the breach log, and end-of-contract deletion or return.

The records of this room prove compliance (RGPD art. 5(2)); they are kept under the
``accountability`` obligation and an erasure leaves them alone. Columns holding personal data
carry ``info={"personal": <category>}`` like every room's (see ``privacy.discovery``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clausier.db.base import Base
from clausier.db.types import Instant, Status
from clausier.privacy.rules import ChangeNoticeStatus, ObjectionStatus, RequestStatus

KEPT_AS_PROOF = {"kept_for": "accountability"}


class RetentionRun(Base):
    """One purge for one day (*purge*): at most one per day, so a second run changes nothing."""

    __tablename__ = "privacy_retention_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    ran_at: Mapped[datetime] = mapped_column(Instant)
    actor: Mapped[str] = mapped_column(String(200))
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)


class PurgeReportLine(Base):
    """What one retention rule purged on a run: what, how much, which rule and clause."""

    __tablename__ = "privacy_purge_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("privacy_retention_runs.id"), index=True)
    operator: Mapped[str] = mapped_column(String(40))
    data: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(300))
    clause: Mapped[str] = mapped_column(String(200))
    what: Mapped[str] = mapped_column(String(300))
    count: Mapped[int] = mapped_column(Integer, default=0)
    unit: Mapped[str] = mapped_column(String(20), default="rows")
    held: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str] = mapped_column(Text, default="")


class LegalHold(Base):
    """Why and since when ``Customer.legal_hold`` stops purges and erasures for a customer."""

    __tablename__ = "privacy_legal_holds"
    __table_args__ = ({"info": KEPT_AS_PROOF},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    placed_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(200))
    lifted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    lifted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lift_reason: Mapped[str] = mapped_column(Text, default="")


class RetentionOverride(Base):
    """A customer's shorter retention period for one kind of data (CX §3.2: recordings kept six
    months 'by default', which the client may reduce)."""

    __tablename__ = "privacy_retention_overrides"
    __table_args__ = (UniqueConstraint("customer_id", "data"), {"info": KEPT_AS_PROOF})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    data: Mapped[str] = mapped_column(String(40))
    months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    clause: Mapped[str] = mapped_column(String(200))
    set_on: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(200))


class Recording(Base):
    """A contact-centre call recording kept on the operator's platform (CP X §3.2); the file is
    under ``<data dir>/recordings``. No other room stores recordings."""

    __tablename__ = "privacy_recordings"
    # processed on the customer's behalf: deleted at the end of the contract (Annexe 1 A.2.e)
    __table_args__ = ({"info": {"processor_data": True}},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"),
                                                        nullable=True, index=True)
    recorded_at: Mapped[datetime] = mapped_column(Instant, index=True)
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    caller: Mapped[str] = mapped_column(String(40), default="", info={"personal": "contact"})
    file_name: Mapped[str] = mapped_column(String(300), default="")


class DataSubjectRequest(Base):
    """A request of a person about their data (access, rectification, erasure, restriction,
    portability, objection) with its deadline and, if any, its extension and reason."""

    __tablename__ = "privacy_requests"
    __table_args__ = ({"info": KEPT_AS_PROOF},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20), default="controller")   # controller | processor
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), nullable=True,
                                                    index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), nullable=True)
    requester: Mapped[str] = mapped_column(String(200), info={"personal": "identity"})
    requester_email: Mapped[str] = mapped_column(String(200), default="",
                                                 info={"personal": "contact"})
    details: Mapped[str] = mapped_column(Text, default="")
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    extension_possible_until: Mapped[date] = mapped_column(Date)
    extended_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    clause: Mapped[str] = mapped_column(String(200))
    status: Mapped[RequestStatus] = mapped_column(Status(RequestStatus, 20), default=RequestStatus.OPEN,
                                                  index=True)
    answered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome: Mapped[dict] = mapped_column(JSON, default=dict)
    export_file: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(Instant)


class SubProcessor(Base):
    """A sub-processor (*sous-traitant ultérieur*) of an operator (Annexe 1 A.2.c)."""

    __tablename__ = "privacy_sub_processors"
    __table_args__ = (UniqueConstraint("operator_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(2), default="FR")
    safeguard: Mapped[str] = mapped_column(String(200), default="")    # e.g. SCC art. 46(2)
    essential: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[date | None] = mapped_column(Date, nullable=True)
    until: Mapped[date | None] = mapped_column(Date, nullable=True)


class SubProcessorChange(Base):
    """An addition or replacement of a sub-processor, announced to every business customer."""

    __tablename__ = "privacy_sub_processor_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    sub_processor_id: Mapped[int] = mapped_column(ForeignKey("privacy_sub_processors.id"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("privacy_sub_processors.id"),
                                                    nullable=True)
    announced_on: Mapped[date] = mapped_column(Date)
    planned_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(Instant)


class SubProcessorNotice(Base):
    """The written notice of a change to one customer and its objection window."""

    __tablename__ = "privacy_sub_processor_notices"
    __table_args__ = (UniqueConstraint("change_id", "customer_id"), {"info": KEPT_AS_PROOF})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("privacy_sub_processor_changes.id"),
                                           index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    sent_on: Mapped[date] = mapped_column(Date)
    earliest_change_on: Mapped[date] = mapped_column(Date)
    objection_deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[ChangeNoticeStatus] = mapped_column(Status(ChangeNoticeStatus, 20),
                                                       default=ChangeNoticeStatus.SENT)


class Objection(Base):
    """A customer's objection to a change: talks, then resolution or termination without fees."""

    __tablename__ = "privacy_objections"
    __table_args__ = ({"info": KEPT_AS_PROOF},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("privacy_sub_processor_notices.id"),
                                           unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    talks_end_on: Mapped[date] = mapped_column(Date)
    termination_without_fees: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[ObjectionStatus] = mapped_column(Status(ObjectionStatus, 20),
                                                    default=ObjectionStatus.TALKS)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome: Mapped[str] = mapped_column(Text, default="")


class AuditRequest(Base):
    """A customer's request to audit the operator as its processor (Annexe 1 A.2.g)."""

    __tablename__ = "privacy_audit_requests"
    __table_args__ = ({"info": KEPT_AS_PROOF},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    letter_received_on: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    auditor: Mapped[str] = mapped_column(String(200), default="")
    registered_letter: Mapped[bool] = mapped_column(Boolean, default=True)
    auditor_is_competitor: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    earliest_start: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(Instant)


class BreachRecord(Base):
    """A personal-data breach (*violation de données*), in the log whatever its size."""

    __tablename__ = "privacy_breaches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    detected_at: Mapped[datetime] = mapped_column(Instant)
    nature: Mapped[str] = mapped_column(Text)
    likely_consequences: Mapped[str] = mapped_column(Text, default="")
    measures_taken_or_proposed: Mapped[str] = mapped_column(Text, default="")
    data_categories: Mapped[list] = mapped_column(JSON, default=list)
    people_affected: Mapped[int | None] = mapped_column(Integer, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Instant)


class BreachNotification(Base):
    """The notice of a breach sent to one customer (the controller), with what it said."""

    __tablename__ = "privacy_breach_notifications"
    __table_args__ = (UniqueConstraint("breach_id", "customer_id"), {"info": KEPT_AS_PROOF})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("privacy_breaches.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(Instant)
    channel: Mapped[str] = mapped_column(String(20), default="email")
    contents: Mapped[dict] = mapped_column(JSON, default=dict)
    clause: Mapped[str] = mapped_column(String(200), default="")


class EndOfContractDecision(Base):
    """At the end of the contract: delete, or return and destroy the copies, as the customer
    chooses (Annexe 1 A.2.e); what was kept under a legal obligation; the certificate."""

    __tablename__ = "privacy_end_of_contract"
    __table_args__ = ({"info": KEPT_AS_PROOF},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), unique=True)
    choice: Mapped[str] = mapped_column(String(40))
    decided_on: Mapped[date] = mapped_column(Date)
    carried_out_on: Mapped[date] = mapped_column(Date)
    clause: Mapped[str] = mapped_column(String(200))
    erased: Mapped[list] = mapped_column(JSON, default=list)
    kept: Mapped[list] = mapped_column(JSON, default=list)
    returned_file: Mapped[str] = mapped_column(String(300), default="")
    certificate_file: Mapped[str] = mapped_column(String(300), default="")
    certificate_sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(Instant)
