"""Issue 21, "a demo that shows everything": every back-office page a newcomer opens from the menu
has something to show on the demo data — call records rated with a fair-use breach and a fraud
alert waiting for a decision, numbers with an SDA block and a porting in progress, dunning cases
at different steps with their letters, a SEPA debit returned, tickets in each state with a
breached restoration time and an SLA claim, equipment to return this week, a site's device that
synchronised, a personal-data request in progress."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clausier.access.models import Device, DeviceEvent
from clausier.equipment import service as equipment
from clausier.numbers import service as numbers
from clausier.notifications.models import OutboxMessage
from clausier.payments.models import DebitReturn, DunningCase
from clausier.privacy import service as privacy
from clausier.rating.cdr import service as cdr_service
from clausier.rating.fair_use import service as fair_use_service
from clausier.rating.fraud import service as fraud_service
from clausier.support import service as support
from clausier.support.models import SlaClaim
from tests.apps import app_for
from tests.conftest import log_in

ADMIN = ("admin@clausier.local", "clausier-admin")          # demo/service.py DEMO_USERS


def test_call_records_are_rated_with_a_breach_and_an_alert_waiting(demo_session):
    assert [b.file_name for b in cdr_service.list_batches(demo_session)] == ["demo-cdr-2026-10.csv"]
    assert fair_use_service.list_breaches(demo_session, month="2026-10")
    assert fraud_service.list_alerts(demo_session, status="open")


def test_numbers_have_an_sda_block_and_a_porting_in_progress(demo_session):
    block = numbers.list_numbers(demo_session, kind="sda")
    assert len(block) == 10 and {n.status for n in block} == {"assigned"}
    [port] = numbers.list_ports(demo_session, direction="in")
    assert port.status == "scheduled" and port.porting_date > port.requested_on


def test_collections_have_cases_at_different_steps_letters_and_a_return(demo_session):
    cases = demo_session.scalars(select(DunningCase).where(DunningCase.status == "open")).all()
    steps = {tuple(sorted(step.step_id for step in case.steps)) for case in cases}
    assert len(steps) >= 2
    assert any(len(ladder) >= 2 for ladder in steps)
    assert demo_session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == "registered_letter")).first() is not None
    assert demo_session.scalars(select(DebitReturn)).first() is not None


def test_tickets_in_each_state_a_breached_one_and_an_sla_claim(demo_session, clock):
    tickets = support.list_tickets(demo_session)
    assert {t.status for t in tickets} >= {"open", "restored", "closed"}
    assert any(reading.breached for reading in support.live_board(demo_session, clock.now()))
    assert demo_session.scalars(select(SlaClaim)).first() is not None


def test_equipment_due_back_this_week_a_device_synced_a_request_open(demo_session, clock):
    start, end = equipment.week_of(clock.today())
    assert equipment.returns_due(demo_session, start, end)
    device = demo_session.scalars(select(Device)).first()
    assert device is not None and device.version_applied > 0
    assert demo_session.scalars(select(DeviceEvent)).first() is not None
    assert privacy.list_requests(demo_session, status="open")


# The menu's pages and their sub-pages this issue filled, with what shows each row.
PAGES = {
    "/payments/dunning": "<tr", "/payments/outbox": "<tr", "/usage/imports": "<tr",
    "/usage/breaches": "<tr", "/usage/alerts?status=open": '<section class="card"',
    "/numbers": "<tr", "/ports": "<tr", "/support/tickets": "<tr", "/support/sla": "<tr",
    "/equipment/returns": "<tr", "/privacy": "<tr",
}
# The site portal's page of the devices (the site administrator of access/demo.py DEMO_SITES).
SITE_ADMIN = ("site.admin@clausier.local", "clausier-site")
SITE_PAGES = {"/sites/1/devices": "<tr"}


def empty_pages(client: TestClient, pages: dict[str, str]) -> list[str]:
    """The pages without a row: no row's mark after the table heads, or only the line across
    the table (``colspan``) it shows when it has nothing."""
    empty = []
    for path, row in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        body = re.sub(r"<thead>.*?</thead>", "", response.text, flags=re.S)
        if row not in body or "colspan" in body.split(row, 1)[1][:40]:
            empty.append(path)
    return empty


def test_every_page_of_the_menu_shows_rows(demo_session, engine, clock):
    for (email, password), pages in ((ADMIN, PAGES), (SITE_ADMIN, SITE_PAGES)):
        with TestClient(app_for(engine, clock)) as client:
            assert log_in(client, email, password).status_code == 303
            assert empty_pages(client, pages) == []
