"""Use cases of the contract lifecycle: orders, subscriptions, transitions, exit quotes, the tick.

Each function is one use case: it loads, calls ``contracts.rules`` with the sheet version the
subscription is bound to, saves, and records the audit trail and the subscription's timeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.billing import periods as billing_periods
from clausier.billing.ledger.charges import (
    add_charge,
    correct_billed_months,
    right_to_leave_without_fees,
)
from clausier.catalog import facts as catalog_facts
from clausier.contracts import changes, facts, rules, statuses
from clausier.contracts.models import (
    ChangeOrder,
    Order,
    OrderLine,
    Subscription,
    SubscriptionEvent,
    SubscriptionItem,
)
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, Problem, RuleRefusal, one_of
from clausier.core.message import msg
from clausier.core.money import money, to_decimal
from clausier.customers import rules as customer_rules
from clausier.customers import facts as customer_facts
from clausier.db.lookup import get_or_not_found
from clausier.terms import service as terms_service
from clausier.terms.schema import Terms

CHANNELS = ("on_premises", "off_premises", "distance")

# Which transition leads from which states (refused otherwise, with the reason).
_S = statuses.SubscriptionStatus
TRANSITIONS: dict[str, tuple[tuple[_S, ...], _S]] = {
    "activate": ((_S.ORDERED,), _S.ACTIVE),
    "cancel": ((_S.ORDERED,), _S.CANCELLED),
    "withdraw": ((_S.ORDERED, _S.ACTIVE), _S.CANCELLED),
    "suspend": ((_S.ACTIVE, _S.RESTRICTED), _S.SUSPENDED),
    "restrict": ((_S.ACTIVE,), _S.RESTRICTED),
    "resume": ((_S.SUSPENDED, _S.RESTRICTED), _S.ACTIVE),
    "give_notice": ((_S.ACTIVE, _S.SUSPENDED, _S.RESTRICTED), _S.NOTICE_GIVEN),
    "terminate": ((_S.NOTICE_GIVEN, _S.ACTIVE, _S.SUSPENDED, _S.RESTRICTED), _S.TERMINATED),
}


# --------------------------------------------------------------------------- inputs

@dataclass
class LineInput:
    site_id: int
    offer_code: str
    quantity: int = 1
    commitment_months: int | None = None
    monthly_fee: Decimal | None = None            # default: the price list
    access_fee: Decimal | None = None             # as sold (after discount)
    access_fee_undiscounted: Decimal | None = None
    minimum_billing: Decimal | None = None
    options: tuple[str, ...] = ()


@dataclass
class OrderInput:
    customer_id: int
    signed_on: date
    channel: str
    lines: list[LineInput]
    outside_main_activity: bool = False
    employees_at_signature: int | None = None
    external_ref: str | None = None
    notes: str = ""


# --------------------------------------------------------------------------- helpers

def _operator(session: Session, operator_id: int) -> catalog_facts.OperatorFacts:
    operator = catalog_facts.operators(session, [operator_id]).get(operator_id)
    if operator is None:
        raise NotFound(f"operator {operator_id} not found", resource="operator")
    return operator


def _next_ref(session: Session, model, operator: catalog_facts.OperatorFacts, letter: str) -> str:
    """``<prefix>-<letter><6 digits>``: one more than the count, skipping a number already taken
    (an import may have set references of the same form)."""
    number = (session.scalar(select(func.count()).select_from(model)
                             .where(model.operator_id == operator.id)) or 0) + 1
    while _ref_taken(session, model, operator, ref := f"{operator.invoice_prefix}-{letter}{number:06d}"):
        number += 1
    return ref


def _ref_taken(session: Session, model, operator: catalog_facts.OperatorFacts, ref: str) -> bool:
    return session.scalar(select(model.id).where(model.operator_id == operator.id,
                                                 model.ref == ref)) is not None


def _given_subscription_ref(session: Session, operator: catalog_facts.OperatorFacts, refs: set[str],
                            offers: list[str]) -> str | None:
    """The reference an import gives a subscription (one per site and service family), checked
    for its form and refused when the operator already has it."""
    if not refs:
        return None
    if len(refs) > 1:
        raise InvalidInput.on("lines.subscription_ref",
                              f"the lines {', '.join(offers)} make one subscription (same site and "
                              f"service family) but give it {len(refs)} references: "
                              f"{', '.join(sorted(refs))}",
                              code=rules.Refused.subscription_ref_ambiguous)
    try:
        ref = customer_rules.check_reference(refs.pop(), "lines.subscription_ref")
    except RuleRefusal as exc:
        raise exc.as_invalid_input() from None
    if _ref_taken(session, Subscription, operator, ref):
        reason = f"{operator.code} already has a subscription {ref}"
        raise Conflict(f"lines.subscription_ref: {reason}",
                       problems=[Problem("lines.subscription_ref", reason)],
                       code=rules.Refused.subscription_ref_taken)
    return ref


def _offer(session: Session, operator_id: int, code: str, field: str) -> catalog_facts.OfferFacts:
    offer = catalog_facts.offers_by_code(session, operator_id, [code]).get(code)
    if offer is None:
        raise InvalidInput.on(field, f"no offer {code!r} in this operator's catalogue",
                              code=rules.Refused.offer_not_in_catalogue)
    return offer


def _event(session: Session, clock: Clock, actor: Actor, subscription: Subscription, kind: str,
           on: date, details: dict | None = None, key: str = "") -> SubscriptionEvent | None:
    """Add a timeline event; returns None if the same (kind, date, key) is already recorded."""
    existing = session.scalar(select(SubscriptionEvent).where(
        SubscriptionEvent.subscription_id == subscription.id, SubscriptionEvent.kind == kind,
        SubscriptionEvent.on == on, SubscriptionEvent.key == key))
    if existing is not None:
        return None
    event = SubscriptionEvent(subscription_id=subscription.id, kind=kind, on=on, key=key,
                              details=details or {}, actor=actor.name, at=clock.now())
    session.add(event)
    return event


def get_subscription(session: Session, ref_or_id: str | int) -> Subscription:
    query = select(Subscription)
    if isinstance(ref_or_id, int) or str(ref_or_id).isdecimal():
        query = query.where(or_(Subscription.id == int(ref_or_id), Subscription.ref == str(ref_or_id)))
    else:
        query = query.where(or_(Subscription.ref == ref_or_id, Subscription.external_ref == ref_or_id))
    subscription = session.scalars(query).first()
    if subscription is None:
        raise NotFound(f"subscription: {ref_or_id} not found", resource="subscription")
    return subscription


def terms_of(session: Session, subscription: Subscription | facts.SubscriptionFacts) -> Terms:
    """The blocks of the sheet version the subscription was signed under, for its family."""
    sheet = terms_service.get_sheet(session, subscription.sheet_id, subscription.sheet_version)
    return sheet.terms_for(subscription.family)


def facts_of(session: Session, subscription: Subscription, on: date | None = None) -> rules.Facts:
    customer = customer_facts.customers(session, [subscription.customer_id]).get(
        subscription.customer_id)
    order = session.get(Order, subscription.order_id) if subscription.order_id else None
    items = tuple(
        rules.Item(label=item.label, unit=item.unit, quantity=item.quantity,
                   monthly_fee=item.monthly_fee, access_fee=item.access_fee,
                   access_fee_undiscounted=item.access_fee_undiscounted,
                   minimum_billing=item.minimum_billing, is_option=item.is_option)
        for item in items_in_force(subscription, on)
    )
    return rules.Facts(
        family=subscription.family, signed_on=subscription.signed_on,
        commitment_months=subscription.commitment_months, items=items,
        status=subscription.status, commitment_start=subscription.commitment_start,
        go_live_on=subscription.go_live_on, shipped_on=subscription.shipped_on,
        recommitted_on=subscription.recommitted_on, recommit_months=subscription.recommit_months,
        channel=subscription.channel,
        outside_main_activity=order.outside_main_activity if order else False,
        employees=(order.employees_at_signature if order and order.employees_at_signature is not None
                   else customer.employees if customer else None),
        customer_kind=customer.kind if customer else "company",
        price_basis=subscription.items[0].price_basis if subscription.items else "HT",
        equipment_received_on=subscription.equipment_received_on,
        delivered_on=subscription.delivered_on,
    )


def items_in_force(subscription: Subscription, on: date | None) -> list[SubscriptionItem]:
    """The items billed and quoted on ``on`` (None: those not closed by a change or an end)."""
    if on is None:
        return [item for item in subscription.items if item.active_until is None]
    return [item for item in subscription.items
            if (item.active_from is None or item.active_from <= on)
            and (item.active_until is None or item.active_until > on)]


def monthly_fees_in_force(subscription: Subscription, on: date) -> Decimal:
    """The monthly fees of the items in force on ``on`` (options included), as ordered: the base
    other rooms apply a percentage to on that date (SLA penalties and credits)."""
    return money(sum((item.monthly_fee * item.quantity
                      for item in items_in_force(subscription, on)), Decimal(0)))


def _transition(session: Session, clock: Clock, actor: Actor, subscription: Subscription,
                action: str, on: date, details: dict | None = None) -> None:
    sources, target = TRANSITIONS[action]
    if subscription.status not in sources:
        raise NotAllowed(
            f"status: cannot {action.replace('_', ' ')} subscription {subscription.ref} while it is "
            f"{subscription.status} (allowed from: {', '.join(sources)})",
                         code=rules.Refused.subscription_transition_not_allowed)
    before = subscription.status
    subscription.status = target
    _event(session, clock, actor, subscription, action, on, details or {})
    record(session, clock, actor, f"subscription.{action}", subscription,
           msg("{ref}: {before} → {target} on {date}", ref=subscription.ref, before=before,
               target=target, date=on),
           {"status": [before, target], **(details or {})})


# --------------------------------------------------------------------------- orders

def create_order(session: Session, clock: Clock, actor: Actor, data: OrderInput) -> Order:
    """Record a signed order (*bon de commande*), bound to the sheet version in force at signature."""
    customer = customer_facts.customers(session, [data.customer_id]).get(data.customer_id)
    if customer is None:
        raise InvalidInput.on("customer_id", f"customer {data.customer_id} not found",
                              code=rules.Refused.order_customer_unknown)
    if data.channel not in CHANNELS:
        raise InvalidInput.on("channel", f"{data.channel!r} is not one of {', '.join(CHANNELS)}",
                              code=rules.Refused.order_channel_unknown)
    if not data.lines:
        raise InvalidInput.on("lines", "an order needs at least one line",
                              code=rules.Refused.order_without_lines)
    if data.external_ref:
        existing = session.scalar(select(Order).where(Order.external_ref == data.external_ref,
                                                      Order.customer_id == customer.id))
        if existing is not None:
            return existing
    operator = _operator(session, customer.operator_id)
    version = terms_service.version_in_force(session, operator.sheet_id, data.signed_on)
    order = Order(ref=_next_ref(session, Order, operator, "O"), external_ref=data.external_ref,
                  customer_id=customer.id, operator_id=operator.id, signed_on=data.signed_on,
                  channel=data.channel, outside_main_activity=data.outside_main_activity,
                  employees_at_signature=data.employees_at_signature if data.employees_at_signature
                  is not None else customer.employees,
                  sheet_id=version.sheet_id, sheet_version=version.version, notes=data.notes,
                  created_at=clock.now())
    sites = customer_facts.sites(session, [line.site_id for line in data.lines])
    for index, line in enumerate(data.lines):
        field = f"lines.{index}"
        site = sites.get(line.site_id)
        if site is None or site.customer_id != customer.id:
            raise InvalidInput.on(f"{field}.site_id", f"site {line.site_id} is not a site of {customer.name}",
                                  code=rules.Refused.order_site_not_of_the_customer)
        if line.quantity < 1:
            raise InvalidInput.on(f"{field}.quantity", "must be at least 1",
                                  code=rules.Refused.quantity_below_one)
        offer = _offer(session, operator.id, line.offer_code, f"{field}.offer_code")
        order.lines.append(_order_line(site.id, offer, line, is_option=False))
        for option_code in line.options:
            option = _offer(session, operator.id, option_code, f"{field}.options")
            order.lines.append(_order_line(site.id, option, LineInput(site.id, option_code, line.quantity,
                                                                      line.commitment_months),
                                           is_option=True))
    session.add(order)
    record(session, clock, actor, "order.create", order,
           msg("{ref} for {customer}, signed {date} ({channel})", ref=order.ref,
               customer=customer.name, date=data.signed_on, channel=data.channel))
    return order


def _order_line(site_id: int, offer: catalog_facts.OfferFacts, line: LineInput,
                is_option: bool) -> OrderLine:
    # An option is what the catalogue sells as one, however the order lists it: a per-line option
    # (Télétaxe) is never a line itself when a fee counts lines (CP I §6.2).
    is_option = is_option or offer.kind == "option"
    access = money(line.access_fee) if line.access_fee is not None else offer.access_fee
    return OrderLine(
        site_id=site_id, offer_id=offer.id, quantity=line.quantity,
        commitment_months=line.commitment_months or offer.commitment_months,
        monthly_fee=money(line.monthly_fee) if line.monthly_fee is not None else offer.monthly_fee,
        access_fee=access,
        access_fee_undiscounted=(money(line.access_fee_undiscounted)
                                 if line.access_fee_undiscounted is not None else max(access, offer.access_fee)),
        minimum_billing=money(line.minimum_billing) if line.minimum_billing is not None else None,
        is_option=is_option)


def accept_order(session: Session, clock: Clock, actor: Actor, order_id: int,
                 subscription_refs: Iterable[tuple[int, str, str]] = ()) -> list[Subscription]:
    """Accepting an order creates one subscription per site and service family; its reference is
    generated unless ``subscription_refs`` (site id, offer code, reference: what an import gives)
    names one for a line of it (the lines of one subscription must agree)."""
    order = get_or_not_found(session, Order, order_id, resource="order")
    if order.status != statuses.OrderStatus.DRAFT:
        raise NotAllowed(f"status: order {order.ref} is {order.status}, not draft",
                         code=rules.Refused.order_not_draft)
    sheet = terms_service.get_sheet(session, order.sheet_id, order.sheet_version)
    operator = _operator(session, order.operator_id)
    groups: dict[tuple[int, str], list[tuple[OrderLine, catalog_facts.OfferFacts]]] = {}
    given: dict[tuple[int, str], set[str]] = {}
    for site_id, offer_code, ref in subscription_refs:
        given.setdefault((site_id, offer_code), set()).add(ref)
    offers = catalog_facts.offers(session, [line.offer_id for line in order.lines])
    for line in order.lines:
        offer = offers[line.offer_id]
        if offer.family not in sheet.families:
            raise InvalidInput.on("offer_code", f"{offer.code}: family {offer.family!r} is not in sheet {sheet.id}",
                                  code=rules.Refused.offer_family_not_in_sheet)
        groups.setdefault((line.site_id, offer.family), []).append((line, offer))
    created = []
    sites = customer_facts.sites(session, {site_id for site_id, _ in groups})
    for (site_id, family), lines in groups.items():
        terms = sheet.terms_for(family)
        site = sites[site_id]
        if (refusal := rules.territory_refusal(terms, site.country, site.postcode)) is not None:
            raise NotAllowed(f"{refusal}: {site.name} cannot take {family}",
                             code=rules.Refused.site_outside_territory)
        main = [line for line, _ in lines if not line.is_option] or [lines[0][0]]
        months = (main[0].commitment_months
                  or (terms.commitment.initial_months.value if terms.commitment and terms.commitment.initial_months
                      else 0))
        # No commitment on the order nor in the sheet (e.g. Ozone CinéTime outside a pack): the
        # service runs month to month, its "initial period" is empty.
        months = months or 0
        ref = _given_subscription_ref(
            session, operator, set().union(*(given.get((site_id, offer.code), set()) for _, offer in lines)),
            [offer.code for _, offer in lines])
        subscription = Subscription(
            ref=ref or _next_ref(session, Subscription, operator, "S"), customer_id=order.customer_id,
            site_id=site_id, operator_id=order.operator_id, order_id=order.id, family=family,
            sheet_id=order.sheet_id, sheet_version=order.sheet_version, status=_S.ORDERED,
            signed_on=order.signed_on, channel=order.channel, commitment_months=months,
            created_at=clock.now())
        for line, offer in lines:
            subscription.items.append(SubscriptionItem(
                offer_id=offer.id, offer_code=offer.code, label=offer.name, unit=offer.unit,
                quantity=line.quantity, monthly_fee=line.monthly_fee, access_fee=line.access_fee,
                access_fee_undiscounted=line.access_fee_undiscounted, minimum_billing=line.minimum_billing,
                one_off_price=offer.one_off_price, price_basis=offer.price_basis, vat_rate=offer.vat_rate,
                is_option=line.is_option))
        session.add(subscription)
        session.flush()
        _event(session, clock, actor, subscription, "ordered", order.signed_on, {"order": order.ref})
        record(session, clock, actor, "subscription.create", subscription,
               msg("{ref} ({family}) from order {order}", ref=subscription.ref, family=family,
                   order=order.ref))
        created.append(subscription)
    order.status = statuses.OrderStatus.ACCEPTED
    record(session, clock, actor, "order.accept", order, msg("{ref}: {n} subscription(s)",
                                                             ref=order.ref, n=len(created)))
    return created


# --------------------------------------------------------------------------- transitions

# The subscription column each lifecycle event sets, and its kind on the timeline.
LIFECYCLE_COLUMNS = {"shipment": "shipped_on", "delivery": "delivered_on",
                     "receipt": "equipment_received_on", "activation": "go_live_on"}
TIMELINE_KINDS = {"shipment": "shipped", "delivery": "delivered", "receipt": "received",
                  "activation": "activate"}


def lifecycle(subscription: Subscription) -> rules.Lifecycle:
    """The lifecycle dates recorded for a subscription (what other rooms read them from)."""
    return rules.Lifecycle(subscription.signed_on,
                           **{event: getattr(subscription, column)
                              for event, column in LIFECYCLE_COLUMNS.items()})


def _check_event(subscription: Subscription, event: str, on: date) -> None:
    refusal = rules.lifecycle_refusal(lifecycle(subscription), event, on)
    if refusal is None:
        return
    if refusal.code == "already_recorded":
        raise Conflict(f"{refusal.field}: {subscription.ref}: {refusal.reason}", code=refusal.code)
    raise InvalidInput.on(refusal.field, refusal.reason, code=refusal.code)


def record_event(session: Session, clock: Clock, actor: Actor, subscription_ref: int | str, event: str,
                 on: date, *, source: str = "") -> Subscription:
    """Record a dated lifecycle event of a subscription: the shipment of its goods, their
    delivery, their receipt by the customer, or its activation (go-live). Each once, on the
    timeline and audited; the rules starting from it read it from here (``lifecycle``).
    ``source`` says where it came from (an equipment serial, an import line)."""
    if event == "activation":
        return activate(session, clock, actor, subscription_ref, on, source=source)
    subscription = get_subscription(session, subscription_ref)
    _check_event(subscription, event, on)
    if on > clock.today():
        raise InvalidInput.on("on", f"{on.isoformat()} is in the future: an event is recorded once it happened",
                              code=rules.Refused.event_in_the_future)
    setattr(subscription, LIFECYCLE_COLUMNS[event], on)
    _event(session, clock, actor, subscription, TIMELINE_KINDS[event], on, {"source": source} if source else {})
    record(session, clock, actor, f"subscription.{event}", subscription,
           msg("{ref}: {event} on {date} ({source})" if source else "{ref}: {event} on {date}",
               ref=subscription.ref, event=event, date=on, source=source or ""),
           {"event": event, "on": on.isoformat(), "source": source})
    if event == "shipment" and subscription.go_live_on is not None:
        # Shipped before a go-live already recorded: the latest start may come first (Rozoh).
        facts = replace(facts_of(session, subscription), commitment_start=None)
        subscription.commitment_start = rules.commitment_start(facts, terms_of(session, subscription))
    return subscription


def activate(session: Session, clock: Clock, actor: Actor, subscription_id: int | str, on: date,
             service_identifier: str | None = None, *, source: str = "") -> Subscription:
    """Go-live (*mise en service*, or first connection, or activation): the commitment starts
    per the sheet's start event."""
    subscription = get_subscription(session, subscription_id)
    _check_event(subscription, "activation", on)
    if service_identifier and (refusal := rules.identifier_refusal(terms_of(session, subscription),
                                                                   service_identifier)):
        raise NotAllowed(refusal, code=rules.Refused.service_identifier_refused)
    _transition(session, clock, actor, subscription, "activate", on, {"source": source} if source else None)
    subscription.go_live_on = on
    subscription.commitment_start = on
    if service_identifier:
        subscription.service_identifier = service_identifier
    for item in subscription.items:
        item.active_from = item.active_from or on
    terms = terms_of(session, subscription)
    start = rules.commitment_start(facts_of(session, subscription), terms)
    subscription.commitment_start = start
    return subscription


def record_billed_until(session: Session, clock: Clock, actor: Actor, subscription_id: int,
                        until: date) -> Subscription:
    """A subscription taken over from an old system: the last day that system billed (the last
    day of a month, as bill runs bill whole calendar months). Clausier's runs bill from the next
    day on, and never its access fees again."""
    subscription = get_subscription(session, subscription_id)
    if until != billing_periods.month_end(until):
        raise InvalidInput.on("billed_until", f"{until.isoformat()} is not the last day of a month "
                                              "(bill runs bill whole calendar months)",
                              code=rules.Refused.billed_until_not_a_month_end)
    if until < subscription.signed_on:
        raise InvalidInput.on("billed_until", f"{until.isoformat()} is before the signature "
                                              f"{subscription.signed_on.isoformat()}",
                              code=rules.Refused.billed_until_before_signature)
    before = subscription.billed_until
    subscription.billed_until = until
    _event(session, clock, actor, subscription, "billed_until", until)
    record(session, clock, actor, "subscription.billed_until", subscription,
           msg("{ref} billed by the old system until {date}", ref=subscription.ref, date=until),
           {"billed_until": [before and before.isoformat(), until.isoformat()]})
    return subscription


def change_status(session: Session, clock: Clock, actor: Actor, subscription_id: int, action: str,
                  on: date, reason: str = "") -> Subscription:
    """Suspend, restrict or resume (billing continues while suspended where the sheet says so)."""
    if action not in ("suspend", "restrict", "resume"):
        raise InvalidInput.on("action", f"{action!r} is not suspend, restrict or resume",
                              code=rules.Refused.restriction_action_unknown)
    subscription = get_subscription(session, subscription_id)
    _transition(session, clock, actor, subscription, action, on, {"reason": reason} if reason else None)
    return subscription


# --------------------------------------------------------------------------- quotes (what-if)

def timeline(session: Session, subscription_id: int | str, on: date) -> rules.Timeline:
    subscription = get_subscription(session, subscription_id)
    return rules.timeline(facts_of(session, subscription, on), terms_of(session, subscription), on)


def _quote(session: Session, subscription: Subscription, received: date, reason: str | None,
           wanted_effective: date | None) -> rules.TerminationQuote:
    try:
        return rules.quote_termination(facts_of(session, subscription, received),
                                       terms_of(session, subscription), received,
                                       reason=reason, wanted_effective=wanted_effective,
                                       waiver=_price_change_waiver(session, subscription, received))
    except RuleRefusal as exc:
        raise exc.as_error(NotAllowed) from None


def _price_change_waiver(session: Session, subscription: Subscription,
                         received: date) -> rules.FeeWaiver | None:
    """The right to leave without fees a price-change notice recorded, if the letter comes in
    its window (billing records it when the change is announced)."""
    notice = right_to_leave_without_fees(session, subscription.id, received)
    if notice is None:
        return None
    return rules.FeeWaiver(
        "right to leave after a price change",
        f"price change of {notice.effective_on.isoformat()} notified on {notice.sent_on.isoformat()}: "
        f"termination without fees until {notice.leave_until.isoformat()}", notice.leave_clause)


def quote_termination(session: Session, subscription_id: int | str, received: date,
                      reason: str | None = None, wanted_effective: date | None = None) -> rules.TerminationQuote:
    """What terminating would cost if the letter were received on ``received`` (changes nothing)."""
    return _quote(session, get_subscription(session, subscription_id), received, reason, wanted_effective)


def withdrawal_decision(session: Session, subscription_id: int | str, requested_on: date) -> rules.WithdrawalDecision:
    subscription = get_subscription(session, subscription_id)
    return rules.withdrawal(facts_of(session, subscription), terms_of(session, subscription), requested_on)


def quote_plan_change(session: Session, subscription_id: int | str, change: str, on: date, *,
                      equipment_change: bool = False,
                      recommit_months: int | None = None) -> rules.ChangeQuote:
    subscription = get_subscription(session, subscription_id)
    try:
        return rules.quote_plan_change(facts_of(session, subscription, on), terms_of(session, subscription),
                                       change, on, equipment_change=equipment_change,
                                       recommit_months=recommit_months)
    except RuleRefusal as exc:
        raise exc.as_error(NotAllowed) from None


def quote_move(session: Session, subscription_id: int | str, on: date, new_site_id: int,
               extra_fees: tuple[tuple[str, Decimal], ...] = ()) -> rules.ChangeQuote:
    subscription = get_subscription(session, subscription_id)
    sites = customer_facts.sites(session, [subscription.site_id, new_site_id])
    old_site, new_site = sites[subscription.site_id], sites.get(new_site_id)
    if new_site is None or new_site.customer_id != subscription.customer_id:
        raise InvalidInput.on("new_site_id", f"site {new_site_id} is not a site of this customer",
                              code=rules.Refused.new_site_not_of_the_customer)
    same_zone = bool(old_site.numbering_zone) and old_site.numbering_zone == new_site.numbering_zone
    try:
        return rules.quote_move(facts_of(session, subscription, on), terms_of(session, subscription), on,
                                same_numbering_zone=same_zone, extra_fees=extra_fees)
    except RuleRefusal as exc:
        raise exc.as_error(NotAllowed) from None


# --------------------------------------------------------------------------- recorded exits and changes

def give_notice(session: Session, clock: Clock, actor: Actor, subscription_id: int | str,
                received: date, reason: str | None = None,
                wanted_effective: date | None = None,
                channel: str = "registered_letter") -> rules.TerminationQuote:
    """Record a termination notice received on ``received`` by ``channel``: same computation as
    the quote; the one-off part goes to the next invoice, the service ends on the effective date
    (tick). A notice by a channel the terms do not accept is refused."""
    subscription = get_subscription(session, subscription_id)
    if subscription.status == _S.ORDERED:
        return cancel(session, clock, actor, subscription.id, received)
    refusal = rules.notice_channel_refusal(terms_of(session, subscription), channel, reason)
    if refusal is not None:
        raise NotAllowed(refusal, code=rules.Refused.notice_channel_refused)
    quote = _quote(session, subscription, received, reason, wanted_effective)
    _transition(session, clock, actor, subscription, "give_notice", received,
                {"effective_date": quote.effective_date.isoformat(), "reason": reason,
                 "quote": quote.as_dict()})
    subscription.notice_received_on = received
    subscription.termination_effective_on = quote.effective_date
    subscription.termination_reason = reason or "customer_notice"
    _charge_exit(session, clock, actor, subscription, "termination", quote, received)
    return quote


def _charge_exit(session: Session, clock: Clock, actor: Actor, subscription: Subscription, source: str,
                 quote: rules.TerminationQuote, on: date) -> None:
    if quote.one_off.total == 0:
        return
    add_charge(session, clock, actor, customer_id=subscription.customer_id,
               subscription_id=subscription.id, source=source,
               source_key=f"{subscription.id}:{on.isoformat()}",
               label=msg("Early-termination fees — {ref}" if source == "termination"
                         else "Cancellation fees — {ref}", ref=subscription.ref),
               explained=quote.one_off,
               price_basis=subscription.items[0].price_basis if subscription.items else "HT",
               incurred_on=on)


def cancel(session: Session, clock: Clock, actor: Actor, subscription_id: int | str,
           received: date) -> rules.TerminationQuote:
    """Cancellation before go-live (*annulation*): the sheet's cancellation fees are charged."""
    subscription = get_subscription(session, subscription_id)
    quote = rules.quote_cancellation(facts_of(session, subscription), terms_of(session, subscription), received)
    _transition(session, clock, actor, subscription, "cancel", received, {"quote": quote.as_dict()})
    subscription.cancelled_on = received
    subscription.termination_reason = "cancellation"
    _charge_exit(session, clock, actor, subscription, "cancellation", quote, received)
    return quote


def withdraw(session: Session, clock: Clock, actor: Actor, subscription_id: int | str,
             requested_on: date) -> rules.WithdrawalDecision:
    """Exercise the withdrawal right; refused (with every reason) when the sheet does not grant it."""
    subscription = get_subscription(session, subscription_id)
    decision = rules.withdrawal(facts_of(session, subscription), terms_of(session, subscription), requested_on)
    if not decision.allowed:
        raise NotAllowed(f"withdrawal: refused — {'; '.join(decision.reasons)} ({decision.clause})",
                         code=rules.Refused.withdrawal_refused)
    _transition(session, clock, actor, subscription, "withdraw", requested_on, decision.as_dict())
    subscription.cancelled_on = requested_on
    subscription.termination_reason = "withdrawal"
    return decision


def terminate_now(session: Session, clock: Clock, actor: Actor, subscription_id: int | str, on: date,
                  reason: str) -> Subscription:
    """End the service on ``on`` (end of notice by the tick, or the operator's termination)."""
    subscription = get_subscription(session, subscription_id)
    _transition(session, clock, actor, subscription, "terminate", on, {"reason": reason})
    subscription.terminated_on = on
    subscription.termination_effective_on = subscription.termination_effective_on or on
    subscription.termination_reason = subscription.termination_reason or reason
    for item in subscription.items:
        item.active_until = item.active_until or on
    return subscription


def recommit(session: Session, clock: Clock, actor: Actor, subscription_id: int | str, on: date,
             change: str, months: int | None = None) -> Subscription:
    """A modification re-commits the whole service and its options from ``on`` (sheet figure)."""
    subscription = get_subscription(session, subscription_id)
    terms = terms_of(session, subscription)
    commitment = terms.commitment
    choices = commitment.recommit_on_change_choices_months.value if commitment and commitment.recommit_on_change_choices_months else None
    if choices:
        months = months or choices[0]
        if months not in choices:
            raise InvalidInput.on("months", f"must be one of {choices} ({commitment.recommit_on_change_choices_months.clause})",
                                  code=rules.Refused.recommit_months_not_offered)
    elif commitment and commitment.recommit_on_change_months:
        months = commitment.recommit_on_change_months.value
    if not months:
        raise NotAllowed(f"recommit: sheet {subscription.sheet_id} sets no re-commitment for {subscription.family}",
                         code=rules.Refused.no_recommit_clause)
    subscription.recommitted_on = on
    subscription.recommit_months = months
    _event(session, clock, actor, subscription, "recommitted", on, {"change": change, "months": months})
    record(session, clock, actor, "subscription.recommit", subscription,
           msg("{ref}: {change}; new commitment {months} months from {date}",
               ref=subscription.ref, change=change, months=months, date=on))
    return subscription


def _offered(session: Session, subscription: Subscription,
             wanted: tuple[changes.Change, ...]) -> dict[str, changes.Offered]:
    """The catalogue offers a change names (an unknown code is refused with its field)."""
    offers = {}
    for index, change in enumerate(wanted):
        offer = _offer(session, subscription.operator_id, change.offer_code,
                       f"changes.{index}.offer")
        offers[offer.code] = changes.Offered(
            offer.code, offer.family, offer.name, offer.unit, offer.monthly_fee, offer.access_fee,
            offer.one_off_price, offer.kind == "option")
    return offers


def _held(items: list[SubscriptionItem]) -> tuple[changes.Held, ...]:
    return tuple(changes.Held(item.offer_code, item.label, item.unit, item.quantity,
                              item.monthly_fee, item.access_fee, item.minimum_billing,
                              item.is_option) for item in items)


def quote_change(session: Session, subscription_id: int | str,
                 wanted: tuple[changes.Change, ...], on: date,
                 recommit_months: int | None = None) -> changes.ChangeOrderQuote:
    """What a change order would cost and commit to if ordered on ``on`` (changes nothing)."""
    subscription = get_subscription(session, subscription_id)
    if not wanted:
        raise InvalidInput.on("changes", "name at least one change (add, remove, option, offer)",
                              code=rules.Refused.change_order_empty)
    offers = _offered(session, subscription, wanted)
    try:
        return changes.quote_change(
            facts_of(session, subscription, on), terms_of(session, subscription),
            _held(items_in_force(subscription, on)), wanted, offers, on,
            recommit_months=recommit_months)
    except RuleRefusal as exc:
        raise exc.as_error(NotAllowed) from None


def _next_change_ref(session: Session, subscription: Subscription) -> str:
    count = session.scalar(select(func.count()).select_from(ChangeOrder)
                           .where(ChangeOrder.subscription_id == subscription.id)) or 0
    return f"{subscription.ref}-C{count + 1:03d}"


def request_change(session: Session, clock: Clock, actor: Actor, subscription_id: int | str,
                   wanted: tuple[changes.Change, ...], on: date) -> ChangeOrder:
    """A change asked for (customer portal): quoted and kept for staff to confirm; the items do
    not change until then."""
    subscription = get_subscription(session, subscription_id)
    quote = quote_change(session, subscription.id, wanted, on)
    order = ChangeOrder(subscription_id=subscription.id,
                        ref=_next_change_ref(session, subscription), status=statuses.ChangeOrderStatus.REQUESTED,
                        ordered_on=on, effective_on=quote.effective_date,
                        changes=[change.as_dict() for change in wanted], quote=quote.as_dict(),
                        one_off_total=quote.one_off.total, monthly_total=quote.monthly.total,
                        actor=actor.name, created_at=clock.now())
    session.add(order)
    session.flush()
    _event(session, clock, actor, subscription, "change_requested", on,
           {"change_order": order.ref, "changes": order.changes}, key=order.ref)
    record(session, clock, actor, "subscription.change_request", subscription,
           msg("{ref}: change {order} requested for {date}", ref=subscription.ref,
               order=order.ref, date=on))
    return order


def confirm_requested_change(session: Session, clock: Clock, actor: Actor,
                             subscription_id: int | str, order_ref: str) -> ChangeOrder:
    """Staff confirm a change the customer requested: quoted again on its date, then recorded."""
    subscription = get_subscription(session, subscription_id)
    order = session.scalar(select(ChangeOrder).where(
        ChangeOrder.subscription_id == subscription.id, ChangeOrder.ref == order_ref))
    if order is None:
        raise NotFound(f"change order: {order_ref} not found on {subscription.ref}",
                       resource="change_order")
    if order.status != statuses.ChangeOrderStatus.REQUESTED:
        raise NotAllowed(f"status: change order {order_ref} is already {order.status}",
                         code=rules.Refused.change_order_not_requested)
    wanted = tuple(changes.Change.from_dict(change) for change in order.changes)
    return confirm_change(session, clock, actor, subscription.id, wanted, order.ordered_on,
                          requested=order)


def confirm_change(session: Session, clock: Clock, actor: Actor, subscription_id: int | str,
                   wanted: tuple[changes.Change, ...], on: date,
                   recommit_months: int | None = None,
                   requested: ChangeOrder | None = None,
                   external_ref: str | None = None) -> ChangeOrder:
    """Record a change order: the items change on its effective date (the old ones end the day
    before, the new ones start that day), the service re-commits, the one-off fees are charged.
    ``requested``: the customer's request this confirms (it becomes the order);
    ``external_ref``: its reference in the system it is imported from."""
    subscription = get_subscription(session, subscription_id)
    quote = quote_change(session, subscription.id, wanted, on, recommit_months)
    effective = quote.effective_date
    in_force = {item.offer_code: item for item in items_in_force(subscription, on)}
    after = {held.offer_code: held for held in quote.after}
    for code, item in in_force.items():
        if code not in after or after[code].quantity != item.quantity:
            item.active_until = effective
    for code, held in after.items():
        kept = in_force.get(code)
        if kept is not None and kept.quantity == held.quantity:
            continue
        offer = _offer(session, subscription.operator_id, code, "changes.offer")
        subscription.items.append(SubscriptionItem(
            offer_id=offer.id, offer_code=code, label=held.label, unit=held.unit,
            quantity=held.quantity, monthly_fee=held.monthly_fee, access_fee=held.access_fee,
            access_fee_undiscounted=kept.access_fee_undiscounted if kept else offer.access_fee,
            minimum_billing=held.minimum_billing,
            one_off_price=kept.one_off_price if kept else offer.one_off_price,
            price_basis=kept.price_basis if kept else offer.price_basis,
            vat_rate=kept.vat_rate if kept else offer.vat_rate,
            is_option=held.is_option, active_from=effective))
    if quote.recommits:
        subscription.recommitted_on = effective
        subscription.recommit_months = quote.recommit_months
    order = requested or ChangeOrder(subscription_id=subscription.id,
                                     ref=_next_change_ref(session, subscription),
                                     changes=[change.as_dict() for change in wanted],
                                     external_ref=external_ref, created_at=clock.now())
    order.status, order.ordered_on, order.effective_on = statuses.ChangeOrderStatus.CONFIRMED, on, effective
    order.quote, order.actor = quote.as_dict(), actor.name
    order.one_off_total, order.monthly_total = quote.one_off.total, quote.monthly.total
    session.add(order)
    session.flush()
    summary = ", ".join(f"{c.action} {c.offer_code}×{c.quantity}" for c in wanted)
    _event(session, clock, actor, subscription, "changed", effective,
           {"change_order": order.ref, "changes": order.changes,
            "monthly": str(quote.monthly.total),
            "commitment_end": quote.commitment_end and quote.commitment_end.isoformat()},
           key=order.ref)
    record(session, clock, actor, "subscription.change", subscription,
           msg("{ref}: {summary} from {date} ({order})", ref=subscription.ref, summary=summary,
               date=effective, order=order.ref),
           {"monthly": [str(quote.monthly_before), str(quote.monthly.total)]})
    # Months already billed in advance over the change are corrected by the next bill run.
    correct_billed_months(session, clock, actor, subscription, order.ref, effective)
    # Before go-live the first invoice bills the access fees of the items in force at go-live.
    if quote.live and quote.one_off.total:
        add_charge(session, clock, actor, customer_id=subscription.customer_id,
                   subscription_id=subscription.id, source="change", source_key=order.ref,
                   label=msg("Change order {ref}", ref=order.ref), explained=quote.one_off,
                   price_basis=next(iter(in_force.values())).price_basis if in_force else "HT",
                   incurred_on=effective)
    return order


def change_orders(session: Session, subscription_id: int | str) -> list[ChangeOrder]:
    subscription = get_subscription(session, subscription_id)
    return list(session.scalars(select(ChangeOrder).where(
        ChangeOrder.subscription_id == subscription.id).order_by(ChangeOrder.id)))


def quoted_change_orders(session: Session, subscription_id: int | str
                         ) -> list[tuple[ChangeOrder, changes.QuotedChange]]:
    """The change orders with their quotes read back line by line (the contract pages)."""
    return [(order, changes.QuotedChange.from_dict(order.quote))
            for order in change_orders(session, subscription_id)]


def move_site(session: Session, clock: Clock, actor: Actor, subscription_id: int | str, on: date,
              new_site_id: int, extra_fees: tuple[tuple[str, Decimal], ...] = ()) -> rules.ChangeQuote:
    """Move the service to another site of the customer: fees charged, a new initial period."""
    subscription = get_subscription(session, subscription_id)
    quote = quote_move(session, subscription.id, on, new_site_id, extra_fees)
    old_site = subscription.site_id
    subscription.site_id = new_site_id
    if quote.recommit_months:
        subscription.recommitted_on = on
        subscription.recommit_months = quote.recommit_months
    _event(session, clock, actor, subscription, "moved", on,
           {"from_site": old_site, "to_site": new_site_id, "quote": quote.as_dict()})
    record(session, clock, actor, "subscription.move", subscription,
           msg("{ref}: site {old} → {new} on {date}", ref=subscription.ref, old=old_site,
               new=new_site_id, date=on))
    if quote.explained.total:
        add_charge(session, clock, actor, customer_id=subscription.customer_id, subscription_id=subscription.id,
                   source="move", source_key=f"{subscription.id}:{on.isoformat()}",
                   label=msg("Site move — {ref}", ref=subscription.ref), explained=quote.explained,
                   price_basis=subscription.items[0].price_basis if subscription.items else "HT",
                   incurred_on=on)
    return quote


# --------------------------------------------------------------------------- queries

def subscription_by_id(session: Session, subscription_id: int) -> Subscription | None:
    """The subscription of that id, None if there is none (from the session when loaded)."""
    return session.get(Subscription, subscription_id)


def subscriptions_serving(session: Session, start: date, end: date,
                          customer_id: int | None = None) -> list[Subscription]:
    """The subscriptions delivered (not ordered only, not cancelled) and in service at some time
    of [start, end): live before ``end``, not terminated before ``start``; by customer."""
    query = select(Subscription).where(
        Subscription.status.notin_((_S.ORDERED, _S.CANCELLED)),
        or_(Subscription.go_live_on.is_(None), Subscription.go_live_on < end),
        or_(Subscription.terminated_on.is_(None), Subscription.terminated_on >= start))
    if customer_id is not None:
        query = query.where(Subscription.customer_id == customer_id)
    return list(session.scalars(query.order_by(Subscription.customer_id, Subscription.id)))


def list_subscriptions(session: Session, customer_id: int | None = None, status: str | None = None,
                       family: str | None = None, operator_id: int | None = None,
                       limit: int = 500, offset: int = 0) -> list[Subscription]:
    query = select(Subscription).order_by(Subscription.id).limit(limit).offset(offset)
    if customer_id is not None:
        query = query.where(Subscription.customer_id == customer_id)
    if status:
        query = query.where(Subscription.status == one_of(
            statuses.SubscriptionStatus, status, field="status", code="subscription_status_unknown"))
    if family:
        query = query.where(Subscription.family == family)
    if operator_id is not None:
        query = query.where(Subscription.operator_id == operator_id)
    return list(session.scalars(query))


def billable_subscriptions(session: Session, customer_id: int, period_start: date,
                           period_end: date) -> list[Subscription]:
    """Subscriptions that may owe recurring fees in [period_start, period_end]: live at some
    point of the period (suspended ones keep being billed)."""
    query = select(Subscription).where(
        Subscription.customer_id == customer_id,
        Subscription.go_live_on.is_not(None), Subscription.go_live_on <= period_end,
        or_(Subscription.terminated_on.is_(None), Subscription.terminated_on > period_start),
        or_(Subscription.termination_effective_on.is_(None),
            Subscription.termination_effective_on > period_start),
    ).order_by(Subscription.id)
    return list(session.scalars(query))


def find_by_service_identifier(session: Session, identifier: str, on: date | None = None) -> Subscription | None:
    """The subscription that carried a line/trunk/SIM/number identifier on a date."""
    query = select(Subscription).where(Subscription.service_identifier == identifier)
    if on is not None:
        query = query.where(or_(Subscription.go_live_on.is_(None), Subscription.go_live_on <= on),
                            or_(Subscription.terminated_on.is_(None), Subscription.terminated_on > on))
    return session.scalars(query.order_by(Subscription.id.desc())).first()


# --------------------------------------------------------------------------- daily tick

def tick(session: Session, clock: Clock, actor: Actor, day: date, *,
         customer_id: int | None = None) -> dict[str, int]:
    """What the date brings: ends of notice, tacit renewals, pack ends, notice reminders (for
    one customer only with ``customer_id``). Idempotent for a date (events are keyed by kind +
    date)."""
    counts = {"terminated": 0, "renewed": 0, "reminders": 0, "pack_started": 0}
    mine = true() if customer_id is None else Subscription.customer_id == customer_id
    due = session.scalars(select(Subscription).where(
        Subscription.status == _S.NOTICE_GIVEN, Subscription.termination_effective_on <= day,
        mine)).all()
    for subscription in due:
        terminate_now(session, clock, actor, subscription.id, subscription.termination_effective_on,
                      "end of notice")
        counts["terminated"] += 1
    live = session.scalars(select(Subscription).where(
        Subscription.status.in_((_S.ACTIVE, _S.SUSPENDED, _S.RESTRICTED, _S.ORDERED)), mine)).all()
    for subscription in live:
        terms = terms_of(session, subscription)
        facts = facts_of(session, subscription, day)
        start = rules.commitment_start(facts, terms)
        if subscription.status == _S.ORDERED and start is not None and start <= day and subscription.commitment_start is None:
            # Rozoh: the service period starts at the latest N months after shipment.
            subscription.commitment_start = start
            _event(session, clock, actor, subscription, "service_started", start, {"rule": "latest start after shipment"})
            counts["pack_started"] += 1
        period = rules.period_on(facts, terms, day)
        if period is None:
            end = rules.commitment_end(facts, terms)
            if end is not None and day > end and subscription.status != _S.ORDERED:
                renewal = terms.renewal
                if renewal is None or renewal.mode is None or renewal.mode.value == "none":
                    terminate_now(session, clock, actor, subscription.id, end + rules.ONE_DAY, "end of term")
                    counts["terminated"] += 1
            continue
        if period.kind == "renewal" and period.start == day:
            if _event(session, clock, actor, subscription, "renewed", day,
                      {"number": period.number, "until": period.end.isoformat()}, key=str(period.number)):
                subscription.last_renewal_on = day
                counts["renewed"] += 1
        deadline = rules.notice_deadline(period, terms)
        days_before = rules.notice_reminder_due(deadline, day, terms)
        if days_before is not None:
            if _event(session, clock, actor, subscription, "notice_reminder", day,
                      {"deadline": deadline.isoformat(), "days_before": days_before}):
                counts["reminders"] += 1
    return counts


def management_of(session: Session, subscription: Subscription) -> tuple[str, str] | None:
    """Who manages a hosting subscription's machines (the variant its offer states, else the
    schedule's default) and the clause; None for a service without variants."""
    main = next((item for item in subscription.items if not item.is_option), None)
    offer = (catalog_facts.offers(session, [main.offer_id]).get(main.offer_id)
             if main is not None else None)
    ordered = (offer.attributes or {}).get("management") if offer is not None else None
    try:
        return rules.management_mode(terms_of(session, subscription), ordered)
    except RuleRefusal as exc:
        raise exc.as_error(NotAllowed) from None


def parse_changes(add: list[str], remove: list[str], options: list[str],
                  offer: str | None) -> tuple[changes.Change, ...]:
    """The changes a command names: ``OFFER=N`` to add or remove, ``+CODE``/``-CODE`` options,
    a new main offer (bad input names its option and why)."""
    wanted: list[changes.Change] = []
    for action, field, values in (("add", "add", add), ("remove", "remove", remove)):
        for value in values:
            code, equals, count = value.partition("=")
            if not code or (equals and not count.isdigit()):
                raise InvalidInput.on(field, f"{value!r} is not OFFER=N (N a whole number)",
                                      code=rules.Refused.offer_quantity_malformed)
            quantity = int(count) if equals else 1
            if quantity < 1:
                raise InvalidInput.on(field, f"{value!r}: the quantity must be at least 1",
                                      code=rules.Refused.quantity_below_one)
            wanted.append(changes.Change(action, code, quantity))
    for value in options:
        if len(value) < 2 or value[0] not in "+-":
            raise InvalidInput.on("option", f"{value!r} is not +CODE (add) or -CODE (remove)",
                                  code=rules.Refused.option_change_malformed)
        action = "option_add" if value[0] == "+" else "option_remove"
        wanted.append(changes.Change(action, value[1:]))
    if offer:
        wanted.append(changes.Change("offer", offer))
    if not wanted:
        raise InvalidInput.on("changes", "name a change: --add, --remove, --option or --offer",
                              code=rules.Refused.change_order_empty)
    return tuple(wanted)


def parse_amount(value: str, field: str) -> Decimal:
    try:
        return money(to_decimal(value, field=field))
    except ValueError as exc:
        raise InvalidInput.on(field, str(exc), code=rules.Refused.amount_malformed) from None
