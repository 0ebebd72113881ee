"""What other rooms may read of customers: names, customers, sites and contacts as plain values,
many at a time (one query per call)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from clausier.core.errors import NotFound
from clausier.customers.models import Contact, Customer, Site


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    id: int
    operator_id: int
    ref: str
    name: str
    kind: str
    employees: int | None
    legal_hold: bool
    created_at: datetime
    siren: str | None
    vat_number: str | None
    billing_address: str
    country: str
    email: str
    category: str


@dataclass(frozen=True, slots=True)
class SiteFacts:
    id: int
    customer_id: int
    name: str
    postcode: str
    country: str
    numbering_zone: str
    is_central: bool
    address: str


@dataclass(frozen=True)
class ContactFacts:
    id: int
    customer_id: int
    site_id: int | None
    name: str
    email: str
    phone: str
    roles: tuple[str, ...]


def names(session: Session, customer_ids: Collection[int]) -> dict[int, str]:
    """The names of the customers of ``customer_ids`` (those that exist), by id."""
    if not customer_ids:
        return {}
    table = Customer.__table__.c
    return dict(session.execute(select(table.id, table.name)
                                .where(table.id.in_(set(customer_ids)))).all())


_CUSTOMER = Customer.__table__.c
_CUSTOMER_COLUMNS = (_CUSTOMER.id, _CUSTOMER.operator_id, _CUSTOMER.ref, _CUSTOMER.name,
                     _CUSTOMER.kind, _CUSTOMER.employees, _CUSTOMER.legal_hold,
                     _CUSTOMER.created_at, _CUSTOMER.siren, _CUSTOMER.vat_number,
                     _CUSTOMER.billing_address, _CUSTOMER.country, _CUSTOMER.email,
                     _CUSTOMER.category)
_SITE = Site.__table__.c
_SITE_COLUMNS = (_SITE.id, _SITE.customer_id, _SITE.name, _SITE.postcode, _SITE.country,
                 _SITE.numbering_zone, _SITE.is_central, _SITE.address)
_IN_LIST = 1000     # ids per IN (...) list: under both databases' limits on bound parameters


def _id_filters(column, wanted: set[int]) -> list:
    """The WHERE clauses that read the rows of ``wanted`` ids in few short statements: one
    range over the ids when they are dense (a bill run's batch of one operator's customers:
    the primary key on both databases, no long parameter list), else IN lists of at most
    ``_IN_LIST`` ids. The caller keeps only the rows whose id it wanted."""
    low, high = min(wanted), max(wanted)
    if high - low + 1 <= 2 * len(wanted):
        return [column.between(low, high)]
    ids = sorted(wanted)
    return [column.in_(ids[start:start + _IN_LIST]) for start in range(0, len(ids), _IN_LIST)]


def customers(session: Session, customer_ids: Collection[int]) -> dict[int, CustomerFacts]:
    """The customers of ``customer_ids`` (those that exist), by id: who they are and how their
    invoices name them."""
    wanted = set(customer_ids)
    if not wanted:
        return {}
    found = {}
    for where in _id_filters(_CUSTOMER.id, wanted):
        found.update((row.id, CustomerFacts(*row))
                     for row in session.execute(select(*_CUSTOMER_COLUMNS).where(where))
                     if row.id in wanted)
    return found


def find_customer(session: Session, ref_or_id: str | int) -> CustomerFacts:
    """The customer of that reference, or of that id when it is a number (the first found);
    NotFound (``customer_not_found``) if there is none."""
    query = select(*_CUSTOMER_COLUMNS)
    if isinstance(ref_or_id, int) or str(ref_or_id).isdecimal():
        query = query.where(or_(_CUSTOMER.id == int(ref_or_id), _CUSTOMER.ref == str(ref_or_id)))
    else:
        query = query.where(_CUSTOMER.ref == ref_or_id)
    row = session.execute(query).first()
    if row is None:
        raise NotFound(f"customer: {ref_or_id} not found", resource="customer")
    return CustomerFacts(*row)


def by_external_ref(session: Session, operator_id: int, external_refs: Collection[str]
                    ) -> dict[str, CustomerFacts]:
    """The operator's customers known by those references of another system, by reference."""
    if not external_refs:
        return {}
    return {external_ref: CustomerFacts(*row) for external_ref, *row in session.execute(
        select(_CUSTOMER.external_ref, *_CUSTOMER_COLUMNS).where(
            _CUSTOMER.operator_id == operator_id, _CUSTOMER.external_ref.in_(set(external_refs))))}


def customer_ids(session: Session, *, operator_id: int | None = None, kind: str | None = None,
                 legal_hold: bool | None = None, first: int | None = None,
                 last: int | None = None) -> list[int]:
    """The ids of the customers of an operator, of a kind, under a legal hold or not, from id
    ``first`` to id ``last`` (each filter left out when None), in the order created."""
    query = select(Customer.id).order_by(Customer.id)
    if operator_id is not None:
        query = query.where(Customer.operator_id == operator_id)
    if kind is not None:
        query = query.where(Customer.kind == kind)
    if legal_hold is not None:
        query = query.where(Customer.legal_hold.is_(legal_hold))
    if first is not None:
        query = query.where(Customer.id >= first)
    if last is not None:
        query = query.where(Customer.id <= last)
    return list(session.scalars(query))


def sites(session: Session, site_ids: Collection[int]) -> dict[int, SiteFacts]:
    """The sites of ``site_ids`` (those that exist), by id."""
    if not site_ids:
        return {}
    return {row.id: SiteFacts(*row) for row in session.execute(
        select(*_SITE_COLUMNS).where(_SITE.id.in_(set(site_ids))))}


def sites_of(session: Session, customer_ids: Collection[int]) -> dict[int, tuple[SiteFacts, ...]]:
    """The sites of each customer of ``customer_ids``, in the order created, by customer."""
    wanted = set(customer_ids)
    found: dict[int, list[SiteFacts]] = defaultdict(list)
    if wanted:
        rows = []
        for where in _id_filters(_SITE.customer_id, wanted):
            rows.extend(row for row in session.execute(select(*_SITE_COLUMNS).where(where))
                        if row.customer_id in wanted)
        for row in sorted(rows, key=lambda row: row.id):
            found[row.customer_id].append(SiteFacts(*row))
    return {customer_id: tuple(rows) for customer_id, rows in found.items()}


def contacts_of(session: Session, customer_ids: Collection[int]
                ) -> dict[int, tuple[ContactFacts, ...]]:
    """The contacts of each customer of ``customer_ids``, in the order created, by customer."""
    found: dict[int, list[ContactFacts]] = defaultdict(list)
    if customer_ids:
        for row in session.scalars(select(Contact).where(
                Contact.customer_id.in_(set(customer_ids))).order_by(Contact.id)):
            found[row.customer_id].append(_contact(row))
    return {customer_id: tuple(rows) for customer_id, rows in found.items()}


def field_lengths() -> dict[str, dict[str, int]]:
    """The most characters each text field of a customer, a site and a contact holds (by
    ``customer``, ``site``, ``contact``, then field name): what an import may give."""
    return {name: {column.name: column.type.length for column in model.__table__.c
                   if getattr(column.type, "length", None)}
            for name, model in (("customer", Customer), ("site", Site), ("contact", Contact))}


def contacts(session: Session, contact_ids: Collection[int]) -> dict[int, ContactFacts]:
    """The contacts of ``contact_ids`` (those that exist), by id."""
    if not contact_ids:
        return {}
    return {row.id: _contact(row) for row in session.scalars(
        select(Contact).where(Contact.id.in_(set(contact_ids))))}


def _contact(row: Contact) -> ContactFacts:
    return ContactFacts(row.id, row.customer_id, row.site_id, row.name, row.email, row.phone,
                        tuple(row.roles or ()))


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    phone: str
    address: str


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
    own_sites: dict[int, list[Site]] = defaultdict(list)
    for site in session.scalars(select(Site).where(Site.customer_id.in_(ids)).order_by(Site.id)):
        own_sites[site.customer_id].append(site)
    found = {}
    for customer in session.scalars(select(Customer).where(Customer.id.in_(ids))):
        billing = contacts[customer.id]
        email = next((c.email for c in billing if c.email), "") or customer.email
        phone = next((c.phone for c in billing if c.phone), "") or customer.phone
        own = own_sites[customer.id]
        central = next((s for s in own if s.is_central), own[0] if own else None)
        address = customer.billing_address or (
            "\n".join(p for p in (central.address, f"{central.postcode} {central.city}".strip())
                      if p) if central else "")
        found[customer.id] = Recipient(customer.name, email, phone, address)
    return found


def customer_count(session: Session, operator_id: int) -> int:
    """How many customers an operator has."""
    return session.scalar(select(func.count()).select_from(Customer)
                          .where(Customer.operator_id == operator_id)) or 0


def customer_ids_matching(session: Session, text: str) -> list[int]:
    """The ids of the customers whose name or reference contains ``text`` (any case)."""
    like = f"%{text}%"
    return list(session.scalars(select(Customer.id).where(
        or_(Customer.name.ilike(like), Customer.ref.ilike(like)))))
