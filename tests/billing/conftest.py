"""Billing fixtures: operators with their built-in sheets and demo offers, customers."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def tec(session, clock, actor):
    op = factories.operator(session, clock, actor, "technicophone")
    op.legal_name, op.vat_number = "TECHNICOPHONE SAS", "FR12379341803"
    op.address = "12 rue des Halles, 37000 Tours"
    factories.offer(session, op, "vga-analogue", "vga", "20.00", unit="analogue_line", access_fee="50")
    factories.offer(session, op, "presel", "preselection", "10.00")
    factories.offer(session, op, "vga-management", "vga", "30.00", common=True)
    factories.offer(session, op, "sip-10", "sip_trunk", "450.00", unit="trunk", access_fee="300.00")
    factories.offer(session, op, "mobile-pro", "mobile", "25.00", unit="line")
    return op


@pytest.fixture
def ozone(session, clock, actor):
    op = factories.operator(session, clock, actor, "ozone")
    op.address = "53, avenue de la Pierre Vallée – ZA de l'Estuaire – 50220 POILLEY"
    factories.offer(session, op, "pack-fibre", "pack", "39.99")
    factories.offer(session, op, "option-mobile", "mobile", "9.99")
    return op


@pytest.fixture
def business(session, clock, tec):
    """A company with its head office (central site) and a branch."""
    customer = factories.customer(session, clock, tec, "Menuiserie Lebrun", employees=25,
                                  sites=(("Siège Tours", "37"), ("Atelier Blois", "41")))
    customer.siren, customer.vat_number = "552100554", "FR40552100554"
    customer.billing_address = "8 quai Paul Bert, 37100 Tours"
    return customer
