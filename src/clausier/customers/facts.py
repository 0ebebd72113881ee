"""What other rooms may read of customers: who a customer is and how to reach it, for many
customers in a few queries (plain dataclasses, never the tables' rows)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.core.errors import NotFound
from clausier.customers import service
from clausier.customers.models import Contact, Customer, Site


@dataclass(frozen=True)
class CustomerFacts:
    id: int
    operator_id: int
    ref: str
    name: str
    kind: str                    # company | household
    created_at: datetime


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    phone: str
    address: str


def _fact(customer: Customer) -> CustomerFacts:
    return CustomerFacts(customer.id, customer.operator_id, customer.ref, customer.name,
                         customer.kind, customer.created_at)


def customer_facts(session: Session, customer_ids: Collection[int]) -> dict[int, CustomerFacts]:
    """The customers of these ids, by id (an unknown id is left out)."""
    if not customer_ids:
        return {}
    return {c.id: _fact(c) for c in session.scalars(
        select(Customer).where(Customer.id.in_(sorted(set(customer_ids)))).order_by(Customer.id))}


def find_customer(session: Session, ref_or_id: str | int) -> CustomerFacts:
    """The customer of this reference (any operator), else of this id; NotFound otherwise."""
    text = str(ref_or_id)
    try:
        return _fact(service.get_customer_by_ref(session, text))
    except NotFound:
        if text.isdecimal():
            return _fact(service.get_customer(session, int(text)))
        raise


def customers_of_operator(session: Session, operator_id: int) -> list[CustomerFacts]:
    """The operator's customers, oldest first."""
    return [_fact(c) for c in session.scalars(
        select(Customer).where(Customer.operator_id == operator_id).order_by(Customer.id))]


def recipients(session: Session, customer_ids: Collection[int]) -> dict[int, Recipient]:
    """Where to write to each customer: its billing contact's e-mail and phone when it has one,
    else the customer's own; its billing address, else its central (else first) site's."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for contact in session.scalars(select(Contact).where(Contact.customer_id.in_(ids))
                                   .order_by(Contact.id)):
        if "billing" in (contact.roles or []):
            contacts[contact.customer_id].append(contact)
    sites: dict[int, list[Site]] = defaultdict(list)
    for site in session.scalars(select(Site).where(Site.customer_id.in_(ids)).order_by(Site.id)):
        sites[site.customer_id].append(site)
    found = {}
    for customer in session.scalars(select(Customer).where(Customer.id.in_(ids))):
        billing = contacts[customer.id]
        email = next((c.email for c in billing if c.email), "") or customer.email
        phone = next((c.phone for c in billing if c.phone), "") or customer.phone
        own = sites[customer.id]
        central = next((s for s in own if s.is_central), own[0] if own else None)
        address = customer.billing_address or (
            "\n".join(p for p in (central.address, f"{central.postcode} {central.city}".strip())
                      if p) if central else "")
        found[customer.id] = Recipient(customer.name, email, phone, address)
    return found
