"""Number use cases: inventory, SDA orders, assignment, site moves, portability in and out, and
the daily tick step (ports due, numbers lost with the lines that ended)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.catalog import facts as catalog_facts
from clausier.contracts import facts as contract_facts
from clausier.contracts import service as contracts
from clausier.contracts.statuses import SubscriptionStatus
from clausier.contracts.changes import Change
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, RuleRefusal, one_of
from clausier.core.message import msg
from clausier.customers import facts as customer_facts
from clausier.db.lookup import get_or_not_found
from clausier.numbers import rules
from clausier.numbers.models import PhoneNumber, PortRequest

_N, _P = rules.NumberStatus, rules.PortStatus
LIVE = (_N.ASSIGNED, _N.PORTING_IN, _N.PORTING_OUT)
OPEN_PORT = (_P.SCHEDULED,)


def _rule(call, *args, **kwargs):
    """Run a rule; its refusal becomes an input error naming the field."""
    try:
        return call(*args, **kwargs)
    except RuleRefusal as exc:
        raise exc.as_invalid_input() from None


def get_number(session: Session, number: str, operator_id: int | None = None) -> PhoneNumber:
    national = _rule(rules.normalise, number)
    query = select(PhoneNumber).where(PhoneNumber.number == national)
    if operator_id is not None:
        query = query.where(PhoneNumber.operator_id == operator_id)
    row = session.scalars(query.order_by(PhoneNumber.id.desc())).first()
    if row is None:
        raise NotFound(f"number: {national} not found", resource="number")
    return row


def _new(session: Session, clock: Clock, operator_id: int, number: str, kind: str, zone: str,
         block: str | None = None) -> PhoneNumber:
    _rule(rules.check_kind, number, kind)
    if session.scalar(select(PhoneNumber.id).where(PhoneNumber.operator_id == operator_id,
                                                   PhoneNumber.number == number)):
        raise Conflict(f"number: {number} is already in the inventory",
                       code=rules.Refused.number_already_in_inventory)
    row = PhoneNumber(operator_id=operator_id, number=number, kind=kind,
                      numbering_zone=zone if kind in ("geographic", "sda") else "", sda_block=block,
                      status=_N.AVAILABLE, created_at=clock.now())
    session.add(row)
    return row


def add_numbers(session: Session, clock: Clock, actor: Actor, operator_id: int, numbers: list[str],
                kind: str, numbering_zone: str = "") -> list[PhoneNumber]:
    """Numbers allotted to the operator (by the assigning operator) join the inventory."""
    if not numbers:
        raise InvalidInput.on("numbers", "give at least one number",
                              code=rules.Refused.numbers_missing)
    if kind in ("geographic", "sda") and not numbering_zone:
        raise InvalidInput.on("numbering_zone", f"a {kind} number needs its numbering zone",
                              code=rules.Refused.numbering_zone_missing)
    rows = [_new(session, clock, operator_id, _rule(rules.normalise, n), kind, numbering_zone) for n in numbers]
    session.flush()
    record(session, clock, actor, "numbers.add", rows[0],
           msg("{n} {kind} number(s) added in zone {zone}" if numbering_zone
               else "{n} {kind} number(s) added", n=len(rows), kind=kind, zone=numbering_zone))
    return rows


def _zone(session: Session, site_id: int) -> str:
    """The numbering zone of a site of the customer."""
    return customer_facts.sites(session, [site_id])[site_id].numbering_zone


def _attach(session: Session, clock: Clock, actor: Actor, row: PhoneNumber, subscription,
            on: date, status: rules.NumberStatus = _N.ASSIGNED) -> None:
    row.status, row.customer_id, row.subscription_id = status, subscription.customer_id, subscription.id
    row.assigned_on, row.released_on, row.release_reason = on, None, None
    record(session, clock, actor, f"numbers.{status}", row, msg("{number} → {ref} on {date}", number=row.number, ref=subscription.ref, date=on))


def assign(session: Session, clock: Clock, actor: Actor, number: str, subscription_ref: str | int,
           on: date) -> PhoneNumber:
    """Give an available number to a subscription; a geographic number only at a site of its zone."""
    subscription = contracts.get_subscription(session, subscription_ref)
    row = get_number(session, number, subscription.operator_id)
    if row.status != _N.AVAILABLE:
        raise NotAllowed(f"status: {row.number} is {row.status}, not available",
                         code=rules.Refused.number_not_available)
    zone = _zone(session, subscription.site_id)
    if row.kind in ("geographic", "sda") and zone and row.numbering_zone != zone:
        raise NotAllowed(f"numbering_zone: {row.number} belongs to zone {row.numbering_zone}; the site of "
                         f"{subscription.ref} is in zone {zone}",
                         code=rules.Refused.number_of_another_zone)
    _attach(session, clock, actor, row, subscription, on)
    return row


def release(session: Session, clock: Clock, actor: Actor, row: PhoneNumber, on: date, reason: str) -> None:
    """The line no longer carries the number: it is lost to the customer."""
    before = row.status
    row.status, row.released_on, row.release_reason = _N.LOST, on, reason
    record(session, clock, actor, "numbers.lost", row, msg("{number} ({status}) lost on {date}: {reason}", number=row.number,
                                                  status=before, date=on, reason=reason),
           {"status": [before, _N.LOST]})


def order_sda(session: Session, clock: Clock, actor: Actor, subscription_ref: str | int, first: str,
              count: int, on: date) -> list[PhoneNumber]:
    """Direct-dial numbers (SDA) ordered for a line, by whole blocks of the sheet's size, in the
    numbering zone of its site; the order re-commits the service where the sheet says so."""
    subscription = contracts.get_subscription(session, subscription_ref)
    terms = contracts.terms_of(session, subscription)
    block_offer = next((offer for offer in catalog_facts.offers_of_family(
        session, subscription.operator_id, subscription.family) if offer.unit == "sda_block"), None)
    sold = None
    if block_offer is not None and (block_offer.attributes or {}).get("numbers"):
        sold = (int(block_offer.attributes["numbers"]), f"price list ({block_offer.code})")
    numbers, _clause = _rule(rules.sda_block, first, count, terms, sold)
    zone = _zone(session, subscription.site_id)
    if not zone:
        raise InvalidInput.on("site", f"the site of {subscription.ref} has no numbering zone",
                              code=rules.Refused.site_without_numbering_zone)
    rows = []
    for number in numbers:
        row = _new(session, clock, subscription.operator_id, number, "sda", zone, block=numbers[0])
        session.flush()
        _attach(session, clock, actor, row, subscription, on)
        rows.append(row)
    if block_offer is not None:
        # The blocks become items of the subscription: billed, quoted and re-committed as any
        # change order (CGV art. 7.4 names "ajout/suppression de SDA").
        blocks = count // rules.sda_block_size(terms, sold)[0]
        contracts.confirm_change(session, clock, actor, subscription.id,
                                 (Change("add", block_offer.code, blocks),), on)
    elif terms.commitment and (terms.commitment.recommit_on_change_months
                               or terms.commitment.recommit_on_change_choices_months):
        contracts.recommit(session, clock, actor, subscription.id, on, f"SDA +{count}")
    return rows


def numbers_of(session: Session, subscription_id: int) -> list[PhoneNumber]:
    return list(session.scalars(select(PhoneNumber).where(
        PhoneNumber.subscription_id == subscription_id, PhoneNumber.status.in_(LIVE)).order_by(PhoneNumber.number)))


def move_site(session: Session, clock: Clock, actor: Actor, subscription_ref: str | int, on: date,
              new_site_id: int) -> dict:
    """Move a line to another site of the customer (``contracts.move_site``): its geographic and
    SDA numbers stay only if the new site is in the same numbering zone, else they are lost."""
    subscription = contracts.get_subscription(session, subscription_ref)
    old_zone = _zone(session, subscription.site_id)
    quote = contracts.move_site(session, clock, actor, subscription.id, on, new_site_id)
    new_zone = _zone(session, new_site_id)
    kept, lost = [], []
    for row in numbers_of(session, subscription.id):
        if row.kind not in ("geographic", "sda"):
            kept.append(row.number)       # mobile and non-geographic numbers do not depend on the site
        elif old_zone and new_zone == row.numbering_zone:
            kept.append(row.number)
        else:
            release(session, clock, actor, row, on, f"site move to numbering zone {new_zone or '?'}")
            lost.append(row.number)
    return {"quote": quote.as_dict(), "kept": kept, "lost": lost, "numbers_kept": quote.numbers_kept}


# --------------------------------------------------------------------------- portability

def _pending(session: Session, number: str) -> PortRequest | None:
    return session.scalars(select(PortRequest).where(PortRequest.number == number,
                                                     PortRequest.status.in_(OPEN_PORT))).first()


def port_in(session: Session, clock: Clock, actor: Actor, subscription_ref: str | int, number: str, *,
            rio: str | None, mandate_signed_on: date | None, requested_on: date, wanted: date | None = None,
            number_active_at_donor: bool = True, requester_capable: bool = True) -> PortRequest:
    """A request to bring a number from another operator onto a line: refused with every reason
    of the seeds that applies (recorded, so the customer can be told), else scheduled with its
    porting date (business days over French holidays) and expected interruption."""
    subscription = contracts.get_subscription(session, subscription_ref)
    national = _rule(rules.normalise, number)
    terms = contracts.terms_of(session, subscription)
    pending = _pending(session, national)
    problems = rules.refusals(rules.PortInRequest(
        national, rio, mandate_signed_on is not None, number_active_at_donor, requester_capable,
        pending is not None), terms)
    kind = "mobile" if rules.kind_of(national) == "mobile" else "fixed"
    request = PortRequest(operator_id=subscription.operator_id, direction="in", number=national, kind=kind,
                          customer_id=subscription.customer_id, subscription_id=subscription.id,
                          rio=(rio or "").replace(" ", "").upper()[:12] or None,
                          mandate_signed_on=mandate_signed_on, requested_on=requested_on,
                          status=_P.REFUSED if problems else _P.SCHEDULED,
                          refusal_reasons=[{"reason": r, "detail": d} for r, d in problems],
                          created_at=clock.now())
    if not problems:
        plan = _rule(rules.porting_plan, national, requested_on, terms, wanted)
        request.porting_date, request.plan = plan.porting_date, plan.as_dict()
        zone = _zone(session, subscription.site_id)
        row = session.scalar(select(PhoneNumber).where(PhoneNumber.operator_id == subscription.operator_id,
                                                       PhoneNumber.number == national))
        if row is None:
            row = _new(session, clock, subscription.operator_id, national, rules.kind_of(national), zone)
            session.flush()
        elif row.status in LIVE:
            raise Conflict(f"number: {national} is already {row.status} here",
                           code=rules.Refused.number_already_live)
        _attach(session, clock, actor, row, subscription, requested_on, _N.PORTING_IN)
    session.add(request)
    record(session, clock, actor, f"port.in.{request.status}", request,
           msg("{number} → {ref}: {problems}", number=national, ref=subscription.ref,
               problems="; ".join(d for _, d in problems)) if problems
           else msg("{number} → {ref}: porting on {date}", number=national, ref=subscription.ref,
                    date=request.porting_date.isoformat()))
    return request


def port_out(session: Session, clock: Clock, actor: Actor, number: str, received_on: date,
             porting_date: date | None = None) -> tuple[PortRequest, dict]:
    """Another operator takes the number: the request counts as the termination request of that
    line (``contracts.give_notice``), with its exit quote; the number leaves on the porting date."""
    row = get_number(session, number)
    if row.status != _N.ASSIGNED or row.subscription_id is None:
        raise NotAllowed(f"status: {row.number} is {row.status}; only a number in service can be ported out",
                         code=rules.Refused.number_not_in_service)
    if _pending(session, row.number):
        raise Conflict(f"number: a porting of {row.number} is already pending",
                       code=rules.Refused.porting_already_pending)
    quote = contracts.give_notice(session, clock, actor, row.subscription_id, received_on, reason="port_out")
    data = quote.as_dict()
    request = PortRequest(operator_id=row.operator_id, direction="out", number=row.number,
                          kind="mobile" if row.kind == "mobile" else "fixed", customer_id=row.customer_id,
                          subscription_id=row.subscription_id, requested_on=received_on,
                          porting_date=porting_date or quote.effective_date, status=_P.SCHEDULED,
                          plan=data, created_at=clock.now())
    session.add(request)
    row.status = _N.PORTING_OUT
    record(session, clock, actor, "port.out", request,
           msg("{number}: port-out received {date} = termination request, exit quote {total} "
               "{currency}", number=row.number, date=received_on, total=data["total"],
               currency=data["currency"]))
    return request, data


def get_port(session: Session, request_id: int) -> PortRequest:
    request = get_or_not_found(session, PortRequest, request_id, resource="port_request")
    return request


def complete_port(session: Session, clock: Clock, actor: Actor, request_id: int, on: date) -> PortRequest:
    """The porting happened: the number works on the new line (in), or has left (out — which ends
    the line if its termination has not taken effect yet)."""
    request = get_port(session, request_id)
    if request.status != _P.SCHEDULED:
        raise NotAllowed(f"status: port request {request_id} is {request.status}",
                         code=rules.Refused.port_not_scheduled)
    row = get_number(session, request.number, request.operator_id)
    if request.direction == "in":
        row.status, row.ported_in = _N.ASSIGNED, True
    else:
        if row.status != _N.PORTING_OUT:
            raise NotAllowed(f"status: {row.number} is {row.status}; it was lost when the line ended",
                             code=rules.Refused.number_lost_with_the_line)
        row.status, row.released_on, row.release_reason = _N.PORTED_OUT, on, "ported out"
        subscription = contracts.get_subscription(session, request.subscription_id)
        if subscription.status == SubscriptionStatus.NOTICE_GIVEN:
            contracts.terminate_now(session, clock, actor, subscription.id, on, "ported out")
    request.status = _P.DONE
    record(session, clock, actor, f"port.{request.direction}.done", request, msg("{number} ported on {date}", number=row.number, date=on))
    return request


def cancel_port(session: Session, clock: Clock, actor: Actor, request_id: int, on: date) -> PortRequest:
    """Cancel a port-in, up to the sheet's deadline before the porting date where it sets one."""
    request = get_port(session, request_id)
    if request.direction != "in" or request.status != _P.SCHEDULED:
        raise NotAllowed(f"status: port request {request_id} is {request.direction} {request.status}",
                         code=rules.Refused.port_not_cancellable)
    until = request.plan.get("cancel_until")
    if until and on > date.fromisoformat(until):
        raise NotAllowed(f"on: a porting can be cancelled until {until} only ({', '.join(request.plan['clauses'])})",
                         code=rules.Refused.port_cancellation_too_late)
    request.status = _P.CANCELLED
    row = get_number(session, request.number, request.operator_id)
    if row.status == _N.PORTING_IN:
        row.status, row.subscription_id, row.customer_id = _N.AVAILABLE, None, None
    record(session, clock, actor, "port.in.cancel", request, msg("{number}: cancelled on {date}", number=request.number, date=on))
    return request


def list_ports(session: Session, status: str | None = None, direction: str | None = None,
               limit: int = 500) -> list[PortRequest]:
    query = select(PortRequest).order_by(PortRequest.id.desc()).limit(limit)
    if status:
        query = query.where(PortRequest.status == one_of(_P, status, field="status",
                                                         code="port_status_unknown"))
    if direction:
        query = query.where(PortRequest.direction == direction)
    return list(session.scalars(query))


def list_numbers(session: Session, status: str | None = None, kind: str | None = None,
                 customer_id: int | None = None, limit: int = 500, offset: int = 0) -> list[PhoneNumber]:
    query = select(PhoneNumber).order_by(PhoneNumber.number).limit(limit).offset(offset)
    if status:
        query = query.where(PhoneNumber.status == one_of(_N, status, field="status",
                                                         code="number_status_unknown"))
    if kind:
        query = query.where(PhoneNumber.kind == kind)
    if customer_id is not None:
        query = query.where(PhoneNumber.customer_id == customer_id)
    return list(session.scalars(query))


# --------------------------------------------------------------------------- daily tick

def tick(session: Session, clock: Clock, actor: Actor, day: date, *,
         customer_id: int | None = None) -> str:
    """Daily step (``tick_steps``): ports whose date has come are done; then the numbers
    of lines that ended are lost unless ported out first (Technicophone CGV 8.5); for one
    customer only with ``customer_id``. Idempotent."""
    due = session.scalars(select(PortRequest).where(
        PortRequest.status == _P.SCHEDULED, PortRequest.porting_date <= day,
        true() if customer_id is None else PortRequest.customer_id == customer_id)).all()
    ported = 0
    for request in due:
        row = get_number(session, request.number, request.operator_id)
        if request.direction == "out" and row.status != _N.PORTING_OUT:
            continue
        complete_port(session, clock, actor, request.id, request.porting_date)
        ported += 1
    live = session.scalars(select(PhoneNumber).where(
        PhoneNumber.status.in_(LIVE), PhoneNumber.subscription_id.is_not(None))).all()
    ended = contract_facts.ended_subscriptions(session, {row.subscription_id for row in live}, day)
    rows = [(row, ended[row.subscription_id]) for row in live if row.subscription_id in ended
            and customer_id in (None, ended[row.subscription_id].customer_id)]
    for row, line in rows:
        terms = contracts.terms_of(session, contracts.get_subscription(session, line.id))
        flag = terms.termination.numbers_lost_unless_ported if terms.termination else None
        release(session, clock, actor, row, line.ended_on,
                f"line {line.ref} ended" + (f" ({flag.clause})" if flag else ""))
    return msg("{ported} port(s) done, {lost} number(s) lost with their line", ported=ported,
               lost=len(rows))
