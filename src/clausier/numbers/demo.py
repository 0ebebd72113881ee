"""Demo numbers: a block of ten direct-dial numbers (SDA) ordered on the ISDN line of TEC-000002
ten days ago, and an Ozone mobile number being ported in from another operator, its porting
day still to come (idempotent). Numbers in ARCEP's ranges reserved for fiction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.contracts import service as contracts
from clausier.contracts.statuses import SubscriptionStatus
from clausier.core.clock import Clock
from clausier.core.errors import NotFound
from clausier.customers import service as customers
from clausier.numbers import rules, service

# (customer, family of its line, first number, count)
SDA_BLOCK = ("TEC-000002", "vga", "0199002100", 10)
# (customer, family of its line, number ported in, donor operator code, RIO reference)
PORT_IN = ("OZO-000003", "mobile", "0639980042", "02", "DM21PT")


def _line(session: Session, customer_ref: str, family: str):
    try:
        customer = customers.get_customer_by_ref(session, customer_ref)
    except NotFound:
        return None
    return next(iter(contracts.list_subscriptions(session, customer.id, status=SubscriptionStatus.ACTIVE,
                                                  family=family)), None)


def _known(session: Session, number: str) -> bool:
    try:
        service.get_number(session, number)
        return True
    except NotFound:
        return False


def load_demo(session: Session, clock: Clock, actor: Actor) -> str | None:
    today, done = clock.today(), []
    customer_ref, family, first, count = SDA_BLOCK
    line = _line(session, customer_ref, family)
    if line is not None and not _known(session, first):
        service.order_sda(session, clock, actor, line.id, first, count, today - timedelta(days=10))
        done.append(f"SDA {first} +{count} on {line.ref}")
    customer_ref, family, number, donor, reference = PORT_IN
    line = _line(session, customer_ref, family)
    if line is not None and not _known(session, number):
        request = service.port_in(
            session, clock, actor, line.id, number,
            rio=rules.make_rio(donor, "P", reference, number),
            mandate_signed_on=today - timedelta(days=2), requested_on=today - timedelta(days=1))
        done.append(f"port-in of {number} on {line.ref} ({request.status})")
    return ", ".join(done) or None
