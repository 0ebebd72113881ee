"""Orders, subscriptions and their transitions on a real database (issue "Contract lifecycle")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from clausier.billing.models import Charge
from clausier.contracts import service
from clausier.contracts.changes import Change
from clausier.contracts.models import SubscriptionEvent
from clausier.contracts.service import LineInput
from clausier.core.errors import Conflict, InvalidInput, NotAllowed
from tests import factories


@pytest.fixture
def tec(session, clock, actor):
    op = factories.operator(session, clock, actor, "technicophone")
    factories.offer(session, op, "sip-10", "sip_trunk", "450.00", unit="trunk", access_fee="300.00")
    factories.offer(session, op, "vga-analogue", "vga", "20.00", unit="analogue_line", access_fee="50")
    factories.offer(session, op, "vga-isdn", "vga", "40.00", unit="isdn_access", access_fee="80")
    factories.offer(session, op, "gtr-6h", "vga", "15.00", unit="option", kind="option")
    return op


def test_order_creates_one_subscription_per_site_and_service_bound_to_the_sheet(session, clock, actor, tec):
    customer = factories.customer(session, clock, tec, sites=(("Tours", "02"), ("Blois", "02")))
    subs = factories.subscription(session, clock, actor, customer, [
        LineInput(customer.sites[0].id, "vga-analogue", 3),
        LineInput(customer.sites[0].id, "vga-isdn", 1, options=("gtr-6h",)),
        LineInput(customer.sites[1].id, "sip-10", 1),
    ], signed_on=date(2025, 1, 10), go_live_on=None)
    assert [(s.family, s.site_id) for s in subs] == [("vga", customer.sites[0].id),
                                                     ("sip_trunk", customer.sites[1].id)]
    vga = subs[0]
    assert (vga.sheet_id, vga.sheet_version, vga.status) == ("technicophone", 1, "ordered")
    assert vga.commitment_months == 36                      # CGV art. 7: 36 months by default
    assert sorted((i.offer_code, i.quantity, i.is_option) for i in vga.items) == [
        ("gtr-6h", 1, True), ("vga-analogue", 3, False), ("vga-isdn", 1, False)]


def test_transitions_are_dated_audited_and_refused_when_not_allowed(session, clock, actor, tec):
    customer = factories.customer(session, clock, tec)
    [sub] = factories.subscription(session, clock, actor, customer,
                                   [LineInput(customer.sites[0].id, "sip-10")],
                                   signed_on=date(2025, 1, 10), go_live_on=date(2025, 2, 1))
    assert (sub.status, sub.commitment_start) == ("active", date(2025, 2, 1))
    with pytest.raises(Conflict, match="activation: .* already recorded on 2025-02-01"):
        service.activate(session, clock, actor, sub.id, date(2025, 3, 1))
    service.change_status(session, clock, actor, sub.id, "suspend", date(2025, 6, 1), "unpaid")
    service.change_status(session, clock, actor, sub.id, "resume", date(2025, 6, 5))
    kinds = [e.kind for e in session.scalars(select(SubscriptionEvent).where(
        SubscriptionEvent.subscription_id == sub.id).order_by(SubscriptionEvent.id))]
    assert kinds == ["ordered", "activate", "suspend", "resume"]


def test_recorded_termination_uses_the_quote_and_charges_only_what_follows_the_notice(
        session, clock, actor, tec):
    customer = factories.customer(session, clock, tec)
    [sub] = factories.subscription(session, clock, actor, customer,
                                   [LineInput(customer.sites[0].id, "sip-10")],
                                   signed_on=date(2024, 12, 1), go_live_on=date(2025, 1, 1))
    what_if = service.quote_termination(session, sub.ref, date(2026, 8, 10))
    recorded = service.give_notice(session, clock, actor, sub.ref, date(2026, 8, 10))
    assert recorded.explained == what_if.explained            # same computation, CGV art. 8.2
    assert sub.status == "notice_given" and sub.termination_effective_on == date(2026, 11, 10)
    charge = session.scalar(select(Charge).where(Charge.subscription_id == sub.id))
    assert (charge.source, charge.amount) == ("termination", Decimal("6300.00"))
    assert charge.explanation["lines"][0]["clause"]
    # The daily tick ends the service on the effective date, once.
    assert service.tick(session, clock, actor, date(2026, 11, 9))["terminated"] == 0
    assert service.tick(session, clock, actor, date(2026, 11, 10))["terminated"] == 1
    assert service.tick(session, clock, actor, date(2026, 11, 10))["terminated"] == 0
    assert (sub.status, sub.terminated_on) == ("terminated", date(2026, 11, 10))


def test_cancellation_before_go_live_charges_twice_the_undiscounted_access_fees(session, clock, actor, tec):
    customer = factories.customer(session, clock, tec)
    [sub] = factories.subscription(session, clock, actor, customer,
                                   [LineInput(customer.sites[0].id, "sip-10", access_fee=Decimal("0"),
                                              access_fee_undiscounted=Decimal("300"))],
                                   signed_on=date(2026, 1, 10), go_live_on=None)
    quote = service.give_notice(session, clock, actor, sub.ref, date(2026, 2, 1))
    assert quote.explained.total == Decimal("600.00")          # CGV art. 8.1: 2 × 300 €
    assert sub.status == "cancelled"


def test_withdrawal_refused_with_its_reasons_and_nothing_changes(session, clock, actor, tec):
    customer = factories.customer(session, clock, tec, employees=12)
    [sub] = factories.subscription(session, clock, actor, customer,
                                   [LineInput(customer.sites[0].id, "sip-10")],
                                   signed_on=date(2026, 5, 4), go_live_on=None, channel="off_premises",
                                   outside_main_activity=True)
    with pytest.raises(NotAllowed, match="12 employees at signature"):
        service.withdraw(session, clock, actor, sub.ref, date(2026, 5, 10))
    assert sub.status == "ordered"


def test_tacit_renewal_and_notice_reminders_are_recorded_once(session, clock, actor, tec):
    customer = factories.customer(session, clock, tec)
    [sub] = factories.subscription(session, clock, actor, customer,
                                   [LineInput(customer.sites[0].id, "sip-10")],
                                   signed_on=date(2023, 12, 1), go_live_on=date(2024, 1, 1))
    # Initial period 2024-01-01 → 2026-12-31; notice deadline 2026-10-01, three months before the
    # anniversary 2027-01-01 (CGV art. 7); reminder 30 days before.
    assert service.tick(session, clock, actor, date(2026, 9, 1))["reminders"] == 1
    assert service.tick(session, clock, actor, date(2026, 9, 1))["reminders"] == 0
    assert service.tick(session, clock, actor, date(2027, 1, 1))["renewed"] == 1   # CGV 7: 1 year
    assert service.tick(session, clock, actor, date(2027, 1, 1))["renewed"] == 0
    assert sub.last_renewal_on == date(2027, 1, 1)


def test_change_recommits_the_whole_service_for_36_months_cgv_7(session, clock, actor, tec):
    customer = factories.customer(session, clock, tec)
    [sub] = factories.subscription(session, clock, actor, customer,
                                   [LineInput(customer.sites[0].id, "vga-analogue", 2)],
                                   signed_on=date(2023, 8, 1), go_live_on=date(2023, 9, 1))
    service.confirm_change(session, clock, actor, sub.ref, (Change("add", "vga-analogue", 1),),
                           date(2025, 5, 15))
    timeline = service.timeline(session, sub.ref, date(2025, 6, 1))
    assert timeline.commitment_end == date(2028, 5, 14)        # 36 months from the change


def test_site_move_keeps_numbers_in_the_same_zone_only(session, clock, actor, tec):
    customer = factories.customer(session, clock, tec,
                                  sites=(("Tours", "02"), ("Amboise", "02"), ("Lyon", "04")))
    [sub] = factories.subscription(session, clock, actor, customer,
                                   [LineInput(customer.sites[0].id, "vga-analogue", 2)],
                                   signed_on=date(2024, 1, 1), go_live_on=date(2024, 2, 1))
    same = service.quote_move(session, sub.ref, date(2025, 2, 1), customer.sites[1].id)
    other = service.quote_move(session, sub.ref, date(2025, 2, 1), customer.sites[2].id)
    assert (same.numbers_kept, other.numbers_kept) == (True, False)    # CP I §9.4
    assert same.recommit_months == 36
    # 100 % of the monthly fees remaining to 2027-01-31: 24 months × 40 €.
    assert same.explained.total == Decimal("960.00")
    # the percentage of CP I §9.4 as people write it, never Decimal's "1E+2" (issue 21)
    assert same.explained.lines[0].formula.replace("\u202f", " ").replace("\xa0", " ") == \
        "24 months × 100 % × 40,00 €"


def test_bad_order_input_names_the_field(session, clock, actor, tec):
    customer = factories.customer(session, clock, tec)
    with pytest.raises(InvalidInput, match="lines.0.offer_code"):
        service.create_order(session, clock, actor, service.OrderInput(
            customer.id, date(2026, 1, 1), "on_premises", [LineInput(customer.sites[0].id, "nope")]))
    with pytest.raises(InvalidInput, match="channel"):
        service.create_order(session, clock, actor, service.OrderInput(
            customer.id, date(2026, 1, 1), "by_pigeon", [LineInput(customer.sites[0].id, "sip-10")]))


def test_rozoh_pack_service_starts_12_months_after_shipment_and_ends_after_120_months(session, clock, actor):
    # Rozoh §2 (R:224-227): 120 months from activation, at the latest from 12 months after shipment;
    # no renewal: the daily tick ends the service at its term.
    op = factories.operator(session, clock, actor, "rozoh")
    factories.offer(session, op, "intercom-50", "intercom_pack", "0", unit="pack", kind="pack",
                    one_off_price="1490")
    customer = factories.customer(session, clock, op, "Mairie de Vouvray", category="public_body")
    [sub] = factories.subscription(session, clock, actor, customer,
                                   [LineInput(customer.sites[0].id, "intercom-50")],
                                   signed_on=date(2025, 1, 5), go_live_on=None)
    service.record_event(session, clock, actor, sub.id, "shipment", date(2025, 1, 10))
    assert service.tick(session, clock, actor, date(2026, 1, 10))["pack_started"] == 1
    assert sub.commitment_start == date(2026, 1, 10)
    assert service.timeline(session, sub.ref, date(2026, 2, 1)).commitment_end == date(2036, 1, 9)
    service.activate(session, clock, actor, sub.id, date(2026, 3, 10))     # activated 14 months after shipment
    assert sub.commitment_start == date(2026, 1, 10)                       # still the latest start
    assert service.tick(session, clock, actor, date(2036, 1, 10))["terminated"] == 1
    assert (sub.status, sub.terminated_on) == ("terminated", date(2036, 1, 10))


@pytest.mark.parametrize("as_option_of_the_line", [True, False])
def test_vga_flat_fee_counts_lines_not_per_line_options_cp_i_6_2(session, clock, actor, tec,
                                                                   as_option_of_the_line):
    # CP I §6.2 (seed 001, L1613-1622): 500 € HT "par Ligne analogique résiliée". The Télétaxe
    # option is priced per analogue line but is no line: one line with its option owes 500 €,
    # whether the order lists the option under the line or as a line of its own.
    factories.offer(session, tec, "teletaxe", "vga", "3.00", unit="analogue_line", kind="option")
    customer = factories.customer(session, clock, tec)
    site = customer.sites[0].id
    lines = ([LineInput(site, "vga-analogue", 1, options=("teletaxe",))] if as_option_of_the_line
             else [LineInput(site, "vga-analogue", 1), LineInput(site, "teletaxe", 1)])
    [sub] = factories.subscription(session, clock, actor, customer, lines,
                                   signed_on=date(2025, 3, 1), go_live_on=date(2025, 3, 1))
    quote = service.quote_termination(session, sub.ref, date(2026, 3, 15))
    flat = [line for line in quote.explained.lines if line.clause.startswith("CP I §6.2")]
    assert [(line.amount, line.formula) for line in flat] == [(Decimal("500.00"), "1 × 500,00\u00a0€ HT")]
