"""Billing rules on the built-in term sheets (pure: no database). Each test names its clause."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausier.billing.invoices import rules as invoice_rules

from clausier.billing.ledger import rules as ledger_rules

from clausier.billing import periods as billing_periods

from clausier.billing.runs import inputs as run_inputs

from clausier.billing.runs import rules as run_rules
from clausier.billing.documents.mentions import mention_text
from clausier.billing.invoices.rules import Site
from clausier.billing.runs.inputs import (
    BilledMonthFacts,
    ChargeFacts,
    ItemFacts,
    SubscriptionFacts,
    UsageFacts,
)
from clausier.billing.runs.rules import CustomerFacts
from clausier.core.errors import RuleRefusal
from clausier.terms.loader import built_in_sheets

D = Decimal
NOV = date(2026, 11, 1)


@cache
def sheet(name: str):
    return {s.id: s for s in built_in_sheets()}[name]


def terms(name: str, family: str):
    return sheet(name).terms_for(family)


def sub(family: str = "vga", *, items=None, **fields) -> SubscriptionFacts:
    defaults = dict(id=1, ref="TEC-S000001", family=family, site_id=10, site_name="Tours",
                    signed_on=date(2026, 9, 1),
                    items=items or (ItemFacts("Analogue line", 3, D("20.00"), access_fee=D("50.00")),),
                    go_live_on=date(2026, 10, 15))
    defaults.update(fields)
    return SubscriptionFacts(**defaults)


def amounts(lines):
    return [(line.kind, line.amount) for line in lines]


# --------------------------------------------------------------------------- first and last months


def test_mid_month_go_live_is_prorated_by_days_under_the_vga_reading():
    """CP I §7.2 L1677-1679 vs §12 L1850-1853: reading T-PRORATA-FIRST-MONTH chose prorata."""
    lines, billed = run_rules.recurring_lines(sub("vga"), terms("technicophone", "vga"), NOV, None)
    assert amounts(lines) == [("one_off", D("150.00")),          # access fee with the first invoice
                              ("recurring", D("32.90")),          # 17/31 × 3 × 20.00
                              ("recurring", D("60.00"))]          # November in advance
    prorata = lines[1]
    assert prorata.explained.lines[0].formula == "17/31 days × 3 × 20,00\u00a0€"
    assert prorata.clause == "CP I §7.2 (L1677-1679), reading T-PRORATA-FIRST-MONTH"
    assert (prorata.period_start, prorata.period_end) == (date(2026, 10, 15), date(2026, 10, 31))
    assert [(m.month, m.days, m.month_days) for m in billed] == [
        (date(2026, 10, 1), 17, 31), (date(2026, 11, 1), 30, 30)]


def test_mid_month_go_live_is_a_whole_month_under_the_preselection_reading():
    """CP II §7 L2062-2067: any order after the 1st is billed for the whole month."""
    items = (ItemFacts("Carrier preselection", 1, D("10.00")),)
    lines, _ = run_rules.recurring_lines(sub("preselection", items=items),
                                     terms("technicophone", "preselection"), NOV, None)
    assert amounts(lines) == [("recurring", D("10.00")), ("recurring", D("10.00"))]
    assert lines[0].label.endswith("(started month due in full)")
    assert lines[0].clause == "CP II §7 (L2062-2067)"


def test_service_terminated_on_the_10th_owes_the_whole_month():
    """CP I §7.2 L1680: "Lors du terme ou de la résiliation, le mois entier est dû"."""
    ended = sub("vga", go_live_on=date(2025, 1, 6), end_on=date(2026, 11, 10),
                billed_through=date(2026, 10, 1))
    lines, billed = run_rules.recurring_lines(ended, terms("technicophone", "vga"), NOV, None)
    assert amounts(lines) == [("recurring", D("60.00"))]
    assert lines[0].clause == "CP I §7.2 (L1680)"
    assert (billed[0].days, billed[0].month_days) == (30, 30)
    # Nothing is due after the month of the end.
    after = sub("vga", go_live_on=date(2025, 1, 6), end_on=date(2026, 11, 10), billed_through=NOV)
    assert run_rules.recurring_lines(after, terms("technicophone", "vga"), date(2026, 12, 1),
                                     None) == ([], [])


def test_ozone_last_month_billed_in_advance_is_credited_prorata_after_termination():
    """CGV art. 9.2 L262 (billed in advance) and reading OZ-LAST-PERIOD (last month prorata)."""
    items = (ItemFacts("Pack fibre", 1, D("39.99"), price_basis="TTC"),)
    ended = sub("internet_fibre", items=items, go_live_on=date(2026, 3, 2), end_on=date(2026, 11, 10),
                billed_through=NOV,
                billed_after_end=(BilledMonthFacts(NOV, 30, 30, D("39.99")),))
    lines, revised = run_rules.end_adjustments(ended, terms("ozone", "internet_fibre"))
    assert amounts(lines) == [("adjustment", D("-27.99"))]        # 21/30 of 39.99 given back
    assert lines[0].explained.lines[0].formula == "−21/30 of the 39,99\u00a0€ billed for 2026-11"
    assert lines[0].clause == "CGV art. 9.2 (L262), reading OZ-LAST-PERIOD"
    assert (revised[0].days, revised[0].amount) == (9, D("12.00"))


def test_ozone_billing_starts_at_the_latest_30_days_after_the_equipment_is_received():
    """CGV art. 9.1 L258: first connection, or at the latest 30 days after receipt."""
    waiting = sub("internet_fibre", go_live_on=None, equipment_received_on=date(2026, 10, 5))
    start, clause = run_rules.billing_start(waiting, terms("ozone", "internet_fibre"))
    assert (start, clause) == (date(2026, 11, 4), "CGV art. 9.1 (L258)")
    connected = sub("internet_fibre", go_live_on=date(2026, 10, 12),
                    equipment_received_on=date(2026, 10, 5))
    start = run_rules.billing_start(connected, terms("ozone", "internet_fibre"))[0]
    assert start == date(2026, 10, 12)


# --------------------------------------------------------------------------- minimum, central site, packs


def test_minimum_billing_tops_up_the_monthly_fees():
    """CP I §7.2 L1669-1670: subscriptions billed in advance "avec, le cas échéant, un montant
    minimal de facturation"."""
    items = (ItemFacts("Analogue line", 3, D("20.00"), minimum_billing=D("80.00")),)
    lines, billed = run_rules.recurring_lines(sub("vga", items=items, go_live_on=date(2026, 11, 1)),
                                          terms("technicophone", "vga"), NOV, None)
    assert amounts(lines) == [("recurring", D("60.00")), ("minimum", D("20.00"))]
    assert lines[1].clause == "CP I §7.2 (L1669-1670)"
    assert billed[0].amount == D("80.00")


def test_fees_common_to_several_sites_go_to_the_central_site():
    """CP I §7.2 L1672-1673: "un Site central auquel seront facturés les frais communs"."""
    items = (ItemFacts("Analogue line", 2, D("20.00")),
             ItemFacts("Contract management", 1, D("30.00"), common=True))
    central = Site(1, "Siège")
    lines, _ = run_rules.recurring_lines(sub("vga", items=items, go_live_on=date(2026, 11, 1)),
                                     terms("technicophone", "vga"), NOV, central)
    assert [(line.label.split(" — ")[0], line.site.name) for line in lines] == [
        ("Analogue line", "Tours"), ("Contract management", "Siège")]


def test_customers_of_the_same_shape_each_get_their_own_subscription_and_sites():
    """CP I §7.2 L1672-1673 (common fees to the central site) and L1677-1679 (prorata first
    month): a run drafts the lines of one shape of subscription once, each customer's invoice
    still names its own subscription, site and central site, and a fee written 20 or 20.00
    keeps its own figure."""
    items = (ItemFacts("Analogue line", 2, D("20.00"), access_fee=D("50.00")),
             ItemFacts("Contract management", 1, D("30.00"), common=True))
    vga = terms("technicophone", "vga")
    general = sheet("technicophone").general
    drafts = [run_rules.draft_invoice(
        CustomerFacts(n, True, Site(n * 100, f"Siège {n}"),
                      ((sub("vga", items=items, id=n, site_id=n * 10, site_name=f"Site {n}"),
                        vga),)), general, "HT", NOV, date(2026, 11, 2)) for n in (1, 2)]
    for n, draft in zip((1, 2), drafts):
        assert [(p.draft.subscription_id, p.draft.site.name, p.amount)
                for p in draft.totals.lines] == [
            (n, f"Site {n}", D("100.00")),          # 2 × 50.00 access fee
            (n, f"Site {n}", D("21.94")),           # 17/31 × 2 × 20.00
            (n, f"Site {n}", D("40.00")),           # November in advance
            (n, f"Siège {n}", D("16.45")),          # 17/31 × 30.00
            (n, f"Siège {n}", D("30.00"))]
        assert [m.subscription_id for m in draft.billed] == [n, n]
    unrounded = (ItemFacts("Analogue line", 2, D("20"), access_fee=D("50.00")),) + items[1:]
    other = run_rules.draft_invoice(
        CustomerFacts(3, True, Site(300, "Siège 3"),
                      ((sub("vga", items=unrounded, id=3, site_id=30, site_name="Site 3"),
                        vga),)), general, "HT", NOV, date(2026, 11, 2))
    assert [p.amount for p in other.totals.lines] == [p.amount for p in drafts[0].totals.lines]
    assert other.totals.lines[2].explained.lines[0].formula.as_dict()["params"]["rest"][
        "params"]["fee"] == {"amount": "20"}
    assert drafts[0].totals.lines[2].explained.lines[0].formula.as_dict()["params"]["rest"][
        "params"]["fee"] == {"amount": "20.00"}

def test_a_prepaid_pack_is_billed_once_at_sale():
    """CP A art. 2 L224-225: the 120 months of service are bought with the pack."""
    pack = sub("intercom_pack", go_live_on=None, signed_on=date(2026, 11, 3),
               items=(ItemFacts("Pack interphonie", 1, D("0"), one_off_price=D("1290.00")),))
    facts = CustomerFacts(1, True, None, ((pack, terms("rozoh", "intercom_pack")),))
    draft = run_rules.draft_invoice(facts, sheet("rozoh").general, "HT", NOV, date(2026, 11, 24))
    assert amounts(line.draft for line in draft.totals.lines) == [("pack", D("1290.00"))]
    assert "120 months of service prepaid" in draft.totals.lines[0].draft.explained.lines[0].formula
    again = CustomerFacts(1, True, None, ((pack, terms("rozoh", "intercom_pack")),),
                          packs_billed=frozenset({pack.id}))
    assert run_rules.draft_invoice(again, sheet("rozoh").general, "HT", NOV,
                                   date(2026, 11, 24)).is_empty


def test_quarterly_billing_bills_the_whole_block_in_advance():
    """CGV art. 10.1 L354-357: the periodicity is the contract's; whole months make one line."""
    quarterly = sub("vga", go_live_on=date(2026, 10, 1), periodicity_months=3,
                    items=(ItemFacts("Analogue line", 1, D("20.00")),))
    lines, billed = run_rules.recurring_lines(quarterly, terms("technicophone", "vga"),
                                              date(2026, 10, 1), None)
    assert [(line.label, line.amount) for line in lines] == [
        ("Analogue line — 2026-10 to 2026-12", D("60.00"))]
    assert len(billed) == 3
    followed = sub("vga", go_live_on=date(2026, 10, 1), periodicity_months=3,
                   billed_through=date(2026, 12, 1), items=quarterly.items)
    assert run_rules.recurring_lines(followed, terms("technicophone", "vga"), date(2026, 11, 1),
                                     None) == ([], [])


# --------------------------------------------------------------------------- usage, TTC, totals


def test_usage_80_days_late_goes_on_the_next_invoice_labelled_with_its_month():
    """CP IX §14.2 L7024-7040 and reading T-MOB-LATE-CDR: roaming records up to 90 days late."""
    usage = UsageFacts(7, 1, date(2026, 8, 1), D("12.40"), "HT", records=3, label="Roaming")
    line = run_rules.usage_line(usage, terms("technicophone", "mobile"), NOV, None)
    assert line.label == "Roaming — 2026-08 (late records)"
    assert (line.period_start, line.period_end) == (date(2026, 8, 1), date(2026, 8, 31))
    assert line.clause == "CP IX §14.2 (L7024-7040); CP IX §7 (L6578-6581), reading T-MOB-LATE-CDR"
    current = run_rules.usage_line(UsageFacts(8, 1, date(2026, 10, 1), D("3.00"), "HT"),
                               terms("technicophone", "mobile"), NOV, None)
    assert current.label == "Usage — 2026-10"


def test_a_consumer_invoice_in_ttc_takes_the_ht_out_of_the_ttc_prices():
    """OZONE CGV art. 9.4 L266: amounts in euros TTC; VAT = TTC − TTC / 1.20."""
    items = (ItemFacts("Pack fibre + TV", 1, D("39.99"), price_basis="TTC"),
             ItemFacts("Option mobile", 1, D("9.99"), price_basis="TTC"))
    customer = CustomerFacts(1, False, None, ((sub("pack", items=items, go_live_on=date(2026, 11, 1)),
                                               terms("ozone", "pack")),),
                             charges=(ChargeFacts(3, None, "Rejected debit fee", D("8.00"), "TTC",
                                                  date(2026, 10, 20)),))
    draft = run_rules.draft_invoice(customer, sheet("ozone").general, "TTC", NOV, date(2026, 11, 1))
    t = draft.totals
    assert [line.amount for line in t.lines] == [D("39.99"), D("9.99"), D("8.00")]
    assert (t.total, t.total_ttc, t.total_ht, t.total_vat) == (
        D("57.98"), D("57.98"), D("48.32"), D("9.66"))
    assert sum(line.amount_ht for line in t.lines) == t.total_ht
    assert (draft.due, draft.due_clause) == (date(2026, 11, 1), "CGV art. 9.2 (L262)")
    assert [mention_text(m.as_dict(), "fr") for m in draft.mentions] == [
        "Date d'échéance : 01/11/2026", "Prélevé à terme à échoir"]


def test_business_invoice_is_due_in_25_days_with_the_late_payment_mentions():
    """CGV art. 10.4 L368-372 (25 « jours », jours ouvrés as art. 2 L66-67 defines the word),
    art. 11.1 L393-399 (3 × the legal rate, 40 € HT). From Tuesday 24 November 2026, Christmas not
    counted, the 25th jour ouvré is Wednesday 30 December."""
    due, clause = invoice_rules.due_date(sheet("technicophone").general, date(2026, 11, 24))
    assert (due, clause) == (date(2026, 12, 30), "CGV art. 10.4 (L368-372); CGV art. 2 (L66-67)")
    mentions = invoice_rules.legal_mentions(sheet("technicophone").general, True, due, clause)
    texts = [mention_text(m.as_dict(), "fr") for m in mentions]
    assert "Pas d'escompte pour paiement anticipé" in texts
    assert any(t.startswith("Pénalités de retard : 3 fois le taux d'intérêt légal") for t in texts)
    assert "Indemnité forfaitaire pour frais de recouvrement : 40,00\u00a0€" in texts
    assert mentions[-1].clause == "CGV art. 11.1 (L398-399); C. com. art. L441-10, D441-5"
    # The same mentions for an English reader (issue 21: the invoice in the reader's language).
    english = [mention_text(m.as_dict(), "en") for m in mentions]
    assert english[0] == "Due date: 30 Dec 2026"
    assert "No discount for early payment" in english
    assert ("Late-payment penalties: 3 times the French legal interest rate in force on the "
            "invoice date, due from the day after the due date without reminder") in english
    assert english[-1] == "Flat indemnity for recovery costs: €40.00"


# --------------------------------------------------------------------------- indexation, price changes


def test_annual_indexation_uses_the_recorded_index_values():
    """CGV art. 9.4 L321-337: new = old × (1 + (I_new − I_old) / I_old), ICHTrev-TS 001565192."""
    vga = terms("technicophone", "vga")
    on = ledger_rules.revision_date(vga, 2027)
    recorded = [date(2025, 9, 1), date(2025, 12, 1), date(2026, 9, 1), date(2026, 12, 1)]
    assert on == date(2027, 1, 1)
    assert ledger_rules.index_months(vga, on, recorded) == (date(2026, 12, 1), date(2025, 12, 1))
    # No value of the index (CGV art. 9.4 L331-332: ICHTrev-TS 001565192) before the revision.
    with pytest.raises(RuleRefusal) as refused:
        ledger_rules.index_months(vga, on, [date(2027, 2, 1)])
    assert (refused.value.code, refused.value.field, refused.value.clause) == (
        "no_index_value_before_revision", "indexation", "CGV art. 9.4 (L331-332)")
    indexed = ledger_rules.indexed_fee(vga, D("450.00"), D("128.0"), D("132.4"), date(2025, 12, 1),
                                date(2026, 12, 1))
    assert indexed.new == D("465.47")                     # 450 × 1.034375 = 465.46875
    assert indexed.explained.lines[0].clause == "CGV art. 9.4 (L331-332)"
    item = ItemFacts("SIP trunk", 1, D("450.00"), revisions=(
        run_inputs.PriceStep(on, D("450.00"), indexed.new, indexed.note),))
    lines, _ = run_rules.recurring_lines(sub("vga", items=(item,), go_live_on=date(2025, 1, 1),
                                         billed_through=date(2026, 12, 1)),
                                     vga, date(2027, 1, 1), None)
    assert lines[0].amount == D("465.47")
    assert "465,47" in lines[0].explained.notes[0] and "001565192" in lines[0].explained.notes[0]


@pytest.mark.parametrize(("family", "kind", "earliest", "may_leave", "clause"), [
    # From Sunday 1 November 2026, in jours ouvrés (CGV art. 2; 11 November a holiday): the 30th
    # is 14 December, the 7th is 10 November.
    ("vga", "general", date(2026, 12, 14), True,
     "CGV art. 9.2 (L298-299), reading T-PRICE-NOTICE-START; CGV art. 2 (L66-67)"),
    ("vga", "usage", date(2026, 11, 10), True, "CP I §7.5 (L1691-1694); CGV art. 2 (L66-67)"),
    ("vga", "regulatory", date(2026, 12, 14), False, "CGV art. 9.3 (L309-310); CGV art. 2 (L66-67)"),
    ("mobile", "regulatory", date(2026, 12, 1), False, "CP IX §10 (L6728-6746), reading T-MOB-PRICE-NOTICE"),
])
def test_price_change_notice_and_right_to_leave(family, kind, earliest, may_leave, clause):
    """30 Jours general (CGV 9.2), 7 jours usage (CP I §7.5), 1 month mobile (T-MOB-PRICE-NOTICE);
    no termination right for a regulatory pass-through (CGV 9.3 L305-308)."""
    rule = ledger_rules.price_change_notice(terms("technicophone", family), kind, date(2026, 11, 1),
                                            True)
    assert (rule.earliest_effective, rule.may_leave, rule.notice_clause) == (earliest, may_leave, clause)


# --------------------------------------------------------------------------- invariants


amounts_st = st.decimals(min_value=D("-500"), max_value=D("5000"), places=2, allow_nan=False,
                         allow_infinity=False)
line_st = st.tuples(amounts_st, st.sampled_from(["HT", "TTC"]),
                    st.sampled_from(["normal", "intermediate", "reduced", "super_reduced"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(line_st, min_size=1, max_size=12), st.sampled_from(["HT", "TTC"]))
def test_totals_equal_the_sum_of_the_lines(lines, basis):
    """The invoice total is the sum of its lines; the VAT breakdown adds up (BR-CO-10, BR-S-08)."""
    from clausier.core.explain import Explained, Line

    drafts = [invoice_rules.DraftLine("charge", f"line {i}",
                                      Explained((Line(f"line {i}", amount),)),
                              line_basis, rate) for i, (amount, line_basis, rate) in enumerate(lines)]
    t = invoice_rules.totals(drafts, basis, date(2026, 1, 31))
    assert t.total == sum(line.amount for line in t.lines)
    assert t.total_ht == sum(line.amount_ht for line in t.lines)
    assert t.total_ttc == t.total_ht + t.total_vat
    if basis == "TTC":
        assert t.total_ttc == t.total
    else:
        assert t.total_ht == t.total
    for bucket in t.vat:
        assert abs(bucket.vat - bucket.base_ht * bucket.rate) <= D("0.01")


@settings(max_examples=150, deadline=None)
@given(go_live=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)),
       runs=st.lists(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 6, 30)), min_size=1,
                     max_size=8),
       periodicity=st.sampled_from([1, 3, 12]),
       ends=st.one_of(st.none(), st.dates(min_value=date(2025, 1, 2), max_value=date(2027, 6, 30))))
def test_no_subscription_is_billed_twice_for_a_month(go_live, runs, periodicity, ends):
    """Whatever the order of the runs, each month of service is billed at most once."""
    family_terms = terms("technicophone", "vga")
    billed_months: list[date] = []
    through = None
    for run in sorted(billing_periods.month_start(r) for r in runs):
        facts = sub("vga", go_live_on=go_live, periodicity_months=periodicity, billed_through=through,
                    end_on=ends if ends and ends > go_live else None)
        _, billed = run_rules.recurring_lines(facts, family_terms, run, None)
        billed_months += [m.month for m in billed]
        if billed:
            through = max(m.month for m in billed)
    assert len(billed_months) == len(set(billed_months))
