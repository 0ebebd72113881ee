"""The contracts' statuses are closed lists: read back as members, refused outside the list."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import StatementError

from clausier.contracts import service
from clausier.contracts.models import Order, Subscription
from clausier.contracts.statuses import OrderStatus, SubscriptionStatus
from clausier.core.errors import InvalidInput
from tests import factories


def test_a_status_read_from_the_database_is_the_member(session, clock, actor):
    sub = factories.one_line(session, clock, actor, "technicophone", "hosting", "20.00",
                             signed_on=date(2025, 1, 10), go_live_on=date(2025, 2, 1))
    session.expire_all()
    loaded = session.get(Subscription, sub.id)
    assert loaded.status is SubscriptionStatus.ACTIVE
    assert loaded.status == "active"          # still equal to its text for the readers
    order = session.scalars(select(Order)).one()
    assert order.status is OrderStatus.ACCEPTED


def test_a_status_outside_the_list_is_refused_naming_it(session, clock, actor):
    sub = factories.one_line(session, clock, actor, "technicophone", "hosting", "20.00",
                             signed_on=date(2025, 1, 10), go_live_on=None)
    with pytest.raises(StatementError, match="'closed' is not a valid SubscriptionStatus"):
        session.execute(update(Subscription).where(Subscription.id == sub.id)
                        .values(status="closed"))


def test_listing_by_an_unknown_status_is_refused_with_its_code(session):
    with pytest.raises(InvalidInput) as refused:
        service.list_subscriptions(session, status="closed")
    assert refused.value.code == "subscription_status_unknown"
