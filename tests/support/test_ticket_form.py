"""The staff's ticket form picks the reporting contact among those the subscription's customer
authorised (CP I §5.7: the caller is identified and their authorisation checked), instead of
asking for a contact id that appears nowhere (issue 21, "Names everywhere")."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from clausier.accounts import service as accounts
from clausier.core.clock import PARIS, FixedClock
from clausier.db.session import transaction

from tests.apps import app_for
from tests.support import world as w


def test_the_form_lists_the_authorised_reporters_of_the_subscription_cp_i_5_7(clean_engine, actor):
    clock = FixedClock(datetime(2026, 1, 5, 9, tzinfo=PARIS))
    with transaction(clean_engine) as session:
        world = w.build(session, clock, actor)
        isdn = w.service(session, clock, actor, world, "vga-isdn")
        staff = accounts.create_user(session, clock, actor, email="support@op.example",
                                     name="Desk", role="support", password="long enough password")
        session.flush()
        token = accounts.issue_token(session, clock, actor, staff.id, "test")[1]
        reporter, stranger = world.reporter, world.stranger
    client = TestClient(app_for(clean_engine, clock))
    client.headers["authorization"] = f"Bearer {token}"

    board = client.get("/support/tickets").text
    assert 'hx-get="/support/tickets/reporters"' in board and "(id)" not in board
    fragment = client.get("/support/tickets/reporters", params={"subscription": isdn.ref}).text
    assert f'<option value="{reporter.id}">{reporter.name}' in fragment
    assert stranger.name not in fragment                 # a contact not designated to report
    unknown = client.get("/support/tickets/reporters", params={"subscription": "TEC-S999999"})
    assert "Aucun abonnement TEC-S999999." in unknown.text
