"""What a bill run drafts a customer's invoice from (plain facts of the subscriptions, their
items and revisions, usage and queued charges) and what a draft records of the months it bills.
Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from clausier.core.money import (
    ZERO,
)

# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class PriceStep:
    """A monthly fee in force from ``effective_on`` (indexation or price change)."""

    effective_on: date
    old_fee: Decimal
    new_fee: Decimal
    note: str = ""          # the revision's explanation, shown on the next invoice


@dataclass(frozen=True)
class ItemFacts:
    """One offer of a subscription, at the order's prices (per unit)."""

    label: str
    quantity: int
    monthly_fee: Decimal
    price_basis: str = "HT"
    vat_rate: str = "normal"
    access_fee: Decimal = ZERO
    one_off_price: Decimal = ZERO
    minimum_billing: Decimal | None = None
    active_from: date | None = None
    active_until: date | None = None          # first day without the item
    common: bool = False                      # a fee common to several sites
    revisions: tuple[PriceStep, ...] = ()

    def fee_on(self, day: date) -> tuple[Decimal, PriceStep | None]:
        """The monthly fee in force on ``day`` and the revision that set it (if any)."""
        if not self.revisions:
            return self.monthly_fee, None
        fee, step = self.monthly_fee, None
        for revision in sorted(self.revisions, key=lambda r: r.effective_on):
            if revision.effective_on <= day:
                fee, step = revision.new_fee, revision
        return fee, step


@dataclass(frozen=True)
class BilledMonthFacts:
    """A month already billed: ``days`` of ``month_days`` for ``amount``."""

    month: date
    days: int
    month_days: int
    amount: Decimal


@dataclass(frozen=True)
class SubscriptionFacts:
    id: int
    ref: str
    family: str
    site_id: int | None
    site_name: str
    signed_on: date
    items: tuple[ItemFacts, ...]
    status: str = "active"
    go_live_on: date | None = None
    equipment_received_on: date | None = None
    end_on: date | None = None                 # first day without service
    periodicity_months: int = 1
    billed_through: date | None = None         # last month already billed (first day)
    billed_until: date | None = None           # imported: last day billed by the old system
    billed_after_end: tuple[BilledMonthFacts, ...] = ()   # billed months from the last one of service


@dataclass(frozen=True)
class UsageFacts:
    id: int
    subscription_id: int
    month: date
    amount: Decimal
    basis: str
    vat_rate: str = "normal"
    label: str = ""
    records: int = 0
    annex: dict = field(default_factory=dict)    # the rating's month per destination class


@dataclass(frozen=True)
class ChargeFacts:
    id: int
    subscription_id: int | None
    label: str
    amount: Decimal
    basis: str
    incurred_on: date
    vat_rate: str = "normal"
    explanation: dict = field(default_factory=dict)



@dataclass(frozen=True)
class MonthBilled:
    """What a draft bills of a subscription's month (to be stored as a ``BilledMonth``)."""

    subscription_id: int
    month: date
    days: int
    month_days: int
    amount: Decimal


@dataclass(frozen=True)
class MonthRevised:
    """A billed month whose due share fell after the service ended (credited on this invoice)."""

    subscription_id: int
    month: date
    days: int
    amount: Decimal


def item_facts(item, common_offers: set[int], revisions: dict[int, list[PriceStep]]) -> ItemFacts:
    """An item of a subscription (``contracts.facts.BilledItem``) as the rules bill it."""
    return ItemFacts(
        label=item.label, quantity=item.quantity, monthly_fee=item.monthly_fee,
        price_basis=item.price_basis, vat_rate=item.vat_rate, access_fee=item.access_fee,
        one_off_price=item.one_off_price, minimum_billing=item.minimum_billing,
        active_from=item.active_from, active_until=item.active_until,
        common=item.offer_id in common_offers, revisions=tuple(revisions.get(item.id, ())))
