"""What other rooms may read of the catalogue: the operators' identity and defaults, as plain
dataclasses (never the tables' rows)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.catalog.models import Operator


@dataclass(frozen=True)
class OperatorFacts:
    id: int
    code: str
    name: str
    legal_name: str
    address: str                 # the postal address on one line, as letters print it
    email: str
    phone: str
    price_basis: str             # HT | TTC
    sheet_id: str                # its current term sheet


def _fact(operator: Operator) -> OperatorFacts:
    return OperatorFacts(operator.id, operator.code, operator.name, operator.legal_name,
                         operator.address, operator.email, operator.phone, operator.price_basis,
                         operator.sheet_id)


def operator_facts(session: Session, operator_ids: Collection[int] | None = None
                   ) -> dict[int, OperatorFacts]:
    """The operators of these ids (all of them when None), by id."""
    query = select(Operator).order_by(Operator.id)
    if operator_ids is not None:
        query = query.where(Operator.id.in_(sorted(set(operator_ids))))
    return {o.id: _fact(o) for o in session.scalars(query)}


def operator_by_code(session: Session, code: str) -> OperatorFacts | None:
    """The operator of this code, None when there is none."""
    operator = session.scalar(select(Operator).where(Operator.code == code))
    return None if operator is None else _fact(operator)
