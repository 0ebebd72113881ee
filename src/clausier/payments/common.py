"""What every part of payments uses: the customer (``customers.facts``) and the general terms it
signed, its operator (``catalog.facts``), amounts typed in, a rule's refusal as an input error."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.catalog import facts as catalog_facts
from clausier.catalog.facts import OperatorFacts
from clausier.contracts import service as contracts
from clausier.core.errors import InvalidInput, NotFound, RuleRefusal
from clausier.core.money import money, to_decimal
from clausier.customers import facts as customer_facts
from clausier.customers.facts import CustomerFacts
from clausier.terms import service as terms_service
from clausier.terms.schema import Terms
from clausier.payments.rules import Refused


def get_customer(session: Session, ref_or_id: str | int) -> CustomerFacts:
    """The customer of this reference, else of this id."""
    return customer_facts.find_customer(session, ref_or_id)


def customer_by_id(session: Session, customer_id: int) -> CustomerFacts:
    found = customer_facts.customers(session, [customer_id])
    if customer_id not in found:
        raise NotFound(f"customer: no customer with id {customer_id}", resource="customer")
    return found[customer_id]


@dataclass(frozen=True)
class CustomerTerms:
    terms: Terms
    sheet_id: str
    version: int


def terms_of(session: Session, customer: CustomerFacts) -> CustomerTerms:
    """The general terms of the sheet version of the customer's latest contract (else the
    operator's current sheet): they govern payment, late payment, dunning and deposits."""
    subs = contracts.list_subscriptions(session, customer.id)
    if subs:
        latest = max(subs, key=lambda s: (s.signed_on, s.id))
        sheet = terms_service.get_sheet(session, latest.sheet_id, latest.sheet_version)
    else:
        sheet = terms_service.get_sheet(session, operator_of(session, customer).sheet_id)
    return CustomerTerms(sheet.general, sheet.id, sheet.version)


def operator_of(session: Session, customer: CustomerFacts) -> OperatorFacts:
    return catalog_facts.operators(session, [customer.operator_id])[customer.operator_id]


def operator_party(operator: OperatorFacts) -> dict:
    """The operator as a letter's sender."""
    return {"name": operator.legal_name or operator.name, "address": operator.address,
            "email": operator.email, "phone": operator.phone}


def parse_amount(value: object, field: str) -> Decimal:
    try:
        return money(to_decimal(value, field=field))
    except ValueError as exc:
        raise InvalidInput.on(field, str(exc).split(": ", 1)[-1],
                              code=Refused.amount_not_a_number) from None


def check_rule(call, *args, **kwargs):
    """Run a rule; its refusal becomes an error naming the field."""
    try:
        return call(*args, **kwargs)
    except RuleRefusal as exc:
        raise exc.as_invalid_input() from None


def rows_of(session: Session, model, customer_id: int | None) -> list:
    """Rows of a customer-owned table, oldest first (all customers when ``customer_id`` is None)."""
    query = select(model).order_by(model.id)
    if customer_id is not None:
        query = query.where(model.customer_id == customer_id)
    return list(session.scalars(query))
