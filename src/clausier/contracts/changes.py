"""Change orders: adding or removing units and options, changing the offer, quoted from the terms.

Pure: the items in force, the catalogue offers the change names and the sheet's blocks come in;
the items after the change and an explained quote come out (one-off fees, the new monthly total,
the minimum billing, the new commitment end), every line with its clause.

* Technicophone (CGV art. 7.4): any change re-commits the whole service and its options for
  ``commitment.recommit_on_change_months`` from the change date; what a removal costs during
  the commitment is ``commitment.removal_fee_during_commitment``.
* Ozone (annex 1): the fee and effective date come from the plan-change grid
  (:func:`rules.quote_plan_change`); an upgrade is a higher offer or an added service, a
  downgrade a lower offer or a removed one (CGV art. 1 L61, L117).
* A sheet with neither refuses the change, naming the clause of the commitment it would break.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from clausier.contracts import rules, statuses
from clausier.contracts.rules import Refused
from clausier.core.errors import RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.message import msg
from clausier.core.money import ZERO, money
from clausier.terms.schema import Terms

ACTIONS = ("add", "remove", "option_add", "option_remove", "offer")

# Ozone families whose changes annex 1 prices, and the prefix of their rows in the grid.
GRID_ROWS = {"pack": "pack", "internet_adsl": "internet", "internet_fibre": "internet",
             "internet_radio": "internet", "voip": "telephony", "mobile": "telephony"}


@dataclass(frozen=True)
class Offered:
    """A catalogue offer at its list prices (per unit)."""

    code: str
    family: str
    label: str
    unit: str
    monthly_fee: Decimal
    access_fee: Decimal = ZERO
    one_off_price: Decimal = ZERO
    is_option: bool = False


@dataclass(frozen=True)
class Held:
    """An item in force: the offer and the prices agreed on the order."""

    offer_code: str
    label: str
    unit: str
    quantity: int
    monthly_fee: Decimal
    access_fee: Decimal = ZERO
    minimum_billing: Decimal | None = None
    is_option: bool = False

    @property
    def monthly_total(self) -> Decimal:
        return money(self.monthly_fee * self.quantity)

    def as_item(self) -> rules.Item:
        return rules.Item(self.label, self.unit, self.quantity, self.monthly_fee,
                          self.access_fee, self.access_fee, self.minimum_billing, self.is_option)

    def as_dict(self) -> dict:
        return {"offer": self.offer_code, "label": self.label, "unit": self.unit,
                "quantity": self.quantity, "monthly_fee": str(self.monthly_fee),
                "option": self.is_option}


@dataclass(frozen=True)
class Change:
    """One step of a change order: ``add``/``remove`` N units of an offer, ``option_add``/
    ``option_remove`` an option, or ``offer``: replace the main offer by another."""

    action: str
    offer_code: str
    quantity: int = 1

    def as_dict(self) -> dict:
        return {"action": self.action, "offer": self.offer_code, "quantity": self.quantity}

    @classmethod
    def from_dict(cls, data: dict) -> Change:
        return cls(data["action"], data["offer"], int(data.get("quantity", 1)))


@dataclass(frozen=True)
class ChangeOrderQuote:
    ordered_on: date
    effective_date: date
    before: tuple[Held, ...]
    after: tuple[Held, ...]
    one_off: Explained               # fees billed once, on the next invoice
    monthly: Explained               # the recurring fees in force from the effective date
    monthly_before: Decimal
    minimum_billing: Explained       # the monthly top-up to the order's minimum (empty if none)
    commitment_end_before: date | None
    commitment_end: date | None      # None: the commitment starts at go-live, not yet known
    recommit_months: int | None
    recommits: bool                  # False before go-live: the change amends the order
    recommit_clause: str = ""        # the clause re-committing the service
    live: bool = False               # the service has started: the one-off fees are charged now

    def as_dict(self) -> dict:
        def iso(day: date | None) -> str | None:
            return day.isoformat() if day else None
        return {"ordered_on": iso(self.ordered_on), "effective_date": iso(self.effective_date),
                "one_off": self.one_off.as_dict(), "monthly": self.monthly.as_dict(),
                "monthly_before": str(self.monthly_before),
                "minimum_billing": self.minimum_billing.as_dict(),
                "commitment_end_before": iso(self.commitment_end_before),
                "commitment_end": iso(self.commitment_end),
                "recommit_months": self.recommit_months, "recommits": self.recommits,
                "recommit_clause": self.recommit_clause, "live": self.live,
                "items": [held.as_dict() for held in self.after]}


@dataclass(frozen=True)
class QuotedChange:
    """A change order's quote as it was recorded (requested or confirmed), read back for the
    pages: every line with its computation and clause."""

    effective_date: date
    recommits: bool
    commitment_end: date | None
    recommit_months: int | None
    recommit_clause: str
    one_off: Explained
    monthly: Explained
    minimum_billing: Explained

    @classmethod
    def from_dict(cls, data: dict) -> QuotedChange:
        def day(key: str) -> date | None:
            return date.fromisoformat(data[key]) if data.get(key) else None
        return cls(day("effective_date"), bool(data.get("recommits")), day("commitment_end"),
                   data.get("recommit_months"), data.get("recommit_clause", ""),
                   *(Explained.from_dict(data.get(part))
                     for part in ("one_off", "monthly", "minimum_billing")))


# --------------------------------------------------------------------------- the items after

def apply_changes(held: tuple[Held, ...], changes: tuple[Change, ...],
                  offers: dict[str, Offered], family: str) -> tuple[Held, ...]:
    """The items in force once the changes are made (refused with the field and the reason)."""
    items = list(held)
    for index, change in enumerate(changes):
        field = f"changes.{index}"
        if change.action not in ACTIONS:
            raise RuleRefusal(Refused.change_action_unknown, f"{field}.action",
                              f"{change.action!r} is not one of {', '.join(ACTIONS)}")
        if change.quantity < 1:
            raise RuleRefusal(Refused.quantity_below_one, f"{field}.quantity", "must be at least 1")
        position = next((i for i, item in enumerate(items) if item.offer_code == change.offer_code),
                        None)
        if change.action in ("add", "option_add", "offer"):
            offer = offers.get(change.offer_code)
            if offer is None:
                raise RuleRefusal(Refused.offer_not_in_catalogue, f"{field}.offer",
                                  f"no offer {change.offer_code!r} in the catalogue")
            if offer.family != family:
                raise RuleRefusal(Refused.offer_of_another_family, f"{field}.offer",
                                  f"{offer.code} is a {offer.family} offer, not {family}")
            if change.action == "option_add" and not offer.is_option:
                raise RuleRefusal(Refused.offer_not_an_option, f"{field}.offer",
                                  f"{offer.code} is not an option")
            if change.action == "offer":
                items = _replace_main(items, offer, field)
            elif position is None:
                items.append(Held(offer.code, offer.label, offer.unit, change.quantity,
                                  offer.monthly_fee, offer.access_fee, None, offer.is_option))
            else:
                items[position] = replace(items[position],
                                          quantity=items[position].quantity + change.quantity)
            continue
        if position is None:
            raise RuleRefusal(Refused.offer_not_in_force, f"{field}.offer",
                              f"{change.offer_code} is not an item in force")
        item = items[position]
        if change.action == "option_remove" and not item.is_option:
            raise RuleRefusal(Refused.offer_not_an_option, f"{field}.offer",
                              f"{item.offer_code} is not an option")
        removed = item.quantity if change.action == "option_remove" else change.quantity
        if removed > item.quantity:
            raise RuleRefusal(Refused.quantity_above_held, f"{field}.quantity",
                              f"{removed} is more than the {item.quantity} {item.unit} in force")
        if removed == item.quantity:
            del items[position]
        else:
            items[position] = replace(item, quantity=item.quantity - removed)
    if not any(not item.is_option for item in items):
        raise RuleRefusal(Refused.no_main_service_left, "changes",
                          "the change leaves no main service; ending it is a termination "
                          "(contract quote-termination)")
    return tuple(items)


def _replace_main(items: list[Held], offer: Offered, field: str) -> list[Held]:
    if offer.is_option:
        raise RuleRefusal(Refused.offer_is_an_option, f"{field}.offer",
                          f"{offer.code} is an option, not an offer to change to")
    mains = [item for item in items if not item.is_option]
    if len(mains) != 1:
        raise RuleRefusal(Refused.several_main_items, f"{field}.offer",
                          f"the subscription has {len(mains)} main items; "
                          "name the units to add and remove instead")
    main = mains[0]
    new = Held(offer.code, offer.label, offer.unit, main.quantity, offer.monthly_fee,
               offer.access_fee, main.minimum_billing, False)
    return [new if item is main else item for item in items]


# --------------------------------------------------------------------------- the quote

def quote_change(facts: rules.Facts, terms: Terms, held: tuple[Held, ...],
                 changes: tuple[Change, ...], offers: dict[str, Offered], on: date, *,
                 recommit_months: int | None = None) -> ChangeOrderQuote:
    """What a change order costs and commits to when ordered on ``on`` (changes nothing)."""
    if facts.status in (statuses.SubscriptionStatus.TERMINATED, statuses.SubscriptionStatus.CANCELLED,
                        statuses.SubscriptionStatus.NOTICE_GIVEN):
        status = facts.status.replace("_", " ")
        raise RuleRefusal(Refused.subscription_not_changeable, "status",
                          f"no change on a subscription that is {status}")
    after = apply_changes(held, changes, offers, facts.family)
    started = rules.commitment_start(facts, terms)
    live = started is not None and started <= on
    end_before = rules.commitment_end(facts, terms)
    committed = live and end_before is not None and on <= end_before
    extension = _record_extension(terms, changes)
    if extension is not None:
        # Rozoh: user records added to a prepaid pack at their one-off price; the pack's term
        # is unchanged (nothing in the terms re-commits it).
        priced = _one_off(held, after, offers, terms, committed)
        one_off = Explained(tuple(replace(line, clause=f"{extension}; {line.clause}")
                                  for line in priced.lines)).with_note(
            msg("User records may be added at any time at an extra cost ({clause}); the pack's "
                "term is unchanged", clause=extension))
        end = end_before if live else None
        return ChangeOrderQuote(on, on, held, after, one_off, _monthly(after),
                                money(sum((item.monthly_total for item in held), ZERO)),
                                Explained(), end_before, end, None, False, "", live)
    if terms.plan_change is not None and terms.plan_change.fees:
        effective, one_off, months = _grid_quote(facts, terms, held, after, changes, offers, on,
                                                 recommit_months)
    else:
        effective = on
        # A sheet that allows no change refuses a removal with that clause too, before asking
        # what a removal costs.
        months = _recommit_months(terms, facts.family)
        one_off = _one_off(held, after, offers, terms, committed)
    monthly_before = money(sum((item.monthly_total for item in held), ZERO))
    monthly = _monthly(after)
    end = None
    if live:
        renewed = replace(facts, recommitted_on=effective, recommit_months=months)
        end = rules.commitment_end(renewed, terms)
    else:
        one_off = one_off.with_note(
            msg("Ordered before go-live: the change amends the order; the commitment of {n} "
                "months starts at go-live ({clause})", n=facts.commitment_months,
                clause=_start_clause(terms)))
    return ChangeOrderQuote(on, effective, held, after, one_off, monthly, monthly_before,
                            minimum_top_up(after, terms), end_before, end, months, live,
                            _recommit_clause(terms), live)


def _monthly(after: tuple[Held, ...]) -> Explained:
    return Explained(tuple(
        Line(item.label, item.monthly_total,
             msg("{quantity} × {fee}", quantity=item.quantity, fee=item.monthly_fee),
             f"order / price list ({item.offer_code})") for item in after))


def _record_extension(terms: Terms, changes: tuple[Change, ...]) -> str | None:
    """The clause letting a prepaid pack take more user records at any time, when the change
    only adds such options (None otherwise)."""
    pack = terms.pack
    allowed = pack.extra_records_purchasable if pack else None
    if allowed is None or not allowed.value:
        return None
    if not all(change.action == "option_add" for change in changes):
        return None
    return allowed.clause


def _recommit_clause(terms: Terms) -> str:
    commitment = terms.commitment
    for sourced in (commitment.recommit_on_change_choices_months if commitment else None,
                    commitment.recommit_on_change_months if commitment else None):
        if sourced is not None:
            return sourced.clause
    return ""


def _start_clause(terms: Terms) -> str:
    commitment = terms.commitment
    return commitment.start_event.clause if commitment and commitment.start_event else ""


def _recommit_months(terms: Terms, family: str) -> int:
    commitment = terms.commitment
    if commitment is None or commitment.recommit_on_change_months is None:
        clause = (commitment.initial_months.clause
                  if commitment and commitment.initial_months else "the term sheet")
        raise RuleRefusal(Refused.no_change_during_term, "change",
                          f"the terms allow no change of {family} subscriptions during "
                          f"their term ({clause}): order a new subscription",
                          None if clause == "the term sheet" else clause)
    return commitment.recommit_on_change_months.value


def _one_off(held: tuple[Held, ...], after: tuple[Held, ...], offers: dict[str, Offered],
             terms: Terms, committed: bool) -> Explained:
    """Access fees (and one-off prices) of the units added; the removal rule for those removed."""
    before = {item.offer_code: item for item in held}
    lines: list[Line] = []
    for item in after:
        held_before = before.get(item.offer_code)
        added = item.quantity - (held_before.quantity if held_before else 0)
        offer = offers.get(item.offer_code)
        if added <= 0:
            continue
        access = item.access_fee
        if access:
            lines.append(Line(msg("Access fees: {label}", label=item.label), money(access * added),
                              msg("{quantity} × {fee}", quantity=added, fee=access),
                              f"order / price list ({item.offer_code})"))
        if offer is not None and offer.one_off_price:
            lines.append(Line(msg("One-off price: {label}", label=item.label),
                              money(offer.one_off_price * added),
                              msg("{quantity} × {fee}", quantity=added, fee=offer.one_off_price),
                              f"order / price list ({item.offer_code})"))
    remaining = {item.offer_code: item.quantity for item in after}
    removed = [(item, item.quantity - remaining.get(item.offer_code, 0)) for item in held
               if item.quantity > remaining.get(item.offer_code, 0)]
    rule = terms.commitment.removal_fee_during_commitment if terms.commitment else None
    for item, count in removed:
        if not committed:
            continue
        if rule is None:
            raise RuleRefusal(Refused.removal_during_commitment_unsettled, "change",
                              f"the terms say nothing of removing {item.label} during the "
                              "commitment; record a reading "
                              "(commitment.removal_fee_during_commitment)")
        lines.append(Line(msg("Removal during the commitment: {label}", label=item.label),
                          money(rule.value * count),
                          msg("{rest} (no longer billed from the change date; the whole service "
                              "re-commits)", rest=msg("{quantity} × {fee}", quantity=count,
                                                     fee=rule.value)), rule.clause))
    return Explained(tuple(lines))


def _grid_quote(facts: rules.Facts, terms: Terms, held: tuple[Held, ...], after: tuple[Held, ...],
                changes: tuple[Change, ...], offers: dict[str, Offered], on: date,
                recommit_months: int | None) -> tuple[date, Explained, int | None]:
    """Ozone annex 1: the row of the family, upgrade or downgrade by what the customer pays and
    what it keeps (a removed service is a downgrade, CGV art. 1 L61, L117)."""
    prefix = GRID_ROWS.get(facts.family)
    grid = terms.plan_change.fees
    if prefix is None:
        raise RuleRefusal(Refused.family_not_in_change_grid, "change",
                          f"the plan-change grid ({grid[0].src} … {grid[-1].src}) has no "
                          f"row for {facts.family} subscriptions: order a new subscription")
    removes = any(change.action in ("remove", "option_remove") for change in changes)
    total_before = sum((item.monthly_total for item in held), ZERO)
    total_after = sum((item.monthly_total for item in after), ZERO)
    direction = "downgrade" if removes or total_after < total_before else "upgrade"
    quote = rules.quote_plan_change(facts, terms, f"{prefix}_{direction}", on,
                                    recommit_months=recommit_months)
    return quote.effective_date, quote.explained, quote.recommit_months


def minimum_top_up(after: tuple[Held, ...], terms: Terms) -> Explained:
    """The monthly top-up to the minimum billing set on the order (zero when reached)."""
    minimum = sum((item.minimum_billing or ZERO for item in after), ZERO)
    billing = terms.billing
    applies = billing and billing.minimum_billing and billing.minimum_billing.value
    if minimum == ZERO or not applies:
        return Explained()
    fees = money(sum((item.monthly_total for item in after), ZERO))
    return Explained((Line(msg("Monthly top-up to the minimum billing"), max(ZERO, minimum - fees),
                           msg("{minimum} minimum − {fees} monthly fees", minimum=minimum,
                               fees=fees),
                           billing.minimum_billing.clause),))
