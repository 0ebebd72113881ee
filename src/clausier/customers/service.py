"""Use cases of customers: create, change, find customers; their sites and contacts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from clausier.audit import service as audit
from clausier.audit.service import Actor, changes_between, record
from clausier.catalog import facts as catalog_facts
from clausier.catalog import service as catalog
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotFound, Problem, RuleRefusal
from clausier.core.message import msg
from clausier.customers import rules
from clausier.customers.models import Contact, Customer, Site
from clausier.db.lookup import get_or_not_found
from clausier.db.references import delete_unless_referenced

CUSTOMER_FIELDS = ("ref", "external_ref", "kind", "name", "siren", "siret", "vat_number",
                   "category", "employees", "main_activity", "email", "phone", "billing_address",
                   "country", "legal_hold", "notes")
SITE_FIELDS = ("name", "address", "postcode", "city", "country", "numbering_zone", "is_central")
CONTACT_FIELDS = ("name", "email", "phone", "roles", "site_id")


def snapshot(entity: object, fields: tuple[str, ...]) -> dict:
    return {name: getattr(entity, name) for name in fields}


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if isinstance(value, str) else value


def _checked(rule, *args, **kwargs):
    """Run a customer rule: its refusal is the input's fault, naming the field."""
    try:
        return rule(*args, **kwargs)
    except RuleRefusal as exc:
        raise exc.as_invalid_input() from None


# --------------------------------------------------------------------------- customers

def _checked_customer(operator, values: dict) -> dict:
    """Normalise and check the fields of a customer (all of them, before they are stored)."""
    name = (values.get("name") or "").strip()
    if not name:
        raise InvalidInput.on("name", "is required", code="customer_name_missing")
    identity = _checked(rules.check_identity, rules.Identity(
        kind=values.get("kind") or "", category=values.get("category") or "other",
        country=values.get("country") or "FR",
        siren=_blank_to_none(values.get("siren")), siret=_blank_to_none(values.get("siret")),
        vat_number=_blank_to_none(values.get("vat_number"))), operator.customer_kind)
    employees = values.get("employees")
    if employees is not None and employees < 0:
        raise InvalidInput.on("employees", "cannot be negative", code="customer_employees_negative")
    return {
        **values,
        "name": name, "kind": identity.kind, "category": identity.category,
        "country": identity.country, "siren": identity.siren, "siret": identity.siret,
        "vat_number": identity.vat_number,
        "external_ref": _blank_to_none(values.get("external_ref")),
        "email": _checked(rules.normalise_email, values.get("email") or ""),
        "phone": _checked(rules.normalise_phone, values.get("phone") or ""),
        "main_activity": (values.get("main_activity") or "").strip(),
        "billing_address": (values.get("billing_address") or "").strip(),
        "notes": values.get("notes") or "",
        "legal_hold": bool(values.get("legal_hold", False)),
    }


def _next_ref(session: Session, operator) -> str:
    """``<invoice prefix>-<6 digits>``, one more than the highest number given so far."""
    prefix = f"{operator.invoice_prefix}-"
    refs = session.scalars(select(Customer.ref).where(Customer.operator_id == operator.id,
                                                      Customer.ref.like(f"{prefix}%")))
    numbers = [int(ref[len(prefix):]) for ref in refs if ref[len(prefix):].isdecimal()]
    return f"{prefix}{max(numbers, default=0) + 1:06d}"


def _check_ref_free(session: Session, operator, ref: str,
                    customer_id: int | None = None) -> str:
    ref = _checked(rules.check_reference, ref)
    other = session.scalar(select(Customer).where(Customer.operator_id == operator.id,
                                                  Customer.ref == ref))
    if other is not None and other.id != customer_id:
        reason = f"{operator.code} already has a customer {ref}"
        raise Conflict(f"ref: {reason}", problems=[Problem("ref", reason)],
                       code="customer_ref_taken")
    return ref


def create_customer(session: Session, clock: Clock, actor: Actor, *, operator: str, name: str,
                    kind: str, ref: str | None = None, **fields) -> Customer:
    """Create a customer of ``operator`` (code); its ref is generated unless given."""
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise InvalidInput.on(sorted(unknown)[0], "is not a customer field",
                              code="customer_field_unknown")
    seller = catalog.get_operator(session, operator)
    values = _checked_customer(seller, {**fields, "name": name, "kind": kind})
    values["ref"] = _check_ref_free(session, seller, ref) if ref else _next_ref(session, seller)
    now = clock.now()
    customer = Customer(operator_id=seller.id, created_at=now, updated_at=now, **values)
    session.add(customer)
    record(session, clock, actor, "customer.create", customer, f"{values['ref']} {name}",
           changes=values)
    return customer


def update_customer(session: Session, clock: Clock, actor: Actor, customer_id: int,
                    **changes) -> Customer:
    """Change the given fields; the identity is checked again as a whole."""
    unknown = set(changes) - set(CUSTOMER_FIELDS)
    if unknown:
        raise InvalidInput.on(sorted(unknown)[0], "is not a customer field (or cannot change)",
                              code="customer_field_unknown")
    customer = get_customer(session, customer_id)
    operator = catalog.get_operator_by_id(session, customer.operator_id)
    before = snapshot(customer, CUSTOMER_FIELDS)
    after = _checked_customer(operator, {**before, **changes})
    if "ref" in changes:
        after["ref"] = _check_ref_free(session, operator, changes["ref"] or "", customer.id)
    diff = changes_between(before, after)
    if diff:
        for name, (_, value) in diff.items():
            setattr(customer, name, value)
        customer.updated_at = clock.now()
        record(session, clock, actor, "customer.update", customer, customer.ref, changes=diff)
    return customer


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = get_or_not_found(session, Customer, customer_id, resource="customer",
                                 message=f"customer: no customer with id {customer_id}")
    return customer


def get_customer_by_ref(session: Session, ref: str, operator: str | None = None) -> Customer:
    query = select(Customer).where(Customer.ref == ref)
    if operator is not None:
        query = query.where(Customer.operator_id == catalog.get_operator(session, operator).id)
    found = session.scalars(query).all()
    if not found:
        raise NotFound(f"ref: no customer {ref}", resource="customer")
    if len(found) > 1:
        raise InvalidInput.on("operator", f"several operators have a customer {ref}: name one",
                              code="customer_ref_ambiguous")
    return found[0]


@dataclass
class Page:
    items: list[Customer]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_customers(session: Session, text: str | None = None, operator: str | None = None,
                     page: int = 1, per_page: int = 50) -> Page:
    """Customers whose name, ref, external ref, SIREN/SIRET or e-mail (or a contact's e-mail)
    contains ``text``, by name; one page of them."""
    if page < 1:
        raise InvalidInput.on("page", "starts at 1", code="page_below_one")
    if not 1 <= per_page <= 500:
        raise InvalidInput.on("per_page", "must be between 1 and 500", code="per_page_out_of_range")
    query = select(Customer)
    if operator:
        query = query.where(Customer.operator_id == catalog.get_operator(session, operator).id)
    if text and text.strip():
        pattern = f"%{text.strip().lower()}%"
        digits = re.sub(r"\s", "", text)
        contact_match = select(Contact.customer_id).where(func.lower(Contact.email).like(pattern))
        query = query.where(or_(
            func.lower(Customer.name).like(pattern), func.lower(Customer.ref).like(pattern),
            func.lower(Customer.external_ref).like(pattern),
            func.lower(Customer.email).like(pattern),
            Customer.siren.like(f"%{digits}%"), Customer.siret.like(f"%{digits}%"),
            Customer.id.in_(contact_match)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.options(selectinload(Customer.sites))
                            .order_by(func.lower(Customer.name), Customer.id)
                            .offset((page - 1) * per_page).limit(per_page)).all()
    return Page(list(items), total, page, per_page)


# --------------------------------------------------------------------------- sites

def _checked_site(values: dict) -> dict:
    name = (values.get("name") or "").strip()
    if not name:
        raise InvalidInput.on("name", "is required", code="site_name_missing")
    country = (values.get("country") or "FR").strip().upper()
    postcode = (values.get("postcode") or "").strip()
    return {**values, "name": name, "country": country, "postcode": postcode,
            "address": (values.get("address") or "").strip(),
            "city": (values.get("city") or "").strip(),
            "numbering_zone": _checked(rules.numbering_zone, postcode, country,
                                       values.get("numbering_zone") or None)}


def _make_only_central(session: Session, clock: Clock, actor: Actor, site: Site) -> None:
    """One central site per customer (common fees are billed to it): unset the others."""
    for other in session.scalars(select(Site).where(Site.customer_id == site.customer_id,
                                                    Site.id != site.id, Site.is_central)):
        other.is_central = False
        record(session, clock, actor, "site.update", other, msg("{site}: no longer central", site=other.name),
               changes={"is_central": [True, False]})


def add_site(session: Session, clock: Clock, actor: Actor, customer_id: int, *, name: str,
             is_central: bool | None = None, **fields) -> Site:
    """Add a site; the first site of a customer is its central site unless told otherwise."""
    customer = get_customer(session, customer_id)
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise InvalidInput.on(sorted(unknown)[0], "is not a site field", code="site_field_unknown")
    if is_central is None:
        is_central = not session.scalar(select(func.count()).where(Site.customer_id == customer.id))
    values = _checked_site({**fields, "name": name, "is_central": bool(is_central)})
    site = Site(customer_id=customer.id, **values)
    session.add(site)
    session.flush()
    if site.is_central:
        _make_only_central(session, clock, actor, site)
    record(session, clock, actor, "site.create", site, f"{customer.ref}: {site.name}",
           changes=values)
    return site


def get_site(session: Session, site_id: int) -> Site:
    site = get_or_not_found(session, Site, site_id, resource="site",
                             message=f"site: no site with id {site_id}")
    return site


def update_site(session: Session, clock: Clock, actor: Actor, site_id: int, **changes) -> Site:
    unknown = set(changes) - set(SITE_FIELDS)
    if unknown:
        raise InvalidInput.on(sorted(unknown)[0], "is not a site field", code="site_field_unknown")
    site = get_site(session, site_id)
    before = snapshot(site, SITE_FIELDS)
    merged = {**before, **changes}
    if "numbering_zone" not in changes and {"postcode", "country"} & set(changes):
        merged["numbering_zone"] = None     # derive it again from the new postcode
    after = _checked_site(merged)
    diff = changes_between(before, after)
    if diff:
        for name, (_, value) in diff.items():
            setattr(site, name, value)
        if site.is_central:
            _make_only_central(session, clock, actor, site)
        record(session, clock, actor, "site.update", site, site.name, changes=diff)
    return site


def remove_site(session: Session, clock: Clock, actor: Actor, site_id: int) -> None:
    """Remove a site; its contacts stay with the customer. The central site goes last."""
    site = get_site(session, site_id)
    others = session.scalar(select(func.count()).where(Site.customer_id == site.customer_id,
                                                       Site.id != site.id))
    if site.is_central and others:
        raise Conflict("is_central: make another site central before removing this one",
                       code="site_central_not_removable")
    for contact in session.scalars(select(Contact).where(Contact.site_id == site.id)):
        contact.site_id = None
    record(session, clock, actor, "site.delete", site, site.name,
           changes=snapshot(site, SITE_FIELDS))
    delete_unless_referenced(session, site, "site_id", f"site {site.id}")


# --------------------------------------------------------------------------- contacts

def _checked_contact(session: Session, customer_id: int, values: dict) -> dict:
    name = (values.get("name") or "").strip()
    if not name:
        raise InvalidInput.on("name", "is required", code="contact_name_missing")
    site_id = values.get("site_id")
    if site_id is not None:
        site = session.get(Site, site_id)
        if site is None or site.customer_id != customer_id:
            raise InvalidInput.on("site_id", f"site {site_id} is not a site of this customer",
                                  code="contact_site_not_of_the_customer")
    email = _checked(rules.normalise_email, values.get("email") or "")
    phone = _checked(rules.normalise_phone, values.get("phone") or "")
    roles = _checked(rules.check_roles, list(values.get("roles") or []))
    if "incident_reporter" in roles and not (email or phone):
        raise InvalidInput.on("roles", "an incident reporter needs an e-mail or a phone number "
                                       "so that the reporter can be identified",
                              code="incident_reporter_unreachable")
    return {**values, "name": name, "email": email, "phone": phone, "roles": roles}


def add_contact(session: Session, clock: Clock, actor: Actor, customer_id: int, *, name: str,
                **fields) -> Contact:
    customer = get_customer(session, customer_id)
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise InvalidInput.on(sorted(unknown)[0], "is not a contact field",
                              code="contact_field_unknown")
    values = _checked_contact(session, customer.id, {**fields, "name": name})
    contact = Contact(customer_id=customer.id, **values)
    session.add(contact)
    record(session, clock, actor, "contact.create", contact, f"{customer.ref}: {contact.name}",
           changes=values)
    return contact


def get_contact(session: Session, contact_id: int) -> Contact:
    contact = get_or_not_found(session, Contact, contact_id, resource="contact",
                                message=f"contact: no contact with id {contact_id}")
    return contact


def update_contact(session: Session, clock: Clock, actor: Actor, contact_id: int,
                   **changes) -> Contact:
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise InvalidInput.on(sorted(unknown)[0], "is not a contact field",
                              code="contact_field_unknown")
    contact = get_contact(session, contact_id)
    before = snapshot(contact, CONTACT_FIELDS)
    after = _checked_contact(session, contact.customer_id, {**before, **changes})
    diff = changes_between(before, after)
    if diff:
        for name, (_, value) in diff.items():
            setattr(contact, name, value)
        record(session, clock, actor, "contact.update", contact, contact.name, changes=diff)
    return contact


def remove_contact(session: Session, clock: Clock, actor: Actor, contact_id: int) -> None:
    contact = get_contact(session, contact_id)
    record(session, clock, actor, "contact.delete", contact, contact.name,
           changes=snapshot(contact, CONTACT_FIELDS))
    delete_unless_referenced(session, contact, "contact_id", f"contact {contact.id}")


def authorised_reporters(session: Session, customer_id: int) -> list[Contact]:
    """The contacts allowed to report incidents (support checks the caller against them)."""
    customer = get_customer(session, customer_id)
    return [c for c in customer.contacts if "incident_reporter" in (c.roles or [])]


# --------------------------------------------------------------------------- audit and dashboard

def customer_trail(session: Session, customer_id: int, limit: int = 100) -> list:
    """Audit entries of the customer, its sites and its contacts, newest first."""
    customer = get_customer(session, customer_id)
    entities = ([("customers", customer.id)] + [("sites", site.id) for site in customer.sites]
                + [("contacts", contact.id) for contact in customer.contacts])
    entries = [entry for kind, entity_id in entities
               for entry in audit.trail(session, kind, str(entity_id), limit=limit)]
    return sorted(entries, key=lambda entry: entry.id, reverse=True)[:limit]


def count_by_operator(session: Session) -> list[tuple[catalog_facts.OperatorFacts, int]]:
    counts = dict(session.execute(select(Customer.operator_id, func.count())
                                  .group_by(Customer.operator_id)).all())
    return [(operator, counts.get(operator.id, 0))
            for operator in catalog_facts.operators(session).values()]
