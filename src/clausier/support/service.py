"""Use cases of support: tickets and their clock, outages, the monthly SLA report, claims, outbox.

Each function loads, calls ``support.rules`` with the service levels of the sheet version the
subscription was signed under, saves, records the audit trail, and writes a notification to the
outbox for the people to keep informed at each state of a ticket.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from clausier.accounts import rules as account_rules
from clausier.audit.service import Actor, record
from clausier.billing.ledger.charges import add_charge
from clausier.catalog import facts as catalog_facts
from clausier.contracts import statuses as contract_statuses
from clausier.contracts import service as contracts
from clausier.core.clock import PARIS, Clock
from clausier.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAllowed,
    NotFound,
    RuleRefusal,
)
from clausier.core.explain import Explained
from clausier.core.message import msg
from clausier.core.money import ZERO, money
from clausier.customers import facts as customer_facts
from clausier.db.lookup import get_or_not_found
from clausier.db.session import lock_for_writing
from clausier.notifications.rules import delivery_failure, retry_at
from clausier.support import rules
from clausier.support.models import Notification, Outage, SlaClaim, Ticket, TicketEvent
from clausier.terms.schema import DayCount, ServiceLevels

log = logging.getLogger(__name__)

INCIDENT_REPORTER = "incident_reporter"
CHANNELS = ("phone", "email", "portal", "api")
ANOMALIES = ("major", "minor")
OPEN_STATES = (rules.TicketStatus.OPEN, rules.TicketStatus.RESTORED)
GIVE_UP_AFTER_ATTEMPTS = 5      # a notice is news: not worth sending for ever
# Subscriptions on which an incident can be reported.
# Outage reasons that are not excusable events of a sheet but still do not count (CP III §4.1.4).
WAITING_FOR_ACCESS = "waiting_for_site_access"
OUT_OF_SCOPE = "outside_operator_scope"


# --------------------------------------------------------------------------- inputs and readings


@dataclass
class TicketInput:
    subscription: str | int
    reporter_contact_id: int
    description: str
    location: str = ""
    consequences: str = ""
    keep_informed: list[dict] = field(default_factory=list)   # [{name, email, phone}]
    site_ids: list[int] = field(default_factory=list)         # default: the subscription's site
    access: str | None = None
    called_at: datetime | None = None                          # default: now
    channel: str = "phone"


@dataclass(frozen=True)
class TicketClock:
    """A ticket read at an instant: its target (if any), the clock and the time left."""

    ticket: Ticket
    target: rules.Target | None
    reading: rules.ClockReading
    status: rules.TargetStatus | None

    @property
    def breached(self) -> bool:
        return bool(self.status and self.status.breached)


@dataclass(frozen=True)
class SubscriptionReport:
    subscription: object        # the contracts room's subscription
    report: rules.MonthReport
    tickets: tuple[TicketClock, ...]


# --------------------------------------------------------------------------- helpers


def service_levels(session: Session, subscription) -> ServiceLevels | None:
    return contracts.terms_of(session, subscription).service_levels


def excusable_events(session: Session, ticket: Ticket) -> list[str]:
    """The excusable events the terms of the ticket's subscription list (none: any is typed)."""
    levels = service_levels(session, contracts.subscription_by_id(session, ticket.subscription_id))
    return list(levels.excusable_events.value) if levels and levels.excusable_events else []


def get_ticket(session: Session, ref: str | int) -> Ticket:
    query = select(Ticket)
    if isinstance(ref, int) or str(ref).isdecimal():
        query = query.where(or_(Ticket.id == int(ref), Ticket.ref == str(ref)))
    else:
        query = query.where(Ticket.ref == ref)
    ticket = session.scalars(query).first()
    if ticket is None:
        raise NotFound(f"ticket: {ref} not found", resource="ticket")
    return ticket


def get_customer(session: Session, ref_or_id: str | int) -> customer_facts.CustomerFacts:
    return customer_facts.find_customer(session, ref_or_id)


def check_customer_scope(actor: Actor, customer_id: int) -> None:
    """Staff act for every customer, a customer's users for their own only, anyone else for none."""
    if not account_rules.acts_for(actor.role, actor.customer_id, customer_id):
        raise Forbidden("customer: you may only act on your own tickets and reports")


def _next_ref(session: Session, operator: catalog_facts.OperatorFacts) -> str:
    count = session.scalar(select(func.count()).select_from(Ticket)
                           .where(Ticket.operator_id == operator.id)) or 0
    return f"{operator.invoice_prefix}-I{count + 1:06d}"


def _instant(value: datetime | None, clock: Clock, field_name: str) -> datetime:
    at = value or clock.now()
    if at.tzinfo is None:
        raise InvalidInput.on(field_name, "give a timezone-aware instant",
                              code=rules.Refused.ticket_instant_not_aware)
    if at > clock.now():
        raise InvalidInput.on(field_name, f"{at.isoformat()} is in the future",
                              code=rules.Refused.ticket_instant_in_future)
    return at


def _event(session: Session, clock: Clock, actor: Actor, ticket: Ticket, kind: str, at: datetime,
           details: dict | None = None) -> None:
    ticket.events.append(TicketEvent(kind=kind, at=at, details=details or {}, actor=actor.name,
                                     recorded_at=clock.now()))
    record(session, clock, actor, f"ticket.{kind}", ticket, msg("{ref}: {event} at {at}", ref=ticket.ref,
                                                                  event=kind, at=at.isoformat()),
           details)
    _notify(session, clock, ticket, kind, at)


def _notify(session: Session, clock: Clock, ticket: Ticket, state: str, at: datetime) -> None:
    """One outbox row per person to keep informed (VGA §5.7, §5.9: the customer is informed)."""
    subject, body = rules.notice_texts(ticket.ref, state, at, ticket.description)
    for person in ticket.keep_informed:
        session.add(Notification(ticket_id=ticket.id, state=state,
                                 recipient_name=person.get("name", ""),
                                 recipient_email=person.get("email", ""),
                                 recipient_phone=person.get("phone", ""), subject=subject,
                                 body=body, created_at=clock.now()))


def _check_excusable(levels: ServiceLevels | None, value: str | None, field_name: str,
                     also: tuple[str, ...] = ()) -> None:
    """An excusable event must be one the terms list (when they list them)."""
    allowed = list(levels.excusable_events.value) if levels and levels.excusable_events else []
    if value and allowed and value not in allowed + list(also):
        raise InvalidInput.on(field_name, f"{value!r} is not an excusable event of the terms "
                                          f"({', '.join(allowed + list(also))})",
                              code=rules.Refused.excusable_event_not_in_terms)


def _require_state(ticket: Ticket, allowed: tuple[rules.TicketStatus, ...], action: str) -> None:
    if ticket.status not in allowed:
        raise NotAllowed(f"status: cannot {action} ticket {ticket.ref} while it is {ticket.status} "
                         f"(allowed from: {', '.join(allowed)})",
                         code=rules.Refused.ticket_wrong_status)


def _not_before(ticket: Ticket, at: datetime, field_name: str) -> None:
    if at < ticket.called_at:
        raise InvalidInput.on(field_name, f"{at.isoformat()} is before the call "
                                          f"({ticket.called_at.isoformat()})",
                              code=rules.Refused.ticket_before_call)


# --------------------------------------------------------------------------- tickets


def open_ticket(session: Session, clock: Clock, actor: Actor, data: TicketInput) -> Ticket:
    """Open a ticket for an authorised incident reporter of the customer (VGA §5.7: caller
    identified and authorisation checked, contract and service level, sites affected)."""
    subscription = contracts.get_subscription(session, data.subscription)
    check_customer_scope(actor, subscription.customer_id)
    if not contract_statuses.is_live(subscription.status, subscription.termination_effective_on, clock.today()):
        raise NotAllowed(f"subscription: {subscription.ref} is {subscription.status}; incidents are "
                         f"reported on a live service ({', '.join(contract_statuses.LIVE_STATUSES)})",
                         code=rules.Refused.incident_subscription_not_live)
    customer_id, reporter_id = subscription.customer_id, data.reporter_contact_id
    customer = customer_facts.customers(session, [customer_id])[customer_id]
    reporter = customer_facts.contacts(session, [reporter_id]).get(reporter_id)
    if reporter is None or reporter.customer_id != customer.id:
        raise NotAllowed(f"reporter_contact_id: contact {data.reporter_contact_id} is not a contact "
                         f"of {customer.name}", code=rules.Refused.incident_reporter_not_a_contact)
    if INCIDENT_REPORTER not in (reporter.roles or []):
        raise NotAllowed(f"reporter_contact_id: {reporter.name} is not a contact {customer.name} "
                         "designated to report incidents (role incident_reporter)",
                         code=rules.Refused.incident_reporter_not_designated)
    if not data.description.strip():
        raise InvalidInput.on("description", "describe the incident",
                              code=rules.Refused.ticket_description_missing)
    if data.channel not in CHANNELS:
        raise InvalidInput.on("channel", f"{data.channel!r} is not one of {', '.join(CHANNELS)}",
                              code=rules.Refused.ticket_channel_unknown)
    site_ids = list(dict.fromkeys(data.site_ids or [subscription.site_id]))
    customer_sites = {site.id for site in
                      customer_facts.sites_of(session, [customer_id]).get(customer_id, ())}
    for site_id in site_ids:
        if site_id not in customer_sites:
            raise InvalidInput.on("site_ids", f"site {site_id} is not a site of {customer.name}",
                                  code=rules.Refused.ticket_site_of_another_customer)
    levels = service_levels(session, subscription)
    option = subscription.service_level_option
    access = _access(levels, option, data.access, [i.unit for i in subscription.items])
    keep_informed = [_person(p, index) for index, p in enumerate(data.keep_informed)] or [
        {"name": reporter.name, "email": reporter.email, "phone": reporter.phone}]
    called_at = _instant(data.called_at, clock, "called_at")
    operator_id = subscription.operator_id
    operator = catalog_facts.operators(session, [operator_id])[operator_id]
    ticket = Ticket(ref=_next_ref(session, operator), operator_id=operator.id, customer_id=customer.id,
                    subscription_id=subscription.id, site_ids=site_ids, reporter_contact_id=reporter.id,
                    channel=data.channel, description=data.description.strip(),
                    location=data.location, consequences=data.consequences,
                    keep_informed=keep_informed, access=access, service_level_option=option,
                    status=rules.TicketStatus.OPEN, called_at=called_at, created_at=clock.now(), created_by=actor.name)
    session.add(ticket)
    session.flush()
    _event(session, clock, actor, ticket, "opened", called_at,
           {"reporter": reporter.name, "subscription": subscription.ref, "option": option,
            "access": access})
    return ticket


def _access(levels: ServiceLevels | None, option: str, given: str | None,
            units: list[str]) -> str | None:
    accesses = rules.target_accesses(levels, option)
    if given:
        if accesses and given not in accesses:
            raise InvalidInput.on("access", f"{given!r}: option {option} has targets for "
                                            f"{', '.join(accesses)}",
                                  code=rules.Refused.ticket_access_unknown)
        return given
    if not accesses:
        return None
    inferred = rules.default_access(levels, option, units)
    if inferred is None:
        raise InvalidInput.on("access", f"option {option} has targets for {', '.join(accesses)}; "
                                        "say which access is affected",
                              code=rules.Refused.ticket_access_not_said)
    return inferred


def _person(value: dict, index: int) -> dict:
    name = str(value.get("name", "")).strip()
    email = str(value.get("email", "")).strip()
    phone = str(value.get("phone", "")).strip()
    if not name or not (email or phone):
        raise InvalidInput.on(f"keep_informed.{index}", "give a name and an e-mail or a phone number",
                              code=rules.Refused.ticket_keep_informed_incomplete)
    return {"name": name, "email": email, "phone": phone}


def confirm(session: Session, clock: Clock, actor: Actor, ref: str, at: datetime | None = None) -> Ticket:
    """The customer's written confirmation (fax or e-mail) of the call has arrived."""
    ticket = get_ticket(session, ref)
    check_customer_scope(actor, ticket.customer_id)
    _require_state(ticket, OPEN_STATES, "confirm")
    if ticket.confirmed_at is not None:
        raise Conflict(f"confirmed_at: {ticket.ref} was already confirmed at "
                       f"{ticket.confirmed_at.isoformat()}",
                       code=rules.Refused.ticket_already_confirmed)
    at = _instant(at, clock, "at")
    _not_before(ticket, at, "at")
    ticket.confirmed_at = at
    _event(session, clock, actor, ticket, "confirmed", at)
    return ticket


def request_access(session: Session, clock: Clock, actor: Actor, ref: str,
                   at: datetime | None = None) -> Ticket:
    """The operator asks for access to the site: the clock is frozen (VGA §5.8)."""
    ticket = get_ticket(session, ref)
    _require_state(ticket, (rules.TicketStatus.OPEN,), "pause")
    if _open_pause(ticket) is not None:
        raise Conflict(f"status: {ticket.ref} is already waiting for site access",
                       code=rules.Refused.ticket_already_waiting_for_access)
    at = _instant(at, clock, "at")
    _not_before(ticket, at, "at")
    _event(session, clock, actor, ticket, "access_requested", at)
    return ticket


def give_access(session: Session, clock: Clock, actor: Actor, ref: str,
                at: datetime | None = None) -> Ticket:
    """Access to the site was obtained: the clock runs again."""
    ticket = get_ticket(session, ref)
    _require_state(ticket, (rules.TicketStatus.OPEN,), "resume")
    pause = _open_pause(ticket)
    if pause is None:
        raise Conflict(f"status: {ticket.ref} is not waiting for site access",
                       code=rules.Refused.ticket_not_waiting_for_access)
    at = _instant(at, clock, "at")
    if at < pause.start:
        raise InvalidInput.on("at", f"{at.isoformat()} is before the access request "
                                    f"({pause.start.isoformat()})",
                              code=rules.Refused.ticket_access_given_before_request)
    _event(session, clock, actor, ticket, "access_given", at)
    return ticket


def qualify(session: Session, clock: Clock, actor: Actor, ref: str, *, in_scope: bool | None = None,
            anomaly: str | None = None, excusable_event: str | None = None, misuse: bool = False,
            note: str = "") -> Ticket:
    """Qualify the incident (VGA §5.8): in the operator's scope or not, major or minor anomaly,
    excusable event; a ticket outside the scope or caused by misuse is billable."""
    ticket = get_ticket(session, ref)
    _require_state(ticket, OPEN_STATES, "qualify")
    if anomaly is not None and anomaly not in ANOMALIES:
        raise InvalidInput.on("anomaly", f"{anomaly!r} is not one of {', '.join(ANOMALIES)}",
                              code=rules.Refused.ticket_anomaly_unknown)
    subscription = contracts.subscription_by_id(session, ticket.subscription_id)
    levels = service_levels(session, subscription)
    _check_excusable(levels, excusable_event, "excusable_event")
    ticket.in_scope = in_scope
    ticket.anomaly = anomaly
    ticket.excusable_event = excusable_event or None
    ticket.misuse = misuse
    ticket.qualification_note = note
    ticket.billable = rules.is_billable(levels, in_scope, misuse)
    _event(session, clock, actor, ticket, "qualified", clock.now(),
           {"in_scope": in_scope, "anomaly": anomaly, "excusable_event": ticket.excusable_event,
            "misuse": misuse, "billable": ticket.billable})
    return ticket


def restore(session: Session, clock: Clock, actor: Actor, ref: str, at: datetime | None = None) -> Ticket:
    """Restoration is notified to the customer: the clock stops (VGA §5.5)."""
    ticket = get_ticket(session, ref)
    _require_state(ticket, (rules.TicketStatus.OPEN,), "restore")
    at = _instant(at, clock, "at")
    _not_before(ticket, at, "at")
    pause = _open_pause(ticket)
    if pause is not None and at < pause.start:
        raise InvalidInput.on("at", "restoration is before the pending access request",
                              code=rules.Refused.ticket_restored_before_access_request)
    ticket.restored_at = at
    ticket.status = rules.TicketStatus.RESTORED
    _event(session, clock, actor, ticket, "restored", at)
    return ticket


def close(session: Session, clock: Clock, actor: Actor, ref: str, at: datetime | None = None) -> Ticket:
    """Close and archive (VGA §5.9): determine the interruption time; a major anomaly (a total
    outage) is recorded as outages for the availability report."""
    ticket = get_ticket(session, ref)
    _require_state(ticket, (rules.TicketStatus.RESTORED,), "close")
    at = _instant(at, clock, "at")
    reading = clock_of(session, ticket, at)
    ticket.restoration_minutes = int(reading.reading.elapsed // rules.MINUTE)
    ticket.closed_at = at
    ticket.status = rules.TicketStatus.CLOSED
    if ticket.anomaly == "major":
        excluded = ticket.excusable_event or (OUT_OF_SCOPE if ticket.in_scope is False else None)
        for span in reading.reading.spans:
            if span.state in ("running", "paused") and span.end > span.start:
                session.add(Outage(subscription_id=ticket.subscription_id, ticket_id=ticket.id,
                                   started_at=span.start, ended_at=span.end,
                                   excluded_reason=excluded or (WAITING_FOR_ACCESS
                                                                if span.state == "paused" else None),
                                   note=f"ticket {ticket.ref}", created_at=clock.now()))
    _event(session, clock, actor, ticket, "closed", at,
           {"restoration_minutes": ticket.restoration_minutes})
    return ticket


def _pauses(ticket: Ticket) -> tuple[rules.Pause, ...]:
    pauses: list[rules.Pause] = []
    for event in sorted(ticket.events, key=lambda e: (e.at, e.id or 0)):
        if event.kind == "access_requested":
            pauses.append(rules.Pause(event.at))
        elif event.kind == "access_given" and pauses and pauses[-1].end is None:
            pauses[-1] = rules.Pause(pauses[-1].start, event.at)
    return tuple(pauses)


def _open_pause(ticket: Ticket) -> rules.Pause | None:
    pauses = _pauses(ticket)
    return pauses[-1] if pauses and pauses[-1].end is None else None


def clock_of(session: Session, ticket: Ticket, now: datetime) -> TicketClock:
    """The ticket's clock at ``now``, counted as its target says (business hours or not)."""
    subscription = contracts.subscription_by_id(session, ticket.subscription_id)
    levels = service_levels(session, subscription)
    try:
        target = rules.target_for(levels, ticket.service_level_option, ticket.access)
        counting_in = target.counted_in if target else DayCount.around_the_clock
        counting = rules.counting_calendar(levels or ServiceLevels(), counting_in)
    except RuleRefusal as exc:
        raise exc.as_error(NotAllowed) from None
    window = levels.restoration.confirmation_window_minutes if levels and levels.restoration else None
    facts = rules.ClockFacts(called_at=ticket.called_at, confirmed_at=ticket.confirmed_at,
                             pauses=_pauses(ticket), restored_at=ticket.restored_at)
    reading = rules.read_clock(facts, counting, window, now)
    status = rules.target_status(reading, target, counting) if target else None
    return TicketClock(ticket, target, reading, status)


def list_tickets(session: Session, *, customer_id: int | None = None,
                 status: rules.TicketStatus | None = None,
                 open_only: bool = False) -> list[Ticket]:
    query = select(Ticket).order_by(Ticket.called_at.desc(), Ticket.id.desc())
    if customer_id is not None:
        query = query.where(Ticket.customer_id == customer_id)
    if status:
        query = query.where(Ticket.status == status)
    if open_only:
        query = query.where(Ticket.status.in_(OPEN_STATES))
    return list(session.scalars(query))


def open_ticket_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Ticket)
                          .where(Ticket.status.in_(OPEN_STATES))) or 0


def live_board(session: Session, now: datetime, customer_id: int | None = None) -> list[TicketClock]:
    """Open tickets with the time left before their target, most urgent (or breached) first."""
    clocks = [clock_of(session, t, now) for t in list_tickets(session, customer_id=customer_id,
                                                              open_only=True)]
    far = timedelta.max
    return sorted(clocks, key=lambda c: (c.status.left if c.status else far, c.ticket.id))


# --------------------------------------------------------------------------- outages


def record_outage(session: Session, clock: Clock, actor: Actor, subscription_ref: str | int,
                  started_at: datetime, ended_at: datetime, excluded_reason: str | None = None,
                  note: str = "") -> Outage:
    """A total outage detected by the operator (or found afterwards), for the availability SLA."""
    subscription = contracts.get_subscription(session, subscription_ref)
    _check_excusable(service_levels(session, subscription), excluded_reason, "excluded_reason",
                     (WAITING_FOR_ACCESS, OUT_OF_SCOPE))
    if started_at.tzinfo is None or ended_at.tzinfo is None:
        raise InvalidInput.on("started_at", "give timezone-aware instants",
                              code=rules.Refused.outage_instant_not_aware)
    if ended_at <= started_at:
        raise InvalidInput.on("ended_at", "the outage must end after it starts",
                              code=rules.Refused.outage_ends_before_start)
    if ended_at > clock.now():
        raise InvalidInput.on("ended_at", f"{ended_at.isoformat()} is in the future",
                              code=rules.Refused.outage_in_future)
    outage = Outage(subscription_id=subscription.id, started_at=started_at, ended_at=ended_at,
                    excluded_reason=excluded_reason or None, note=note, created_at=clock.now())
    session.add(outage)
    record(session, clock, actor, "outage.record", outage,
           msg("{ref}: {start} → {end} (excluded: {reason})" if excluded_reason
               else "{ref}: {start} → {end}", ref=subscription.ref,
               start=started_at.isoformat(), end=ended_at.isoformat(),
               reason=excluded_reason or ""))
    return outage


# --------------------------------------------------------------------------- the monthly report


def monthly_amount(subscription, month: date) -> Decimal:
    """The month's fee for the service at the site (options too): in a month a change order
    splits, the fees of each day's items weighted by days — what the month is billed (the
    bill run shares it by days, CGV art. 7.4)."""
    start, end = rules.month_bounds(month)
    first, following = start.date(), end.date()
    days = [first + timedelta(days=n) for n in range((following - first).days)]
    fees = [contracts.monthly_fees_in_force(subscription, day) for day in days]
    if len(set(fees)) == 1:
        return fees[0]
    return money(sum(fees, ZERO) / len(days))


def subscription_report(session: Session, subscription, month: date,
                        now: datetime) -> SubscriptionReport:
    levels = service_levels(session, subscription)
    start, end = rules.month_bounds(month)
    tickets = session.scalars(select(Ticket).where(
        Ticket.subscription_id == subscription.id, Ticket.called_at >= start,
        Ticket.called_at < end).order_by(Ticket.called_at)).all()
    clocks = tuple(clock_of(session, t, now) for t in tickets)
    cases = [rules.RestorationCase(c.ticket.ref, c.reading.elapsed, c.target, c.ticket.excusable_event,
                                   c.ticket.in_scope, c.ticket.anomaly,
                                   contracts.monthly_fees_in_force(
                                       subscription, c.ticket.called_at.astimezone(PARIS).date()))
             for c in clocks if c.target is not None and c.ticket.status != rules.TicketStatus.OPEN]
    outages = [rules.OutageFact(o.started_at, o.ended_at, o.excluded_reason)
               for o in session.scalars(select(Outage).where(
                   Outage.subscription_id == subscription.id, Outage.started_at < end,
                   Outage.ended_at > _window_start(levels, month)))]
    service = f"{subscription.ref} {subscription.family}"
    try:
        report = rules.month_report(levels, month, service, monthly_amount(subscription, month),
                                    cases, outages, subscription.go_live_on)
    except RuleRefusal as exc:
        raise exc.as_error(NotAllowed, of=subscription.ref) from None
    return SubscriptionReport(subscription, report, clocks)


def _window_start(levels: ServiceLevels | None, month: date) -> datetime:
    """Objective-only rates look back over several months (VGA GTD: 6)."""
    months = (levels.availability.objective_months.value
              if rules.has_service_level(levels) and levels.availability
              and levels.availability.objective_months else 1)
    return rules.month_bounds(rules.add_months(month, 1 - months))[0]


def sla_report(session: Session, clock: Clock, month: date, customer: str | int | None = None,
               actor: Actor | None = None) -> list[SubscriptionReport]:
    """Per subscription: availability, band, credit, restoration breaches, penalties, explained."""
    customer_id = None if customer is None else get_customer(session, customer).id
    if actor is not None and account_rules.reach_of(actor.role) is not account_rules.Reach.STAFF:
        own = account_rules.own_customer(actor.role, actor.customer_id)
        if own is None or customer_id not in (None, own):
            return []
        customer_id = own
    start, end = rules.month_bounds(month)
    now = clock.now()
    return [subscription_report(session, s, month, now)
            for s in contracts.subscriptions_serving(session, start.date(), end.date(),
                                                     customer_id)]


@dataclass(frozen=True)
class SlaRow:
    """One line of the service-level report: a subscription at a site in the month, what the
    customer is owed and where its claim stands."""

    customer_id: int
    customer: str
    site: str
    item: SubscriptionReport
    standing: rules.ClaimStanding
    claimed_on: date | None


@dataclass(frozen=True)
class SlaCustomer:
    customer_id: int
    name: str
    rows: tuple[SlaRow, ...]

    @property
    def total(self) -> Decimal:
        return money(sum((row.item.report.total for row in self.rows), ZERO))


def sla_overview(session: Session, clock: Clock, month: date, customer: str | int | None = None,
                 actor: Actor | None = None) -> list[SlaCustomer]:
    """The month's report by customer (by name) and site, each subscription with its claim
    standing: nothing due, to claim by the sheet's deadline, claimed, or its window passed."""
    items = sla_report(session, clock, month, customer, actor)
    customer_ids = {item.subscription.customer_id for item in items}
    names = customer_facts.names(session, customer_ids)
    sites = customer_facts.sites(session, {item.subscription.site_id for item in items
                                           if item.subscription.site_id})
    claimed = dict(session.execute(select(SlaClaim.customer_id, SlaClaim.requested_on).where(
        SlaClaim.month == month.replace(day=1), SlaClaim.customer_id.in_(customer_ids))).all())
    today = clock.today()
    by_customer: dict[int, list[SlaRow]] = {}
    for item in items:
        sub = item.subscription
        site = sites.get(sub.site_id)
        claimed_on = claimed.get(sub.customer_id)
        by_customer.setdefault(sub.customer_id, []).append(SlaRow(
            sub.customer_id, names.get(sub.customer_id, ""), site.name if site else "", item,
            rules.claim_standing(item.report.total, item.report.claim_deadline, claimed_on, today),
            claimed_on))
    return sorted((SlaCustomer(customer_id, names.get(customer_id, ""),
                               tuple(sorted(rows, key=lambda r: (r.site, r.item.subscription.ref))))
                   for customer_id, rows in by_customer.items()), key=lambda c: c.name)


# --------------------------------------------------------------------------- claims


def claim(session: Session, clock: Clock, actor: Actor, customer_ref: str | int, month: date) -> SlaClaim:
    """The customer asks for the month's penalties and credits: they become credit lines of the
    next invoice. Restoration penalties may be asked for a limited number of times a year (VGA
    §5.6); availability credits within the sheet's window after the month (CP III §4.1)."""
    customer = get_customer(session, customer_ref)
    check_customer_scope(actor, customer.id)
    month = month.replace(day=1)
    today = clock.today()
    if today < rules.month_bounds(month)[1].date():
        raise NotAllowed(f"month: {month:%Y-%m} is not over yet; claim it once it has ended",
                         code=rules.Refused.sla_claim_month_not_over)
    existing = session.scalar(select(SlaClaim).where(SlaClaim.customer_id == customer.id,
                                                     SlaClaim.month == month))
    if existing is not None:
        raise Conflict(f"month: {customer.name} already claimed {month:%Y-%m} on "
                       f"{existing.requested_on.isoformat()}",
                       code=rules.Refused.sla_claim_already_made)
    claims_this_year = session.scalar(select(func.count()).select_from(SlaClaim).where(
        SlaClaim.customer_id == customer.id, SlaClaim.includes_restoration.is_(True),
        SlaClaim.requested_on >= date(today.year, 1, 1),
        SlaClaim.requested_on <= date(today.year, 12, 31))) or 0
    granted: list[tuple[object, Explained]] = []
    refused: list[str] = []
    includes_restoration = False
    for item in sla_report(session, clock, month, customer.id):
        levels = service_levels(session, item.subscription)
        report, ref = item.report, item.subscription.ref
        explained = Explained()
        if report.penalties.lines:
            refusal = rules.restoration_claim_refusal(levels, claims_this_year)
            if refusal:
                refused.append(f"{ref}: {refusal}")
            else:
                explained = explained.plus(*report.penalties.lines)
                includes_restoration = True
        if report.availability.credit.lines:
            deadline = report.claim_deadline
            if deadline is not None and today > deadline:
                refused.append(f"{ref}: the availability credit of {month:%Y-%m} had to be claimed "
                               f"by {deadline.isoformat()} "
                               f"({levels.availability.claim_window_days.clause})")
            else:
                explained = explained.plus(*report.availability.credit.lines)
        if explained.lines:
            granted.append((item.subscription, explained))
    if not granted:
        raise NotAllowed("month: " + ("; ".join(refused) if refused
                                      else f"nothing to claim for {customer.name} in {month:%Y-%m}"),
                         code=rules.Refused.sla_claim_nothing_granted)
    total = money(sum((e.total for _, e in granted), ZERO))
    row = SlaClaim(customer_id=customer.id, month=month, requested_on=today,
                   includes_restoration=includes_restoration, total=total,
                   explanation={s.ref: e.as_dict() for s, e in granted}, refused=refused,
                   actor=actor.name, created_at=clock.now())
    session.add(row)
    session.flush()
    for subscription, explained in granted:
        add_charge(session, clock, actor, customer_id=customer.id, subscription_id=subscription.id,
                   source="sla_credit", source_key=f"{row.id}:{subscription.id}",
                   label=msg("Service-level credit {month} — {ref}", month=f"{month:%Y-%m}",
                             ref=subscription.ref),
                   explained=explained,
                   price_basis=subscription.items[0].price_basis if subscription.items else "HT",
                   incurred_on=today)
    record(session, clock, actor, "sla.claim", row,
           msg("{customer} {month}: {total}; refused: {refused}" if refused
               else "{customer} {month}: {total}", customer=customer.name,
               month=f"{month:%Y-%m}", total=total, refused="; ".join(refused)))
    return row


# --------------------------------------------------------------------------- outbox


def _pending(due_at: datetime | None = None, customer_id: int | None = None):
    query = select(Notification).where(Notification.status == rules.NoticeStatus.PENDING)
    if due_at is not None:
        query = query.where(or_(Notification.next_attempt_at.is_(None),
                                Notification.next_attempt_at <= due_at))
    if customer_id is not None:
        query = query.join(Ticket, Ticket.id == Notification.ticket_id).where(
            Ticket.customer_id == customer_id)
    return query.order_by(Notification.id)


def pending_notifications(session: Session, limit: int = 100, due_at: datetime | None = None,
                          customer_id: int | None = None, *, claim: bool = False
                          ) -> list[Notification]:
    """What a sender (mail relay, SMS gateway) still has to send, oldest first; with ``due_at``,
    only those whose next attempt after a failure has come; with ``customer_id``, those of
    that customer's tickets. With ``claim``, locked until the transaction ends and without those
    another sender holds (a worker, ``send_next_notification``)."""
    query = _pending(due_at, customer_id).limit(limit)
    if claim:
        query = query.with_for_update(of=Notification, skip_locked=True)
    return list(session.scalars(query))


def mark_sent(session: Session, clock: Clock, notification_id: int) -> Notification:
    notification = get_or_not_found(session, Notification, notification_id, resource="notification")
    notification.status = rules.NoticeStatus.SENT
    notification.attempts += 1
    notification.sent_at = clock.now()
    notification.last_error, notification.next_attempt_at = "", None
    return notification


def mark_failed(session: Session, clock: Clock, notification_id: int, error: str,
                give_up: bool = False) -> Notification:
    """A failed attempt: the notice stays pending, tried again later (notifications.rules.retry_at),
    unless given up."""
    notification = get_or_not_found(session, Notification, notification_id, resource="notification")
    notification.attempts += 1
    notification.last_error = error
    notification.status = rules.NoticeStatus.FAILED if give_up else rules.NoticeStatus.PENDING
    notification.next_attempt_at = None if give_up else retry_at(clock.now(),
                                                                 notification.attempts)
    return notification


def deliver_notifications(session: Session, clock: Clock, actor: Actor, day: date,
                          mailer=None, sms=None, *, customer_id: int | None = None) -> dict[str, int]:
    """Daily step, and the server's sender: send the pending notices whose next attempt has
    come to the people kept informed, by e-mail (SMTP) or SMS, with the mail and SMS adapters
    of the notifications room's outbox; a failure stays pending, says why, and is tried again
    (given up after 5 attempts)."""
    from clausier.core.settings import Settings
    from clausier.notifications.outbox import DELIVERY_LOCK, SmtpMailer, sms_provider

    settings = Settings.from_env()
    mailer = mailer or SmtpMailer.from_settings(settings)
    sms = sms or sms_provider(settings)
    lock_for_writing(session, DELIVERY_LOCK)     # the tick and the server's sender, one at a time
    counts = {"sent": 0, "failed": 0}
    for notification in pending_notifications(session, limit=1000, due_at=clock.now(),
                                              customer_id=customer_id, claim=True):
        counts["sent" if _attempt(session, clock, notification, mailer, sms) else "failed"] += 1
    return counts


def send_next_notification(session: Session, clock: Clock, actor: Actor, *, mailer=None,
                           sms=None) -> str | None:
    """A worker's step (``workers.tasks.deliver_notices``): claim the oldest due notice no other
    sender holds, send it and mark it in the caller's one transaction (sent by one sender only,
    never again once committed). ``"sent"``/``"failed"``, or None when nothing is due."""
    from clausier.core.settings import Settings
    from clausier.notifications.outbox import SmtpMailer, sms_provider

    claimed = pending_notifications(session, limit=1, due_at=clock.now(), claim=True)
    if not claimed:
        return None
    notification = claimed[0]
    settings = Settings.from_env()
    sent = _attempt(session, clock, notification, mailer or SmtpMailer.from_settings(settings),
                    sms or sms_provider(settings))
    return "sent" if sent else "failed"


def _attempt(session: Session, clock: Clock, notification: Notification, mailer, sms) -> bool:
    """One attempt at a notice, by e-mail or SMS: marked sent, or failed and tried again."""
    import smtplib

    channel = "email" if notification.recipient_email else "sms"
    try:
        if notification.recipient_email:
            mailer.send(notification.recipient_email, notification.subject, notification.body)
        elif notification.recipient_phone:
            sms.send(notification.recipient_phone, f"{notification.subject}\n{notification.body}")
        else:
            mark_failed(session, clock, notification.id, "no e-mail nor phone", give_up=True)
            return False
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("notification %s not sent (attempt %s): %r", notification.id,
                    notification.attempts + 1, exc)
        mark_failed(session, clock, notification.id, delivery_failure(channel, exc),
                    give_up=notification.attempts + 1 >= GIVE_UP_AFTER_ATTEMPTS)
        return False
    mark_sent(session, clock, notification.id)
    return True


def deliveries_due(session: Session, clock: Clock, customer_id: int | None = None) -> list[dict]:
    """What ``deliver_notifications`` would send now (``clausier tick --dry-run``)."""
    return [{"channel": "email" if n.recipient_email else "sms", "kind": "ticket_notice",
             "customer_id": session.get(Ticket, n.ticket_id).customer_id,
             "recipient": n.recipient_email or n.recipient_phone, "subject": n.subject}
            for n in pending_notifications(session, limit=1000, due_at=clock.now(),
                                           customer_id=customer_id)]


def notifications_of(session: Session, ticket: Ticket) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.ticket_id == ticket.id)
                                .order_by(Notification.id)))
