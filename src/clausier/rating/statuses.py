"""The rating room's statuses, kept apart from the rules that use them so that the tables
(``rating.models``) load without Polars: a read command such as ``clausier payment list``
reaches them through billing."""

from __future__ import annotations

from enum import StrEnum


class BreachStatus(StrEnum):
    """A fair-use breach: open, then acknowledged by staff or the unlimited option suspended."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    UNLIMITED_SUSPENDED = "unlimited_suspended"


class AlertStatus(StrEnum):
    """A fraud or compliance alert: open, then confirmed or dismissed by staff."""

    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class ProposalStatus(StrEnum):
    """A penalty proposed to staff: billed once confirmed, or rejected."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class PayoutClaimStatus(StrEnum):
    """A payout request (*appel à facturation*), answered by the client's invoice."""

    REQUESTED = "requested"
