"""The contracts room's use cases apply the readings their rules apply (issue 18 §1): a notice by
the wrong channel, an order outside a service's territory and a line on an M2M number are
refused naming the clause and the reading; a hosting contract shows who manages its machines."""

from __future__ import annotations

from datetime import date

import pytest

from clausier.contracts import service, shapes
from clausier.contracts.service import LineInput
from clausier.core.errors import NotAllowed
from tests import factories


def _technicophone(session, clock, actor, family: str, *, go_live_on: date | None = date(2025, 1, 6),
                   **attributes):
    return factories.one_line(session, clock, actor, "technicophone", family, "20.00",
                              signed_on=date(2025, 1, 6), go_live_on=go_live_on, **attributes)


def test_a_termination_notice_by_e_mail_is_refused(session, clock, actor):
    """Technicophone CGV art. 4.2 L116-118 and CP I §6.3 L1636-1637: « par courrier postal avec
    accusé de réception » (reading T-NOTICE-CHANNEL); the registered letter is recorded."""
    line = _technicophone(session, clock, actor, "vga")
    with pytest.raises(NotAllowed, match=r"registered letter \(CP I §6\.3 \(L1636-1637\), reading T-NOTICE-CHANNEL\)"):
        service.give_notice(session, clock, actor, line.id, date(2026, 3, 2), channel="email")
    quote = service.give_notice(session, clock, actor, line.id, date(2026, 3, 2), channel="registered_letter")
    assert line.notice_received_on == date(2026, 3, 2) and quote.received == date(2026, 3, 2)


def test_axa_assistance_is_not_ordered_for_a_site_in_corsica(session, clock, actor):
    """Ozone CPV VIGILIANS art. 9 L1197: « hors DOM et Corse » (reading OZ-AXA-TERRITORY)."""
    op = factories.operator(session, clock, actor, "ozone")
    factories.offer(session, op, "axa-test", "home_assistance", "5.00")
    customer = factories.customer(session, clock, op, kind="household", sites=(("Ajaccio", ""), ("Caen", "")))
    customer.sites[0].postcode, customer.sites[1].postcode = "20000", "14000"
    with pytest.raises(NotAllowed, match=r"not available in Corse \(CPV VIGILIANS art\. 9 \(L1197\), reading OZ-AXA"):
        factories.subscription(session, clock, actor, customer,
                               [LineInput(customer.sites[0].id, "axa-test", 1, None)],
                               signed_on=date(2026, 2, 2), go_live_on=None)
    [caen] = factories.subscription(session, clock, actor, customer,
                                    [LineInput(customer.sites[1].id, "axa-test", 1, None)],
                                    signed_on=date(2026, 2, 2), go_live_on=None)
    assert caen.family == "home_assistance"


def test_a_mobile_line_does_not_go_live_on_an_m2m_number(session, clock, actor):
    """Technicophone CP IX §22 L7309-7311: M2M uses need specific numbers the service does not
    support (reading T-MOB-M2M-TRUNCATED); an ordinary 07 number goes live."""
    line = _technicophone(session, clock, actor, "mobile", go_live_on=None)
    with pytest.raises(NotAllowed, match=r"M2M number.*CP IX §22 \(L7309-7311\), reading T-MOB-M2M-TRUNCATED"):
        service.activate(session, clock, actor, line.id, date(2026, 3, 2), "07 00 12 34 56 78 90")
    assert line.go_live_on is None
    service.activate(session, clock, actor, line.id, date(2026, 3, 2), "07 12 34 56 78")
    assert line.go_live_on == date(2026, 3, 2)


def test_a_hosting_contract_shows_who_manages_its_machines(session, clock, actor):
    """Technicophone CP XI §2.2 L8226-8230: OPTION 1 by default (reading T-HOST-VARIANTS), OPTION 2
    when the offer of the order says so."""
    default = _technicophone(session, clock, actor, "hosting")
    assert shapes.subscription_dict(default, session=session)["management"] == {
        "mode": "provider_managed", "clause": "CP XI §2.2 (L8226-8230), reading T-HOST-VARIANTS"}
    own = factories.one_line(session, clock, actor, "technicophone", "hosting", "20.00",
                             offer_code="hosting-self", unit="subscription", signed_on=date(2025, 1, 6),
                             go_live_on=date(2025, 1, 6), management="client_managed")
    assert shapes.subscription_dict(own, session=session)["management"]["mode"] == "client_managed"
    assert "management" not in shapes.subscription_dict(_technicophone(session, clock, actor, "vga"), session=session)
