"""What other rooms may read of the catalogue, for many at once: plain facts, no ORM objects."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.catalog.models import Offer


def offer_attributes(session: Session, offer_ids: Collection[int]) -> dict[int, dict]:
    """Each offer's attributes (user records, channels, bandwidth…), by offer id."""
    ids = sorted(set(offer_ids))
    return {offer_id: attributes or {} for offer_id, attributes in session.execute(
        select(Offer.id, Offer.attributes).where(Offer.id.in_(ids)))}


@dataclass(frozen=True)
class OfferSummary:
    id: int
    code: str
    name: str
    kind: str
    attributes: dict
    one_off_price: Decimal
    price_basis: str
    vat_rate: str


def active_offers(session: Session, operator_id: int, family: str) -> list[OfferSummary]:
    """The operator's active offers of a sheet family, in catalogue order (by id)."""
    return [OfferSummary(*row) for row in session.execute(
        select(Offer.id, Offer.code, Offer.name, Offer.kind, Offer.attributes, Offer.one_off_price,
               Offer.price_basis, Offer.vat_rate)
        .where(Offer.operator_id == operator_id, Offer.family == family, Offer.active.is_(True))
        .order_by(Offer.id))]
