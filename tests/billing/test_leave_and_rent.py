"""A price change's right to leave read by the exit quote; rented equipment billed by the bill run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from sqlalchemy import func, select

from clausier.billing.ledger import service as billing_ledger

from clausier.billing.runs import service as billing_runs
from clausier.billing.ledger.charges import pending_charges
from clausier.contracts import service as contracts
from clausier.billing.models import Charge, Invoice
from clausier.catalog.models import EquipmentKind
from clausier.contracts.service import LineInput
from clausier.core.clock import FixedClock
from clausier.equipment import service as equipment
from tests import factories


def test_the_exit_quote_waives_the_fees_within_the_window_a_price_change_opened(
        session, clock, actor, tec, business):
    """CGV art. 9.2 L298-302: after 30 days' notice of a price change the client may terminate,
    without fees until the change is deemed accepted (30 days); art. 9.3: not for a regulatory
    pass-through."""
    [trunk] = factories.subscription(session, clock, actor, business,
                                     [LineInput(business.sites[0].id, "sip-10")],
                                     signed_on=date(2026, 9, 1), go_live_on=date(2026, 10, 1))
    before = contracts.quote_termination(session, trunk.id, date(2026, 11, 20))
    assert before.one_off.total > 0 and before.exempted_by is None       # fees of the commitment
    billing_ledger.announce_price_change(session, clock, actor, "technicophone", "regulatory",
                                  date(2026, 12, 1), family="sip_trunk", announced_on=date(2026, 10, 15))
    assert contracts.quote_termination(session, trunk.id, date(2026, 11, 20)).one_off.total == before.one_off.total
    billing_ledger.announce_price_change(session, clock, actor, "technicophone", "general",
                                         date(2026, 12, 1),
                                  family="sip_trunk", percent=D("3"), announced_on=date(2026, 10, 15))
    within = contracts.quote_termination(session, trunk.id, date(2026, 11, 20))
    assert (within.one_off.total, within.exempted_by) == (D("0.00"), "price_change")
    [waiver] = within.one_off.lines
    assert waiver.clause == "CGV art. 9.2 (L299-301)"
    # 30 Jours (jours ouvrés, CGV art. 2) from Thursday 15 October: deemed accepted after 27 November.
    assert "until 2026-11-27" in waiver.formula
    late = contracts.quote_termination(session, trunk.id, date(2026, 11, 30))  # deemed accepted
    assert late.one_off.total > 0 and late.exempted_by is None
    # The recorded letter bills nothing on the next invoice.
    contracts.give_notice(session, clock, actor, trunk.id, date(2026, 11, 20))
    session.flush()
    assert not [c for c in pending_charges(session, business.id) if c.source == "termination"]


def test_ozone_leaves_four_months_after_the_change_applies(session, clock, actor, ozone):
    """OZONE CGV art. 7.4 L203: changes notified a month ahead; the client may terminate without
    penalty up to 4 months after they apply."""
    household = factories.customer(session, clock, ozone, "M. Lefort", kind="household",
                                   employees=None, sites=(("Domicile", "50"),))
    [pack] = factories.subscription(session, clock, actor, household,
                                    [LineInput(household.sites[0].id, "pack-fibre")],
                                    signed_on=date(2026, 6, 1), go_live_on=date(2026, 6, 10),
                                    channel="distance")
    change = billing_ledger.announce_price_change(session, clock, actor, "ozone", "general",
                                                  date(2026, 12, 15),
                                           family="pack", percent=D("5"), announced_on=date(2026, 11, 1))
    [notice] = change.notices
    assert (notice.leave_until, notice.leave_clause) == (date(2027, 4, 15), "CGV art. 7.4 (L203)")
    within = contracts.quote_termination(session, pack.id, date(2027, 4, 10))
    assert (within.one_off.total, within.exempted_by) == (D("0.00"), "price_change")
    assert within.one_off.lines[0].clause == "CGV art. 7.4 (L203)"
    late = contracts.quote_termination(session, pack.id, date(2027, 4, 16))
    assert late.exempted_by is None


def _rent_lines(invoice) -> list[tuple[str, D]]:
    return [(line.label, line.amount) for line in invoice.lines if line.label.startswith("Equipment rental")]


def test_a_rented_router_is_billed_its_monthly_rent_in_advance_once_and_indexed(
        session, clock, actor, tec, business):
    """CGV art. 9.5 L344-346: renting equipment is a service, subject to the art. 9.4 indexation;
    billed monthly in advance under the terms of the service it serves (CP IV §7.2): the
    SIP trunk's first month is prorated (reading T-PRORATA-FIRST-MONTH)."""
    router = EquipmentKind(operator_id=tec.id, code="router", name="Routeur", monthly_rent=D("12.00"),
                           replacement_value=D("250.00"), price_basis="HT")
    session.add(router)
    session.flush()
    [trunk] = factories.subscription(session, clock, actor, business,
                                     [LineInput(business.sites[0].id, "sip-10")],
                                     signed_on=date(2026, 9, 1), go_live_on=date(2026, 10, 1))
    equipment.register_item(session, clock, actor, tec.id, "router", "RT-0001")
    equipment.ship(session, clock, actor, "RT-0001", trunk.id, "rented", date(2026, 10, 20),
                   received_on=date(2026, 10, 22))
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    [november] = _invoices(session, "2026-11")
    assert _rent_lines(november) == [
        ("Equipment rental: Routeur (RT-0001) — 2026-10 prorata", D("3.87")),     # 10/31 days
        ("Equipment rental: Routeur (RT-0001) — 2026-11", D("12.00"))]
    rent = next(line for line in november.lines
                if line.label == "Equipment rental: Routeur (RT-0001) — 2026-11")
    assert rent.explanation["lines"][0]["formula"] == "1 month × 12,00\u00a0€"
    assert rent.explanation["lines"][0]["clause"] == "CGV art. 9.5 (L344-346)"
    assert "in advance like the subscriptions — CP IV §7.2 (L3341-3342)" in rent.explanation["notes"][0]
    assert rent.site_name == "Siège Tours"
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")   # the same again
    billing_runs.bill_period(session, FixedClock.on(date(2026, 12, 1)), actor, "2026-12",
                             "technicophone")
    [december] = _invoices(session, "2026-12")
    assert _rent_lines(december) == [("Equipment rental: Routeur (RT-0001) — 2026-12", D("12.00"))]
    assert session.scalar(select(func.count(Charge.id)).where(Charge.source == "equipment_rent")) == 3
    # 1 January 2027: the rent follows the index like the subscriptions (CGV art. 9.4).
    billing_ledger.add_index_value(session, clock, actor, "001565192", "2025-12", "128.0")
    billing_ledger.add_index_value(session, clock, actor, "001565192", "2026-12", "132.4")
    billing_runs.bill_period(session, FixedClock.on(date(2027, 1, 2)), actor, "2027-01",
                             "technicophone")
    [january] = _invoices(session, "2027-01")
    assert _rent_lines(january) == [("Equipment rental: Routeur (RT-0001) — 2027-01", D("12.41"))]
    indexed = next(line for line in january.lines if line.label.startswith("Equipment rental"))
    assert any("12,00\u00a0€ × (1 + (132.4 [2026-12] − 128.0 [2025-12]) / 128.0)" in note
               for note in indexed.explanation["notes"])
    # Returned on 10 January: no rent after January.
    equipment.open_return(session, clock, actor, "RT-0001", "termination", date(2027, 1, 5))
    equipment.record_return(session, clock, actor, "RT-0001", date(2027, 1, 10))
    billing_runs.bill_period(session, FixedClock.on(date(2027, 2, 1)), actor, "2027-02",
                             "technicophone")
    assert all(not _rent_lines(invoice) for invoice in _invoices(session, "2027-02"))


def _invoices(session, period: str) -> list[Invoice]:
    return list(session.scalars(select(Invoice).where(Invoice.period == period, Invoice.kind == "invoice")))
