"""More main paths in a real browser, in French and English, with screenshots: the billing staff
runs a bill run and downloads an invoice's PDF; a customer user reads what it owes and what it
paid; a site delegate adds a badge to a user record."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import CUSTOMER, SITE_DELEGATE, STAFF, log_in, shot


def _switch_to_english(page, heading: re.Pattern | str) -> None:
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text(heading)          # waits for the new page


def test_billing_staff_runs_a_bill_run_and_downloads_an_invoice_pdf(page):
    """TECHNICOPHONE bills monthly fees in advance (CGV art. 10): the December 2026 run of the
    demo bills the live subscriptions; the invoice page explains each line in French."""
    log_in(page, *STAFF["billing"])
    page.goto("/billing/runs")
    assert_accessible(page)
    page.fill("#period", "2026-12")
    page.select_option("#operator", "technicophone")
    page.get_by_role("button", name="Lancer la facturation").click()
    page.wait_for_url(re.compile(r"/billing/runs/\d+$"))
    # The progress fragment polls (HTMX) until the run is over.
    expect(page.locator("#progress .badge")).to_have_text("terminée", timeout=120_000)
    assert not re.search(r"Factures\s*:\s*0\b", page.locator("#progress").inner_text())
    assert_accessible(page)
    shot(page, "billing-run-fr")
    page.get_by_role("link", name="Ses factures").click()
    page.wait_for_url(re.compile(r"/billing/invoices\?"))
    page.locator("table a[href^='/billing/invoices/TEC-2026-']").first.click()
    page.wait_for_url(re.compile(r"/billing/invoices/TEC-2026-\d+$"))
    number = page.url.rsplit("/", 1)[-1]
    expect(page.locator("h1")).to_contain_text(f"Facture {number}")
    lines = page.locator("table").first.inner_text()
    assert "mois ×" in lines and "month" not in lines          # explained in French
    assert_accessible(page)
    shot(page, "billing-invoice-fr")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le PDF (Factur-X)").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000
    assert download.value.suggested_filename.endswith(".pdf")
    _switch_to_english(page, re.compile(rf"Invoice {number}"))
    assert "month ×" in page.locator("table").first.inner_text()
    shot(page, "billing-invoice-en")


def test_a_customer_user_reads_what_it_owes_and_what_it_paid(page):
    log_in(page, *CUSTOMER)
    page.get_by_role("link", name="Paiements et sommes dues").click()
    page.wait_for_url(re.compile(r"/portal/payments$"))
    expect(page.locator("h1")).to_have_text("Paiements et sommes dues")
    due = page.locator("#invoices-due")
    expect(due).to_contain_text("TEC-")                       # the customer's own invoices
    assert re.search(r"\d{2}/\d{2}/\d{4}", due.inner_text())   # due dates in French format
    assert "€" in page.locator("#owed").inner_text()
    assert "€" in page.locator("#credit-balance").inner_text()
    assert_accessible(page)
    shot(page, "portal-payments-fr")
    _switch_to_english(page, "Payments and what is due")
    expect(page.get_by_role("heading", name="Invoices to pay")).to_have_count(1)
    shot(page, "portal-payments-en")


def test_a_site_delegate_adds_a_badge_to_a_user_record(page):
    """CP A art. 3 (L260-263): the administrator gives a delegate rights on the site; this one
    manages the credentials (badges) of the site's user records."""
    log_in(page, *SITE_DELEGATE)
    # One site: the portal opens on it (nothing to choose), with the site's tabs as its menu.
    page.wait_for_url(re.compile(r"/sites/\d+$"))
    assert "Clients" not in page.locator("nav").first.inner_text()     # no staff link
    page.get_by_role("link", name="Fiches").click()
    page.wait_for_url(re.compile(r"/sites/\d+/records"))
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Appartement 1")).click()
    page.wait_for_url(re.compile(r"/sites/\d+/records/\d+$"))
    # credentials only: the record itself is not offered for change
    expect(page.get_by_text("Votre délégation ne comprend pas la modification des fiches.")).to_be_visible()
    expect(page.get_by_role("button", name="Supprimer cette fiche")).to_have_count(0)
    page.select_option("#kind", "badge")
    page.select_option("#format", "wiegand26")
    page.fill("#facility", "12")
    page.fill("#card", "3456")
    page.locator("form:has(#facility) button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status")).to_contain_text("Identifiant ajouté")
    expect(page.locator("table").first).to_contain_text("12/3456")
    assert_accessible(page)
    shot(page, "site-badge-added-fr")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Badges, remotes and codes")).to_have_count(1)
    expect(page.locator("table").first).to_contain_text("12/3456")
    shot(page, "site-badge-added-en")
