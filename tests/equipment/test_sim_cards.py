"""SIM cards: swap, loss/theft, inactivity, codes never stored in clear, Rozoh module SIM."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from clausier.audit.models import AuditEntry
from clausier.billing.models import Charge
from clausier.contracts import service as contracts
from clausier.contracts.service import LineInput
from clausier.audit.service import Actor
from clausier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from clausier.equipment import service
from clausier.equipment.models import EquipmentItem, SimCard
from tests import factories
from tests.equipment.test_returns_and_penalties import kind


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("CLAUSIER_SECRET_KEY", "test-secret-for-sim-codes")


def mobile_line(session, clock, actor, code: str, msisdn: str = "0612345678"):
    op = factories.operator(session, clock, actor, code)
    factories.offer(session, op, "mobile-pro", "mobile", "25.00", unit="line", commitment_months=12)
    kind(session, op, "sim", replacement="10.00", sale="10.00")
    cust = factories.customer(session, clock, op)
    sub = factories.subscription(session, clock, actor, cust, [LineInput(factories.site_id(cust), "mobile-pro")],
                                 signed_on=date(2026, 1, 5), go_live_on=date(2026, 1, 5))[0]
    service.register_sim(session, clock, actor, op.id, "8933000000000000001", imsi="208011234567890",
                         msisdn=msisdn)
    service.ship(session, clock, actor, "8933000000000000001", sub.id, "loaned", date(2026, 1, 5))
    return op, sub


def test_sim_swap_keeps_the_number_and_bills_the_new_card_cp_ix_5_1(session, clock, actor):
    # CP IX §3 (L6236-6239) and §5.1 (L6427-6428): a SIM swap links a new SIM to the MSISDN, retires
    # the old one, and the replacement is billed on the next monthly invoice.
    op, sub = mobile_line(session, clock, actor, "technicophone")
    service.register_sim(session, clock, actor, op.id, "8933000000000000002")
    new = service.swap_sim(session, clock, actor, "0612345678", "8933000000000000002", "theft", date(2026, 3, 2))
    old = service.get_sim(session, "8933000000000000001")
    assert (new.msisdn, new.status, new.item.subscription_id) == ("0612345678", "active", sub.id)
    assert (old.status, old.suspension_reason, old.replaced_by_id) == ("retired", "theft", new.id)
    [charge] = session.scalars(select(Charge).where(Charge.source == "sim_swap")).all()
    assert charge.amount == Decimal("10.00")
    assert charge.explanation["lines"][0]["clause"] == "CP IX §5.1 (L6427-6428)"


def test_loss_suspends_and_a_lost_sim_is_not_simply_resumed(session, clock, actor):
    # Ozone CPV mobile art. 5.2-5.3 (L856-860): loss or theft suspends the line; a new SIM follows.
    mobile_line(session, clock, actor, "ozone")
    sim = service.suspend_sim(session, clock, actor, "0612345678", "loss", date(2026, 2, 1))
    assert (sim.status, sim.suspension_reason) == ("suspended", "loss")
    with pytest.raises(NotAllowed):
        service.resume_sim(session, clock, actor, "0612345678", date(2026, 2, 2))


def test_sim_inactive_more_than_6_months_is_suspended_where_the_sheet_allows(session, clock, actor):
    # CP IX §11.1 (L6770-6771): the provider may suspend a SIM inactive for more than six months.
    mobile_line(session, clock, actor, "technicophone")
    service.record_sim_activity(session, "0612345678", date(2026, 2, 10))
    service.tick(session, clock, actor, date(2026, 8, 10))          # exactly 6 months: not more
    assert service.get_sim(session, "0612345678").status == "active"
    service.tick(session, clock, actor, date(2026, 8, 11))
    sim = service.get_sim(session, "0612345678")
    assert (sim.status, sim.suspension_reason) == ("suspended", "inactivity")


def test_ozone_sheet_has_no_inactivity_suspension(session, clock, actor):
    mobile_line(session, clock, actor, "ozone")
    service.record_sim_activity(session, "0612345678", date(2026, 1, 10))
    service.tick(session, clock, actor, date(2027, 1, 10))
    assert service.get_sim(session, "0612345678").status == "active"


def test_puk_is_stored_encrypted_and_shown_only_to_staff_and_its_customer(session, clock, actor):
    # Ozone CPV mobile art. 1 (L762-764): PUK of 8 digits; the Espace Client shows the customer its
    # PUK (spec: Espace Client, O:221-223), so it is sealed, not hashed; the PIN is never kept.
    op, sub = mobile_line(session, clock, actor, "ozone")
    with pytest.raises(InvalidInput, match="puk: must have 8 digits"):
        service.set_sim_puk(session, clock, actor, "8933000000000000001", "123")
    service.set_sim_puk(session, clock, actor, "8933000000000000001", "73194528")
    session.flush()
    sim = session.scalar(select(SimCard))
    assert sim.puk_sealed.startswith("v1:") and "73194528" not in sim.puk_sealed
    assert not hasattr(sim, "pin_digest")
    staff = Actor("support@clausier.local", role="support")
    assert service.show_puk(session, clock, staff, "0612345678") == "73194528"
    own_user = Actor("client@example.fr", role="customer", customer_id=sub.customer_id)
    assert service.show_puk(session, clock, own_user, "8933000000000000001") == "73194528"
    other_customer = factories.customer(session, clock, op, "Autre Client")
    with pytest.raises(NotFound):
        service.show_puk(session, clock, Actor("x@example.fr", role="customer",
                                                customer_id=other_customer.id), "0612345678")
    entries = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "sim.puk_shown")))
    assert [e.actor for e in entries] == ["support@clausier.local", "client@example.fr"]
    assert "73194528" not in " ".join(e.summary + str(e.changes) for e in session.scalars(select(AuditEntry)))


def test_a_sealed_puk_does_not_open_with_another_installation_key(session, clock, actor, monkeypatch):
    mobile_line(session, clock, actor, "ozone")
    service.set_sim_puk(session, clock, actor, "8933000000000000001", "73194528")
    monkeypatch.setenv("CLAUSIER_SECRET_KEY", "another-installation")
    with pytest.raises(Conflict, match="does not open"):
        service.show_puk(session, clock, actor, "8933000000000000001")


def test_rozoh_module_sim_is_flagged_for_return_to_the_manufacturer(session, clock, actor):
    # CP A art. 1 (L34-42): the SIM of the transmission module is lent for the service period and
    # returned to the manufacturer at its end.
    op = factories.operator(session, clock, actor, "rozoh")
    factories.offer(session, op, "pack-a", "intercom_pack", "0", commitment_months=120, kind="pack",
                    one_off_price="1990")
    kind(session, op, "sim")
    cust = factories.customer(session, clock, op, "Syndic Les Tilleuls")
    sub = factories.subscription(session, clock, actor, cust, [LineInput(factories.site_id(cust), "pack-a")],
                                 signed_on=date(2016, 3, 1), go_live_on=date(2016, 3, 10))[0]
    service.register_sim(session, clock, actor, op.id, "8933999900000000001")
    service.ship(session, clock, actor, "8933999900000000001", sub.id, "loaned", date(2016, 3, 2))
    contracts.terminate_now(session, clock, actor, sub.id, date(2026, 3, 10), "end of service")
    service.tick(session, clock, actor, date(2026, 3, 10))
    item = session.scalar(select(EquipmentItem))
    assert (item.return_to, item.owner, item.return_due_on) == ("manufacturer", "manufacturer", date(2026, 3, 10))
    assert item.return_terms["clause"] == "CP A art. 1 (L34-42)"
    assert item.sim.status == "deactivated"
    assert session.scalars(select(Charge)).all() == []


def test_a_suspended_sim_is_not_suspended_again_and_says_so_by_its_code(session, clock, actor):
    mobile_line(session, clock, actor, "ozone")
    service.suspend_sim(session, clock, actor, "0612345678", "loss", date(2026, 2, 1))
    with pytest.raises(NotAllowed) as refused:
        service.suspend_sim(session, clock, actor, "0612345678", "theft", date(2026, 2, 2))
    assert refused.value.code == "sim_not_active"
