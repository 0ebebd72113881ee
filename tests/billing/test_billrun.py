"""Bill runs, invoices, credit notes, indexation and price changes on a real database."""

from __future__ import annotations

import csv
import io
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from clausier.billing.invoices import service as billing_invoices

from clausier.billing.ledger import service as billing_ledger

from clausier.billing.runs import batch as billing_batch

from clausier.billing.runs import service as billing_runs
from clausier.billing.models import BilledMonth, Invoice, InvoiceLine
from clausier.contracts import service as contracts
from clausier.contracts.service import LineInput
from clausier.core.clock import FixedClock
from clausier.core.errors import InvalidInput, NotAllowed
from clausier.db.session import transaction
from tests import factories

D = Decimal


def _invoices(session, **where) -> list[Invoice]:
    query = select(Invoice).order_by(Invoice.id)
    for key, value in where.items():
        query = query.where(getattr(Invoice, key) == value)
    return list(session.scalars(query))


def _lines(invoice: Invoice) -> list[tuple[str, str, Decimal]]:
    return [(line.site_name, line.label, line.amount) for line in invoice.lines]


def test_b2b_customer_with_two_sites_and_a_central_site(session, clock, actor, tec, business):
    """CP I §7.2 L1672-1673 (common fees to the central site), CGV art. 10.4 L368-372 (25 days),
    art. 11.1 L393-399 (late-payment mentions)."""
    head_office, workshop = business.sites
    factories.subscription(session, clock, actor, business, [
        LineInput(workshop.id, "vga-analogue", 3), LineInput(workshop.id, "vga-management"),
        LineInput(head_office.id, "presel")], signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
    report = billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    assert (report.billed, report.invoices) == (1, ["TEC-2026-000001"])
    [run] = billing_runs.list_bill_runs(session)
    assert (run.status, run.invoices, run.total_ht) == ("completed", 1, D("250.00"))
    [invoice] = _invoices(session)
    assert _lines(invoice) == [
        ("Atelier Blois", "Access fee — Vga Analogue", D("150.00")),
        ("Atelier Blois", "Vga Analogue — 2026-11", D("60.00")),
        ("Siège Tours", "Vga Management — 2026-11", D("30.00")),     # common fee: central site
        ("Siège Tours", "Presel — 2026-11", D("10.00"))]
    assert (invoice.total_ht, invoice.total_vat, invoice.total_ttc) == (D("250.00"), D("50.00"), D("300.00"))
    assert invoice.billing_site_id == head_office.id
    # CGV art. 10.4 « vingt-cinq (25) jours », jours ouvrés (art. 2 L66-67): from Tuesday
    # 24 November 2026, Christmas not counted, Wednesday 30 December
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 11, 24), date(2026, 12, 30))
    assert invoice.buyer["siren"] == "552100554" and invoice.seller["siren"] == "379341803"
    texts = [m["text"] for m in invoice.mentions]
    assert "Indemnité forfaitaire pour frais de recouvrement : 40,00\u00a0€" in texts
    assert invoice.lines[1].explanation["lines"][0]["clause"] == "CP I §7.2 (L1669-1670)"
    # Idempotent: the same period again issues nothing new.
    again = billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    assert again.billed == 0 and len(_invoices(session)) == 1


def test_one_off_charges_and_credits_from_other_rooms_go_on_the_next_invoice(session, clock, actor,
                                                                            tec, business):
    """CP I §5.3 L1537-1541: service-level credits are deducted from the next invoice."""
    from clausier.billing.ledger.charges import add_charge
    from clausier.core.explain import Explained, Line

    [sub] = factories.subscription(session, clock, actor, business,
                                   [LineInput(business.sites[1].id, "presel")],
                                   signed_on=date(2026, 9, 1), go_live_on=date(2026, 10, 1))
    add_charge(session, clock, actor, customer_id=business.id, subscription_id=sub.id,
               source="sla_credit", source_key="T1", label="GTR penalty",
               explained=Explained((Line("GTR penalty", D("-5.00"), "50 % × 10,00 €",
                                         "CP I §5.2 L1480-1497"),)),
               price_basis="HT", incurred_on=date(2026, 10, 20))
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    [invoice] = _invoices(session)
    assert [(line.kind, line.label, line.amount) for line in invoice.lines] == [
        # Caught up since go-live: October is arrears (issue 18 §8), a line of its own.
        ("recurring", "Presel — 2026-10 (arrears)", D("10.00")),
        ("recurring", "Presel — 2026-11", D("10.00")),
        ("charge", "GTR penalty", D("-5.00"))]
    assert invoice.lines[-1].explanation["lines"][0]["clause"] == "CP I §5.2 L1480-1497"
    assert invoice.total_ht == D("15.00")


def test_an_issued_invoice_cannot_be_modified_only_credited(session, clock, actor, tec, business):
    """CGI art. 242 nonies A: an issued invoice is corrected by a credit note referencing it."""
    factories.subscription(session, clock, actor, business, [LineInput(business.sites[0].id, "presel")],
                           signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    [invoice] = _invoices(session)
    with pytest.raises(NotAllowed, match="issued, it cannot be modified"):
        with session.begin_nested():
            invoice.total_ht = D("1.00")
            session.flush()
    session.refresh(invoice)
    with pytest.raises(NotAllowed, match="lines cannot be changed"):
        with session.begin_nested():
            invoice.lines[0].amount = D("0.01")
            session.flush()
    session.refresh(invoice)
    with pytest.raises(InvalidInput, match="more than the 10,00"):
        billing_invoices.credit_note(session, clock, actor, invoice.number, "goodwill",
                                     amount=D("11"))
    partial = billing_invoices.credit_note(session, clock, actor, invoice.number, "goodwill",
                                           amount=D("4"))
    assert (partial.number, partial.total_ttc, invoice.status) == ("TEC-AV-2026-000001", D("4.80"), "issued")
    rest = billing_invoices.credit_note(session, clock, actor, invoice.number, "goodwill",
                                        amount=D("6"))
    assert (rest.number, invoice.status) == ("TEC-AV-2026-000002", "cancelled")
    with pytest.raises(NotAllowed, match="already cancelled"):
        billing_invoices.credit_note(session, clock, actor, invoice.number, "again")


def test_a_consumer_pack_is_billed_in_ttc_and_debited_in_advance(session, clock, actor, ozone):
    """OZONE CGV art. 9.2 L262 (in advance, any started month due), art. 9.4 L266 (TTC)."""
    household = factories.customer(session, clock, ozone, "Mme Durand", kind="household",
                                   employees=None, sites=(("Domicile", "50"),))
    factories.subscription(session, clock, actor, household,
                           [LineInput(household.sites[0].id, "pack-fibre")],
                           signed_on=date(2026, 10, 1), go_live_on=date(2026, 10, 20),
                           channel="distance")
    billing_runs.bill_period(session, clock, actor, "2026-11", "ozone")
    [invoice] = _invoices(session)
    assert invoice.price_basis == "TTC"
    assert [(line.label, line.amount) for line in invoice.lines] == [
        ("Pack Fibre — 2026-10 (started month due in full)", D("39.99")),
        ("Pack Fibre — 2026-11", D("39.99"))]
    assert (invoice.total_ttc, invoice.total_ht, invoice.total_vat) == (D("79.98"), D("66.65"), D("13.33"))
    assert invoice.due_date == invoice.issue_date            # debited in advance
    assert not any("recouvrement" in m["text"] for m in invoice.mentions)   # not a business


def test_usage_80_days_late_is_billed_next_labelled_with_its_month(session, clock, actor, tec, business):
    """CP IX §14.2 L7024-7040, reading T-MOB-LATE-CDR: late roaming records keep their month."""
    [mobile] = factories.subscription(session, clock, actor, business,
                                      [LineInput(business.sites[0].id, "mobile-pro")],
                                      signed_on=date(2026, 6, 1), go_live_on=date(2026, 7, 1))
    _rated(session, clock, mobile, "2026-08", "2026-08", "7.20", 12)
    september = billing_runs.bill_period(session, clock, actor, "2026-09", "technicophone")
    assert september.billed == 1
    # A roaming record of 15 August reaches the operator on 3 November: 80 days late. Rating
    # re-rates August and queues the difference with the next usage month not billed yet.
    assert (date(2026, 11, 3) - date(2026, 8, 15)).days == 80
    _rated(session, clock, mobile, "2026-10", "2026-08", "12.40", 1)
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    november = _invoices(session, period="2026-11")[0]
    late = next(line for line in november.lines if line.kind == "usage")
    assert (late.label, late.amount) == ("Usage — 2026-08 (late records)", D("12.40"))
    assert (late.period_start, late.period_end) == (date(2026, 8, 1), date(2026, 8, 31))
    assert late.clause == "CP IX §14.2 (L7024-7040); CP IX §7 (L6578-6581), reading T-MOB-LATE-CDR"


def _rated(session, clock, subscription, month: str, usage_period: str, amount: str, records: int):
    """A rated-usage summary as the rating room writes it (``month``: billed with that month)."""
    from clausier.rating.models import UsageSummary

    session.add(UsageSummary(subscription_id=subscription.id, customer_id=subscription.customer_id,
                             month=month, usage_period=usage_period, amount=D(amount),
                             price_basis="HT", records=records, explanation={},
                             computed_at=clock.now()))
    session.flush()


def test_annual_indexation_with_recorded_index_values(session, actor, tec, business):
    """CGV art. 9.4 L321-337: on 1 January, new = old × (1 + (I_new − I_old) / I_old) with
    ICHTrev-TS (INSEE 001565192); the revision is explained on the next invoice."""
    clock = FixedClock.on(date(2026, 12, 20))
    [trunk] = factories.subscription(session, clock, actor, business,
                                     [LineInput(business.sites[0].id, "sip-10")],
                                     signed_on=date(2024, 12, 1), go_live_on=date(2025, 1, 1))
    billing_runs.bill_period(session, clock, actor, "2026-12", "technicophone")
    for month, value in (("2025-11", "127.5"), ("2025-12", "128.0"), ("2026-11", "131.9"),
                         ("2026-12", "132.4")):
        billing_ledger.add_index_value(session, clock, actor, "001565192", month, value)
    with pytest.raises(Exception, match="already recorded as 132.4"):
        billing_ledger.add_index_value(session, clock, actor, "001565192", "2026-12", "133")
    [revision] = billing_ledger.apply_indexation(session, clock, actor, "technicophone", 2027)
    assert (revision.effective_on, revision.old_fee, revision.new_fee) == (
        date(2027, 1, 1), D("450.00"), D("465.47"))
    assert billing_ledger.apply_indexation(session, clock, actor, "technicophone", 2027) == []
    january = FixedClock.on(date(2027, 1, 2))
    billing_runs.bill_period(session, january, actor, "2027-01", "technicophone")
    invoice = _invoices(session, period="2027-01")[0]
    assert invoice.number == "TEC-2027-000001"            # a new year, a new sequence
    [line] = invoice.lines
    assert line.amount == D("465.47")
    assert "450,00\u00a0€ × (1 + (132.4 [2026-12] − 128.0 [2025-12]) / 128.0)" in line.explanation["notes"][0]
    assert "CGV art. 9.4 (L331-332)" in line.explanation["notes"][0]
    assert contracts.get_subscription(session, trunk.id).items[0].monthly_fee == D("450.00")


def test_price_change_notices_and_the_right_to_leave(session, clock, actor, tec, business):
    """CGV art. 9.2 L298-302: 30 days' notice, the client may leave; art. 9.3: not for a
    regulatory pass-through."""
    factories.subscription(session, clock, actor, business, [LineInput(business.sites[1].id, "vga-analogue", 2)],
                           signed_on=date(2026, 9, 1), go_live_on=date(2026, 10, 1))
    # 30 Jours from Thursday 15 October 2026, jours ouvrés (CGV art. 2; 1 and 11 November are
    # holidays): the 30th is Friday 27 November.
    with pytest.raises(NotAllowed, match=r"earliest 2026-11-27, CGV art. 9.2 \(L298-299\)") as refused:
        billing_ledger.announce_price_change(session, clock, actor, "technicophone", "general",
                                      date(2026, 11, 20), family="vga", percent=D("3"),
                                      announced_on=date(2026, 10, 15))
    assert refused.value.code == "notice_too_short"
    assert refused.value.clause.startswith("CGV art. 9.2 (L298-299)")
    change = billing_ledger.announce_price_change(session, clock, actor, "technicophone", "general",
                                           date(2026, 12, 1), family="vga", percent=D("3"),
                                           announced_on=date(2026, 10, 15))
    [notice] = change.notices
    assert (notice.customer_id, notice.may_leave_without_fees, notice.leave_until) == (
        business.id, True, date(2026, 11, 27))
    regulatory = billing_ledger.announce_price_change(session, clock, actor, "technicophone",
                                                      "regulatory",
                                               date(2026, 12, 1), family="vga",
                                               announced_on=date(2026, 10, 15))
    assert regulatory.notices[0].may_leave_without_fees is False
    billing_runs.bill_period(session, FixedClock.on(date(2026, 12, 1)), actor, "2026-12",
                             "technicophone")
    december = _invoices(session, period="2026-12")[0]
    recurring = [line for line in december.lines if line.period_start == date(2026, 12, 1)]
    assert [line.amount for line in recurring] == [D("41.20")]     # 2 × 20.60


def test_a_crash_mid_run_leaves_no_partial_invoice(clean_engine, clock, actor, monkeypatch):
    """Each batch is one transaction: an error rolls back its invoices whole; a new run
    carries on with gapless numbers."""
    with transaction(clean_engine) as s:
        op = factories.operator(s, clock, actor, "technicophone")
        factories.offer(s, op, "presel", "preselection", "10.00")
        for n in range(6):
            customer = factories.customer(s, clock, op, f"Client {n}")
            factories.subscription(s, clock, actor, customer, [LineInput(customer.sites[0].id, "presel")],
                                   signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
    real = billing_batch._line_rows
    calls = []

    def crash_on_second_batch(invoice_id, totals):
        calls.append(invoice_id)
        if len(calls) == 3:
            raise RuntimeError("power cut")
        return real(invoice_id, totals)

    monkeypatch.setattr(billing_batch, "_line_rows", crash_on_second_batch)
    with pytest.raises(RuntimeError, match="power cut"):
        billing_runs.run_bill_run(clean_engine, clock, actor, "2026-11", "technicophone",
                                  batch_size=2)
    with transaction(clean_engine) as s:
        assert [i.number for i in _invoices(s)] == ["TEC-2026-000001", "TEC-2026-000002"]
        assert all(i.lines for i in _invoices(s))
        assert s.scalar(select(func.count()).select_from(BilledMonth)) == 2
    monkeypatch.setattr(billing_batch, "_line_rows", real)
    [report] = billing_runs.run_bill_run(clean_engine, clock, actor, "2026-11", "technicophone",
                                         batch_size=2)
    assert report.billed == 4
    with transaction(clean_engine) as s:
        assert [i.number for i in _invoices(s)] == [f"TEC-2026-{n:06d}" for n in range(1, 7)]


def test_two_concurrent_bill_runs_number_without_gaps_and_bill_each_customer_once(
        clean_engine, clock, actor):
    """Two runs of one period at once (two threads, two connections): the database lock
    serialises them; each customer is billed once; numbers follow each other without a gap."""
    with transaction(clean_engine) as s:
        op = factories.operator(s, clock, actor, "technicophone")
        factories.offer(s, op, "presel", "preselection", "10.00")
        for n in range(24):
            customer = factories.customer(s, clock, op, f"Client {n:02d}")
            factories.subscription(s, clock, actor, customer, [LineInput(customer.sites[0].id, "presel")],
                                   signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
    reports, failures = [], []
    start = threading.Barrier(2)

    def run():
        try:
            start.wait()
            reports.extend(billing_runs.run_bill_run(clean_engine, clock, actor, "2026-11",
                                                     "technicophone",
                                                batch_size=5))
        except Exception as exc:     # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    assert sum(r.billed for r in reports) == 24 and not any(r.errors for r in reports)
    with transaction(clean_engine) as s:
        invoices = _invoices(s)
        assert sorted(i.number for i in invoices) == [f"TEC-2026-{n:06d}" for n in range(1, 25)]
        assert len({i.customer_id for i in invoices}) == 24
        assert s.scalar(select(func.count()).select_from(BilledMonth)) == 24


def test_draft_invoices_are_issued_or_discarded(session, clock, actor, tec, business):
    """Draft → issued: a draft has no number and gives back what it billed when discarded."""
    factories.subscription(session, clock, actor, business, [LineInput(business.sites[0].id, "presel")],
                           signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone", draft_only=True)
    [draft] = _invoices(session)
    assert (draft.number, draft.status) == (None, "draft")
    billing_invoices.discard_draft(session, clock, actor, draft.id)
    session.flush()
    assert _invoices(session) == []
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone", draft_only=True)
    [draft] = _invoices(session)
    issued = billing_invoices.issue_invoice(session, clock, actor, draft.id)
    assert (issued.number, issued.status, issued.due_date) == ("TEC-2026-000001", "issued", date(2026, 12, 30))
    paid = billing_invoices.record_payment(session, clock, actor, issued.number, D("5"),
                                           date(2026, 12, 1))
    assert paid.status == "partly_paid"
    # Overdue the day after its due date, 30 December (25 jours ouvrés, CGV art. 10.4 with art. 2)
    assert billing_invoices.mark_overdue(session, clock, actor, date(2026, 12, 30)) == 0
    assert billing_invoices.mark_overdue(session, clock, actor, date(2026, 12, 31)) == 1
    assert billing_invoices.record_payment(session, clock, actor, issued.number, D("12"),
                                           date(2027, 1, 4)).status == "paid"
    csv_text = billing_invoices.export_csv(session)
    assert "TEC-2026-000001;invoice;2026-11-24;2026-12-30" in csv_text
    assert session.scalar(select(func.count()).select_from(InvoiceLine)) == 1


def test_the_accounting_csv_defuses_formulas_in_names_and_writes_plain_rates(
        session, clock, actor, tec, business):
    """Issue 17 §6: a customer named like a formula is written with a quote before it (OWASP CSV
    injection), negative amounts of a credit note stay numbers, the rate is 20.00 not 2E+1."""
    business.name = '=HYPERLINK("http://evil.example","Menuiserie")'
    business.ref = "@TEC-1"
    factories.subscription(session, clock, actor, business, [LineInput(business.sites[0].id, "presel")],
                           signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    billing_invoices.credit_note(session, clock, actor, "TEC-2026-000001", "goodwill",
                                 amount=D("4"))
    rows = list(csv.DictReader(io.StringIO(billing_invoices.export_csv(session)), delimiter=";"))
    assert [(r["customer"], r["customer_ref"]) for r in rows] == [
        ("'=HYPERLINK(\"http://evil.example\",\"Menuiserie\")", "'@TEC-1")] * 2
    assert [(r["vat_rate"], r["base_ht"], r["vat"], r["total_ttc"]) for r in rows] == [
        ("20.00", "10.00", "2.00", "12.00"), ("20.00", "-4.00", "-0.80", "-4.80")]


def test_a_bill_run_applies_each_proration_reading_and_bills_the_whole_month_of_an_end_on_the_10th(
        session, clock, actor, tec, business):
    """Mid-month go-live on 15 October: VGA prorated by days (CP I §7.2 L1677-1679, reading
    T-PRORATA-FIRST-MONTH), preselection due for the whole month (CP II §7 L2062-2067); a VGA line
    terminated on 10 November owes the whole of November (CP I §7.2 L1680: "le mois entier est dû")."""
    head_office, workshop = business.sites
    factories.subscription(session, clock, actor, business, [LineInput(workshop.id, "vga-analogue", 3),
                                                             LineInput(head_office.id, "presel")],
                           signed_on=date(2026, 10, 1), go_live_on=date(2026, 10, 15))
    [ending] = factories.subscription(session, clock, actor, business,
                                      [LineInput(head_office.id, "vga-analogue", 1)],
                                      signed_on=date(2026, 9, 1), go_live_on=date(2026, 10, 1))
    billing_runs.bill_period(session, FixedClock.on(date(2026, 10, 2)), actor, "2026-10",
                             "technicophone",
                        customer_ids=[business.id])
    contracts.terminate_now(session, clock, actor, ending.id, date(2026, 11, 10), "customer_notice")
    session.flush()
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    [october] = _invoices(session, period="2026-10")
    [november] = _invoices(session, period="2026-11")
    by_label = {line.label: line for line in october.lines}
    prorata = by_label["Vga Analogue — 2026-10 prorata"]
    assert (prorata.amount, prorata.clause) == (D("32.90"), "CP I §7.2 (L1677-1679), reading T-PRORATA-FIRST-MONTH")   # 17/31 × 60
    whole = by_label["Presel — 2026-10 (started month due in full)"]
    assert (whole.amount, whole.clause) == (D("10.00"), "CP II §7 (L2062-2067)")
    assert "Vga Analogue — 2026-11" in {line.label for line in november.lines}   # not prorated again
    ended = [line for line in november.lines if line.subscription_id == ending.id]
    assert [(line.amount, line.clause) for line in ended] == [(D("20.00"), "CP I §7.2 (L1680)")]


def test_an_issued_invoice_is_not_issued_again_and_says_so_by_its_code(session, clock, actor, tec,
                                                                        business):
    factories.subscription(session, clock, actor, business, [LineInput(business.sites[0].id, "presel")],
                           signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    [issued] = _invoices(session)
    with pytest.raises(NotAllowed) as refused:
        billing_invoices.issue_invoice(session, clock, actor, issued.id)
    assert refused.value.code == "invoice_already_issued"
