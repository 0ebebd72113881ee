"""Rozoh packs for tests: the catalogue rows a pack is sold from, then order → subscription →
pack → activated site with its administrator (all through the services)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from clausier.access.models import AccessSite, Pack
from clausier.access.packs.service import activate_pack, open_pack
from clausier.access.sites.service import members
from clausier.audit.service import Actor
from clausier.contracts import service as contracts
from clausier.core.clock import Clock
from tests import factories

FAMILY = {"A": "intercom_pack", "B": "access_pack"}
ADMIN_PASSWORD = "Admin-password-1"


@dataclass
class Built:
    pack: Pack
    site: AccessSite
    code: str
    subscription_id: int
    admin: Actor | None = None


def offers(session: Session, clock: Clock, actor: Actor, variant: str = "A"):
    op = factories.operator(session, clock, actor, "rozoh")
    family = FAMILY[variant]
    pack = factories.offer(session, op, f"{family}_50", family, "0", unit="pack", kind="pack",
                           one_off_price="1490.00", user_records=50, variant=variant)
    factories.offer(session, op, f"{family}_records_10", family, "0", unit="extension", kind="option",
                    one_off_price="190.00", user_records=10)
    return op, pack


def sold_pack(session: Session, clock: Clock, actor: Actor, *, variant: str = "A",
              category: str = "public_body", site_country: str = "FR", customer_country: str = "FR",
              signed_on: date = date(2025, 1, 6), shipped_on: date | None = date(2025, 1, 20)):
    """The subscription of a pack ordered and shipped, not yet activated."""
    op, pack_offer = offers(session, clock, actor, variant)
    customer = factories.customer(session, clock, op, "Mairie de Montaigu", category=category,
                                  sites=(("École Jules Ferry", "85"),))
    customer.country = customer_country
    customer.sites[0].country = site_country
    [subscription] = factories.subscription(
        session, clock, actor, customer,
        [contracts.LineInput(factories.site_id(customer), pack_offer.code)],
        signed_on=signed_on, go_live_on=None)
    if shipped_on:
        contracts.record_event(session, clock, actor, subscription.id, "shipment", shipped_on)
    return subscription


def activated_site(session: Session, clock: Clock, actor: Actor, *, variant: str = "A",
                   activated_on: date = date(2025, 2, 3), email: str = "admin@montaigu.fr", **kwargs) -> Built:
    subscription = sold_pack(session, clock, actor, variant=variant, **kwargs)
    pack, site, code = open_pack(session, clock, actor, subscription.id, kind="school")
    activate_pack(session, clock, actor, code=code, email=email, name="Claire Admin",
                  password=ADMIN_PASSWORD, on=activated_on)
    member = members(session, actor, site.id)[0]
    admin = Actor(name=email, role="site_admin", user_id=member[1].id)
    return Built(pack, site, code, subscription.id, admin)
