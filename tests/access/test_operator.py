"""The operator's side of a pack: suspension of the associated services (CP A art. 3
L279-285), the SIM returned to the manufacturer at the end of the service (CP A art. 1 L34-42),
the dashboard's packs nearing their end (ROZ-END-WARNINGS), and ETags of the device API."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clausier.access import rules
from clausier.access import views as access_views
from clausier.access.models import Pack
from clausier.access.packs.service import site_status, suspend_pack
from clausier.access.periods.service import daily_tick
from clausier.access.simulator import DeviceStore, SimulatedDevice
from clausier.accounts import service as accounts
from clausier.audit.models import AuditEntry
from clausier.audit.service import Actor
from clausier.catalog.models import EquipmentKind
from clausier.contracts.models import Subscription
from clausier.core.clock import PARIS, FixedClock
from clausier.core.errors import Forbidden
from clausier.db.session import transaction
from clausier.equipment import service as equipment
from clausier.equipment.models import EquipmentItem
from tests.access.builders import activated_site
from tests.access.conftest import SYSTEM

DUPONT_BADGE = f"badge:{rules.wiegand(26, 123, 4567).key}"
REASON = "panel resold outside France (CP A art. 3)"


def _staff_client(portal, clock) -> TestClient:
    with transaction(portal.app.state.engine) as s:
        user = accounts.create_user(s, clock, SYSTEM, email="ops@rozoh.test", name="Ops", role="admin",
                                    password="Ops-password-1")
        _, token = accounts.issue_token(s, clock, SYSTEM, user.id, "tests")
    return TestClient(portal.app, headers={"authorization": f"Bearer {token}"})


def test_a_suspended_pack_stops_syncing_its_devices_refuse_the_app_and_the_portal_says_why(portal, clock, tmp_path):
    """CP A art. 3 L279-285: for a breach, COGELEC may suspend the associated services. The
    devices are told at their next poll ("suspended"), keep their copy for the badges (the
    hardware is the client's) and refuse the app's door opening with the reason suspended."""
    _, token = portal.device()
    store = DeviceStore(tmp_path / "device.sqlite")
    store.put(token=token)
    device = SimulatedDevice(store, TestClient(portal.app), clock)
    assert device.sync().kind == "snapshot"
    staff = _staff_client(portal, clock)
    with transaction(portal.app.state.engine) as s:
        pack_id = s.scalar(select(Pack.id))

    assert staff.post(f"/api/v1/access/packs/{pack_id}/suspend", json={"reason": " "}).status_code == 422
    suspended = staff.post(f"/api/v1/access/packs/{pack_id}/suspend", json={"reason": REASON})
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"

    outcome = device.sync()
    assert (outcome.kind, outcome.detail) == ("refused", rules.SUSPENDED)
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
    app_open = device.present("app", portal.point_id, record_id=portal.dupont_id, at=monday)
    assert (app_open.granted, app_open.reason) == (False, "suspended")
    assert device.present("badge", portal.point_id, DUPONT_BADGE, at=monday).reason == "granted"
    platform = portal.client(portal.admin_user_id).post(
        f"/api/v1/access/sites/{portal.site_id}/decide",
        json={"via": "app", "access_point_id": portal.point_id, "at": monday.isoformat(), "record_id": portal.dupont_id})
    assert platform.json()["reason"] == "suspended"
    site = portal.client(portal.admin_user_id).get(f"/api/v1/access/sites/{portal.site_id}").json()
    assert site["service"]["synchronised"] is False
    # The clause is the sheet's (suspension_on_breach), not a text of the code.
    assert site["service"]["why"] == f"the associated services are suspended — CP A art. 3 (L279-281): {REASON}"
    with transaction(portal.app.state.engine) as s:
        audited = s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("access.pack.%"))).all()
    assert "access.pack.suspend" in audited

    assert staff.post(f"/api/v1/access/packs/{pack_id}/resume", json={"reason": "regularised"}).json()["status"] == "active"
    assert device.sync().kind in ("up_to_date", "delta")
    assert device.present("app", portal.point_id, record_id=portal.dupont_id, at=monday).reason == "granted"


def test_only_operator_staff_suspend_a_pack(portal, clock):
    """The suspension is COGELEC's (CP A art. 3 L279-281), not the site administrator's."""
    admin = portal.client(portal.admin_user_id)
    # The operator's routes do not exist for a site account (404), and nothing changes.
    assert admin.post("/api/v1/access/packs/1/suspend", json={"reason": REASON}).status_code == 404
    assert admin.get(f"/api/v1/access/sites/{portal.site_id}").json()["service"]["synchronised"] is True
    with transaction(portal.app.state.engine) as s, pytest.raises(Forbidden):
        suspend_pack(s, clock, Actor(name="claire", role="site_admin", user_id=portal.admin_user_id),
                     1, REASON)


def test_suspension_from_the_back_office_page(portal, engine, clock):
    from tests.access.test_pages import _login

    with transaction(engine) as s:
        accounts.create_user(s, clock, SYSTEM, email="ops@rozoh.test", name="Ops", role="admin",
                             password="Ops-password-1")
        pack_id = s.scalar(select(Pack.id))
    client, csrf = _login(portal.app, "ops@rozoh.test", "Ops-password-1")
    page = client.post(f"/access/packs/{pack_id}/suspend", data={"csrf_token": csrf, "reason": REASON})
    assert page.status_code == 200 and "Services suspended" in page.text and REASON in page.text
    assert "Rétablir les services" in page.text


def _sim(session, clock, built) -> EquipmentItem:
    """The transmission module's SIM, shipped with the pack (loaned)."""
    operator_id = session.get(Subscription, built.subscription_id).operator_id
    session.add(EquipmentKind(operator_id=operator_id, code="sim", name="SIM", price_basis="HT"))
    session.flush()
    equipment.register_sim(session, clock, SYSTEM, operator_id, "8933999900000000042")
    equipment.ship(session, clock, SYSTEM, "8933999900000000042", built.subscription_id, "loaned", date(2025, 1, 20))
    return session.scalar(select(EquipmentItem).where(EquipmentItem.customer_id == built.pack.customer_id))


def test_at_the_end_of_the_service_the_sim_is_flagged_for_return_to_the_manufacturer(session, clock):
    """CP A art. 1 L34-42: the SIM of the transmission module is lent for the contractual
    duration, stays the manufacturer's, and is returned at its expiry. Activated on 2025-02-03,
    the 120 months (art. 2 L224-227) end on 2035-02-02."""
    built = activated_site(session, clock, SYSTEM, activated_on=date(2025, 2, 3))
    sim = _sim(session, clock, built)
    assert built.pack.service_end == date(2035, 2, 2)
    daily_tick(session, clock, SYSTEM, date(2035, 2, 2))
    assert sim.return_to is None
    summary = daily_tick(session, clock, SYSTEM, date(2035, 2, 3))
    assert "sim_returns=1" in summary
    assert (sim.return_to, sim.owner, sim.return_reason, sim.return_due_on) == (
        "manufacturer", "manufacturer", "end_of_service", date(2035, 2, 3))
    assert "sim_returns=0" in daily_tick(session, clock, SYSTEM, date(2035, 2, 4))   # once
    status = site_status(session, built.site, date(2035, 2, 3))
    assert [s["serial"] for s in status.sim_return] == ["8933999900000000042"]
    assert status.sim_return[0]["clause"] == "CP A art. 1 (L34-42)"
    notice = next(n for n in status.notices if n.kind == "sim_return")
    assert "8933999900000000042" in notice.message and notice.clause == "CP A art. 1 (L34-42)"
    actions = session.scalars(select(AuditEntry.action)).all()
    assert "equipment.return_due" in actions and "access.notice.sim_return" in actions


def test_the_lent_transmission_module_and_its_sim_are_returns_due_at_the_end_of_service(session, clock):
    """CP B art. 1 L340-348 (access pack), as CP A art. 1 L34-42: "un module de transmission
    complet, contenant une carte SIM mise à disposition pendant la durée contractuelle du PACK
    PREPAYE … restituer la carte SIM à l'expiration de la durée contractuelle". Activated on
    2025-03-01, the 120 months (art. 2 L224-227) end on 2035-02-28: both items are due back on
    2035-03-01, the day after, and appear in the equipment room's returns due."""
    built = activated_site(session, clock, SYSTEM, activated_on=date(2025, 3, 1))
    sim = _sim(session, clock, built)
    operator_id = sim.operator_id
    session.add(EquipmentKind(operator_id=operator_id, code="transmission_module",
                              name="Transmission module", price_basis="HT"))
    session.flush()
    module = equipment.register_item(session, clock, SYSTEM, operator_id, "transmission_module", "TM-0001")
    equipment.ship(session, clock, SYSTEM, "TM-0001", built.subscription_id, "loaned", date(2025, 1, 20))
    assert built.pack.service_end == date(2035, 2, 28)
    daily_tick(session, clock, SYSTEM, date(2035, 2, 28))
    assert equipment.returns_due(session, date(2035, 1, 1), date(2035, 12, 31)) == []
    daily_tick(session, clock, SYSTEM, date(2035, 3, 1))
    due = equipment.returns_due(session, date(2035, 1, 1), date(2035, 12, 31))
    assert sorted((row.item.serial, row.item.return_due_on, row.item.return_to) for row in due) == [
        ("8933999900000000042", date(2035, 3, 1), "manufacturer"),
        ("TM-0001", date(2035, 3, 1), "manufacturer")]
    assert module.return_reason == "end_of_service"


def test_the_pack_page_shows_the_sim_to_return(portal, engine, clock):
    from tests.access.test_pages import _login

    with transaction(engine) as s:
        accounts.create_user(s, clock, SYSTEM, email="ops@rozoh.test", name="Ops", role="admin",
                             password="Ops-password-1")
        pack = s.scalar(select(Pack))
        daily_tick(s, clock, SYSTEM, pack.service_end + timedelta(days=1))
    client, _ = _login(portal.app, "ops@rozoh.test", "Ops-password-1")
    page = client.get(f"/access/packs/{pack.id}", params={"lang": "en"})
    assert "must be returned to the manufacturer, which owns the SIM card" in page.text


def test_dashboard_cards_count_the_packs_nearing_their_end(session, clock):
    """ROZ-END-WARNINGS: the administrator is warned 6 months and 1 month before the end; the
    operator's dashboard counts the packs within each horizon. Service ends on 2035-02-02."""
    activated_site(session, clock, SYSTEM, activated_on=date(2025, 2, 3))

    def cards(day: date) -> dict[str, str]:
        return {c.title: c.figure
                for c in access_views.dashboard_cards(session, lambda t: t, FixedClock.on(day))}

    assert cards(date(2034, 8, 1)) == {"Packs ending within 6 months": "0", "Packs ending within 1 month": "0"}
    assert cards(date(2034, 8, 3)) == {"Packs ending within 6 months": "1", "Packs ending within 1 month": "0"}
    assert cards(date(2035, 1, 10)) == {"Packs ending within 6 months": "1", "Packs ending within 1 month": "1"}
    assert cards(date(2035, 2, 3)) == {"Packs ending within 6 months": "0", "Packs ending within 1 month": "0"}


def test_an_unchanged_version_answers_304(portal):
    """Devices poll often (CP A art. 1 L167-172, unlimited syncs): an unchanged snapshot or delta
    named by its ETag is not sent again."""
    _, token = portal.device()
    device = TestClient(portal.app, headers={"authorization": f"Bearer {token}"})
    snapshot = device.get("/api/v1/devices/me/snapshot")
    etag = snapshot.headers["etag"]
    assert device.get("/api/v1/devices/me/snapshot", headers={"if-none-match": etag}).status_code == 304
    version = snapshot.json()["site"]["version"]
    delta = device.get("/api/v1/devices/me/delta", params={"since": version})
    assert delta.json() == {"from": version, "to": version, "upserts": {}, "deletes": {}}
    assert device.get("/api/v1/devices/me/delta", params={"since": version},
                      headers={"if-none-match": delta.headers["etag"]}).status_code == 304
    changed = device.get("/api/v1/devices/me/delta", params={"since": version - 1})
    assert changed.status_code == 200 and changed.headers["etag"] == delta.headers["etag"]
