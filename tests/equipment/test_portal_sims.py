"""The customer portal's SIM cards: the customer reads back its SIM's PUK (sealed at rest, every
reading audited) and reports a loss or theft, which suspends the line; never another customer's."""

from __future__ import annotations

from sqlalchemy import select

from clausier.accounts import service as accounts
from clausier.audit.models import AuditEntry
from clausier.db.session import transaction
from clausier.equipment import service as equipment
from clausier.equipment.models import SimCard
from tests import factories
from tests.conftest import csrf_of, log_in
from tests.equipment.test_sim_cards import mobile_line

PASSWORD = "correct horse battery"
ICCID = "8933000000000000001"


def test_the_customer_reads_its_puk_and_suspends_a_lost_line(clean_engine, client, clock, actor,
                                                              monkeypatch):
    # Ozone CPV mobile art. 5.2-5.3 (L856-860): loss or theft reported, the line is suspended.
    monkeypatch.setenv("CLAUSIER_SECRET_KEY", "test-secret-for-sim-codes")
    with transaction(clean_engine) as s:
        op, sub = mobile_line(s, clock, actor, "ozone")
        equipment.set_sim_puk(s, clock, actor, ICCID, "73194528")
        other = factories.customer(s, clock, op, "Voisins", kind="household", employees=None)
        for who, customer_id in (("mine", sub.customer_id), ("theirs", other.id)):
            accounts.create_user(s, clock, actor, email=f"{who}@home.test", name=who,
                                 role="customer", kind="customer", password=PASSWORD,
                                 customer_id=customer_id)

    assert log_in(client, "theirs@home.test", PASSWORD).status_code == 303
    token = csrf_of(client.get("/portal/equipment").text)
    assert ICCID not in client.get("/portal/equipment").text
    assert client.post(f"/portal/equipment/sims/{ICCID}/puk",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/portal/equipment/sims/{ICCID}/lost",
                       data={"csrf_token": token, "reason": "theft"}).status_code == 404
    client.cookies.clear()

    assert log_in(client, "mine@home.test", PASSWORD).status_code == 303
    page = client.get("/portal/equipment")
    assert "Mes cartes SIM" in page.text and ICCID in page.text
    assert "73194528" not in page.text                       # shown only on request
    token = csrf_of(page.text)
    assert client.post(f"/portal/equipment/sims/{ICCID}/puk", data={}).status_code == 403
    shown = client.post(f"/portal/equipment/sims/{ICCID}/puk", data={"csrf_token": token})
    assert shown.status_code == 200 and '<strong class="puk">73194528</strong>' in shown.text
    lost = client.post(f"/portal/equipment/sims/{ICCID}/lost",
                       data={"csrf_token": token, "reason": "loss"})
    assert lost.status_code == 200 and "ligne suspendue (perte)" in lost.text
    with transaction(clean_engine) as s:
        sim = s.scalar(select(SimCard))
        assert (sim.status, sim.suspension_reason) == ("suspended", "loss")
        assert sim.puk_sealed != "73194528"
        actions = list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.action.in_(("sim.puk_shown", "sim.suspend")))))
    assert sorted(actions) == ["sim.puk_shown", "sim.suspend"]
