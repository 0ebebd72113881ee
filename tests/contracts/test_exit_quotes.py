"""Exit quotes, one row per seed case (issue "Contract lifecycle", Done when).

Pure: the built-in term sheets are read from their YAML files; facts are built in the test.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausier.contracts import rules
from clausier.contracts.rules import Facts, Item
from clausier.core.errors import RuleRefusal
from clausier.terms.loader import BUILT_IN_DIR, load_sheet


@cache
def sheet(name: str):
    return load_sheet(BUILT_IN_DIR / name)


def terms(operator: str, family: str):
    return sheet(operator).terms_for(family)


def technicophone(family: str, items: tuple[Item, ...], go_live: date, months: int = 36, **extra) -> Facts:
    return Facts(family=family, signed_on=go_live, commitment_months=months, items=items,
                 commitment_start=go_live, go_live_on=go_live, **extra)


def lines_by_clause(quote) -> dict[str, Decimal]:
    result: dict[str, Decimal] = {}
    for line in quote.explained.lines:
        result[line.label] = line.amount
    return result


def test_sip_trunk_terminated_mid_commitment_cgv_8_2_cp_iv():
    # CGV art. 7 (36 months from go-live), art. 8.2 and CP IV "Durée": remaining months to the end
    # of the period, a started month counting whole, × 100 % of the monthly fees, from receipt.
    facts = technicophone("sip_trunk", (Item("SIP trunk 10 channels", "trunk", 1, Decimal("450.00")),),
                          date(2025, 1, 1))
    quote = rules.quote_termination(facts, terms("technicophone", "sip_trunk"), date(2026, 8, 10))
    # 2026-08-10 → 2027-12-31: 17 months or parts of months; 3 of them are the notice,
    # billed on the regular invoices until the effective date 2026-11-10.
    assert quote.effective_date == date(2026, 11, 10)
    assert quote.explained.total == Decimal("7650.00")          # 17 × 450.00 €
    assert quote.one_off.total == Decimal("6300.00")            # 14 × 450.00 € after the notice
    notice_line = quote.explained.lines[0]
    assert notice_line.amount == Decimal("1350.00") and "3 months" in notice_line.formula
    assert all(line.clause for line in quote.explained.lines)


def test_vga_site_with_three_analogue_lines_and_one_isdn_access_cp_i_6_2_6_3():
    # CP I §6.2: 500 € HT per analogue line and 1 000 € HT per ISDN access, plus §6.3 the
    # remaining months × 100 % of the site's monthly fees.
    items = (Item("Analogue line", "analogue_line", 3, Decimal("20.00")),
             Item("ISDN basic access", "isdn_access", 1, Decimal("40.00")))
    facts = technicophone("vga", items, date(2025, 3, 1))
    quote = rules.quote_termination(facts, terms("technicophone", "vga"), date(2026, 3, 15))
    by_label = lines_by_clause(quote)
    assert by_label["Flat fee per analogue line"] == Decimal("1500.00")    # 3 × 500 €
    assert by_label["Flat fee per isdn access"] == Decimal("1000.00")      # 1 × 1 000 €
    # 2026-03-15 → 2028-02-29: 24 months started, × (3 × 20 + 40) = 100 € a month.
    assert quote.explained.total == Decimal("4900.00")                     # 2 400 + 2 500
    assert quote.effective_date == date(2026, 6, 15)


@pytest.mark.parametrize("accesses, options, flat", [
    (1, 0, Decimal("1000.00")),
    (1, 1, Decimal("1000.00")),      # an option priced per access is no access (issue 18 §3)
    (2, 2, Decimal("2000.00")),
])
def test_vga_isdn_flat_fee_counts_accesses_not_per_access_options_cp_i_6_2(accesses, options, flat):
    # CP I §6.2 L1618-1619: 1 000 € HT "par accès de base/accès numéris et par Site", read as
    # one fee per access of the site (reading T-VGA-ISDN-FEE-UNIT); an option sold per access
    # (here Télétaxe) is counted nowhere.
    items = (Item("ISDN basic access", "isdn_access", accesses, Decimal("40.00")),
             *((Item("Télétaxe", "isdn_access", options, Decimal("3.00"), is_option=True),)
               if options else ()))
    quote = rules.quote_termination(technicophone("vga", items, date(2025, 3, 1)),
                                    terms("technicophone", "vga"), date(2026, 3, 15))
    [line] = [line for line in quote.explained.lines if line.label == "Flat fee per isdn access"]
    assert (line.amount, line.clause) == (flat, "CP I §6.2 (L1618-1619), reading T-VGA-ISDN-FEE-UNIT")


def test_preselection_line_in_its_second_renewal_year_cp_ii_4_2_b():
    # CP II §4: 3-year initial period, then 1-year renewals; §4.2(b) months (or part) remaining in
    # the renewal period × 100 % of the monthly fees.
    facts = technicophone("preselection", (Item("Carrier preselection", "line", 1, Decimal("15.00")),),
                          date(2021, 1, 1))
    preselection = terms("technicophone", "preselection")
    period = rules.period_on(facts, preselection, date(2025, 6, 10))
    assert (period.kind, period.number, period.start, period.end) == (
        "renewal", 2, date(2025, 1, 1), date(2025, 12, 31))
    quote = rules.quote_termination(facts, preselection, date(2025, 6, 10))
    # 2025-06-10 → 2025-12-31: 7 months started × 15 €.
    assert quote.explained.total == Decimal("105.00")
    assert quote.effective_date == date(2025, 9, 10)


def ozone_pack(first_connection: date, monthly: str = "39.99") -> Facts:
    return Facts(family="pack", signed_on=first_connection, commitment_months=24,
                 items=(Item("Pack fibre + TV", "subscription", 1, Decimal(monthly)),),
                 commitment_start=first_connection, go_live_on=first_connection,
                 customer_kind="household", price_basis="TTC")


def test_ozone_24_month_pack_left_at_month_7_chatel_and_59_euros():
    # Ozone art. 11.1 (O:301-303) and annex 1 (O:1205), loi Chatel: what remains within the first
    # 12 months + 25 % of the rest; plus the 59 € termination fee (O:295); effective 10 days after
    # receipt of the registered letter (O:299-301).
    facts = ozone_pack(date(2025, 1, 1))
    quote = rules.quote_termination(facts, terms("ozone", "pack"), date(2025, 7, 22))
    assert quote.effective_date == date(2025, 8, 1)          # 7 months elapsed
    amounts = [line.amount for line in quote.explained.lines]
    assert Decimal("199.95") in amounts                      # 5 × 39.99 € within the first 12 months
    assert Decimal("119.97") in amounts                      # 0.25 × 12 × 39.99 €
    assert Decimal("59.00") in amounts
    assert quote.explained.total == Decimal("378.92")


def test_ozone_24_month_pack_left_at_month_15_quarter_of_the_rest():
    facts = ozone_pack(date(2025, 1, 1))
    quote = rules.quote_termination(facts, terms("ozone", "pack"), date(2026, 3, 22))
    assert quote.effective_date == date(2026, 4, 1)          # 15 months elapsed, 9 remain
    amounts = [line.amount for line in quote.explained.lines]
    assert Decimal("89.98") in amounts                       # 0.25 × 9 × 39.99 € = 89.9775
    assert quote.explained.total == Decimal("148.98")        # + 59 €


def test_ozone_mobile_line_costs_nothing_to_leave():
    # Ozone art. 11 (O:295): no termination fee for a mobile contract.
    facts = Facts(family="mobile", signed_on=date(2025, 1, 1), commitment_months=12,
                  items=(Item("Forfait mobile", "line", 1, Decimal("9.99")),),
                  commitment_start=date(2025, 1, 1), go_live_on=date(2025, 1, 1),
                  customer_kind="household", price_basis="TTC")
    quote = rules.quote_termination(facts, terms("ozone", "mobile"), date(2026, 2, 1))
    assert quote.explained.total == Decimal("0.00")
    assert quote.effective_date == date(2026, 2, 11)


def test_withdrawal_refused_to_a_company_of_12_employees_cgv_19():
    # CGV art. 19: 14 days only if signed off premises, outside the main activity and ≤ 5 employees.
    facts = Facts(family="internet", signed_on=date(2026, 5, 4), commitment_months=36,
                  items=(Item("Fibre 1 Gb/s", "access", 1, Decimal("89.00")),), status="ordered",
                  channel="off_premises", outside_main_activity=True, employees=12)
    decision = rules.withdrawal(facts, terms("technicophone", "internet"), date(2026, 5, 10))
    assert not decision.allowed
    assert decision.reasons == ("the customer had 12 employees at signature (at most 5)",)
    assert "CGV art. 19" in decision.clause
    small = Facts(**{**facts.__dict__, "employees": 4})
    assert rules.withdrawal(small, terms("technicophone", "internet"), date(2026, 5, 10)).allowed
    # Fourteen jours ouvrés (CGV art. 2, reading T-WITHDRAWAL-DAYS) from Monday 4 May 2026:
    # 8 May, Ascension (14 May) and Whit Monday (25 May) are public holidays → 27 May.
    assert rules.withdrawal(small, terms("technicophone", "internet"), date(2026, 5, 18)).deadline == date(2026, 5, 27)


def test_rozoh_pack_activated_14_months_after_shipment_starts_at_12_months():
    # Rozoh §2 (R:224-227): 120 months from activation, or from 12 months after shipment at the latest.
    shipped = date(2025, 1, 10)
    facts = Facts(family="intercom_pack", signed_on=date(2025, 1, 5), commitment_months=120,
                  items=(Item("Pack intercom 50 fiches", "pack", 1, Decimal("0")),),
                  shipped_on=shipped, go_live_on=date(2026, 3, 10), commitment_start=date(2026, 3, 10))
    rozoh = terms("rozoh", "intercom_pack")
    assert rules.commitment_start(facts, rozoh) == date(2026, 1, 10)
    assert rules.commitment_end(facts, rozoh) == date(2036, 1, 9)
    never_activated = Facts(**{**facts.__dict__, "go_live_on": None, "commitment_start": None})
    assert rules.commitment_start(never_activated, rozoh) == date(2026, 1, 10)


def test_cancellation_before_go_live_costs_twice_the_undiscounted_access_fees_cgv_8_1():
    facts = Facts(family="internet", signed_on=date(2026, 5, 4), commitment_months=36, status="ordered",
                  items=(Item("Fibre", "access", 1, Decimal("89.00"), access_fee=Decimal("0"),
                              access_fee_undiscounted=Decimal("450.00")),))
    quote = rules.quote_termination(facts, terms("technicophone", "internet"), date(2026, 6, 1))
    assert quote.explained.total == Decimal("900.00")


def test_no_fee_when_the_customer_refuses_a_usage_price_increase_vga_7_5():
    items = (Item("Analogue line", "analogue_line", 2, Decimal("20.00")),)
    facts = technicophone("vga", items, date(2025, 3, 1))
    quote = rules.quote_termination(facts, terms("technicophone", "vga"), date(2026, 3, 15),
                                    reason="usage_price_increase_refused")
    assert quote.one_off.total == Decimal("0.00")
    assert quote.exempted_by == "usage_price_increase_refused"


def test_timeline_gives_the_last_day_to_give_notice_cgv_7():
    facts = technicophone("sip_trunk", (Item("Trunk", "trunk", 1, Decimal("450.00")),), date(2025, 1, 1))
    line = rules.timeline(facts, terms("technicophone", "sip_trunk"), date(2026, 11, 24))
    assert line.commitment_end == date(2027, 12, 31)
    # CGV art. 7 (L244-250): at least 3 months before the anniversary date 2028-01-01.
    assert line.notice_deadline == date(2027, 10, 1)
    assert line.termination_if_received_today == date(2027, 2, 24)


# --------------------------------------------------------------------------- invariants

fees = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31))


@settings(max_examples=150, deadline=None)
@given(monthly=fees, go_live=st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31)),
       offset=st.integers(min_value=0, max_value=2500),
       family=st.sampled_from(["sip_trunk", "vga", "preselection", "internet", "mobile", "cx"]))
def test_property_technicophone_quote_never_double_counts_a_month(monthly, go_live, offset, family):
    facts = technicophone(family, (Item("Service", "analogue_line", 1, monthly),), go_live)
    received = date.fromordinal(go_live.toordinal() + offset)
    t = terms("technicophone", family)
    quote = rules.quote_termination(facts, t, received)
    assert quote.explained.total == sum((l.amount for l in quote.explained.lines), Decimal("0"))
    assert quote.explained.total >= 0 and all(l.amount >= 0 for l in quote.explained.lines)
    period = quote.period
    if period.end is not None:
        months_charged = sum(l.amount for l in quote.explained.lines if "month" in l.label.lower()) / monthly
        # The months billed (notice + remaining) never exceed the months left in the period
        # (or in the period the effective date falls in), counted once each.
        assert months_charged <= rules.months_started(received, period.end)


@settings(max_examples=150, deadline=None)
@given(monthly=fees, start=st.dates(min_value=date(2022, 1, 1), max_value=date(2026, 12, 31)),
       offset=st.integers(min_value=0, max_value=1200), months=st.sampled_from([12, 24]))
def test_property_ozone_quote_is_never_negative_and_sums_its_lines(monthly, start, offset, months):
    facts = Facts(family="pack", signed_on=start, commitment_months=months,
                  items=(Item("Pack", "subscription", 1, monthly),), commitment_start=start,
                  go_live_on=start, customer_kind="household")
    quote = rules.quote_termination(facts, terms("ozone", "pack"), date.fromordinal(start.toordinal() + offset))
    assert quote.explained.total == sum((l.amount for l in quote.explained.lines), Decimal("0"))
    assert quote.explained.total >= 0
    # Chatel never charges more than the whole remaining commitment.
    assert quote.explained.total <= monthly * months + Decimal("59.00") + Decimal("0.01")


@pytest.mark.parametrize("start, end, started, whole", [
    (date(2026, 8, 10), date(2027, 12, 31), 17, 16),
    (date(2026, 1, 15), date(2026, 2, 13), 1, 0),
    (date(2026, 1, 31), date(2026, 2, 27), 1, 1),    # 31 Jan + 1 month is clipped to 28 Feb
    (date(2026, 1, 1), date(2026, 1, 31), 1, 1),
    (date(2026, 2, 1), date(2026, 1, 31), 0, 0),
])
def test_month_counting(start, end, started, whole):
    assert rules.months_started(start, end) == started
    assert rules.months_whole(start, end) == whole


def test_vga_flat_fees_are_not_due_in_a_renewal_period_cp_i_6_2():
    # CP I §6.2: the 500 € / 1 000 € fees price a termination "before the end of its initial
    # period"; in a renewal year only the remaining months of §6.3 are due.
    items = (Item("Analogue line", "analogue_line", 3, Decimal("20.00")),)
    facts = technicophone("vga", items, date(2021, 1, 1))
    quote = rules.quote_termination(facts, terms("technicophone", "vga"), date(2025, 6, 10))
    assert quote.period.kind == "renewal"
    assert quote.explained.total == Decimal("420.00")       # 7 months started × 60 €, no flat fee


# --------------------------------------------------------------------------- plan changes (Ozone annex 1)

def test_ozone_pack_downgrade_in_commitment_applies_chatel_annex_1():
    # Annexe 1 (O:1205-1213): a pack downgrade within the commitment costs the loi Chatel
    # indemnity; outside the commitment a flat 30 € TTC.
    facts = ozone_pack(date(2025, 1, 1))
    pack = terms("ozone", "pack")
    inside = rules.quote_plan_change(facts, pack, "pack_downgrade", date(2025, 8, 1), recommit_months=24)
    assert inside.explained.total == Decimal("319.92")        # 5 × 39.99 + 0.25 × 12 × 39.99
    assert inside.recommit_months == 24
    outside = rules.quote_plan_change(facts, pack, "pack_downgrade", date(2027, 2, 1))
    assert outside.explained.total == Decimal("30.00")


def test_ozone_telephony_downgrade_with_new_equipment_annex_1():
    # Annexe 1: telephony downgrade 30 € in commitment; 12 € shipping when equipment changes
    # (O:1203); a telephony change takes effect on the 1st of the next month (O:151).
    facts = Facts(family="voip", signed_on=date(2025, 1, 1), commitment_months=12,
                  items=(Item("Ligne VoIP", "line", 1, Decimal("9.99")),),
                  commitment_start=date(2025, 1, 1), go_live_on=date(2025, 1, 1), customer_kind="household")
    quote = rules.quote_plan_change(facts, terms("ozone", "voip"), "telephony_downgrade", date(2025, 6, 12),
                                    equipment_change=True)       # a voip contract: telephony timing
    assert [line.amount for line in quote.explained.lines] == [Decimal("30.00"), Decimal("12.00")]
    assert quote.effective_date == date(2025, 7, 1)
    with pytest.raises(RuleRefusal, match="change: 'teleportation' is not in the grid"):
        rules.quote_plan_change(facts, terms("ozone", "voip"), "teleportation", date(2025, 6, 12))


def test_ozone_tech_migration_bills_the_confirmation_amounts_annex_1():
    facts = ozone_pack(date(2025, 1, 1))
    quote = rules.quote_plan_change(facts, terms("ozone", "pack"), "tech_migration", date(2025, 8, 1),
                                    confirmation_amounts={"new_offer_access_fees": Decimal("49.00")})
    assert quote.explained.total == Decimal("49.00")
    assert any("Connection kit" in note for note in quote.explained.notes)
