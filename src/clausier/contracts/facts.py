"""What other rooms may read of contracts: which subscriptions are live (one definition,
``statuses.is_live``), for many customers in one query; which have ended, and when; what a
subscription is (its sheet, its status and dates); why one was suspended."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, ScalarSelect, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from clausier.contracts import statuses
from clausier.contracts.models import Subscription, SubscriptionEvent, SubscriptionItem
from clausier.db.lookup import among

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
    """The customers' live subscriptions on ``on`` (``statuses.is_live``), by customer."""
    return _subscriptions(session, customer_ids, on, statuses.LIVE_STATUSES, statuses.is_live)


def subscriptions_in_force(session: Session, customer_ids: Collection[int], on: date
                           ) -> dict[int, tuple[LiveSubscription, ...]]:
    """The customers' subscriptions whose contract has not ended on ``on``: live, or ordered
    and not delivered yet (``statuses.is_in_force``), by customer."""
    return _subscriptions(session, customer_ids, on, (statuses.SubscriptionStatus.ORDERED, *statuses.LIVE_STATUSES), statuses.is_in_force)


def subscription_status_column(subscription_id: ColumnElement[int]) -> ScalarSelect[str]:
    """The status of the subscription ``subscription_id`` names, as a column of another room's
    select (a device's poll reads its site's state in one round trip)."""
    return select(Subscription.status).where(Subscription.id == subscription_id).scalar_subquery()


@dataclass(frozen=True)
class SheetReference:
    sheet_id: str
    sheet_version: int
    family: str


def sheet_references(session: Session | Connection, subscription_ids: Collection[int]
                     ) -> dict[int, SheetReference]:
    """The sheet version each subscription was signed under and its family (where its terms
    are read), by subscription id."""
    ids = sorted(set(subscription_ids))
    return {row[0]: SheetReference(*row[1:]) for start in range(0, len(ids), CHUNK)
            for row in session.execute(
                select(Subscription.id, Subscription.sheet_id, Subscription.sheet_version,
                       Subscription.family).where(Subscription.id.in_(ids[start:start + CHUNK])))}


def suspension_reasons(session: Session | Connection, subscription_ids: Collection[int]
                       ) -> dict[int, str]:
    """The reason of each subscription's latest suspension (recorded on its timeline), by
    subscription id; subscriptions never suspended are left out."""
    ids = sorted(set(subscription_ids))
    reasons: dict[int, str] = {}
    for subscription_id, details in session.execute(
            select(SubscriptionEvent.subscription_id, SubscriptionEvent.details)
            .where(SubscriptionEvent.subscription_id.in_(ids), SubscriptionEvent.kind == "suspend")
            .order_by(SubscriptionEvent.subscription_id, SubscriptionEvent.at.desc(),
                      SubscriptionEvent.id.desc())):
        if subscription_id in reasons:
            continue
        if isinstance(details, str):     # a plain connection on SQLite gives the JSON text
            details = json.loads(details)
        reasons[subscription_id] = (details or {}).get("reason", "")
    return reasons


@dataclass(frozen=True)
class SubscriptionFacts:
    """What a subscription is and where its life stands (``service.terms_of`` takes it too)."""

    id: int
    ref: str
    customer_id: int
    site_id: int
    operator_id: int
    family: str
    status: str
    sheet_id: str
    sheet_version: int
    termination_reason: str | None
    cancelled_on: date | None
    terminated_on: date | None
    termination_effective_on: date | None
    notice_received_on: date | None


def _facts_columns():
    table = Subscription.__table__.c
    return (table.id, table.ref, table.customer_id, table.site_id, table.operator_id,
            table.family, table.status, table.sheet_id, table.sheet_version,
            table.termination_reason, table.cancelled_on, table.terminated_on,
            table.termination_effective_on, table.notice_received_on)


def subscriptions(session: Session, subscription_ids: Collection[int]
                  ) -> dict[int, SubscriptionFacts]:
    """The subscriptions of ``subscription_ids`` (those that exist), by id."""
    found: dict[int, SubscriptionFacts] = {}
    ids = sorted(set(subscription_ids))
    for start in range(0, len(ids), CHUNK):
        for row in session.execute(select(*_facts_columns()).where(
                Subscription.__table__.c.id.in_(ids[start:start + CHUNK]))):
            found[row.id] = SubscriptionFacts(*row)
    return found


def operator_subscriptions(session: Session, operator_id: int, families: Collection[str] = (),
                           *, cancelled: bool | None = None) -> list[SubscriptionFacts]:
    """The operator's subscriptions, of ``families`` when some are named, cancelled or not when
    ``cancelled`` is given, in the order created."""
    table = Subscription.__table__.c
    query = select(*_facts_columns()).where(table.operator_id == operator_id).order_by(table.id)
    if families:
        query = query.where(table.family.in_(tuple(families)))
    if cancelled is not None:
        query = query.where(table.cancelled_on.is_not(None) if cancelled
                            else table.cancelled_on.is_(None))
    return [SubscriptionFacts(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class EndedSubscription:
    id: int
    ref: str
    customer_id: int
    ended_on: date


def ended_subscriptions(session: Session, subscription_ids: Collection[int], on: date
                        ) -> dict[int, EndedSubscription]:
    """Those of the subscriptions that were terminated or cancelled on or before ``on``, with
    the day they ended, by id."""
    found: dict[int, EndedSubscription] = {}
    ids = sorted(set(subscription_ids))
    table = Subscription.__table__.c
    for start in range(0, len(ids), CHUNK):
        for row in session.execute(
                select(table.id, table.ref, table.customer_id, table.terminated_on,
                       table.cancelled_on)
                .where(table.id.in_(ids[start:start + CHUNK]),
                       table.status.in_((statuses.SubscriptionStatus.TERMINATED, statuses.SubscriptionStatus.CANCELLED)),
                       or_(table.terminated_on <= on, table.cancelled_on <= on))):
            found[row.id] = EndedSubscription(row.id, row.ref, row.customer_id,
                                              row.terminated_on or row.cancelled_on)
    return found


@dataclass(frozen=True)
class SubscriptionOutline:
    """A subscription as other rooms read it: its owner, operator, sheet version, family,
    service identifier and status."""

    id: int
    ref: str
    customer_id: int
    operator_id: int
    family: str
    sheet_id: str
    sheet_version: int
    service_identifier: str | None
    status: str


@dataclass(frozen=True)
class SubscribedItem:
    """One item of a subscription: the offer subscribed, its unit and quantity."""

    subscription_id: int
    offer_id: int
    offer_code: str
    unit: str
    quantity: int
    is_option: bool
    price_basis: str


def _in_chunks(values: Collection) -> list[list]:
    ids = sorted(set(values))
    return [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]


def subscription_outlines(session: Session, subscription_ids: Collection[int]
                          ) -> dict[int, SubscriptionOutline]:
    """The outline of each of these subscriptions (those that exist), in order of id."""
    table = Subscription.__table__.c
    return {row.id: SubscriptionOutline(*row) for ids in _in_chunks(subscription_ids)
            for row in session.execute(
                select(table.id, table.ref, table.customer_id, table.operator_id, table.family,
                       table.sheet_id, table.sheet_version, table.service_identifier, table.status)
                .where(table.id.in_(ids)).order_by(table.id))}


def subscribed_items(session: Session, subscription_ids: Collection[int]
                     ) -> dict[int, tuple[SubscribedItem, ...]]:
    """The items of these subscriptions, by subscription, each in the order it was added."""
    table = SubscriptionItem.__table__.c
    found: dict[int, list[SubscribedItem]] = defaultdict(list)
    for ids in _in_chunks(subscription_ids):
        for row in session.execute(
                select(table.subscription_id, table.offer_id, table.offer_code, table.unit,
                       table.quantity, table.is_option, table.price_basis)
                .where(table.subscription_id.in_(ids)).order_by(table.id)):
            found[row.subscription_id].append(SubscribedItem(*row))
    return {subscription_id: tuple(items) for subscription_id, items in found.items()}


def latest_subscription_by_service(session: Session) -> dict[str, tuple[int, int]]:
    """Service identifier → (subscription id, customer id) of the latest subscription (the
    highest id) that carries it."""
    table = Subscription.__table__.c
    rows = session.execute(select(table.service_identifier, table.id, table.customer_id)
                           .where(table.service_identifier.is_not(None)).order_by(table.id))
    return {identifier: (subscription_id, customer_id)
            for identifier, subscription_id, customer_id in rows}


def service_identifiers_by_operator(session: Session, operator_ids: Collection[int]
                                    ) -> dict[int, list[str]]:
    """The service identifiers of each operator's subscriptions (every status), by operator."""
    table = Subscription.__table__.c
    found: dict[int, list[str]] = {operator_id: [] for operator_id in operator_ids}
    for ids in _in_chunks(operator_ids):
        for operator_id, identifier in session.execute(
                select(table.operator_id, table.service_identifier)
                .where(table.operator_id.in_(ids), table.service_identifier.is_not(None))
                .order_by(table.id)):
            found[operator_id].append(identifier)
    return found


def subscription_ids_by_family(session: Session, customer_ids: Collection[int]
                               ) -> dict[tuple[int, str], list[int]]:
    """The ids of these customers' subscriptions (every status), by (customer id, family)."""
    table = Subscription.__table__.c
    found: dict[tuple[int, str], list[int]] = defaultdict(list)
    for ids in _in_chunks(customer_ids):
        for subscription_id, customer_id, family in session.execute(
                select(table.id, table.customer_id, table.family)
                .where(table.customer_id.in_(ids)).order_by(table.id)):
            found[customer_id, family].append(subscription_id)
    return dict(found)


def live_service_lines(session: Session, limit: int) -> list[tuple[str, str]]:
    """(service identifier, family) of the first ``limit`` subscriptions with a live status
    (``statuses.LIVE_STATUSES``) that carry a service identifier, in order of id."""
    table = Subscription.__table__.c
    return [(identifier, family) for identifier, family in session.execute(
        select(table.service_identifier, table.family)
        .where(table.service_identifier.is_not(None), table.status.in_(statuses.LIVE_STATUSES))
        .order_by(table.id).limit(limit))]


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


def _with_items(session: Session, rows, where_items=None) -> list[BilledSubscription]:
    """The subscriptions of ``rows`` with their items: those ``where_items`` selects (a
    condition on the subscriptions, for a whole operator), else looked up by the rows' ids."""
    items: dict[int, list[BilledItem]] = defaultdict(list)
    if where_items is not None:
        queries = [select(*_ITEM_COLUMNS).join(Subscription.__table__, _SUB.id == _ITEM.subscription_id)
                   .where(where_items)]
    else:
        queries = [select(*_ITEM_COLUMNS).where(among(_ITEM.subscription_id, ids))
                   for ids in _in_chunks(row.id for row in rows)]
    for query in queries:
        for item in session.execute(query.order_by(_ITEM.id)):
            items[item.subscription_id].append(BilledItem(*item))
    return [BilledSubscription(*row, items=tuple(items.get(row.id, ()))) for row in rows]


def subscriptions_to_bill(session: Session, customer_ids: Collection[int], signed_by: date
                          ) -> list[BilledSubscription]:
    """The customers' subscriptions signed by ``signed_by`` and not cancelled, with their items,
    in id order: what a bill run may bill. The subscriptions over the customers' range (a short
    statement that uses the customer_id index on both databases), their items by their ids."""
    if not customer_ids:
        return []
    wanted = set(customer_ids)
    in_range = _SUB.customer_id.between(min(wanted), max(wanted))
    rows = [row for row in session.execute(
        select(*_SUBSCRIPTION_COLUMNS).where(in_range, _SUB.status != statuses.SubscriptionStatus.CANCELLED,
                                             _SUB.signed_on <= signed_by).order_by(_SUB.id))
            if row.customer_id in wanted]
    return _with_items(session, rows)


def subscriptions_in_force_of_operator(session: Session, operator_id: int, on: date,
                                       family: str | None = None) -> list[BilledSubscription]:
    """An operator's subscriptions in force on ``on`` (``statuses.is_in_force``: live, or ordered
    and not delivered yet), of one family when given, with their items, in id order."""
    query = select(*_SUBSCRIPTION_COLUMNS).where(
        _SUB.operator_id == operator_id, _SUB.status.in_((statuses.SubscriptionStatus.ORDERED, *statuses.LIVE_STATUSES)),
        or_(_SUB.termination_effective_on.is_(None), _SUB.termination_effective_on > on))
    if family:
        query = query.where(_SUB.family == family)
    rows = [row for row in session.execute(query.order_by(_SUB.id))
            if statuses.is_in_force(row.status, row.termination_effective_on, on)]
    by_operator = _SUB.operator_id == operator_id
    return _with_items(session, rows, by_operator if not family
                       else by_operator & (_SUB.family == family))

