"""What other rooms may read of rating, and the one thing they may write: the rated months not
billed yet, with their explanation per destination class, and the invoice that bills them.

Bulk readers and commands: one query per call whatever the number of subscriptions (up to
``CHUNK`` of them), plain dataclasses out, no ORM rows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from clausier.core.errors import Conflict, InvalidInput, NotFound
from clausier.core.explain import Explained
from clausier.db.lookup import among
from clausier.rating.models import UsageSummary
from clausier.rating.detail import DestinationUsage, UsageDetail

__all__ = ["CHUNK", "DestinationUsage", "RatedMonth", "UsageDetail", "mark_billed",
           "release_billed", "unbilled_usage"]

# Ids per statement: one statement for a bill-run batch, well under both databases' limits.
CHUNK = 5000


@dataclass(frozen=True)
class RatedMonth:
    """A subscription's rated usage to bill: ``usage_period`` is the month the communications
    were made, ``month`` the month it is billed with (later for late records)."""

    id: int
    subscription_id: int
    month: str
    usage_period: str
    amount: Decimal
    price_basis: str
    records: int
    stored_explanation: Mapping
    stored_detail: Mapping | None

    # Decoded when read: a bill run reads tens of thousands and bills the detail only.
    @cached_property
    def explanation(self) -> Explained:
        return Explained.from_dict(self.stored_explanation)

    @cached_property
    def detail(self) -> UsageDetail:
        return UsageDetail.from_dict(self.stored_detail)


def _chunks(values: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _month(field: str, value: str) -> str:
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value or ""):
        return value
    raise InvalidInput.on(field, f"expected a month as YYYY-MM, got {value!r}")


def unbilled_usage(session: Session, subscription_ids: Collection[int], up_to_month: str
                   ) -> dict[int, tuple[RatedMonth, ...]]:
    """The rated months of these subscriptions not billed yet and billable with months up to
    ``up_to_month`` (late usage of an earlier period included), by subscription, oldest usage
    period first."""
    _month("up_to_month", up_to_month)
    table = UsageSummary.__table__.c
    found: dict[int, list[RatedMonth]] = defaultdict(list)
    for ids in _chunks(sorted(set(subscription_ids))):
        for row in session.connection().execute(
                select(table.id, table.subscription_id, table.month, table.usage_period, table.amount,
                       table.price_basis, table.records, table.explanation, table.detail)
                .where(among(table.subscription_id, ids), table.billed_invoice_id.is_(None),
                       table.month <= up_to_month)
                .order_by(table.usage_period, table.id)):
            found[row.subscription_id].append(RatedMonth(
                row.id, row.subscription_id, row.month, row.usage_period, row.amount,
                row.price_basis, row.records, row.explanation, row.detail))
    return {subscription_id: tuple(months) for subscription_id, months in found.items()}


def mark_billed(session: Session, invoice_of: Mapping[int, int]) -> None:
    """Record the invoice that bills each rated month (``{rated month id: invoice id}``) in one
    statement: refused when one does not exist or is billed on another invoice, so that nothing
    is billed twice (the caller's transaction then rolls back what was marked)."""
    if not invoice_of:
        return
    table = UsageSummary.__table__
    marked = session.connection().execute(
        update(table).where(table.c.id == bindparam("rated_id"),
                            or_(table.c.billed_invoice_id.is_(None),
                                table.c.billed_invoice_id == bindparam("invoice_id")))
        .values(billed_invoice_id=bindparam("invoice_id")),
        [{"rated_id": rated_id, "invoice_id": invoice_id} for rated_id, invoice_id in invoice_of.items()])
    if marked.rowcount != len(invoice_of):
        _refuse_marking(session, invoice_of)


def _refuse_marking(session: Session, invoice_of: Mapping[int, int]) -> None:
    """Name the first rated month that could not be marked, and why."""
    table = UsageSummary.__table__.c
    for ids in _chunks(sorted(invoice_of)):
        billed = dict(session.connection().execute(
            select(table.id, table.billed_invoice_id).where(table.id.in_(ids))).all())
        for rated_id in ids:
            if rated_id not in billed:
                raise NotFound(f"rated month {rated_id}: no such rated usage",
                               resource="rated_usage")
            if billed[rated_id] != invoice_of[rated_id]:
                raise Conflict(f"rated month {rated_id}: already billed on invoice {billed[rated_id]}")


def release_billed(session: Session, invoice_id: int) -> None:
    """Give the rated months of a discarded draft invoice back to the next bill run."""
    table = UsageSummary.__table__
    session.connection().execute(update(table).where(table.c.billed_invoice_id == invoice_id)
                                 .values(billed_invoice_id=None))
