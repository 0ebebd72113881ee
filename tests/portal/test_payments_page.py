"""The portal's "payments and what is due" page: the customer's open invoices with their due
dates and what is left to pay, the payments received and the credit balance — its own only."""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal

from clausier.audit.service import Actor
from clausier.core.clock import FixedClock
from clausier.db.session import transaction
from clausier.payments.invoices import open_invoices
from clausier.payments.ledger import service as ledger
from clausier.portal import service
from tests.conftest import log_in
from tests.security.world import PASSWORD, TODAY, browser, world, world_app  # noqa: F401


def _plain(text: str) -> str:
    return html.unescape(text).replace("\u202f", " ").replace("\xa0", " ")


def test_the_customer_sees_what_it_owes_and_what_it_paid_never_another_customers(world, engine, browser):
    """A payment of 10.00 € goes to the oldest open invoice first (the payments room's
    allocation rule); the due dates are the invoices' own (the sheets' payment terms)."""
    clock, actor = FixedClock.on(TODAY), Actor.system("test")
    with transaction(engine) as s:
        before = open_invoices(s, world.customer_a)
        assert before, "the demo customer A has no open invoice: the page would prove nothing"
        oldest = before[0]
        ledger.record_payment(s, clock, actor, world.customer_a, "10.00", "transfer",
                              date(2026, 11, 20), reference="VIR-TEST-A")
        dues = service.dues_of_customer(s, world.customer_a, TODAY)
        b_numbers = [i.number for i in open_invoices(s, world.customer_b)]
    assert dues.open_invoices[0].outstanding == oldest.outstanding - Decimal("10.00")
    assert log_in(browser, world.user_a_email, PASSWORD).status_code == 303
    page = browser.get("/portal/payments")
    assert page.status_code == 200
    text = _plain(page.text)
    assert "Paiements et sommes dues" in text and "Factures à régler" in text
    assert oldest.number in text
    assert f"{dues.open_invoices[0].outstanding:.2f}".replace(".", ",") in text.replace(" ", "")
    assert "10,00 €" in text and "virement" in text        # the payment received
    assert "Avoir disponible" in text
    for number in b_numbers:
        assert number not in text, f"customer B's invoice {number} shown to A"
    assert "/portal/payments" in browser.get("/portal").text      # in the portal's navigation
