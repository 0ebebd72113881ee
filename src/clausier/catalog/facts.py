"""What other rooms may read of the catalogue: operators, offers and equipment kinds as plain
values, many at a time (one query per call)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.catalog.attributes import RatingAttributes, rating_attributes
from clausier.catalog.models import EquipmentKind, Offer, Operator
from clausier.catalog.rules import LegalIdentity


@dataclass(frozen=True)
class OperatorFacts:
    id: int
    code: str
    name: str
    sheet_id: str
    customer_kind: str
    price_basis: str
    invoice_prefix: str
    legal_name: str
    address: str                # on one line, as letters print it
    email: str
    phone: str
    legal_identity: LegalIdentity   # the seller on its invoices (catalog.rules)


@dataclass(frozen=True)
class OfferFacts:
    id: int
    operator_id: int
    code: str
    name: str
    family: str
    kind: str
    unit: str
    monthly_fee: Decimal
    access_fee: Decimal
    one_off_price: Decimal
    price_basis: str
    vat_rate: str
    commitment_months: int | None
    attributes: dict
    active: bool


@dataclass(frozen=True)
class EquipmentKindFacts:
    id: int
    operator_id: int
    code: str
    name: str
    replacement_value: Decimal
    sale_price: Decimal
    monthly_rent: Decimal
    price_basis: str


def _operator(row: Operator) -> OperatorFacts:
    return OperatorFacts(row.id, row.code, row.name, row.sheet_id, row.customer_kind,
                         row.price_basis, row.invoice_prefix, row.legal_name, row.address,
                         row.email, row.phone, row.legal_identity)


def _offer(row: Offer) -> OfferFacts:
    return OfferFacts(row.id, row.operator_id, row.code, row.name, row.family, row.kind, row.unit,
                      row.monthly_fee, row.access_fee, row.one_off_price, row.price_basis,
                      row.vat_rate, row.commitment_months, dict(row.attributes or {}),
                      row.active)


def operators(session: Session, operator_ids: Collection[int] | None = None
              ) -> dict[int, OperatorFacts]:
    """The operators of ``operator_ids`` (those that exist; every operator when None), by id,
    in the order of their names."""
    query = select(Operator).order_by(Operator.name, Operator.id)
    if operator_ids is not None:
        query = query.where(Operator.id.in_(set(operator_ids)))
    return {row.id: _operator(row) for row in session.scalars(query)}


def operators_by_code(session: Session, codes: Collection[str]) -> dict[str, OperatorFacts]:
    """The operators named by ``codes`` (those that exist), by code."""
    if not codes:
        return {}
    return {row.code: _operator(row) for row in session.scalars(
        select(Operator).where(Operator.code.in_(set(codes))))}


def offers(session: Session, offer_ids: Collection[int]) -> dict[int, OfferFacts]:
    """The offers of ``offer_ids`` (those that exist), by id."""
    if not offer_ids:
        return {}
    return {row.id: _offer(row) for row in session.scalars(
        select(Offer).where(Offer.id.in_(set(offer_ids))))}


def offers_by_code(session: Session, operator_id: int, codes: Collection[str]
                   ) -> dict[str, OfferFacts]:
    """The operator's offers named by ``codes`` (those it has), by code."""
    if not codes:
        return {}
    return {row.code: _offer(row) for row in session.scalars(
        select(Offer).where(Offer.operator_id == operator_id, Offer.code.in_(set(codes))))}


def offers_of_family(session: Session, operator_id: int, family: str) -> list[OfferFacts]:
    """The operator's offers of one service family (active or not), in the order created."""
    return [_offer(row) for row in session.scalars(
        select(Offer).where(Offer.operator_id == operator_id, Offer.family == family)
        .order_by(Offer.id))]


def equipment_kinds(session: Session, kind_ids: Collection[int]) -> dict[int, EquipmentKindFacts]:
    """The equipment kinds of ``kind_ids`` (those that exist), by id."""
    if not kind_ids:
        return {}
    return {row.id: _kind(row) for row in session.scalars(
        select(EquipmentKind).where(EquipmentKind.id.in_(set(kind_ids))))}


def equipment_kinds_by_code(session: Session, operator_id: int, codes: Collection[str]
                            ) -> dict[str, EquipmentKindFacts]:
    """The operator's equipment kinds named by ``codes`` (those it has), by code."""
    if not codes:
        return {}
    return {row.code: _kind(row) for row in session.scalars(
        select(EquipmentKind).where(EquipmentKind.operator_id == operator_id,
                                    EquipmentKind.code.in_(set(codes))))}


def equipment_kind_ids(session: Session, code: str) -> list[int]:
    """The ids of every operator's equipment kind of that code (``sim``, ``router``…)."""
    return list(session.scalars(select(EquipmentKind.id).where(EquipmentKind.code == code)
                                .order_by(EquipmentKind.id)))


def _kind(row: EquipmentKind) -> EquipmentKindFacts:
    return EquipmentKindFacts(row.id, row.operator_id, row.code, row.name,
                              row.replacement_value, row.sale_price, row.monthly_rent,
                              row.price_basis)


CHUNK = 5000


def offer_rating_attributes(session: Session, offer_ids: Collection[int]
                            ) -> dict[int, RatingAttributes]:
    """What each of these offers includes (calls, data, units), by offer id."""
    ids = sorted(set(offer_ids))
    table = Offer.__table__.c
    return {offer_id: rating_attributes(attributes)
            for start in range(0, len(ids), CHUNK)
            for offer_id, attributes in session.execute(
                select(table.id, table.attributes).where(table.id.in_(ids[start:start + CHUNK])))}


def operator_codes(session: Session) -> dict[int, str]:
    """The code of every operator (``technicophone``), by operator id."""
    table = Operator.__table__.c
    return dict(session.execute(select(table.id, table.code)).all())


def operator_by_code(session: Session, code: str) -> OperatorFacts | None:
    """The operator of a code, or None."""
    return operators_by_code(session, [code]).get(code)


def operator_by_id(session: Session, operator_id: int) -> OperatorFacts | None:
    """The operator of an id, or None."""
    return operators(session, [operator_id]).get(operator_id)


def common_offer_ids(session: Session, operator_id: int) -> set[int]:
    """The ids of an operator's offers that are common fees (``attributes.common``: billed on
    the customer's central site)."""
    return {offer_id for offer_id, attributes in session.execute(
        select(Offer.id, Offer.attributes).where(Offer.operator_id == operator_id))
        if (attributes or {}).get("common")}
