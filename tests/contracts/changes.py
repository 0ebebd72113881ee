"""A Centrex subscription of ten seats, stored in its own transaction, for the change-order tests
that go through the CLI and the pages."""

from __future__ import annotations

from datetime import date

from clausier.audit.service import Actor
from clausier.contracts.service import LineInput
from clausier.db.session import transaction
from tests import factories


def centrex_with_ten_seats(engine, clock) -> str:
    """Ten hosted-telephony users at 15,00 € (access fee 20,00 €), live from 2026-09-01."""
    actor = Actor(name="test@clausier.local")
    with transaction(engine) as session:
        op = factories.operator(session, clock, actor, "technicophone")
        factories.offer(session, op, "centrex_user", "centrex", "15.00", unit="user",
                        access_fee="20.00")
        customer = factories.customer(session, clock, op)
        [sub] = factories.subscription(session, clock, actor, customer,
                                       [LineInput(customer.sites[0].id, "centrex_user", 10)],
                                       signed_on=date(2026, 8, 1), go_live_on=date(2026, 9, 1))
        return sub.ref


def ozone_subscription(engine, clock, family: str, offer: str, monthly_fee: str) -> str:
    """A household's Ozone subscription of one ``family`` offer, committed 12 months from its
    go-live on 2026-01-01."""
    actor = Actor(name="test@clausier.local")
    with transaction(engine) as session:
        op = factories.operator(session, clock, actor, "ozone")
        factories.offer(session, op, offer, family, monthly_fee, unit="line", commitment_months=12)
        customer = factories.customer(session, clock, op, "Famille Martin", kind="household",
                                      employees=None)
        [sub] = factories.subscription(session, clock, actor, customer,
                                       [LineInput(customer.sites[0].id, offer, 1, 12)],
                                       signed_on=date(2025, 12, 15), go_live_on=date(2026, 1, 1))
        return sub.ref
