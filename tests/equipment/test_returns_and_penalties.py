"""Equipment returns, non-return penalties, damage, sold items, appointments (issue "Equipment,
SIM cards, numbers and portability", Done when), on a real database and the built-in sheets."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from clausier.billing.models import Charge
from clausier.catalog.models import EquipmentKind
from clausier.contracts import service as contracts
from clausier.contracts.service import LineInput
from clausier.core.clock import PARIS
from clausier.core.errors import NotAllowed
from clausier.equipment import service
from tests import factories


def kind(session, op, code: str, replacement: str = "0", sale: str = "0", rent: str = "0") -> EquipmentKind:
    row = EquipmentKind(operator_id=op.id, code=code, name=code.replace("_", " "),
                        replacement_value=Decimal(replacement), sale_price=Decimal(sale),
                        monthly_rent=Decimal(rent), price_basis=op.price_basis)
    session.add(row)
    session.flush()
    return row


def charges(session, source: str) -> list[Charge]:
    return list(session.scalars(select(Charge).where(Charge.source == source).order_by(Charge.id)))


def ticks(session, clock, actor, day: date) -> str:
    """The daily tick as the scheduler runs it: contracts first, then equipment."""
    contracts.tick(session, clock, actor, day)
    return service.tick(session, clock, actor, day)


@pytest.fixture
def ozone(session, clock, actor):
    op = factories.operator(session, clock, actor, "ozone")
    factories.offer(session, op, "fibre-1g", "internet_fibre", "29.99", commitment_months=12)
    factories.offer(session, op, "cinetime", "tv", "9.99", commitment_months=1)
    kind(session, op, "box_fibre", replacement="150.00")
    kind(session, op, "tv_box", replacement="95.00")
    return op


def ozone_line(session, clock, actor, op, offer: str, serial: str, code: str):
    cust = factories.customer(session, clock, op, "Famille Durand", kind="household", employees=None)
    sub = factories.subscription(session, clock, actor, cust, [LineInput(factories.site_id(cust), offer)],
                                 signed_on=date(2026, 1, 5), go_live_on=date(2026, 1, 12))[0]
    service.register_item(session, clock, actor, op.id, code, serial)
    service.ship(session, clock, actor, serial, sub.id, "loaned", date(2026, 1, 6))
    service.install(session, clock, actor, serial, date(2026, 1, 12))
    return sub


def test_ozone_fibre_box_not_returned_on_day_16_bills_120_and_passes_ownership(session, clock, actor, ozone):
    # CGV art. 11.1 (L307): return within 15 days of the effective termination date, else billed at
    # the annex 2 value and the equipment becomes the client's; annex 2 (L1232): fibre box 120 € TTC.
    sub = ozone_line(session, clock, actor, ozone, "fibre-1g", "FBX-0001", "box_fibre")
    contracts.give_notice(session, clock, actor, sub.id, date(2027, 3, 1))
    effective = sub.termination_effective_on
    assert effective == date(2027, 3, 11)                 # CGV art. 11.1: 10 days after receipt
    ticks(session, clock, actor, effective)
    item = service.get_item(session, "FBX-0001")
    assert item.return_due_on == effective + timedelta(days=15)
    ticks(session, clock, actor, effective + timedelta(days=15))
    assert charges(session, "equipment_non_return") == []  # day 15: still in time
    ticks(session, clock, actor, effective + timedelta(days=16))
    [charge] = charges(session, "equipment_non_return")
    assert (charge.amount, charge.price_basis) == (Decimal("120.00"), "TTC")   # not the 150 € order value
    assert charge.explanation["lines"][0]["clause"] == "Annexe 2 (L1232)"
    assert (item.owner, item.state, item.ownership_passed_on) == ("customer", "sold", effective + timedelta(days=16))
    with pytest.raises(NotAllowed):                        # no take-back once it is the client's
        service.record_return(session, clock, actor, "FBX-0001", effective + timedelta(days=20))


def test_tv_box_at_day_11_bills_80_and_the_box_is_still_owed(session, clock, actor, ozone):
    # CPV CinéTime art. 8 (L1080-1082): terminating the option, the box goes back within 10 days,
    # else an 80 € TTC penalty and the client must still return it (it belongs to VIDEOFUTUR).
    sub = ozone_line(session, clock, actor, ozone, "cinetime", "VF-777", "tv_box")
    contracts.terminate_now(session, clock, actor, sub.id, date(2026, 5, 4), "option terminated")
    ticks(session, clock, actor, date(2026, 5, 4))
    ticks(session, clock, actor, date(2026, 5, 14))        # day 10
    assert charges(session, "equipment_non_return") == []
    ticks(session, clock, actor, date(2026, 5, 15))        # day 11
    [charge] = charges(session, "equipment_non_return")
    assert charge.amount == Decimal("80.00") and charge.price_basis == "TTC"
    item = service.get_item(session, "VF-777")
    assert item.state == "installed" and item.owner != "customer"   # return still expected
    assert item.overdue_action == "invoice"
    assert service.record_return(session, clock, actor, "VF-777", date(2026, 5, 20)) is None
    assert item.state == "returned"
    assert len(charges(session, "equipment_non_return")) == 1


def test_after_a_withdrawal_the_box_is_due_back_within_14_days_and_nothing_is_billed(session, clock, actor,
                                                                                   ozone):
    # CGV art. 5 (L179): after a withdrawal the equipment goes back at the client's cost within
    # 14 days; the terms set no amount for missing it, so the overdue box is only reported.
    sub = ozone_line(session, clock, actor, ozone, "fibre-1g", "FBX-0002", "box_fibre")
    contracts.withdraw(session, clock, actor, sub.id, date(2026, 1, 10))
    ticks(session, clock, actor, date(2026, 1, 10))
    item = service.get_item(session, "FBX-0002")
    assert (item.return_reason, item.return_due_on) == ("withdrawal", date(2026, 1, 24))
    assert item.return_terms["clause"] == "CGV art. 5 (L179)"
    ticks(session, clock, actor, date(2026, 1, 25))
    assert charges(session, "equipment_non_return") == []
    assert (item.overdue_action, item.owner) == ("flag", "operator")


@pytest.fixture
def tec(session, clock, actor):
    op = factories.operator(session, clock, actor, "technicophone")
    factories.offer(session, op, "fibre-pro", "internet", "100.00", unit="access")
    factories.offer(session, op, "centrex-user", "centrex", "15.00", unit="user")
    kind(session, op, "router", replacement="240.00")
    kind(session, op, "ip_phone", replacement="180.00", sale="180.00")
    return op


def tec_line(session, clock, actor, op, offer: str):
    cust = factories.customer(session, clock, op)
    return factories.subscription(session, clock, actor, cust, [LineInput(factories.site_id(cust), offer)],
                                  signed_on=date(2025, 1, 6), go_live_on=date(2025, 1, 20))[0]


def test_technicophone_router_returned_on_day_9_bills_nothing(session, clock, actor, tec):
    # CP III §5.2 (L2709-2713): rented equipment not returned within 10 calendar days is invoiced.
    sub = tec_line(session, clock, actor, tec, "fibre-pro")
    service.register_item(session, clock, actor, tec.id, "router", "RTR-42")
    service.ship(session, clock, actor, "RTR-42", sub.id, "rented", date(2025, 1, 8), monthly_rent=Decimal("12"))
    service.install(session, clock, actor, "RTR-42", date(2025, 1, 20))
    contracts.terminate_now(session, clock, actor, sub.id, date(2026, 3, 2), "end of service")
    ticks(session, clock, actor, date(2026, 3, 2))
    assert service.get_item(session, "RTR-42").return_due_on == date(2026, 3, 12)
    service.record_return(session, clock, actor, "RTR-42", date(2026, 3, 11))   # day 9
    for day in (date(2026, 3, 12), date(2026, 3, 13), date(2026, 4, 1)):
        ticks(session, clock, actor, day)
    assert charges(session, "equipment_non_return") == []


def test_technicophone_router_not_returned_is_invoiced_at_its_order_value_once(session, clock, actor, tec):
    # CP III §5.2: no grid amount — the price stated on the order / termination acknowledgement;
    # the daily tick run twice for one date bills it once.
    sub = tec_line(session, clock, actor, tec, "fibre-pro")
    service.register_item(session, clock, actor, tec.id, "router", "RTR-43")
    service.ship(session, clock, actor, "RTR-43", sub.id, "rented", date(2025, 1, 8),
                 replacement_value=Decimal("199.00"))
    contracts.terminate_now(session, clock, actor, sub.id, date(2026, 3, 2), "end of service")
    ticks(session, clock, actor, date(2026, 3, 2))
    first = ticks(session, clock, actor, date(2026, 3, 13))
    second = ticks(session, clock, actor, date(2026, 3, 13))
    [charge] = charges(session, "equipment_non_return")
    assert (charge.amount, charge.price_basis) == (Decimal("199.00"), "HT")
    assert "1 overdue handled" in first and "0 overdue handled" in second


def test_sold_phone_still_unpaid_stays_the_operators(session, clock, actor, tec):
    # CP V §4 (L3953-3956): title passes only on full payment; 12-month warranty from receipt.
    sub = tec_line(session, clock, actor, tec, "centrex-user")
    service.register_item(session, clock, actor, tec.id, "ip_phone", "PH-9")
    service.ship(session, clock, actor, "PH-9", sub.id, "sold", date(2025, 2, 3), received_on=date(2025, 2, 5))
    owned = service.ownership(session, "PH-9", date(2025, 6, 1))
    assert owned["owner"] == "operator" and "CP V §4 (L3953-3955)" in owned["why"]
    assert owned["warranty_until"] == "2026-02-04"
    service.record_paid_in_full(session, clock, actor, "PH-9", date(2025, 7, 1))
    assert service.ownership(session, "PH-9", date(2025, 7, 1))["owner"] == "customer"
    assert service.get_item(session, "PH-9").state == "sold"


def test_damaged_return_billed_for_repairs_capped_at_replacement_value(session, clock, actor, ozone):
    # CGV art. 11.1 (L309): repairs billed up to the replacement value of the equipment.
    sub = ozone_line(session, clock, actor, ozone, "fibre-1g", "FBX-0002", "box_fibre")
    contracts.terminate_now(session, clock, actor, sub.id, date(2026, 6, 1), "end")
    explained = service.record_return(session, clock, actor, "FBX-0002", date(2026, 6, 5), "damaged",
                                      repair_cost=Decimal("210.00"))
    assert explained.total == Decimal("150.00")
    assert explained.lines[0].clause == "CGV art. 11.1 (L309)"


def test_appointment_cancelled_under_48_business_hours_is_billed(session, clock, actor, tec):
    # CP III §3 (L2539-2541): cancelling less than 48 business hours ahead bills the installation.
    sub = tec_line(session, clock, actor, tec, "fibre-pro")
    at = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)        # Tuesday
    late = service.book_appointment(session, clock, actor, sub.id, at, Decimal("350.00"))
    early = service.book_appointment(session, clock, actor, sub.id, at, Decimal("350.00"))
    clock.instant = datetime(2026, 11, 27, 10, 0, tzinfo=PARIS)   # Fri: 7.5 + 9 + 1.5 = 18 h ahead
    fee = service.cancel_appointment(session, clock, actor, late.id)
    assert fee.total == Decimal("350.00") and "18.0 business hours" in fee.lines[0].formula
    clock.instant = datetime(2026, 11, 20, 10, 0, tzinfo=PARIS)   # a week before: 63 h ahead
    assert service.cancel_appointment(session, clock, actor, early.id) is None


def test_daily_tick_runs_the_equipment_step_once_per_date(session, clock, actor, ozone):
    # The scheduler runs contracts, then equipment, then numbers; a second run for a date changes nothing.
    from clausier.core.room import step_name
    from clausier.scheduler.service import run_daily_tick, tick_steps

    names = [step_name(step) for step in tick_steps()]
    assert (names.index("clausier.equipment.service:tick")
            > names.index("clausier.contracts.service:tick"))
    sub = ozone_line(session, clock, actor, ozone, "fibre-1g", "FBX-0003", "box_fibre")
    contracts.terminate_now(session, clock, actor, sub.id, date(2026, 6, 1), "end")
    run_daily_tick(session, clock, actor, date(2026, 6, 1))
    first = run_daily_tick(session, clock, actor, date(2026, 6, 17))
    again = run_daily_tick(session, clock, actor, date(2026, 6, 17))
    assert [o.status for o in first] == ["done"] * len(names)
    assert [o.status for o in again] == ["already_done"] * len(names)
    assert [c.amount for c in charges(session, "equipment_non_return")] == [Decimal("120.00")]


def test_the_dashboard_shows_the_fibre_box_due_back_this_week_with_its_penalty(
        session, clock, actor, ozone):
    # CGV art. 11.1 (L307): 15 days after the effective termination; annex 2 (L1232): 120 € TTC.
    from clausier.core.clock import FixedClock
    from clausier.web import dashboard
    from clausier.web.i18n import gettext_for
    from clausier.web.templating import filters_for

    sub = ozone_line(session, clock, actor, ozone, "fibre-1g", "FBX-0002", "box_fibre")
    contracts.give_notice(session, clock, actor, sub.id, date(2027, 3, 1))
    ticks(session, clock, actor, date(2027, 3, 11))       # effective: the return is opened
    view = dashboard.View("fr", gettext_for("fr"), filters_for("fr"))
    # "This week" is the calendar week of the returns page the panel links to: on Sunday 21 March
    # the box due on Friday 26 is next week's; from Monday 22 it is this week's.
    early = dashboard.returns_panel(session, FixedClock.on(date(2027, 3, 21)), view)
    assert early.rows == [] and early.title == "Restitutions d’équipements attendues cette semaine"
    [row] = dashboard.returns_panel(session, FixedClock.on(date(2027, 3, 22)), view).rows
    assert row[0] == "box fibre FBX-0002" and row[1] == "Famille Durand"
    assert row[2] == "26/03/2027"
    assert row[3].replace("\u202f", " ").replace("\xa0", " ") == "120,00 € TTC"
    assert row[4] == "Annexe 2 (L1232)"
