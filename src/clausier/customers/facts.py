"""What other rooms may read of the customers: who they are as an invoice names them, their
sites, and which customers an operator has, for many customers at once."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from clausier.customers.models import Customer, Site


@dataclass(frozen=True, slots=True)
class BilledCustomer:
    id: int
    ref: str
    kind: str
    name: str
    siren: str | None
    vat_number: str | None
    billing_address: str
    country: str
    email: str


@dataclass(frozen=True, slots=True)
class CustomerSite:
    id: int
    customer_id: int
    name: str
    is_central: bool
    address: str


_CUSTOMER = Customer.__table__.c
_SITE = Site.__table__.c


def billed_customers(session: Session, customer_ids: Collection[int]
                     ) -> dict[int, BilledCustomer]:
    """The customers as their invoices name them, by id. One query over the ids' range (short
    statements that use the primary key on both databases), for ids of one operator."""
    if not customer_ids:
        return {}
    wanted = set(customer_ids)
    rows = session.execute(select(
        _CUSTOMER.id, _CUSTOMER.ref, _CUSTOMER.kind, _CUSTOMER.name, _CUSTOMER.siren,
        _CUSTOMER.vat_number, _CUSTOMER.billing_address, _CUSTOMER.country, _CUSTOMER.email)
        .where(_CUSTOMER.id.between(min(wanted), max(wanted))))
    return {row.id: BilledCustomer(*row) for row in rows if row.id in wanted}


def customer_sites(session: Session, customer_ids: Collection[int]) -> list[CustomerSite]:
    """The customers' sites, in id order (one query over the ids' range)."""
    if not customer_ids:
        return []
    wanted = set(customer_ids)
    rows = session.execute(select(_SITE.id, _SITE.customer_id, _SITE.name, _SITE.is_central,
                                  _SITE.address)
                           .where(_SITE.customer_id.between(min(wanted), max(wanted)))
                           .order_by(_SITE.id))
    return [CustomerSite(*row) for row in rows if row.customer_id in wanted]


def customer_ids_of_operator(session: Session, operator_id: int, first: int | None = None,
                             last: int | None = None) -> list[int]:
    """An operator's customer ids in order, those from ``first`` to ``last`` when given."""
    query = select(Customer.id).where(Customer.operator_id == operator_id)
    if first is not None and last is not None:
        query = query.where(Customer.id.between(first, last))
    return list(session.scalars(query.order_by(Customer.id)))


def customer_count(session: Session, operator_id: int) -> int:
    """How many customers an operator has."""
    return session.scalar(select(func.count()).select_from(Customer)
                          .where(Customer.operator_id == operator_id)) or 0


def customer_refs(session: Session, customer_ids: Collection[int]) -> dict[int, str]:
    """The customers' references (customer numbers), by id."""
    ids = sorted(set(customer_ids))
    refs: dict[int, str] = {}
    for start in range(0, len(ids), 1000):
        refs.update(session.execute(select(Customer.id, Customer.ref)
                                    .where(Customer.id.in_(ids[start:start + 1000]))).all())
    return refs


def customer_ids_matching(session: Session, text: str) -> list[int]:
    """The ids of the customers whose name or reference contains ``text`` (any case)."""
    like = f"%{text}%"
    return list(session.scalars(select(Customer.id).where(
        or_(Customer.name.ilike(like), Customer.ref.ilike(like)))))
