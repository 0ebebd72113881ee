"""What other rooms may read of the catalogue: what an offer includes, as rating reads it, and
the code of each operator; many offers in one query."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.catalog.attributes import RatingAttributes, rating_attributes
from clausier.catalog.models import Offer, Operator

# Offer ids per statement, well under both databases' limits.
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
