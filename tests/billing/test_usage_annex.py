"""The usage annex (design §7): each usage line of an invoice keeps the rating's month per
destination class, shown on the back-office page, on the customer portal's page and in the PDF,
and the invoice keeps it when rating's summaries are purged."""

from __future__ import annotations

import html
import io
from decimal import Decimal

import pypdf
from sqlalchemy import delete, select

from clausier.billing.invoices import rules as invoice_rules
from clausier.billing.invoices import service as billing_invoices
from clausier.billing.runs import service as billing_runs
from clausier.billing.models import InvoiceLine
from clausier.billing.documents.pdf import invoice_pdf
from clausier.db.session import transaction
from clausier.rating.cdr import service as cdr_service
from clausier.rating.month import service as month_service
from clausier.rating.models import UsageSummary
from clausier.rating.store import UsageStore
from tests.conftest import create_user, log_in
from tests.rating.conftest import csv_row, make_rating_operator, subscriber, write_csv

# The VGA bundle's destinations (CP I §8 L1716-1726: fixed and mobile numbers, unlimited), as
# the sheet's clause is cited; calls abroad are out of it, at the price list's 0,30 € HT a
# minute, per second.
INCLUDED = "CP I §8 (L1716-1726)"
PORTAL_EMAIL, PASSWORD = "client@test.local", "correct horse battery"


def _bill_a_month_of_calls(session, clock, actor, tmp_path) -> int:
    """Three 60 s calls to fixed numbers and two 90 s calls to Germany in October, billed in
    November's run (CP I §7.2: usage in arrears); the invoice's id."""
    operator = make_rating_operator(session, clock, actor, tmp_path)
    line = subscriber(session, clock, actor, operator)("vga", "0247000001", unit="analogue_line",
                                                       calls="unlimited")
    rows = ([csv_row(f"F{i}", called=f"014500000{i}", start=f"2026-10-05T09:0{i}:00+02:00")
             for i in range(3)]
            + [csv_row(f"I{i}", called=f"004930123456{i}", duration="90",
                       start=f"2026-10-06T10:0{i}:00+02:00") for i in range(2)])
    store = UsageStore(tmp_path / "usage")
    cdr_service.import_cdr_file(session, clock, actor, write_csv(tmp_path / "cdr.csv", rows), store)
    month_service.rate(session, clock, actor, "2026-10", store)
    billing_runs.bill_period(session, clock, actor, "2026-11", "ratingtest")
    usage_line = session.scalar(select(InvoiceLine).where(InvoiceLine.kind == "usage"))
    # 2 calls × 90 s × 0,30 € / 60 s = 0,90 € HT; the fixed calls are in the bundle.
    assert usage_line.amount == Decimal("0.90")
    return usage_line.invoice_id


def test_the_invoice_pdf_the_back_office_and_the_portal_show_the_usage_annex(
        client, clean_engine, clock, actor, tmp_path):
    with transaction(clean_engine) as s:
        invoice_id = _bill_a_month_of_calls(s, clock, actor, tmp_path)
        # Rated summaries live 6 months (CGV art. 10.6); an issued invoice does not change with them.
        s.execute(delete(UsageSummary))
    with transaction(clean_engine) as s:
        invoice = billing_invoices.get_invoice(s, invoice_id)
        number, customer_id = invoice.number, invoice.customer_id
        [annex] = invoice_rules.usage_annexes(invoice.lines)
        document = invoice_pdf(invoice)
    rows = {row.label: row for row in annex.rows}
    fixed = rows["Calls — fixed"]
    assert (fixed.calls, fixed.seconds, fixed.included_seconds, fixed.charged_seconds, fixed.amount,
            fixed.clause) == (3, 180, 180, 0, Decimal("0.00"), INCLUDED)
    [abroad] = [row for label, row in rows.items() if label.startswith("Calls — international")]
    assert (abroad.calls, abroad.seconds, abroad.included_seconds, abroad.charged_seconds,
            abroad.amount) == (2, 180, 0, 180, Decimal("0.90"))
    assert annex.total == Decimal("0.90")

    reader = pypdf.PdfReader(io.BytesIO(document))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "annexe : détail des consommations" in text.lower()      # the heading is in capitals
    assert f"Appels — fixe 3 3 min 00 s 3 min 00 s 0 min 00 s 0,00 € {INCLUDED}" in text
    assert "Appels — international 2 3 min 00 s 0 min 00 s 3 min 00 s 0,90 €" in text

    create_user(clean_engine, clock, actor)
    create_user(clean_engine, clock, actor, PORTAL_EMAIL, kind="customer", role="customer",
                customer_id=customer_id)
    assert log_in(client, "admin@test.local", PASSWORD).status_code == 303
    page = html.unescape(client.get(f"/billing/invoices/{number}").text).replace("\xa0", " ")
    assert "Annexe : détail des consommations" in page
    assert "Appels — fixe" in page and INCLUDED in page and "3 min 00 s" in page
    client.get("/lang/en")
    english = html.unescape(client.get(f"/billing/invoices/{number}").text)
    assert "Usage annex" in english and "Calls — fixed" in english

    client.cookies.clear()
    assert log_in(client, PORTAL_EMAIL, PASSWORD).status_code == 303
    portal = html.unescape(client.get(f"/portal/invoices/{number}").text).replace("\xa0", " ")
    assert "Annexe : détail des consommations" in portal
    assert "Appels — international" in portal and "0,90 €" in portal
    assert f'href="/portal/invoices/{number}"' in client.get("/portal/invoices").text


def test_a_usage_page_in_french_shows_the_formulas_in_french(staff_client, clean_engine, clock, actor,
                                                             tmp_path):
    """Issue 21: the formulas of a month's usage lines are messages. The VGA bundle (CP I §8
    L1716-1726) includes the three 60 s calls to fixed numbers; the two 90 s calls to Germany are
    billed per second at the price list's 0,30 € HT a minute."""
    with transaction(clean_engine) as s:
        _bill_a_month_of_calls(s, clock, actor, tmp_path)
    page = html.unescape(staff_client.get("/usage/services/0247000001?month=2026-10").text)
    page = page.replace("\xa0", " ").replace("\u202f", " ")
    assert "3 enregistrement(s), 3 min 00 s inclus" in page
    assert "2 enregistrement(s), 2 appel(s), 3 min 00 s facturé(s) × 0,3 € HT/min" in page
    assert "record(s)" not in page and "billed ×" not in page
    staff_client.get("/lang/en")
    english = html.unescape(staff_client.get("/usage/services/0247000001?month=2026-10").text)
    english = english.replace("\xa0", " ")
    assert "3 record(s), 3 min 00 s included" in english
    assert "2 record(s), 2 call(s), 3 min 00 s billed × 0,3 € HT/min" in english
