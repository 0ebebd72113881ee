"""Equipment use cases: inventory moves, returns and their penalties, damaged returns, sold items,
installation appointments, SIM cards, and the daily tick step.

Figures come from the term sheet of the subscription the item serves (``contracts.terms_of``);
amounts go to the next invoice through ``billing.ledger.charges.add_charge`` (idempotent per event).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session

from clausier.accounts import rules as account_rules
from clausier.audit.service import Actor, record
from clausier.billing.ledger.charges import add_charge
from clausier.catalog import facts as catalog_facts
from clausier.contracts import facts as contract_facts
from clausier.contracts import rules as contract_rules
from clausier.contracts import service as contracts
from clausier.contracts.statuses import SubscriptionStatus as _S
from clausier.core import sealed
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.message import Message, msg
from clausier.core.money import money
from clausier.core.settings import Settings
from clausier.db.lookup import get_or_not_found
from clausier.equipment import rules
from clausier.equipment.models import Appointment, EquipmentItem, SimCard
from clausier.equipment.rules import AppointmentStatus, SimStatus
from clausier.terms.schema import Terms, UsageFlags

# --------------------------------------------------------------------------- helpers


def get_item(session: Session, serial_or_id: str | int) -> EquipmentItem:
    # Serials first (an ICCID is all digits, and too long to be an id); then the id.
    item = session.scalars(select(EquipmentItem).where(EquipmentItem.serial == str(serial_or_id))
                           .order_by(EquipmentItem.id)).first()
    if item is None and str(serial_or_id).isdecimal() and len(str(serial_or_id)) <= 9:
        item = session.get(EquipmentItem, int(serial_or_id))
    if item is None:
        raise NotFound(f"equipment: {serial_or_id} not found", resource="equipment")
    return item


def _terms(session: Session, item: EquipmentItem) -> Terms:
    if item.subscription_id is None:
        raise NotAllowed(f"subscription: item {item.serial} serves no subscription, so no terms apply",
                         code=rules.Refused.equipment_serves_no_subscription)
    return contracts.terms_of(session, _subscription(session, item.subscription_id))


def _subscription(session: Session, subscription_id: int) -> contract_facts.SubscriptionFacts:
    return contract_facts.subscriptions(session, [subscription_id])[subscription_id]


def kinds_of(session: Session, items: Collection[EquipmentItem]
             ) -> dict[int, catalog_facts.EquipmentKindFacts]:
    """The catalogue's kinds of these items (code, name, prices), by kind id."""
    return catalog_facts.equipment_kinds(session, {item.kind_id for item in items})


def kind_of(session: Session, item: EquipmentItem) -> catalog_facts.EquipmentKindFacts:
    """The catalogue's kind of this item."""
    return kinds_of(session, [item])[item.kind_id]


def facts(session: Session, item: EquipmentItem) -> rules.ItemFacts:
    return rules.ItemFacts(kind=kind_of(session, item).code, serial=item.serial,
                           provision_mode=item.provision_mode or "loaned", owner=item.owner,
                           replacement_value=item.replacement_value, sale_price=item.sale_price,
                           received_on=item.received_on, paid_in_full_on=item.paid_in_full_on)


def _move(session: Session, clock: Clock, actor: Actor, item: EquipmentItem, allowed: tuple[str, ...],
          target: str, on: date, summary: str = "") -> None:
    if item.state not in allowed:
        raise NotAllowed(f"state: item {item.serial} is {item.state}; it can become {target} only "
                         f"from {', '.join(allowed)}",
                         code=rules.Refused.equipment_state_not_allowed)
    before, item.state = item.state, target
    record(session, clock, actor, f"equipment.{target}", item,
           msg("{serial}: {before} → {target} on {date} — {summary}" if summary
               else "{serial}: {before} → {target} on {date}", serial=item.serial, before=before,
               target=target, date=on, summary=summary or ""),
           {"state": [before, target]})


def _charge(session: Session, clock: Clock, actor: Actor, *, customer_id: int,
            subscription_id: int | None, source: str, key: str, label: str, explained: Explained,
            basis: str, on: date) -> None:
    add_charge(session, clock, actor, customer_id=customer_id, subscription_id=subscription_id,
               source=source, source_key=key, label=label, explained=explained, price_basis=basis,
               incurred_on=on)


# --------------------------------------------------------------------------- inventory

def register_item(session: Session, clock: Clock, actor: Actor, operator_id: int, kind_code: str,
                  serial: str) -> EquipmentItem:
    """Put a new serialised item in stock, valued at the catalogue prices of its kind."""
    serial = serial.strip()
    if not serial:
        raise InvalidInput.on("serial", "is required", code=rules.Refused.equipment_serial_missing)
    kind = catalog_facts.equipment_kinds_by_code(session, operator_id, [kind_code]).get(kind_code)
    if kind is None:
        raise InvalidInput.on("kind", f"no equipment kind {kind_code!r} in this operator's catalogue",
                              code=rules.Refused.equipment_kind_unknown)
    if session.scalar(select(EquipmentItem.id).where(EquipmentItem.operator_id == operator_id,
                                                     EquipmentItem.serial == serial)):
        raise Conflict(f"serial: {serial} is already in the inventory",
                       code=rules.Refused.equipment_serial_taken)
    item = EquipmentItem(operator_id=operator_id, kind_id=kind.id, serial=serial, state="in_stock",
                         replacement_value=kind.replacement_value, sale_price=kind.sale_price,
                         monthly_rent=kind.monthly_rent, price_basis=kind.price_basis,
                         created_at=clock.now())
    session.add(item)
    record(session, clock, actor, "equipment.register", item, msg("{serial} ({kind}) in stock", serial=serial,
                                                                    kind=kind_code))
    return item


def ship(session: Session, clock: Clock, actor: Actor, serial: str, subscription_ref: str | int,
         provision_mode: str, on: date, *, received_on: date | None = None,
         replacement_value: Decimal | None = None, sale_price: Decimal | None = None,
         monthly_rent: Decimal | None = None) -> EquipmentItem:
    """Ship an item for a subscription (to its site), loaned, rented or sold; prices from the
    order when given, else the catalogue's."""
    if provision_mode not in rules.PROVISION_MODES:
        raise InvalidInput.on("provision_mode", f"{provision_mode!r} is not one of "
                                                f"{', '.join(rules.PROVISION_MODES)}",
                              code=rules.Refused.provision_mode_unknown)
    item = get_item(session, serial)
    subscription = contracts.get_subscription(session, subscription_ref)
    if subscription.operator_id != item.operator_id:
        raise InvalidInput.on("subscription", f"{subscription.ref} is another operator's",
                              code=rules.Refused.subscription_of_another_operator)
    _move(session, clock, actor, item, ("in_stock",), "shipped", on, f"{provision_mode} to {subscription.ref}")
    item.provision_mode = provision_mode
    item.customer_id, item.subscription_id, item.site_id = (subscription.customer_id, subscription.id,
                                                            subscription.site_id)
    item.shipped_on = on
    for name, value in (("replacement_value", replacement_value), ("sale_price", sale_price),
                        ("monthly_rent", monthly_rent)):
        if value is not None:
            setattr(item, name, money(value))
    if kind_of(session, item).code == "sim" and item.sim is not None:
        item.sim.status = SimStatus.ACTIVE
    _subscription_event(session, clock, actor, item, "shipment", on)
    if received_on is not None:
        record_receipt(session, clock, actor, item.serial, received_on)
    return item


# The item's column of each event of its journey to the customer.
_ITEM_EVENTS = {"shipment": "shipped_on", "delivery": "delivered_on", "receipt": "received_on"}


def _subscription_event(session: Session, clock: Clock, actor: Actor, item: EquipmentItem, event: str,
                        on: date) -> None:
    """The first item shipped, delivered or received for a subscription not yet live (or live
    since that day) dates the subscription's event: the rules counting from the shipment of a
    pack, the delivery of goods or the receipt of the equipment read it from the contract."""
    subscription = contracts.get_subscription(session, item.subscription_id)
    recorded = getattr(contracts.lifecycle(subscription), event)
    live_since = subscription.go_live_on
    if recorded is None and (live_since is None or on <= live_since):
        contracts.record_event(session, clock, actor, subscription.id, event, on, source=f"equipment {item.serial}")


def _record_arrival(session: Session, clock: Clock, actor: Actor, serial: str, event: str,
                    on: date) -> EquipmentItem:
    item = get_item(session, serial)
    column = _ITEM_EVENTS[event]
    if item.shipped_on is None or item.subscription_id is None:
        raise NotAllowed(f"state: {item.serial} was never shipped to a customer",
                         code=rules.Refused.equipment_never_shipped)
    journey = contract_rules.Lifecycle(date.min, **{name: getattr(item, attr) for name, attr in _ITEM_EVENTS.items()})
    refusal = contract_rules.lifecycle_refusal(journey, event, on)
    if refusal is not None and refusal.code == "already_recorded":
        raise Conflict(f"{refusal.field}: {item.serial}: {refusal.reason}",
                       code=rules.Refused.equipment_event_already_recorded)
    if refusal is not None:
        raise InvalidInput.on(refusal.field, f"{item.serial}: {refusal.reason}",
                              code=f"equipment_event_{refusal.code}")
    if on > clock.today():
        raise InvalidInput.on("on", f"{on.isoformat()} is in the future: an event is recorded once it happened",
                              code=rules.Refused.equipment_event_in_the_future)
    setattr(item, column, on)
    record(session, clock, actor, f"equipment.{event}", item, msg("{serial}: {event} on {date}", serial=item.serial, event=event, date=on),
           {"event": event, "on": on.isoformat()})
    _subscription_event(session, clock, actor, item, event, on)
    return item


def record_delivery(session: Session, clock: Clock, actor: Actor, serial: str, on: date) -> EquipmentItem:
    """The carrier delivered the item at the customer's (the withdrawal period of goods runs
    from the delivery, where the sheet says so)."""
    return _record_arrival(session, clock, actor, serial, "delivery", on)


def record_receipt(session: Session, clock: Clock, actor: Actor, serial: str, on: date) -> EquipmentItem:
    """The customer received the item: the warranty of a sold item runs from here (and, at
    Ozone, the latest start of billing)."""
    return _record_arrival(session, clock, actor, serial, "receipt", on)


def install(session: Session, clock: Clock, actor: Actor, serial: str, on: date) -> EquipmentItem:
    item = get_item(session, serial)
    _move(session, clock, actor, item, ("shipped",), "installed", on)
    if item.received_on is None:        # installed at the customer's: received that day at the latest
        record_receipt(session, clock, actor, item.serial, on)
    return item


def record_paid_in_full(session: Session, clock: Clock, actor: Actor, serial: str, on: date) -> EquipmentItem:
    """Payments call this when a sold item's price is fully paid: title passes to the customer
    where the sheet keeps it until then."""
    item = get_item(session, serial)
    if item.provision_mode != "sold":
        raise NotAllowed(f"provision_mode: {item.serial} is {item.provision_mode}, not sold",
                         code=rules.Refused.equipment_not_sold)
    item.paid_in_full_on = on
    owner, why = rules.owner_on(facts(session, item), _terms(session, item), on)
    if owner == "customer" and item.owner != "customer":
        item.owner, item.ownership_passed_on = "customer", on
        item.state = "sold"
    record(session, clock, actor, "equipment.paid_in_full", item, f"{item.serial}: {why}")
    return item


def ownership(session: Session, serial: str, on: date) -> dict:
    """Who owns the item on ``on``, why, and the warranty end of a sold item."""
    item = get_item(session, serial)
    terms = _terms(session, item)
    owner, why = rules.owner_on(facts(session, item), terms, on)
    warranty = rules.warranty_end(facts(session, item), terms)
    return {"serial": item.serial, "owner": owner, "why": why,
            "warranty_until": warranty[0].isoformat() if warranty else None,
            "warranty_clause": warranty[1] if warranty else None}


def mark_lost(session: Session, clock: Clock, actor: Actor, serial: str, on: date) -> EquipmentItem:
    """Lost before reaching the customer (stock, transport): leaves the inventory, nobody is billed."""
    item = get_item(session, serial)
    _move(session, clock, actor, item, ("in_stock", "shipped"), "lost", on)
    item.lost_on = on
    return item


# --------------------------------------------------------------------------- returns

def open_return(session: Session, clock: Clock, actor: Actor, serial: str, reason: str,
                effective_on: date, due_on: date | None = None) -> rules.ReturnTerms | None:
    """Open the return obligation of an item at the customer (``due_on``: the deadline the
    operator stated, where the sheet leaves it to the termination acknowledgement)."""
    item = get_item(session, serial)
    if item.state not in rules.AT_CUSTOMER:
        raise NotAllowed(f"state: {item.serial} is {item.state}, not at the customer",
                         code=rules.Refused.equipment_not_at_the_customer)
    try:
        obligation = rules.return_terms(facts(session, item), _terms(session, item), reason=reason,
                                        effective_on=effective_on)
    except RuleRefusal as exc:
        raise exc.as_error(NotAllowed) from None
    if obligation is None:
        return None
    if due_on is not None:
        obligation = rules.with_deadline(obligation, due_on)
    item.return_reason, item.return_due_on = reason, obligation.due_on
    item.return_to, item.return_terms = obligation.return_to, obligation.as_dict()
    if obligation.return_to == "manufacturer":
        item.owner = "manufacturer"
    record(session, clock, actor, "equipment.return_due", item,
           msg("{serial}: return to the {place} by {date} ({clause})" if obligation.due_on
               else "{serial}: return to the {place} by the date stated by the operator ({clause})",
               serial=item.serial, place=obligation.return_to, date=obligation.due_on,
               clause=obligation.clause), obligation.as_dict())
    return obligation


def _obligation(session: Session, item: EquipmentItem) -> rules.ReturnTerms:
    """The recorded obligation, recomputed from the sheet so its explanation is the current one."""
    sub = _subscription(session, item.subscription_id)
    effective = _effective_end(sub)
    obligation = rules.return_terms(facts(session, item), contracts.terms_of(session, sub),
                                    reason=item.return_reason, effective_on=effective)
    return rules.with_deadline(obligation, item.return_due_on) if item.return_due_on else obligation


def handle_overdue(session: Session, clock: Clock, actor: Actor, serial: str, day: date) -> str | None:
    """Apply the sheet's consequence of a missed return deadline, once: bill the penalty (and pass
    ownership where the sheet says so), sell, flag for repossession, or only report."""
    item = get_item(session, serial)
    if item.overdue_handled_on is not None or item.return_due_on is None or day <= item.return_due_on \
            or item.state not in rules.AT_CUSTOMER:
        return None
    obligation = _obligation(session, item)
    if obligation.penalty is not None:
        _charge(session, clock, actor, customer_id=item.customer_id,
                subscription_id=item.subscription_id, source="equipment_non_return",
                key=f"{item.id}:{item.return_due_on.isoformat()}",
                label=msg("Non-returned equipment {serial}", serial=item.serial), explained=obligation.penalty,
                basis=obligation.basis, on=day)
    item.overdue_handled_on, item.overdue_action = day, obligation.on_overdue
    if obligation.ownership_passes:
        item.owner, item.ownership_passed_on, item.state = "customer", day, "sold"
    record(session, clock, actor, "equipment.overdue", item,
           _overdue_summary(item, obligation),
           {"action": obligation.on_overdue})
    return obligation.on_overdue


def _overdue_summary(item: EquipmentItem, obligation) -> Message:
    """The audit's sentence of a missed return, its parts messages in turn (read in the
    reader's language)."""
    after = (msg("; ownership passes to the customer") if obligation.ownership_passes
             else msg("; still to be returned") if obligation.still_to_return else "")
    return msg("{serial}: not returned by {date} → {action}{billed}{after}", serial=item.serial,
               date=item.return_due_on.isoformat(), action=obligation.on_overdue,
               billed=msg(", {amount} billed", amount=obligation.penalty.total)
               if obligation.penalty else "", after=after)


def record_return(session: Session, clock: Clock, actor: Actor, serial: str, on: date,
                  condition: str = "good", repair_cost: Decimal | None = None) -> Explained | None:
    """The item came back. In bad working order, the repairs are billed up to its replacement
    value; returns the explained repair charge, if any."""
    if condition not in ("good", "damaged"):
        raise InvalidInput.on("condition", "must be good or damaged",
                              code=rules.Refused.return_condition_unknown)
    item = get_item(session, serial)
    if item.owner == "customer":
        raise NotAllowed(f"owner: {item.serial} belongs to the customer; the operator takes no return",
                         code=rules.Refused.equipment_owned_by_the_customer)
    _move(session, clock, actor, item, rules.AT_CUSTOMER, "returned", on, condition)
    item.returned_on, item.return_condition = on, condition
    if condition == "good":
        return None
    if repair_cost is None:
        raise InvalidInput.on("repair_cost", "a damaged return needs the repair cost",
                              code=rules.Refused.repair_cost_missing)
    try:
        explained = rules.repair_charge(item.serial, repair_cost, item.replacement_value,
                                        _terms(session, item))
    except RuleRefusal as exc:
        raise exc.as_error(NotAllowed) from None
    _charge(session, clock, actor, customer_id=item.customer_id, subscription_id=item.subscription_id,
            source="equipment_repair", key=f"{item.id}:{on.isoformat()}",
            label=msg("Repairs of returned equipment {serial}", serial=item.serial), explained=explained,
            basis=item.price_basis, on=on)
    return explained


def put_back_in_stock(session: Session, clock: Clock, actor: Actor, serial: str, on: date) -> EquipmentItem:
    """A returned item, checked, goes back to stock for another customer."""
    item = get_item(session, serial)
    _move(session, clock, actor, item, ("returned",), "in_stock", on)
    for name in ("customer_id", "subscription_id", "site_id", "provision_mode", "shipped_on", "delivered_on", "received_on",
                 "installed_on", "return_reason", "return_due_on", "return_to", "overdue_handled_on",
                 "overdue_action", "returned_on", "return_condition"):
        setattr(item, name, None)
    item.return_terms = {}
    return item


def _effective_end(subscription: contract_facts.SubscriptionFacts) -> date | None:
    return (subscription.cancelled_on if subscription.termination_reason == "withdrawal"
            else subscription.termination_effective_on or subscription.terminated_on)


def _open_due_returns(session: Session, clock: Clock, actor: Actor, day: date,
                      customer_id: int | None = None) -> int:
    """Items still at the customer of services that ended (terminated, or withdrawn from)."""
    items = session.scalars(select(EquipmentItem).where(
        EquipmentItem.state.in_(rules.AT_CUSTOMER), EquipmentItem.return_reason.is_(None),
        EquipmentItem.subscription_id.is_not(None), _of_customer(customer_id))
        .order_by(EquipmentItem.id)).all()
    subscriptions = contract_facts.subscriptions(session, {item.subscription_id for item in items})
    rows = [(item, sub) for item in items
            if (sub := subscriptions.get(item.subscription_id)) is not None
            and (sub.status == _S.TERMINATED
                 or (sub.status == _S.CANCELLED and sub.termination_reason == "withdrawal"))]
    opened = 0
    for item, sub in rows:
        effective = _effective_end(sub)
        if effective is None or effective > day:
            continue
        reason = "withdrawal" if sub.termination_reason == "withdrawal" else "termination"
        if open_return(session, clock, actor, item.serial, reason, effective) is not None:
            opened += 1
    return opened


@dataclass(frozen=True)
class ReturnAddress:
    """Where an item goes back: ``to`` the operator (its name and address in the catalogue) or
    the manufacturer (a Rozoh module SIM: no address of ours)."""

    to: str
    name: str = ""
    address: str = ""


@dataclass(frozen=True)
class ReturnDue:
    """An item still to come back, its catalogue kind and its obligation (what missing the
    deadline bills, under which clause); ``send_to`` is given to the customer only
    (``returns_of_customer``). The edges show it with ``shapes.return_dict``."""

    item: EquipmentItem
    kind: catalog_facts.EquipmentKindFacts
    obligation: rules.ReturnTerms
    send_to: ReturnAddress | None = None


def _return_due(session: Session, item: EquipmentItem) -> ReturnDue:
    return ReturnDue(item, kind_of(session, item), _obligation(session, item))


def returns_due(session: Session, start: date, end: date, customer_id: int | None = None) -> list[ReturnDue]:
    """Open returns whose deadline falls in [start, end], each with what missing it will bill."""
    query = select(EquipmentItem).where(EquipmentItem.state.in_(rules.AT_CUSTOMER),
                                        EquipmentItem.return_due_on.is_not(None),
                                        EquipmentItem.overdue_handled_on.is_(None),
                                        EquipmentItem.return_due_on >= start,
                                        EquipmentItem.return_due_on <= end)
    if customer_id is not None:
        query = query.where(EquipmentItem.customer_id == customer_id)
    return [_return_due(session, item)
            for item in session.scalars(query.order_by(EquipmentItem.return_due_on, EquipmentItem.id))]


def returns_of_customer(session: Session, customer_id: int) -> list[ReturnDue]:
    """Everything one customer still has to send back, whatever the deadline: not yet due, past due
    and awaiting the daily tick, or already penalised but still owed (the CinéTime box); each with
    what missing the deadline bills and where to send it (the operator's address of the catalogue,
    or the manufacturer for a Rozoh module SIM)."""
    items = session.scalars(select(EquipmentItem).where(
        EquipmentItem.customer_id == customer_id, EquipmentItem.state.in_(rules.AT_CUSTOMER),
        EquipmentItem.return_reason.is_not(None))
        .order_by(EquipmentItem.return_due_on, EquipmentItem.id)).all()
    operators = catalog_facts.operators(session, {item.operator_id for item in items})
    rows = []
    for item in items:
        obligation = _obligation(session, item)
        if item.overdue_handled_on is not None and not obligation.still_to_return:
            continue            # invoiced instead of returned: nothing left to send back
        operator = operators[item.operator_id]
        send_to = (ReturnAddress("manufacturer") if item.return_to == "manufacturer"
                   else ReturnAddress("operator", operator.legal_name or operator.name,
                                      operator.address))
        rows.append(ReturnDue(item, kind_of(session, item), obligation, send_to))
    return rows


# --------------------------------------------------------------------------- appointments

def book_appointment(session: Session, clock: Clock, actor: Actor, subscription_ref: str | int,
                     scheduled_at: datetime, price: Decimal) -> Appointment:
    """An installation appointment agreed with the customer, at the price of the quote."""
    subscription = contracts.get_subscription(session, subscription_ref)
    if scheduled_at.tzinfo is None:
        raise InvalidInput.on("scheduled_at", "needs a timezone",
                              code=rules.Refused.appointment_time_naive)
    appointment = Appointment(customer_id=subscription.customer_id, subscription_id=subscription.id,
                              site_id=subscription.site_id, scheduled_at=scheduled_at, price=money(price),
                              price_basis=subscription.items[0].price_basis if subscription.items else "HT",
                              status=AppointmentStatus.PLANNED, created_at=clock.now())
    session.add(appointment)
    record(session, clock, actor, "appointment.book", appointment,
           msg("{ref}: installation on {at}", ref=subscription.ref, at=scheduled_at.isoformat()))
    return appointment


def cancel_appointment(session: Session, clock: Clock, actor: Actor, appointment_id: int) -> Explained | None:
    """The customer cancels now (the clock's instant): billed when less than the sheet's business
    hours ahead; returns the explained charge, if any."""
    appointment = get_or_not_found(session, Appointment, appointment_id, resource="appointment")
    if appointment.status != AppointmentStatus.PLANNED:
        raise NotAllowed(f"status: appointment {appointment_id} is {appointment.status}",
                         code=rules.Refused.appointment_not_planned)
    now = clock.now()
    appointment.status, appointment.cancelled_at = AppointmentStatus.CANCELLED, now
    subscription = _subscription(session, appointment.subscription_id)
    fee = rules.appointment_cancellation_fee(appointment.scheduled_at, now, appointment.price,
                                             contracts.terms_of(session, subscription))
    if fee is not None:
        _charge(session, clock, actor, customer_id=appointment.customer_id,
                subscription_id=subscription.id, source="appointment_cancellation",
                key=str(appointment.id), label=msg("Late cancellation of installation — {ref}",
                                                            ref=subscription.ref),
                explained=fee, basis=appointment.price_basis, on=now.date())
    record(session, clock, actor, "appointment.cancel", appointment,
           msg("cancelled {at}, {amount} billed" if fee else "cancelled {at}, free",
               at=now.isoformat(), amount=fee.total if fee else None))
    return fee


# --------------------------------------------------------------------------- SIM cards

_PUK_PURPOSE = "sim-puk"


def _secret_key() -> str:
    return Settings.from_env().secret_key


def register_sim(session: Session, clock: Clock, actor: Actor, operator_id: int, iccid: str, *,
                 imsi: str | None = None, msisdn: str | None = None) -> SimCard:
    """A SIM card in stock (an item of kind ``sim``, serial = ICCID)."""
    item = register_item(session, clock, actor, operator_id, "sim", iccid)
    sim = SimCard(item_id=item.id, imsi=imsi, msisdn=msisdn, status=SimStatus.ACTIVE)
    item.sim = sim
    session.add(sim)
    session.flush()
    return sim


def get_sim(session: Session, iccid_or_msisdn: str) -> SimCard:
    sim = session.scalars(select(SimCard).join(EquipmentItem, EquipmentItem.id == SimCard.item_id).where(
        or_(EquipmentItem.serial == iccid_or_msisdn,
            (SimCard.msisdn == iccid_or_msisdn) & SimCard.status.in_((SimStatus.ACTIVE, SimStatus.SUSPENDED))))
        .order_by(SimCard.id.desc())).first()
    if sim is None:
        raise NotFound(f"sim: {iccid_or_msisdn} not found", resource="sim")
    return sim


def set_sim_puk(session: Session, clock: Clock, actor: Actor, iccid: str, puk: str) -> SimCard:
    """Record the SIM's PUK, sealed (AES-GCM keyed from the installation secret, bound to the
    ICCID): the customer may need to read it back, so it is encrypted, not hashed. The PIN is
    never recorded: the customer sets it on the handset."""
    sim = get_sim(session, iccid)
    if sim.item.subscription_id is not None:
        try:
            rules.check_puk(puk, _terms(session, sim.item))
        except RuleRefusal as exc:
            raise exc.as_invalid_input() from None
    elif not puk.isdigit():
        raise InvalidInput.on("puk", "only digits", code=rules.Refused.puk_not_digits)
    sim.puk_sealed = sealed.seal(_secret_key(), _PUK_PURPOSE, puk, sim.item.serial)
    record(session, clock, actor, "sim.puk", sim.item, msg("{serial}: PUK recorded (sealed)",
                                                                    serial=sim.item.serial))
    return sim


def show_puk(session: Session, clock: Clock, actor: Actor, iccid_or_msisdn: str) -> str:
    """The SIM's PUK in clear, for staff or for a user of the SIM's own customer (anyone else is
    told "not found", as for a SIM that does not exist); every reading is audited."""
    sim = get_sim(session, iccid_or_msisdn)
    if not account_rules.acts_for(actor.role, actor.customer_id, sim.item.customer_id):
        raise NotFound(f"sim: {iccid_or_msisdn} not found", resource="sim")
    if sim.puk_sealed is None:
        raise NotFound(f"puk: no PUK recorded for SIM {sim.item.serial}", resource="puk")
    try:
        puk = sealed.unseal(_secret_key(), _PUK_PURPOSE, sim.puk_sealed, sim.item.serial)
    except sealed.SealError as exc:
        raise Conflict(f"puk: {exc}", code=rules.Refused.puk_unreadable) from None
    record(session, clock, actor, "sim.puk_shown", sim.item,
           msg("{serial}: PUK shown to {actor}", serial=sim.item.serial, actor=actor.name))
    return puk


def suspend_sim(session: Session, clock: Clock, actor: Actor, iccid_or_msisdn: str, reason: str,
                on: date) -> SimCard:
    """Loss or theft reported (the customer stays liable for use before it), or inactivity."""
    if reason not in ("loss", "theft", "inactivity"):
        raise InvalidInput.on("reason", "must be loss, theft or inactivity",
                              code=rules.Refused.sim_suspension_reason_unknown)
    sim = get_sim(session, iccid_or_msisdn)
    if sim.status != SimStatus.ACTIVE:
        raise NotAllowed(f"status: SIM {sim.item.serial} is {sim.status}",
                         code=rules.Refused.sim_not_active)
    sim.status, sim.suspension_reason, sim.suspended_on = SimStatus.SUSPENDED, reason, on
    record(session, clock, actor, "sim.suspend", sim.item,
           msg("{serial} ({line}) suspended on {date}: {reason}", serial=sim.item.serial,
               line=sim.msisdn or msg("no line"), date=on, reason=reason))
    return sim


def resume_sim(session: Session, clock: Clock, actor: Actor, iccid_or_msisdn: str, on: date) -> SimCard:
    sim = get_sim(session, iccid_or_msisdn)
    if sim.status != SimStatus.SUSPENDED or sim.suspension_reason in ("loss", "theft"):
        raise NotAllowed(f"status: SIM {sim.item.serial} is {sim.status} ({sim.suspension_reason}); "
                         "a lost or stolen SIM is replaced by a SIM swap",
                         code=rules.Refused.sim_not_resumable)
    sim.status, sim.suspension_reason, sim.suspended_on = SimStatus.ACTIVE, None, None
    sim.last_activity_on = on
    record(session, clock, actor, "sim.resume", sim.item, msg("{serial} resumed on {date}",
                                                                     serial=sim.item.serial, date=on))
    return sim


def swap_sim(session: Session, clock: Clock, actor: Actor, old: str, new_iccid: str, reason: str,
             on: date) -> SimCard:
    """SIM swap: the line (MSISDN) moves to a new SIM, the old one is retired; the new card is
    billed on the next invoice at the SIM kind's price. Loss or theft suspends the old card first."""
    if reason not in ("loss", "theft", "blocked", "faulty"):
        raise InvalidInput.on("reason", "must be loss, theft, blocked or faulty",
                              code=rules.Refused.sim_swap_reason_unknown)
    sim = get_sim(session, old)
    if sim.item.subscription_id is None or sim.msisdn is None:
        raise NotAllowed(f"sim: {sim.item.serial} carries no line; a swap keeps the number only",
                         code=rules.Refused.sim_carries_no_line)
    if reason in ("loss", "theft") and sim.status == SimStatus.ACTIVE:
        suspend_sim(session, clock, actor, sim.item.serial, reason, on)
    new = get_sim(session, new_iccid)
    ship(session, clock, actor, new.item.serial, sim.item.subscription_id, sim.item.provision_mode or "loaned",
         on)
    new.msisdn, new.status, new.last_activity_on = sim.msisdn, SimStatus.ACTIVE, on
    sim.status, sim.replaced_by_id = SimStatus.RETIRED, new.id
    retired_item = sim.item
    if retired_item.state in rules.AT_CUSTOMER:
        retired_item.state, retired_item.lost_on = "lost", on
    terms = _terms(session, new.item)
    flags = terms.usage.flags if terms.usage else UsageFlags()
    # the schedule's billing of a replacement SIM, else its clause on the swap itself
    source = flags.sim_replacement_billed_next_invoice or flags.sim_swap_keeps_number_only
    price = kind_of(session, new.item).sale_price
    if price:
        explained = Explained((Line(msg("Replacement SIM for {msisdn}", msisdn=sim.msisdn), price,
                                          msg("SIM swap ({reason}): SIM price {price}",
                                              reason=reason, price=str(price)),
                                          source.clause if source else "price list"),))
        _charge(session, clock, actor, customer_id=new.item.customer_id,
                subscription_id=new.item.subscription_id, source="sim_swap", key=str(new.id),
                label=msg("SIM swap — {msisdn}", msisdn=sim.msisdn), explained=explained, basis=new.item.price_basis, on=on)
    record(session, clock, actor, "sim.swap", new.item,
           msg("{line}: SIM {old} → {new} ({reason})", line=sim.msisdn, old=sim.item.serial,
               new=new.item.serial, reason=reason))
    return new


def record_sim_activity(session: Session, iccid_or_msisdn: str, on: date) -> None:
    """Rating reports the last day a SIM was used (for the inactivity rule)."""
    sim = get_sim(session, iccid_or_msisdn)
    if sim.last_activity_on is None or on > sim.last_activity_on:
        sim.last_activity_on = on


def _sim_step(session: Session, clock: Clock, actor: Actor, day: date,
              customer_id: int | None = None) -> tuple[int, int]:
    """Deactivate the SIMs of ended lines; suspend those inactive beyond the sheet's months."""
    deactivated = suspended = 0
    sims = session.scalars(select(SimCard).join(EquipmentItem, EquipmentItem.id == SimCard.item_id).where(
        SimCard.status.in_((SimStatus.ACTIVE, SimStatus.SUSPENDED)), EquipmentItem.subscription_id.is_not(None),
        _of_customer(customer_id))).all()
    subscriptions = contract_facts.subscriptions(session,
                                                 {sim.item.subscription_id for sim in sims})
    for sim in sims:
        sub = subscriptions[sim.item.subscription_id]
        if sub.status in (_S.TERMINATED, _S.CANCELLED):
            sim.status = SimStatus.DEACTIVATED
            record(session, clock, actor, "sim.deactivate", sim.item,
                   msg("{serial}: line of {ref} ended, SIM deactivated on {date}",
                       serial=sim.item.serial, ref=sub.ref, date=day))
            deactivated += 1
            continue
        limit = rules.sim_inactivity_limit(contracts.terms_of(session, sub))
        last = sim.last_activity_on or sim.item.shipped_on
        if sim.status == SimStatus.ACTIVE and limit and last and rules.sim_inactive_on(last, day, limit[0]):
            suspend_sim(session, clock, actor, sim.item.serial, "inactivity", day)
            suspended += 1
    return deactivated, suspended


# --------------------------------------------------------------------------- daily tick

def _of_customer(customer_id: int | None):
    return true() if customer_id is None else EquipmentItem.customer_id == customer_id


def tick(session: Session, clock: Clock, actor: Actor, day: date, *,
         customer_id: int | None = None) -> str:
    """Daily step (``tick_steps``): open the returns of ended services, apply the
    consequences of missed deadlines, deactivate and suspend SIMs (of one customer only with
    ``customer_id``). Idempotent for a date."""
    opened = _open_due_returns(session, clock, actor, day, customer_id)
    overdue = session.scalars(select(EquipmentItem).where(
        EquipmentItem.state.in_(rules.AT_CUSTOMER), EquipmentItem.return_due_on < day,
        EquipmentItem.overdue_handled_on.is_(None), _of_customer(customer_id))).all()
    handled = sum(1 for item in overdue if handle_overdue(session, clock, actor, item.serial, day))
    deactivated, suspended = _sim_step(session, clock, actor, day, customer_id)
    return msg("{opened} return(s) opened, {handled} overdue handled, {deactivated} SIM(s) "
               "deactivated, {suspended} suspended for inactivity", opened=opened, handled=handled,
               deactivated=deactivated, suspended=suspended)


# --------------------------------------------------------------------------- queries

def list_items(session: Session, state: str | None = None, customer_id: int | None = None,
               kind: str | None = None, limit: int = 500, offset: int = 0) -> list[EquipmentItem]:
    query = select(EquipmentItem).order_by(EquipmentItem.id).limit(limit).offset(offset)
    if state:
        query = query.where(EquipmentItem.state == state)
    if customer_id is not None:
        query = query.where(EquipmentItem.customer_id == customer_id)
    if kind:
        query = query.where(
            EquipmentItem.kind_id.in_(catalog_facts.equipment_kind_ids(session, kind)))
    return list(session.scalars(query))


def rented_items(session: Session, customer_ids: list[int], through: date) -> list[EquipmentItem]:
    """Items some of these customers rent, shipped by ``through`` (the bill run bills their rent
    month by month, once each, from receipt to return or purchase)."""
    wanted = set(customer_ids)
    return [item for item in session.scalars(select(EquipmentItem).where(
        EquipmentItem.customer_id.between(min(wanted), max(wanted)),
        EquipmentItem.provision_mode == "rented", EquipmentItem.shipped_on <= through,
        EquipmentItem.monthly_rent > 0).order_by(EquipmentItem.id)) if item.customer_id in wanted]


def rent_end(item: EquipmentItem) -> date | None:
    """The first day the item is no longer rented: returned, lost or bought."""
    ends = [day for day in (item.returned_on, item.lost_on, item.ownership_passed_on) if day]
    return min(ends) if ends else None


def week_of(day: date) -> tuple[date, date]:
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)

