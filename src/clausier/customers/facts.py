"""What other rooms may read of customers, for many at once: plain facts, no ORM objects."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.customers.models import Customer, Site


@dataclass(frozen=True)
class CustomerProfile:
    id: int
    category: str
    country: str


def customer_profiles(session: Session, customer_ids: Collection[int]
                      ) -> dict[int, CustomerProfile]:
    """Each customer's category and country (what a sheet's eligibility rules look at), by id."""
    ids = sorted(set(customer_ids))
    return {row.id: CustomerProfile(*row) for row in session.execute(
        select(Customer.id, Customer.category, Customer.country).where(Customer.id.in_(ids)))}


@dataclass(frozen=True)
class SitePlace:
    id: int
    name: str
    country: str


def site_places(session: Session, site_ids: Collection[int]) -> dict[int, SitePlace]:
    """Each customer site's name and country, by id."""
    ids = sorted(set(site_ids))
    return {row.id: SitePlace(*row) for row in session.execute(
        select(Site.id, Site.name, Site.country).where(Site.id.in_(ids)))}
