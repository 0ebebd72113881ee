"""What other rooms may read of contracts, for many customers or subscriptions at once: which
subscriptions are live (one definition, ``rules.is_live``), their statuses, the sheets they were
signed under, why they were suspended."""

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
