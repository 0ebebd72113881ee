"""The main path of each portal in a real browser, in French and in English, with screenshots:
staff of each role on the dashboard; an admin creating a customer and giving it a portal user;
a customer user reading its contracts, quoting its exit and opening a ticket."""

from __future__ import annotations

import re

from playwright.sync_api import expect

import pytest

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import CUSTOMER, STAFF, log_in, shot


ROLE_IN_FRENCH = {"admin": "(administrateur)", "billing": "(facturation)",
                  "support": "(support)", "sales": "(ventes)"}


@pytest.mark.parametrize("role", sorted(STAFF))
def test_each_staff_role_reaches_the_dashboard(page, role):
    log_in(page, *STAFF[role])
    assert page.locator("h1").inner_text() == "Tableau de bord"
    assert page.locator("#panel-revenue svg.chart").count() >= 1
    # the role in words, in French (issue 21: never the stored code)
    assert ROLE_IN_FRENCH[role] in page.locator(".who").inner_text()
    assert_accessible(page)
    shot(page, f"dashboard-{role}-fr")
    if role == "admin":
        page.get_by_role("link", name="English").click()
        expect(page.locator("h1")).to_have_text("Dashboard")     # waits for the new page
        assert page.locator("html").get_attribute("lang") == "en"
        shot(page, "dashboard-admin-en")


def test_admin_creates_a_customer_and_gives_it_a_portal_user(page):
    log_in(page, *STAFF["admin"])
    page.goto("/customers/new")
    assert_accessible(page)
    page.select_option("#operator", "technicophone")
    page.fill("#name", "Boulangerie Navigateur")
    page.fill("#siren", "404833048")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/customers/\d+$"))
    assert page.locator("h1").inner_text().startswith("Boulangerie Navigateur")
    # The portal-users section is loaded by HTMX into the customer page.
    page.locator("#portal-users summary").click()
    assert_accessible(page)
    page.fill("#portal-email", "gerante@boulangerie.example")
    page.fill("#portal-name", "Gérante")
    page.fill("#portal-password", "une-longue-phrase")
    page.locator("#portal-users button[type=submit]").click()
    # The form posts by HTMX: wait for the swapped fragment, not for a page load.
    expect(page.locator("#portal-users")).to_contain_text("gerante@boulangerie.example")
    shot(page, "customer-created-fr")
    # A site, then a signed order for it: one subscription per site and family, "ordered".
    page.locator("#sites summary").click()
    page.fill("#site-name", "Boutique centre")
    page.fill("#site-postcode", "37000")
    page.locator("#sites form button[type=submit]").click()
    expect(page.locator("#sites")).to_contain_text("Boutique centre")
    page.locator("#contracts summary").click()
    assert_accessible(page)
    page.select_option("#order-offer-0", index=1)
    page.fill("#order-quantity-0", "2")
    page.locator("#order-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/customers/\d+\?order=.*created=1"))
    expect(page.locator("#contracts tbody").first).to_contain_text("Boutique centre")
    shot(page, "customer-order-fr")


def test_a_customer_user_reads_its_contracts_quotes_its_exit_and_opens_a_ticket(page):
    log_in(page, *CUSTOMER)
    assert page.url.endswith("/portal")
    assert "Mes contrats" in page.locator("nav").inner_text()
    assert "Clients" not in page.locator("nav").inner_text()       # no staff link
    assert_accessible(page)
    shot(page, "portal-home-fr")
    page.locator("table a[href^='/portal/contracts/']").first.click()
    page.wait_for_url(re.compile(r"/portal/contracts/"))
    page.fill("#received", "2026-12-01")
    page.get_by_role("button", name="Chiffrer la résiliation").click()
    quote = page.locator("#quote table.explained")
    quote.wait_for()
    assert "CP I" in quote.inner_text()                  # every line names its clause
    assert_accessible(page)
    shot(page, "portal-quote-fr")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="What would leaving cost?")).to_have_count(1)
    shot(page, "portal-contract-en")
    page.goto("/portal/tickets")
    page.fill("#description", "No dial tone on the reception line since this morning.")
    page.get_by_role("button", name="Report the incident").click()
    page.wait_for_url(re.compile(r"/portal/tickets/[^/]+$"))
    assert "No dial tone" in page.content()
    assert_accessible(page)
    shot(page, "portal-ticket-en")


def test_a_customer_user_gets_not_found_on_staff_pages(page):
    log_in(page, *CUSTOMER)
    for path in ("/customers", "/contracts", "/audit"):
        assert page.goto(path).status == 404
