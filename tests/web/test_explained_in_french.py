"""Explained amounts read in the reader's language (issue 21): the rules write messages, a
message id with its parameters whose English is the text itself (the API and the CLI keep
it); French pages and documents render the id from the catalogue with each parameter in turn."""

from __future__ import annotations

import ast
import html
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from babel.messages.pofile import read_po

import clausier
from clausier.billing.runs.rules import months_due
from clausier.contracts.models import Subscription
from clausier.core.explain import Explained, Line
from clausier.core.message import Message, msg
from clausier.db.session import transaction
from clausier.web.explain_text import explained, with_texts
from clausier.web.i18n import LOCALE_DIR
from tests.conftest import csrf_of
from tests.payments.test_payments import technicophone_invoice

PACKAGE = Path(clausier.__file__).parent


def test_a_message_is_its_english_text_and_renders_its_id_in_french():
    """CGV art. 10: a SIP trunk month of partial service due in full (TECHNICOPHONE)."""
    label, amount, formula = months_due("SIP trunk", "2025-10", Decimal("1000.00"), 1, 1, None,
                                        partial=True)
    assert label == "SIP trunk — 2025-10 (started month due in full)"
    assert formula == "1 month × 1\u202f000,00\xa0€"
    assert (label.msgid, label.params["when"]) == (
        "{label} — {when} (started month due in full)", "2025-10")
    assert explained(label, "fr") == "Trunk SIP — 2025-10 (mois commencé dû en entier)"
    assert explained(formula, "fr") == "1 mois × 1\u202f000,00\xa0€"
    assert explained(label, "en") == "SIP trunk — 2025-10 (started month due in full)"
    # A text without a message (stored before messages were kept) reads through the catalogues.
    assert explained("Termination fee", "fr") == "Frais de résiliation"
    assert explained("A text nobody translated", "fr") == "A text nobody translated"


def test_a_stored_explanation_keeps_its_messages_and_old_ones_still_load():
    fee = msg("{n} months × {rest}", n=17, rest=msg("{fees} of monthly fees (from {date})",
                                                   fees=Decimal("450.00"), date=date(2026, 12, 1)))
    kept = Explained((Line(msg("Termination fee"), Decimal("7650.00"), fee, "CGV art. 8.2"),),
                     notes=(msg("sole remedy ({clause})", clause="CP III §4.3"),))
    stored = json.loads(json.dumps(kept.as_dict()))
    assert stored["lines"][0]["label"] == "Termination fee"
    assert stored["lines"][0]["formula"] == "17 months × 450,00\xa0€ of monthly fees (from 2026-12-01)"
    assert stored["lines"][0]["formula_message"]["params"]["rest"]["params"]["fees"] == {
        "amount": "450.00"}
    read = Explained.from_dict(stored)
    assert read == kept and isinstance(read.lines[0].formula, Message)
    assert explained(read.lines[0].formula, "fr") == \
        "17 mois × 450,00\xa0€ de redevances mensuelles (à compter du 2026-12-01)"
    assert explained(read.notes[0], "fr") == "seule réparation due (CP III §4.3)"
    assert with_texts(stored, "fr")["note_messages"][0]["text"] == \
        "seule réparation due (CP III §4.3)"
    old = Explained.from_dict({"lines": [{"label": "Termination fee", "amount": "120.00"}]})
    assert old.lines[0].label == "Termination fee" and not isinstance(old.lines[0].label, Message)


def test_a_message_is_encoded_once_even_nested_in_others():
    """CGV art. 8.2: the same monthly-fee message in two formulas (a bill run's lines of one
    shape) is encoded once and reads back the same from either."""
    fees = msg("{fees} of monthly fees (from {date})", fees=Decimal("450.00"),
               date=date(2026, 12, 1))
    first, second = msg("{n} months × {rest}", n=17, rest=fees), msg("{n} months × {rest}",
                                                                     n=3, rest=fees)
    assert first.as_dict()["params"]["rest"] is second.as_dict()["params"]["rest"] is fees.as_dict()
    assert Message.from_dict(json.loads(json.dumps(second.as_dict()))).params["rest"].params == {
        "fees": Decimal("450.00"), "date": date(2026, 12, 1)}

def test_every_message_id_a_rule_writes_has_a_french_translation():
    """What the pattern matching showed as written, untranslated, now fails here."""
    used: dict[str, str] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "msg":
                assert node.args, f"{path}: msg() without a message id"
                for msgid in _literals(node.args[0], path):
                    used.setdefault(msgid, str(path.relative_to(PACKAGE)))
    catalogue = {}
    for po_file in (LOCALE_DIR / "fr").glob("*.po"):
        with po_file.open("rb") as handle:
            catalogue |= {m.id: m.string for m in read_po(handle, locale="fr") if m.id}
    assert len(used) > 150
    missing = {msgid: where for msgid, where in used.items() if not catalogue.get(msgid)}
    assert not missing, f"message ids without French (web/locale/fr/explain.po): {missing}"
    placeholders = {msgid: where for msgid, where in used.items()
                    if _names(catalogue[msgid]) != _names(msgid)}
    assert not placeholders, f"French that names other placeholders: {placeholders}"


def _literals(node: ast.expr, path: Path) -> list[str]:
    """The message ids a ``msg()`` call may write: literal texts, either side of a condition."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body, path) + _literals(node.orelse, path)
    raise AssertionError(f"{path}:{node.lineno}: a message id must be written out, not computed")


def _names(text: str) -> set[str]:
    import string
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


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
    note = msg("measured over {basis} ({clause})",
               basis=msg("every minute (lower than over the coverage hours)"),
               clause="CP VII §4.1.1 (L5213-5218)")
    assert explained(note, "fr") == \
        "mesurée sur chaque minute (plus basse que sur les heures de couverture) " \
        "(CP VII §4.1.1 (L5213-5218))"


def test_a_fee_per_unit_names_its_unit_in_french():
    """TECHNICOPHONE CP I §6.2 (L1613-1622): terminating a VGA line in its initial period costs
    a flat fee per analogue line and per ISDN access; the unit reads in French too."""
    assert explained(msg("Flat fee per {unit}", unit="analogue line"), "fr") == \
        "Forfait par ligne analogique"
    assert explained(msg("Flat fee per {unit}", unit="isdn access"), "fr") == \
        "Forfait par accès RNIS"


def test_a_dunning_delay_in_business_days_reads_jours_ouvres_in_french_only():
    """TECHNICOPHONE CGV art. 8.4 (L256-257): the termination may follow 10 jours ouvrés after the
    receipt of the second letter; the basis says "business days" in English, « jours ouvrés » in
    French (issue 21: an English page showed « jours ouvrés »)."""
    basis = msg("the day after {delay} after {anchor} — {clause}",
                delay=msg("{n} business days", n=10),
                anchor=msg("the previous step of {date}", date=date(2026, 10, 27)),
                clause="CGV art. 8.4 (L256-257)")
    assert explained(msg("{n} business days", n=10), "fr") == "10 jours ouvrés"
    assert explained(msg("{n} working days", n=10), "fr") == "10 jours ouvrables"
    assert "10 jours ouvrés" in explained(basis, "fr")
    assert "10 business days" in explained(basis, "en") and "jours" not in explained(basis, "en")


def test_a_delays_unit_is_a_message_read_in_each_language():
    """TECHNICOPHONE CGV art. 8.4 L252-253 (« huit (8) jours calendaires ») and L256-257
    (« dix (10) jours », jours ouvrés as art. 2 defines the day): the units were English for one
    kind and French for the others (issue 21); each reads in the reader's language now."""
    from clausier.core.calendar import DayKind
    from clausier.terms.delays import Delay

    calendar = Delay(8, DayKind.CALENDAR, ("CGV art. 8.4 L252-253",)).text
    ouvres = Delay(10, DayKind.OUVRES, ("CGV art. 8.4 L256-257",)).text
    ouvrables = Delay(10, DayKind.OUVRABLES, ()).text
    assert (calendar, ouvres, ouvrables) == ("8 calendar days", "10 business days", "10 working days")
    assert [explained(t, "fr") for t in (calendar, ouvres, ouvrables)] == [
        "8 jours calendaires", "10 jours ouvrés", "10 jours ouvrables"]
