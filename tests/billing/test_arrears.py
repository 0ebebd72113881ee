"""Months billed late are arrears, one line per month with its period (issue 18 §8); what an old
system billed (``billed_until``) is not billed again. Read from Technicophone's terms (seed 001):
monthly fees "payées, à terme à échoir, sur une base mensuelle" (CGV art. 10.2 L360-362), the
periodicity is the contract's (art. 10.1 L354-357), billing starts at go-live and the first
invoice carries the set-up fees (CP I §7.2 L1676-1679)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from clausier.billing.runs import rules as run_rules
from clausier.billing.runs.inputs import ItemFacts
from tests.billing.test_rules import sub, terms

D = Decimal
VGA = terms("technicophone", "vga")
LINE = (ItemFacts("Analogue line", 1, D("18.00"), access_fee=D("90.00")),)


def _lines(lines) -> list[tuple]:
    return [(line.kind, line.label, line.amount, line.period_start, line.period_end) for line in lines]


def test_a_quarterly_contract_billed_late_shows_each_past_month_and_its_own_quarter():
    """Go-live 1 April 2026, quarterly in advance, first run October 2026: April to September
    are arrears (6 lines of 18.00), October to December is the run's own quarter (one line of
    3 × 18.00 = 54.00), with the set-up fee of 90.00 (first invoice)."""
    quarterly = sub("vga", items=LINE, signed_on=date(2026, 3, 2), go_live_on=date(2026, 4, 1),
                    periodicity_months=3)
    lines, billed = run_rules.recurring_lines(quarterly, VGA, date(2026, 10, 1), None)
    assert _lines(lines)[0][:3] == ("one_off", "Access fee — Analogue line", D("90.00"))
    assert [(label, amount) for _, label, amount, _, _ in _lines(lines)[1:]] == [
        *((f"Analogue line — 2026-0{month} (arrears)", D("18.00")) for month in range(4, 10)),
        ("Analogue line — 2026-10 to 2026-12", D("54.00"))]
    assert len(billed) == 9


def test_billed_until_skips_what_the_old_system_billed_and_its_set_up_fee():
    """Billed by the old system until 31 August 2026 (a month's last day), run of November 2026:
    September and October are arrears, November is due in advance; no set-up fee."""
    migrated = sub("vga", items=LINE, signed_on=date(2024, 3, 1), go_live_on=date(2024, 4, 2),
                   billed_until=date(2026, 8, 31))
    lines, billed = run_rules.recurring_lines(migrated, VGA, date(2026, 11, 1), None)
    assert _lines(lines) == [
        ("recurring", "Analogue line — 2026-09 (arrears)", D("18.00"), date(2026, 9, 1), date(2026, 9, 30)),
        ("recurring", "Analogue line — 2026-10 (arrears)", D("18.00"), date(2026, 10, 1), date(2026, 10, 31)),
        ("recurring", "Analogue line — 2026-11", D("18.00"), date(2026, 11, 1), date(2026, 11, 30))]
    assert [month.month for month in billed] == [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    # The old system's billing ends on 29 February 2024 and the service went live on 2 April:
    # it billed none of it, so Clausier bills from go-live, set-up fee included.
    before_start = sub("vga", items=LINE, signed_on=date(2024, 2, 1), go_live_on=date(2024, 4, 2),
                       billed_until=date(2024, 2, 29))
    lines, _ = run_rules.recurring_lines(before_start, VGA, date(2024, 5, 1), None)
    assert [(kind, amount) for kind, _, amount, _, _ in _lines(lines)] == [
        ("one_off", D("90.00")), ("recurring", D("17.40")), ("recurring", D("18.00"))]
    # Clausier's own runs since then count: the old system's date does not bill a month twice.
    followed = sub("vga", items=LINE, signed_on=date(2024, 3, 1), go_live_on=date(2024, 4, 2),
                   billed_until=date(2026, 8, 31), billed_through=date(2026, 10, 1))
    lines, _ = run_rules.recurring_lines(followed, VGA, date(2026, 11, 1), None)
    assert [label for _, label, _, _, _ in _lines(lines)] == ["Analogue line — 2026-11"]


def test_a_pack_sold_while_the_old_system_billed_is_not_billed_again():
    """Rozoh packs are bought once, at sale, for 120 months of service (CP A art. 2 L224-225): a
    pack sold on 5 March 2012, billed by the old system (until 30 September 2026), is not
    billed by Clausier's first run; one sold after that date is."""
    from clausier.billing.runs.rules import CustomerFacts
    from tests.billing.test_rules import sheet

    def pack(signed_on):
        return sub("intercom_pack", go_live_on=None, signed_on=signed_on,
                   billed_until=date(2026, 9, 30) if signed_on <= date(2026, 9, 30) else None,
                   items=(ItemFacts("Pack interphonie", 1, D("0"), one_off_price=D("1290.00")),))

    rozoh = terms("rozoh", "intercom_pack")
    old = CustomerFacts(1, True, None, ((pack(date(2012, 3, 5)), rozoh),))
    assert run_rules.draft_invoice(old, sheet("rozoh").general, "HT", date(2026, 10, 1),
                               date(2026, 10, 24)).is_empty
    new = CustomerFacts(1, True, None, ((pack(date(2026, 10, 5)), rozoh),))
    draft = run_rules.draft_invoice(new, sheet("rozoh").general, "HT", date(2026, 10, 1),
                                    date(2026, 10, 24))
    assert [(line.draft.kind, line.draft.amount) for line in draft.totals.lines] == [
        ("pack", D("1290.00"))]
