"""What other rooms may read of contracts: which subscriptions are live (one definition,
``rules.is_live``), for many customers in one query; the outlines and items of subscriptions
and the subscriptions that carry service identifiers, for many at once (rating reads them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

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
    (``rules.LIVE_STATUSES``) that carry a service identifier, in order of id."""
    table = Subscription.__table__.c
    return [(identifier, family) for identifier, family in session.execute(
        select(table.service_identifier, table.family)
        .where(table.service_identifier.is_not(None), table.status.in_(rules.LIVE_STATUSES))
        .order_by(table.id).limit(limit))]
