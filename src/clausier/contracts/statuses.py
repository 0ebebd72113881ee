"""Where an order, a subscription and a change order stand: the contracts room's closed lists
of statuses (the tables store their text; other rooms compare with these members), and the one
definition of a live subscription (``is_live``), a rule of the room kept beside them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class OrderStatus(StrEnum):
    """Where an order (*bon de commande*) stands."""

    DRAFT = "draft"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"


class SubscriptionStatus(StrEnum):
    """Where a subscription stands in its lifecycle (``service.TRANSITIONS`` moves it)."""

    ORDERED = "ordered"
    ACTIVE = "active"
    RESTRICTED = "restricted"
    SUSPENDED = "suspended"
    NOTICE_GIVEN = "notice_given"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"


class ChangeOrderStatus(StrEnum):
    """A change order is requested (from the portal) or confirmed."""

    REQUESTED = "requested"
    CONFIRMED = "confirmed"


# --------------------------------------------------------------------------- live subscriptions

LIVE_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.RESTRICTED,
                 SubscriptionStatus.SUSPENDED, SubscriptionStatus.NOTICE_GIVEN)
"""The statuses of a delivered subscription whose contract runs: restricted or suspended for
unpaid bills it is still a contract in force, and a notice runs to its effective date."""


def is_live(status: str, termination_effective_on: date | None, on: date) -> bool:
    """A subscription is live on ``on`` when it is delivered and its contract has not ended:
    a live status, and no termination taking effect on or before that day (the effective date
    is the first day without service)."""
    return status in LIVE_STATUSES and (termination_effective_on is None
                                         or termination_effective_on > on)


def is_in_force(status: str, termination_effective_on: date | None, on: date) -> bool:
    """Signed and not ended: live, or ordered and not delivered yet (the contract has begun)."""
    return status == SubscriptionStatus.ORDERED or is_live(status, termination_effective_on, on)
