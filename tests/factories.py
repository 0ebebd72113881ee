"""Building blocks for tests: real rows created through the services (no mocks)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.catalog.models import Offer, Operator
from clausier.contracts import service as contracts
from clausier.core.clock import Clock
from clausier.customers.models import Customer, Site
from clausier.terms import service as terms

# The bank details every test operator is paid on (valid check digits, not a real account).
TEST_BANK = dict(iban="FR7630006000011234567890189", bic="AGRIFRPPXXX")
# The seller on the test invoices: what the seeds give, test values for the rest.
IDENTITIES = {
    # "RCS 379 341 803 00029", 4 rue des Messagers, ZA de Châtenay, 37210 Rochecorbon (CGV art. 2)
    "technicophone": dict(legal_name="TECHNICOPHONE", siren="379341803", siret="37934180300029",
                          vat_number="FR81379341803",
                          address_lines=["4, rue des Messagers", "ZA de Châtenay"],
                          postcode="37210", city="Rochecorbon", **TEST_BANK),
    # OZONE SAS (CGV preamble), 53 avenue de la Pierre Vallée, 50220 Poilley (CGV art. 7.5);
    # the seed gives no SIREN: a test one
    "ozone": dict(legal_name="OZONE SAS", siren="123456782", vat_number="FR11123456782",
                  address_lines=["53, avenue de la Pierre Vallée", "ZA de l'Estuaire"],
                  postcode="50220", city="Poilley", **TEST_BANK),
    # COGELEC (R:20-24); the seed gives neither SIREN nor address: test ones
    "rozoh": dict(legal_name="COGELEC", siren="987654324", vat_number="FR14987654324",
                  address_lines=["1, rue de la Démonstration"], postcode="85000",
                  city="La Roche-sur-Yon", **TEST_BANK),
}
OPERATORS = {
    "technicophone": dict(name="TECHNICOPHONE", customer_kind="business", price_basis="HT",
                          invoice_prefix="TEC", **IDENTITIES["technicophone"]),
    "ozone": dict(name="OZONE", customer_kind="consumer", price_basis="TTC", invoice_prefix="OZO",
                  **IDENTITIES["ozone"]),
    "rozoh": dict(name="ROZOH", customer_kind="business", price_basis="HT", invoice_prefix="ROZ",
                  **IDENTITIES["rozoh"]),
}


_customer_numbers = itertools.count(1)


def operator(session: Session, clock: Clock, actor: Actor, code: str) -> Operator:
    """The operator with its built-in term sheet loaded."""
    existing = session.scalar(select(Operator).where(Operator.code == code))
    if existing:
        return existing
    terms.load_built_in_sheets(session, clock, actor)
    row = Operator(code=code, sheet_id=code, **OPERATORS[code])
    session.add(row)
    session.flush()
    return row


def offer(session: Session, op: Operator, code: str, family: str, monthly_fee: str, *,
          unit: str = "subscription", access_fee: str = "0", commitment_months: int | None = None,
          kind: str = "service", one_off_price: str = "0", **attributes) -> Offer:
    existing = session.scalar(select(Offer).where(Offer.operator_id == op.id, Offer.code == code))
    if existing:
        return existing
    row = Offer(operator_id=op.id, code=code, name=code.replace("-", " ").title(), family=family,
                kind=kind, unit=unit, monthly_fee=Decimal(monthly_fee), access_fee=Decimal(access_fee),
                one_off_price=Decimal(one_off_price), price_basis=op.price_basis,
                commitment_months=commitment_months, attributes=attributes, demo=True)
    session.add(row)
    session.flush()
    return row


def customer(session: Session, clock: Clock, op: Operator, name: str = "Boulangerie Martin", *,
             kind: str = "company", employees: int | None = 3, category: str = "tertiary",
             sites: tuple[tuple[str, str], ...] = (("Siège", "37"),)) -> Customer:
    """A customer with sites given as (name, numbering zone)."""
    now = clock.now()
    row = Customer(operator_id=op.id, ref=f"{op.invoice_prefix}-T{next(_customer_numbers):06d}",
                   kind=kind, name=name, employees=employees, category=category,
                   created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    for index, (site_name, zone) in enumerate(sites):
        session.add(Site(customer_id=row.id, name=site_name, numbering_zone=zone, is_central=index == 0))
    session.flush()
    return row


def subscription(session: Session, clock: Clock, actor: Actor, cust: Customer,
                 lines: list[contracts.LineInput], *, signed_on: date, go_live_on: date | None,
                 channel: str = "on_premises", outside_main_activity: bool = False):
    """Order → accept → (go-live): the subscriptions created, in order."""
    order = contracts.create_order(session, clock, actor, contracts.OrderInput(
        customer_id=cust.id, signed_on=signed_on, channel=channel, lines=lines,
        outside_main_activity=outside_main_activity))
    session.flush()
    created = contracts.accept_order(session, clock, actor, order.id)
    if go_live_on is not None:
        for sub in created:
            contracts.activate(session, clock, actor, sub.id, go_live_on)
    session.flush()
    return created


def one_line(session: Session, clock: Clock, actor: Actor, operator_code: str, family: str,
             monthly_fee: str, *, offer_code: str | None = None, unit: str = "line",
             signed_on: date, go_live_on: date | None, months: int | None = 12, **attributes):
    """A new customer of the operator with one line of a new offer of ``family``: the
    subscription."""
    op = operator(session, clock, actor, operator_code)
    code = offer_code or f"{family}-test"
    offer(session, op, code, family, monthly_fee, unit=unit, **attributes)
    cust = customer(session, clock, op)
    [sub] = subscription(session, clock, actor, cust,
                         [contracts.LineInput(cust.sites[0].id, code, 1, months)],
                         signed_on=signed_on, go_live_on=go_live_on)
    return sub


def preselection_customers(session: Session, clock: Clock, actor: Actor, count: int) -> None:
    """``count`` customers of TECHNICOPHONE, each with a preselection line at 10.00 € HT a
    month, signed on 1 October 2026 and live from 1 November (the bill-run tests' population)."""
    op = operator(session, clock, actor, "technicophone")
    offer(session, op, "presel", "preselection", "10.00")
    for n in range(count):
        cust = customer(session, clock, op, f"Client {n}")
        subscription(session, clock, actor, cust, [contracts.LineInput(cust.sites[0].id, "presel")],
                     signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))


def site_id(cust: Customer, index: int = 0) -> int:
    return cust.sites[index].id
