"""What other rooms may read of the catalogue: the operators (their seller identity, numbering
and term sheet) and which of their offers are common fees, as plain values."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.catalog.models import Offer, Operator
from clausier.catalog.rules import LegalIdentity


@dataclass(frozen=True)
class OperatorFacts:
    id: int
    code: str
    name: str
    email: str
    phone: str
    sheet_id: str
    price_basis: str
    invoice_prefix: str
    legal_identity: LegalIdentity


def _facts(operator: Operator) -> OperatorFacts:
    return OperatorFacts(operator.id, operator.code, operator.name, operator.email,
                         operator.phone, operator.sheet_id, operator.price_basis,
                         operator.invoice_prefix, operator.legal_identity)


def operator_by_code(session: Session, code: str) -> OperatorFacts | None:
    """The operator of a code, or None."""
    operator = session.scalar(select(Operator).where(Operator.code == code))
    return _facts(operator) if operator is not None else None


def operator_by_id(session: Session, operator_id: int) -> OperatorFacts | None:
    """The operator of an id, or None."""
    operator = session.get(Operator, operator_id)
    return _facts(operator) if operator is not None else None


def operator_codes(session: Session) -> dict[int, str]:
    """Every operator's code by id, in code order."""
    return dict(session.execute(select(Operator.id, Operator.code).order_by(Operator.code)).all())


def common_offer_ids(session: Session, operator_id: int) -> set[int]:
    """The ids of an operator's offers that are common fees (``attributes.common``: billed on
    the customer's central site)."""
    return {offer_id for offer_id, attributes in session.execute(
        select(Offer.id, Offer.attributes).where(Offer.operator_id == operator_id))
        if (attributes or {}).get("common")}
