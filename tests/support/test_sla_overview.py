"""The service-level report as a table (issue 21, "Screens"): by customer, site and month, with
totals and where each claim stands — nothing to claim when nothing is due."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from clausier.accounts import service as accounts
from clausier.core.clock import PARIS, FixedClock
from clausier.db.session import transaction
from clausier.support import service
from clausier.support.rules import ClaimStanding

from tests.apps import app_for
from tests.support import world as w

JUNE = date(2026, 6, 1)


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=PARIS)


@pytest.fixture
def june(session, clock, actor):
    """An SDSL access down 3 h 36 on 10 June 2026 (CP III §4.1: 5 % of its 80 € fee credited,
    to claim within 30 business days of the month, i.e. by 12 August) and an ISDN access with
    no incident at the same customer."""
    world = w.build(session, clock, actor)
    internet = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "internet-sdsl")
    isdn = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn")
    service.record_outage(session, FixedClock(at(2026, 7, 1, 9)), actor, internet.ref,
                          at(2026, 6, 10, 9), at(2026, 6, 10, 12, 36))
    return world, internet, isdn


def _standings(session, on: datetime) -> dict[str, tuple[ClaimStanding, Decimal]]:
    [customer] = service.sla_overview(session, FixedClock(on), JUNE)
    return {row.item.subscription.ref: (row.standing, row.item.report.total) for row in customer.rows}


def test_the_credit_is_to_claim_until_the_window_closes_cp_iii_4_1(session, actor, june):
    world, internet, isdn = june
    [customer] = service.sla_overview(session, FixedClock(at(2026, 7, 1, 9)), JUNE)
    assert customer.name == "Imprimerie Durand" and customer.total == Decimal("-4.00")
    assert _standings(session, at(2026, 7, 1, 9)) == {
        internet.ref: (ClaimStanding.to_claim, Decimal("-4.00")),
        isdn.ref: (ClaimStanding.nothing_due, Decimal("0.00"))}
    # The 30 business days end on 12 August; from the 13th the credit is lost.
    assert _standings(session, at(2026, 8, 12, 18))[internet.ref][0] is ClaimStanding.to_claim
    assert _standings(session, at(2026, 8, 13, 9))[internet.ref][0] is ClaimStanding.window_closed


def test_a_claimed_month_says_so_and_nothing_due_stays_nothing_to_claim(session, actor, june):
    world, internet, isdn = june
    service.claim(session, FixedClock(at(2026, 7, 2, 9)), actor, world.customer.ref, JUNE)
    assert _standings(session, at(2026, 7, 3, 9)) == {
        internet.ref: (ClaimStanding.claimed, Decimal("-4.00")),
        isdn.ref: (ClaimStanding.nothing_due, Decimal("0.00"))}


def test_the_french_page_is_one_table_with_the_claim_status(clean_engine, actor):
    clock = FixedClock(at(2026, 1, 5, 9))
    with transaction(clean_engine) as session:
        world = w.build(session, clock, actor)
        internet = w.service(session, clock, actor, world, "internet-sdsl")
        w.service(session, clock, actor, world, "vga-isdn")
        service.record_outage(session, FixedClock(at(2026, 7, 1, 9)), actor, internet.ref,
                              at(2026, 6, 10, 9), at(2026, 6, 10, 12, 36))
        staff = accounts.create_user(session, clock, actor, email="support@op.example",
                                     name="Desk", role="support", password="long enough password")
        session.flush()
        token = accounts.issue_token(session, clock, actor, staff.id, "test")[1]
    client = TestClient(app_for(clean_engine, FixedClock(at(2026, 7, 1, 9))))
    client.headers["authorization"] = f"Bearer {token}"
    page = client.get("/support/sla", params={"month": "2026-06"}).text.replace("\u202f", " ")
    assert page.count('<table class="sla-report">') == 1
    assert '<th scope="rowgroup" colspan="8">Imprimerie Durand</th>' in page
    assert "À réclamer au plus tard le 12/08/2026" in page and "Rien à réclamer" in page
    assert "Total pour Imprimerie Durand" in page
    assert f'id="detail-{internet.ref}"' in page          # the explained credit below the table
