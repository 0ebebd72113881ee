"""What other rooms may read of contracts: which subscriptions are live (one definition,
``rules.is_live``), for many customers in one query; which have ended, and when; what a
subscription is (its sheet, its status and dates); why one was suspended."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from clausier.contracts import rules
from clausier.contracts.models import Subscription, SubscriptionEvent

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


def subscription_statuses(session: Session | Connection, subscription_ids: Collection[int]
                          ) -> dict[int, str]:
    """Each subscription's status (ordered, active, suspended…), by id; on a session or a plain
    connection (a device's poll)."""
    ids = sorted(set(subscription_ids))
    return dict(session.execute(select(Subscription.id, Subscription.status)
                                .where(Subscription.id.in_(ids))).all())


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
    return {row[0]: SheetReference(*row[1:]) for row in session.execute(
        select(Subscription.id, Subscription.sheet_id, Subscription.sheet_version,
               Subscription.family).where(Subscription.id.in_(ids)))}


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
                       table.status.in_(("terminated", "cancelled")),
                       or_(table.terminated_on <= on, table.cancelled_on <= on))):
            found[row.id] = EndedSubscription(row.id, row.ref, row.customer_id,
                                              row.terminated_on or row.cancelled_on)
    return found
