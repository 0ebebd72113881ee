"""Explained amounts read in the page's language: the rooms write their labels and formulas in
English (the API and the CLI keep them so); French pages show them in French."""

from __future__ import annotations

import html
from datetime import date

from clausier.contracts.models import Subscription
from clausier.core.explain import Explained, Line
from clausier.db.session import transaction
from clausier.web.explain_text import translate
from tests.conftest import csrf_of
from tests.payments.test_payments import technicophone_invoice


def test_patterns_translate_the_figures_they_hold_and_leave_unknown_texts():
    assert translate("SIP trunk — 2025-10 (started month due in full)", "fr") == \
        "Trunk SIP — 2025-10 (mois commencé dû en entier)"
    assert translate("Access fee — Fibre 1 Gbit/s", "fr") == "Frais d'accès — Fibre 1 Gbit/s"
    assert translate("17 months × 450,00 € of monthly fees (from 2026-12-01)", "fr") == \
        "17 mois × 450,00 € de redevances mensuelles (à compter du 2026-12-01)"
    assert translate("A text nobody translated", "fr") == "A text nobody translated"
    assert translate("Termination fee", "en") == "Termination fee"
    # The JSON and text forms stay as the room wrote them.
    explained = Explained((Line("Termination fee", 120, "120,00 € HT", "CG art. 9"),))
    assert explained.as_dict()["lines"][0]["label"] == "Termination fee"
    assert explained.to_text().startswith("Termination fee:")


def test_a_french_invoice_page_and_exit_quote_show_french_labels(staff_client, clean_engine, actor):
    """TECHNICOPHONE: the SIP trunk invoice of October 2025 (CGV art. 10) and the cost of
    leaving it (CGV art. 8.2: the fees remaining to the end of the commitment)."""
    with transaction(clean_engine) as s:
        billed = technicophone_invoice(s, actor)
        number = billed.invoice.number
        ref = s.get(Subscription, billed.subscription_id).ref
    page = staff_client.get(f"/billing/invoices/{number}").text
    assert "1 mois × 1\u202f000,00\xa0€" in page or "1 mois × 1 000,00" in page
    assert "months ×" not in page and "month ×" not in page

    contract = staff_client.get(f"/contracts/{ref}").text
    quote = staff_client.post(f"/contracts/{ref}/quote", data={
        "received": date(2026, 1, 5).isoformat(), "csrf_token": csrf_of(contract)}).text
    quote = html.unescape(quote)
    # CP IV §6.2: notice months billed as usual, then the remaining months of the period.
    assert "Mois restant à courir jusqu'à la fin de la période initiale (2026-09-30)" in quote
    assert "6 mois × 1 000,00 € de redevances mensuelles (9 mois à compter du 2026-01-05, " \
           "dont 3 facturés pendant le préavis)" in quote.replace("\u202f", " ").replace("\xa0", " ")
    assert "of monthly fees" not in quote and "Remaining months" not in quote

    staff_client.get("/lang/en")
    english = staff_client.post(f"/contracts/{ref}/quote", data={
        "received": date(2026, 1, 5).isoformat(), "csrf_token": csrf_of(contract)}).text
    assert "of monthly fees" in english


def test_an_availability_basis_keeps_its_remark_and_the_clause_its_parentheses():
    """TECHNICOPHONE CP VII §4.1.1 (L5213-5218): the rate is measured over whichever of every
    minute and the coverage hours gives the lower availability; the note says which."""
    assert translate("measured over every minute (lower than over the coverage hours) "
                     "(CP VII §4.1.1 (L5213-5218))", "fr") == \
        "mesurée sur chaque minute (plus basse que sur les heures de couverture) " \
        "(CP VII §4.1.1 (L5213-5218))"


def test_a_fee_per_unit_names_its_unit_in_french():
    """TECHNICOPHONE CP I §6.2 (L1613-1622): terminating a VGA line in its initial period costs
    a flat fee per analogue line and per ISDN access; the unit reads in French too."""
    assert translate("Flat fee per analogue line", "fr") == "Forfait par ligne analogique"
    assert translate("Flat fee per isdn access", "fr") == "Forfait par accès RNIS"


def test_a_dunning_delay_in_business_days_reads_jours_ouvres_in_french_only():
    """TECHNICOPHONE CGV art. 8.4 (L256-257): the termination may follow 10 jours ouvrés after the
    receipt of the second letter; the basis says "business days" in English, « jours ouvrés » in
    French (issue 21: an English page showed « jours ouvrés »)."""
    basis = ("the day after 10 business days after receipt on 2026-10-30 of the letter of "
             "2026-10-27 — CGV art. 8.4 (L256-257)")
    assert translate(basis, "fr") == ("le lendemain de 10 jours ouvrés après la réception le "
                                      "2026-10-30 de la lettre du 2026-10-27 — CGV art. 8.4 "
                                      "(L256-257)")
    assert translate(basis, "en") == basis
