"""Rating tables. The records themselves live in Parquet (``<data dir>/usage``); the database keeps
what the bill run and the staff need: import batches and their rejects, the price list, the
monthly explained summaries per subscription, fair-use breaches, fraud alerts, penalty proposals,
roaming profiles and premium-number payouts; with a broker, the buckets of a rating run sent to the
workers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, BigInteger, Boolean, Date, ForeignKey, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from clausier.db.base import Base
from clausier.db.types import Instant, Money, Status, UnitPrice
from clausier.rating.statuses import AlertStatus, BreachStatus, PayoutClaimStatus, ProposalStatus


class ImportBatch(Base):
    """One CDR file imported: counts, and where its reject report is."""

    __tablename__ = "cdr_import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(300))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)     # ids already imported
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    months: Mapped[list] = mapped_column(JSON, default=list)
    reject_file: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(Instant)
    finished_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)


class RejectedRow(Base):
    """The first rejects of a batch, for the back office (the reject file has them all)."""

    __tablename__ = "cdr_rejects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("cdr_import_batches.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    record_id: Mapped[str] = mapped_column(String(120), default="")
    reason: Mapped[str] = mapped_column(String(500))


class UsageTariff(Base):
    """A line of a usage price list. ``scope`` is ``operator:<code>``, ``offer:<code>`` or
    ``subscription:<ref>`` (e.g. a premium number's own tariff); the narrowest scope wins."""

    __tablename__ = "usage_tariffs"
    __table_args__ = (UniqueConstraint("scope", "destination", "kind", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(120), index=True)
    destination: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))          # voice | sms | mms | data
    price: Mapped[Decimal] = mapped_column(UnitPrice())
    setup: Mapped[Decimal] = mapped_column(UnitPrice(), default=Decimal("0"))
    increment: Mapped[str] = mapped_column(String(10), default="second")   # second | minute
    price_basis: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))
    demo: Mapped[bool] = mapped_column(Boolean, default=True)


class UsageSummary(Base):
    """Rated usage of one subscription for the bill run: ``usage_period`` is the month the
    communications were made; ``month`` the month they are billed with (later than the usage
    period for late records of a period already billed)."""

    __tablename__ = "rated_usage_summaries"
    __table_args__ = (UniqueConstraint("subscription_id", "month", "usage_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    usage_period: Mapped[str] = mapped_column(String(7))
    amount: Mapped[Decimal] = mapped_column(Money())
    price_basis: Mapped[str] = mapped_column(String(3))
    records: Mapped[int] = mapped_column(Integer, default=0)
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    # The explained month per destination class (``rules.UsageDetail``): the invoice's usage annex.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(Instant)
    billed_invoice_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)


class FairUseBreach(Base):
    """A fair-use threshold exceeded in a month (or a data allowance crossed), for staff."""

    __tablename__ = "fair_use_breaches"
    __table_args__ = (UniqueConstraint("subscription_id", "month", "metric"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    metric: Mapped[str] = mapped_column(String(40))
    window: Mapped[str] = mapped_column(String(20))
    per: Mapped[str] = mapped_column(String(40))
    units: Mapped[int] = mapped_column(Integer)
    limit: Mapped[str] = mapped_column(String(30))
    measured: Mapped[str] = mapped_column(String(30))
    consequence: Mapped[str] = mapped_column(String(40))
    clause: Mapped[str] = mapped_column(String(300))
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[BreachStatus] = mapped_column(Status(BreachStatus, 30), default=BreachStatus.OPEN,
                                                 index=True)
    detected_at: Mapped[datetime] = mapped_column(Instant)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class FraudAlert(Base):
    """A fraud or compliance finding with its evidence, waiting for staff (confirm/dismiss)."""

    __tablename__ = "fraud_alerts"
    __table_args__ = (UniqueConstraint("subscription_id", "month", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    clause: Mapped[str] = mapped_column(String(300))
    calls: Mapped[int] = mapped_column(Integer, default=0)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[AlertStatus] = mapped_column(Status(AlertStatus, 20), default=AlertStatus.OPEN,
                                                index=True)
    detected_at: Mapped[datetime] = mapped_column(Instant)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class PenaltyProposal(Base):
    """A penalty or surcharge the sheet allows, proposed to staff; billed only once confirmed."""

    __tablename__ = "penalty_proposals"
    __table_args__ = (UniqueConstraint("source_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_key: Mapped[str] = mapped_column(String(120))     # idempotence of the proposal
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("fraud_alerts.id"), nullable=True, index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal] = mapped_column(Money())
    price_basis: Mapped[str] = mapped_column(String(3))
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[ProposalStatus] = mapped_column(Status(ProposalStatus, 20),
                                                   default=ProposalStatus.PROPOSED, index=True)
    proposed_at: Mapped[datetime] = mapped_column(Instant)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    charge_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RoamingMonthRow(Base):
    """A mobile line's consumption and presence at home vs in EU/EEA roaming in a month."""

    __tablename__ = "roaming_months"
    __table_args__ = (UniqueConstraint("subscription_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    national_voice_s: Mapped[int] = mapped_column(Integer, default=0)
    roaming_voice_s: Mapped[int] = mapped_column(Integer, default=0)
    national_messages: Mapped[int] = mapped_column(Integer, default=0)
    roaming_messages: Mapped[int] = mapped_column(Integer, default=0)
    national_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    roaming_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    national_days: Mapped[int] = mapped_column(Integer, default=0)
    roaming_days: Mapped[int] = mapped_column(Integer, default=0)


class SvaPayout(Base):
    """Payouts (*reversements*) accrued by a premium number for the calls of one day."""

    __tablename__ = "sva_payouts"
    __table_args__ = (UniqueConstraint("subscription_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    calls: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(UnitPrice())
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("sva_payout_claims.id"), nullable=True)


class SvaPayoutClaim(Base):
    """A payout request: the operator's billing request (*appel à facturation*) to which the
    client answers with its invoice before the deadline."""

    __tablename__ = "sva_payout_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    requested_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    invoice_deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[PayoutClaimStatus] = mapped_column(Status(PayoutClaimStatus, 20),
                                                      default=PayoutClaimStatus.REQUESTED)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(Instant)


class RatingBucketRun(Base):
    """A bucket of a month's subscriptions sent to the workers (``clausier worker``) when a broker
    is configured, in the rating run ``run_key``. The task that rates it is keyed on (run,
    bucket): delivered again, it finds the bucket done, or rates it again from the start (its
    first delivery's transaction was rolled back: rating a month again changes nothing)."""

    __tablename__ = "rating_bucket_runs"
    __table_args__ = (UniqueConstraint("run_key", "bucket"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_key: Mapped[str] = mapped_column(String(36), index=True)
    month: Mapped[str] = mapped_column(String(7))
    bucket: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="queued")   # queued | done | failed
    worker: Mapped[str] = mapped_column(String(200), default="")    # host:pid of the one that rated it
    report: Mapped[dict] = mapped_column(JSON, default=dict)    # the bucket's share of RateReport
    error: Mapped[str] = mapped_column(Text, default="")
    queued_at: Mapped[datetime] = mapped_column(Instant)
    finished_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
