"""Every page of the back office is reachable from the menu (issue 21, "Navigation"): bill runs,
service levels, personal data and porting included; the section being read shows its pages."""

from __future__ import annotations

from datetime import datetime

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from clausier.accounts import service as accounts
from clausier.core.clock import PARIS, FixedClock
from clausier.db.session import transaction
from clausier.rooms import ROOMS
from clausier.web.navigation import current_section, staff_menu

from tests.apps import app_for

# Pages of the back office that are not destinations of their own: forms and files reached from
# the page they belong to, and fragments a page refreshes itself with.
NOT_MENU_PAGES = {
    "/customers/new",                      # the "New customer" button of /customers
    "/billing/invoices.csv",               # the export link of /billing/invoices
    "/support/tickets/board",              # the HTMX fragment of /support/tickets
    "/support/tickets/reporters",          # the ticket form's HTMX list of reporters
    "/events",                             # the dashboard's live fragment
}
OTHER_SPACES = ("/api", "/portal", "/static", "/lang", "/login", "/logout", "/account",
                "/favicon", "/health", "/docs", "/openapi", "/devices", "/invitations")


def _back_office_pages() -> set[str]:
    paths = set()
    for room in ROOMS:
        for router in room.routers():
            for route in router.routes:
                if (isinstance(route, APIRoute) and route.endpoint.__module__.endswith(".views")
                        and "GET" in route.methods and "{" not in route.path
                        and not route.path.startswith(OTHER_SPACES)):
                    paths.add(route.path)
    return paths - NOT_MENU_PAGES


def test_every_back_office_page_is_in_the_menu():
    in_menu = {page.path for section in staff_menu() for page in section.pages}
    assert {"/billing/runs", "/support/sla", "/privacy", "/ports"} <= in_menu
    assert _back_office_pages() - in_menu == set()


def test_a_page_belongs_to_the_section_of_its_longest_path():
    menu = staff_menu()
    assert current_section(menu, "/privacy/register").title == "Personal data"
    assert current_section(menu, "/customers/12").title == "Customers"
    assert current_section(menu, "/sites/3/records").title == "Access control"
    assert current_section(menu, "/login") is None


def test_the_menu_and_the_section_tabs_are_drawn_in_french(clean_engine, actor):
    clock = FixedClock(datetime(2026, 11, 24, 9, tzinfo=PARIS))
    with transaction(clean_engine) as session:
        staff = accounts.create_user(session, clock, actor, email="billing@op.example",
                                     name="Compta", role="billing",
                                     password="long enough password")
        session.flush()
        token = accounts.issue_token(session, clock, actor, staff.id, "test")[1]
    client = TestClient(app_for(clean_engine, clock))
    client.headers["authorization"] = f"Bearer {token}"
    page = client.get("/billing/runs").text
    assert '<a href="/billing/invoices" aria-current="true">Facturation</a>' in page
    assert '<nav class="tabs" aria-label="Facturation">' in page
    assert '<a href="/billing/runs" aria-current="page">Facturations</a>' in page
    assert '<a href="/privacy">Données personnelles</a>' in page
