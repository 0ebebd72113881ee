"""What other rooms may read of contracts: which subscriptions are live (one definition,
``rules.is_live``), for many customers in one query; and the subscriptions with their items as
billing bills and revises them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clausier.contracts import rules
from clausier.contracts.models import Subscription, SubscriptionItem

# Customer ids per statement, well under both databases' limits.
CHUNK = 5000


@dataclass(frozen=True)
class LiveSubscription:
    id: int
    ref: str
    customer_id: int
    status: str
    termination_effective_on: date | None


def _subscriptions(session: Session, customer_ids: Collection[int], on: date, statuses: tuple[str, ...],
                   keep) -> dict[int, tuple[LiveSubscription, ...]]:
    found: dict[int, list[LiveSubscription]] = defaultdict(list)
    ids = sorted(set(customer_ids))
    table = Subscription.__table__.c
    for start in range(0, len(ids), CHUNK):
        for row in session.execute(
                select(table.id, table.ref, table.customer_id, table.status, table.termination_effective_on)
                .where(table.customer_id.in_(ids[start:start + CHUNK]), table.status.in_(statuses),
                       or_(table.termination_effective_on.is_(None), table.termination_effective_on > on))
                .order_by(table.id)):
            if keep(row.status, row.termination_effective_on, on):
                found[row.customer_id].append(LiveSubscription(*row))
    return {customer_id: tuple(subs) for customer_id, subs in found.items()}


def live_subscriptions(session: Session, customer_ids: Collection[int], on: date
                       ) -> dict[int, tuple[LiveSubscription, ...]]:
    """The customers' live subscriptions on ``on`` (``rules.is_live``), by customer."""
    return _subscriptions(session, customer_ids, on, rules.LIVE_STATUSES, rules.is_live)


def subscriptions_in_force(session: Session, customer_ids: Collection[int], on: date
                           ) -> dict[int, tuple[LiveSubscription, ...]]:
    """The customers' subscriptions whose contract has not ended on ``on``: live, or ordered
    and not delivered yet (``rules.is_in_force``), by customer."""
    return _subscriptions(session, customer_ids, on, ("ordered", *rules.LIVE_STATUSES), rules.is_in_force)


# --------------------------------------------------------------------------- what billing reads

_SUB = Subscription.__table__.c
_ITEM = SubscriptionItem.__table__.c


@dataclass(frozen=True, slots=True)
class BilledItem:
    """An item of a subscription with the prices agreed, as the bill runs bill it."""

    id: int
    subscription_id: int
    offer_id: int
    offer_code: str
    label: str
    quantity: int
    monthly_fee: Decimal
    price_basis: str
    vat_rate: str
    access_fee: Decimal
    one_off_price: Decimal
    minimum_billing: Decimal | None
    active_from: date | None
    active_until: date | None


@dataclass(frozen=True, slots=True)
class BilledSubscription:
    """A subscription with its items, as the bill runs and price revisions read it."""

    id: int
    ref: str
    customer_id: int
    site_id: int
    family: str
    sheet_id: str
    sheet_version: int
    status: str
    signed_on: date
    go_live_on: date | None
    equipment_received_on: date | None
    terminated_on: date | None
    termination_effective_on: date | None
    billing_periodicity_months: int | None
    billed_until: date | None
    items: tuple[BilledItem, ...] = ()


_SUBSCRIPTION_COLUMNS = [getattr(_SUB, name) for name in (
    "id", "ref", "customer_id", "site_id", "family", "sheet_id", "sheet_version", "status",
    "signed_on", "go_live_on", "equipment_received_on", "terminated_on",
    "termination_effective_on", "billing_periodicity_months", "billed_until")]
_ITEM_COLUMNS = [getattr(_ITEM, name) for name in (
    "id", "subscription_id", "offer_id", "offer_code", "label", "quantity", "monthly_fee",
    "price_basis", "vat_rate", "access_fee", "one_off_price", "minimum_billing", "active_from",
    "active_until")]


def _with_items(session: Session, rows, where_items) -> list[BilledSubscription]:
    items: dict[int, list[BilledItem]] = defaultdict(list)
    for item in session.execute(select(*_ITEM_COLUMNS).join(Subscription.__table__,
                                                             _SUB.id == _ITEM.subscription_id)
                                .where(where_items).order_by(_ITEM.id)):
        items[item.subscription_id].append(BilledItem(*item))
    return [BilledSubscription(*row, items=tuple(items.get(row.id, ()))) for row in rows]


def subscriptions_to_bill(session: Session, customer_ids: Collection[int], signed_by: date
                          ) -> list[BilledSubscription]:
    """The customers' subscriptions signed by ``signed_by`` and not cancelled, with their items,
    in id order: what a bill run may bill. Two queries over the ids' range (short statements
    that use the customer_id index on both databases), for ids of one operator."""
    if not customer_ids:
        return []
    wanted = set(customer_ids)
    in_range = _SUB.customer_id.between(min(wanted), max(wanted))
    rows = [row for row in session.execute(
        select(*_SUBSCRIPTION_COLUMNS).where(in_range, _SUB.status != "cancelled",
                                             _SUB.signed_on <= signed_by).order_by(_SUB.id))
            if row.customer_id in wanted]
    ids = {row.id for row in rows}
    subs = _with_items(session, rows, in_range)
    return [sub for sub in subs if sub.id in ids]


def subscriptions_in_force_of_operator(session: Session, operator_id: int, on: date,
                                       family: str | None = None) -> list[BilledSubscription]:
    """An operator's subscriptions in force on ``on`` (``rules.is_in_force``: live, or ordered
    and not delivered yet), of one family when given, with their items, in id order."""
    query = select(*_SUBSCRIPTION_COLUMNS).where(
        _SUB.operator_id == operator_id, _SUB.status.in_(("ordered", *rules.LIVE_STATUSES)),
        or_(_SUB.termination_effective_on.is_(None), _SUB.termination_effective_on > on))
    if family:
        query = query.where(_SUB.family == family)
    rows = [row for row in session.execute(query.order_by(_SUB.id))
            if rules.is_in_force(row.status, row.termination_effective_on, on)]
    by_operator = _SUB.operator_id == operator_id
    return _with_items(session, rows, by_operator if not family
                       else by_operator & (_SUB.family == family))


def subscription_sheets(session: Session, subscription_ids: Collection[int]
                        ) -> dict[int, tuple[str, int, str]]:
    """The term sheet of each subscription: (sheet id, sheet version, family), by id."""
    ids = sorted(set(subscription_ids))
    found: dict[int, tuple[str, int, str]] = {}
    for start in range(0, len(ids), CHUNK):
        for row in session.execute(select(_SUB.id, _SUB.sheet_id, _SUB.sheet_version, _SUB.family)
                                   .where(_SUB.id.in_(ids[start:start + CHUNK]))):
            found[row.id] = (row.sheet_id, row.sheet_version, row.family)
    return found
