"""Numbers and portability on a real database with the built-in sheets (issue "Equipment, SIM
cards, numbers and portability", Done when)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from clausier.contracts import service as contracts
from clausier.contracts.service import LineInput
from clausier.core.errors import InvalidInput, NotAllowed
from clausier.customers.models import Site
from clausier.numbers import rules, service
from tests import factories


@pytest.fixture
def tec(session, clock, actor):
    op = factories.operator(session, clock, actor, "technicophone")
    factories.offer(session, op, "vga-analogue", "vga", "20.00", unit="analogue_line", access_fee="50")
    return op


@pytest.fixture
def vga(session, clock, actor, tec):
    cust = factories.customer(session, clock, tec, sites=(("Tours", "37"), ("Joué", "37"), ("Paris", "01")))
    return factories.subscription(session, clock, actor, cust, [LineInput(factories.site_id(cust), "vga-analogue", 2)],
                                  signed_on=date(2025, 1, 6), go_live_on=date(2025, 1, 20))[0]


def test_sda_order_of_15_is_refused_and_20_gives_two_blocks(session, clock, actor, vga):
    # CP I §3 (L1250-1253): SDA "par tranche de dix"; CGV art. 7 (L206-212): adding SDA re-commits.
    with pytest.raises(InvalidInput, match="count: SDA are ordered by blocks of 10"):
        service.order_sda(session, clock, actor, vga.id, "0247660100", 15, date(2026, 2, 2))
    rows = service.order_sda(session, clock, actor, vga.id, "0247660100", 20, date(2026, 2, 2))
    assert len(rows) == 20 and {r.numbering_zone for r in rows} == {"37"}
    assert {r.status for r in rows} == {"assigned"} and rows[-1].number == "0247660119"
    assert vga.recommitted_on == date(2026, 2, 2) and vga.recommit_months == 36


def vga_sites(session, vga) -> tuple[int, int]:
    """The customer's other site in zone 37 and its site in zone 01."""
    sites = session.scalars(select(Site).where(Site.customer_id == vga.customer_id).order_by(Site.id)).all()
    return sites[1].id, sites[2].id


def test_site_move_keeps_numbers_in_the_same_zone_and_loses_them_in_another(session, clock, actor, vga):
    # CP I §9.4 (L1790-1792): numbers are kept only if the new site is in the same numbering zone.
    service.add_numbers(session, clock, actor, vga.operator_id, ["0247661000", "0247661001"], "geographic", "37")
    for number in ("0247661000", "0247661001"):
        service.assign(session, clock, actor, number, vga.id, date(2025, 1, 20))
    same_zone, other_zone = vga_sites(session, vga)
    moved = service.move_site(session, clock, actor, vga.id, date(2026, 3, 2), same_zone)
    assert moved["kept"] == ["0247661000", "0247661001"] and moved["lost"] == []
    assert moved["numbers_kept"] is True
    moved = service.move_site(session, clock, actor, vga.id, date(2026, 9, 1), other_zone)
    assert moved["lost"] == ["0247661000", "0247661001"] and moved["numbers_kept"] is False
    row = service.get_number(session, "0247661000")
    assert row.status == "lost" and row.release_reason == "site move to numbering zone 01"


def test_numbers_are_lost_on_termination_unless_ported_out_first(session, clock, actor, vga):
    # CGV art. 8.5 (L269-272): termination loses the numbers, save a port to another operator
    # before the effective date.
    service.add_numbers(session, clock, actor, vga.operator_id, ["0247662000"], "geographic", "37")
    service.assign(session, clock, actor, "0247662000", vga.id, date(2025, 1, 20))
    contracts.terminate_now(session, clock, actor, vga.id, date(2026, 4, 1), "operator termination")
    assert service.tick(session, clock, actor, date(2026, 4, 1)).endswith("1 number(s) lost with their line")
    assert service.tick(session, clock, actor, date(2026, 4, 1)).endswith("0 number(s) lost with their line")
    row = service.get_number(session, "0247662000")
    assert row.status == "lost" and "CGV art. 8.5 (L269-272)" in row.release_reason


@pytest.fixture
def ozone_mobile(session, clock, actor):
    op = factories.operator(session, clock, actor, "ozone")
    factories.offer(session, op, "mobile-24", "mobile", "19.99", unit="line", commitment_months=24)
    cust = factories.customer(session, clock, op, "Mme Lefèvre", kind="household", employees=None)
    return factories.subscription(session, clock, actor, cust, [LineInput(factories.site_id(cust), "mobile-24")],
                                  signed_on=date(2026, 1, 5), go_live_on=date(2026, 1, 5))[0]


def test_port_in_with_a_wrong_rio_key_is_refused_and_recorded(session, clock, actor, ozone_mobile):
    # CPV mobile art. 6.2 (L879-884): an incomplete request or one with wrong information is refused.
    rio = rules.make_rio("01", "P", "QW12ER", "0611223344")
    wrong = rio[:-1] + ("A" if rio[-1] != "A" else "B")
    request = service.port_in(session, clock, actor, ozone_mobile.id, "0611223344", rio=wrong,
                              mandate_signed_on=date(2026, 4, 28), requested_on=date(2026, 4, 29))
    assert request.status == "refused" and request.porting_date is None
    [refusal] = request.refusal_reasons
    assert refusal["reason"] == "incomplete_or_no_rio" and "wrong control key" in refusal["detail"]
    assert "CPV Téléphonie mobile art. 6.2 (L879-884)" in refusal["detail"]


def test_port_in_of_a_number_inactive_at_the_donor_is_refused(session, clock, actor, ozone_mobile):
    # CPV mobile art. 6.2 (L879-884): refused when the number is not active on the porting day.
    rio = rules.make_rio("01", "P", "QW12ER", "0611223344")
    request = service.port_in(session, clock, actor, ozone_mobile.id, "0611223344", rio=rio,
                              mandate_signed_on=date(2026, 4, 28), requested_on=date(2026, 4, 29),
                              number_active_at_donor=False)
    assert request.status == "refused"
    assert [r["reason"] for r in request.refusal_reasons] == ["number_inactive"]


def test_mobile_port_in_is_scheduled_over_the_may_holiday_and_a_second_request_is_pending(
        session, clock, actor, ozone_mobile):
    # CPV mobile art. 6.2 (L886-888): 3–7 business days, 15 min–4 h of interruption.
    rio = rules.make_rio("01", "P", "QW12ER", "0611223344")
    request = service.port_in(session, clock, actor, ozone_mobile.id, "0611223344", rio=rio,
                              mandate_signed_on=date(2026, 4, 28), requested_on=date(2026, 4, 29))
    assert (request.status, request.porting_date) == ("scheduled", date(2026, 5, 5))
    assert service.get_number(session, "0611223344").status == "porting_in"
    again = service.port_in(session, clock, actor, ozone_mobile.id, "0611223344", rio=rio,
                            mandate_signed_on=None, requested_on=date(2026, 4, 30))
    assert {r["reason"] for r in again.refusal_reasons} == {"incomplete_or_no_rio", "porting_already_pending"}
    service.tick(session, clock, actor, date(2026, 5, 5))
    row = service.get_number(session, "0611223344")
    assert (row.status, row.ported_in, request.status) == ("assigned", True, "done")


def test_port_out_is_the_termination_request_with_its_exit_quote(session, clock, actor, ozone_mobile):
    # CPV mobile art. 6.1 (L871): an outbound porting request counts as the termination request;
    # the commitments remain due (L.224-28: Chatel indemnity, reading OZ-CHATEL).
    service.add_numbers(session, clock, actor, ozone_mobile.operator_id, ["0655443322"], "mobile")
    service.assign(session, clock, actor, "0655443322", ozone_mobile.id, date(2026, 1, 5))
    expected = contracts.quote_termination(session, ozone_mobile.id, date(2026, 6, 10))
    request, quote = service.port_out(session, clock, actor, "0655443322", date(2026, 6, 10))
    assert ozone_mobile.status == "notice_given" and ozone_mobile.termination_reason == "port_out"
    # 6 months × 19.99 within the first 12 + 0.25 × 12 months × 19.99 beyond = 119.94 + 59.97
    assert quote["total"] == str(expected.explained.total) == "179.91"
    assert ozone_mobile.termination_effective_on == date(2026, 6, 20)    # CGV art. 11.1: 10 days
    assert request.plan["total"] == "179.91" and request.porting_date == date(2026, 6, 20)
    assert service.get_number(session, "0655443322").status == "porting_out"
    service.tick(session, clock, actor, date(2026, 6, 20))
    service.tick(session, clock, actor, date(2026, 6, 20))
    row = service.get_number(session, "0655443322")
    assert row.status == "ported_out" and ozone_mobile.status == "terminated"


def test_a_number_in_service_is_not_assigned_again_and_says_so_by_its_code(session, clock, actor, vga):
    service.add_numbers(session, clock, actor, vga.operator_id, ["0247661000"], "geographic", "37")
    service.assign(session, clock, actor, "0247661000", vga.id, date(2025, 1, 20))
    with pytest.raises(NotAllowed) as refused:
        service.assign(session, clock, actor, "0247661000", vga.id, date(2025, 1, 21))
    assert refused.value.code == "number_not_available"
