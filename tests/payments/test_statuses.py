"""The payments' statuses are closed lists: read back as members, refused outside the list."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update
from sqlalchemy.exc import StatementError

from clausier.core.clock import FixedClock
from clausier.payments.models import DirectDebitItem, Mandate
from clausier.payments.rules import DebitStatus, MandateStatus
from clausier.payments.sepa import service as sepa
from tests.payments.test_sepa import ozone_customer, run_tick


def test_statuses_read_from_the_database_are_the_members(session, actor):
    billed = ozone_customer(session, actor)
    run_tick(session, actor, date(2025, 10, 3))       # the October debit is scheduled (CGV art. 9.2)
    session.flush()
    session.expire_all()
    [mandate] = sepa.list_mandates(session, billed.customer.id)
    assert mandate.status is MandateStatus.ACTIVE
    [item] = session.query(DirectDebitItem).all()
    assert item.status is DebitStatus.SCHEDULED


def test_a_status_outside_the_list_is_refused_naming_it(session, actor):
    billed = ozone_customer(session, actor)
    with pytest.raises(StatementError, match="'expired' is not a valid MandateStatus"):
        session.execute(update(Mandate).where(Mandate.customer_id == billed.customer.id)
                        .values(status="expired"))


def test_a_revoked_mandate_is_stored_as_the_member(session, actor):
    billed = ozone_customer(session, actor)
    sepa.revoke_mandate(session, FixedClock.on(date(2025, 10, 4)), actor, "OZ-RUM-000001",
                        "customer's request")
    session.flush()
    session.expire_all()
    assert sepa.list_mandates(session, billed.customer.id)[0].status is MandateStatus.REVOKED
