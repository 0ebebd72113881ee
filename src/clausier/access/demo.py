"""Demo access-control sites: two Rozoh packs opened and activated, each with its site
administrator; site A also has a delegate allowed to manage badges (the site portal's logins of
the README), an entrance, a few user records, and a gate controller that synchronised this
morning and uploaded the badges presented at its door (the access simulator, talking to the
device API's use cases in the demo's transaction)."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.access import rules
from clausier.access.devices import service as device_service
from clausier.access.events import service as event_service
from clausier.access.models import Device, Pack
from clausier.access.packs import service as pack_service
from clausier.access.records import service as record_service
from clausier.access.rights import service as rights_service
from clausier.access.simulator import DeviceStore, SimulatedDevice
from clausier.access.sites import service as site_service
from clausier.access.sync import service as sync_service
from clausier.audit.service import Actor
from clausier.contracts import service as contracts
from clausier.core.clock import PARIS, Clock
from clausier.core.errors import NotFound

# The passwords are printed by ``clausier demo load`` and listed in the README.
DEMO_SITES = [
    {"subscription": "ROZ-S000001", "kind": "school",
     "admin": {"email": "site.admin@clausier.local", "name": "Sandrine Gardienne",
               "password": "clausier-site"},
     "delegates": [{"email": "site.delegate@clausier.local", "name": "Denis Délégué",
                    "password": "clausier-delegate", "scopes": ["manage_credentials"]}],
     "access_points": ["Portail principal"], "device": "Contrôleur du portail principal",
     "records": [("Appartement 1 — Martin", "Martin", "001"),
                 ("Appartement 2 — Bernard", "Bernard", "002"),
                 ("Loge du gardien", "Gardien", "010")]},
    {"subscription": "ROZ-S000002", "kind": "company",
     "admin": {"email": "site.admin.b@clausier.local", "name": "Bruno Badge",
               "password": "clausier-site"},
     "delegates": [], "access_points": ["Entrée"], "records": [("Accueil", "Accueil", None)]},
]


def load_demo(session: Session, clock: Clock, actor: Actor) -> str:
    """Open, activate and populate the demo sites that do not exist yet (idempotent)."""
    done = []
    for entry in DEMO_SITES:
        try:
            subscription = contracts.get_subscription(session, entry["subscription"])
        except NotFound:
            continue
        if session.scalar(select(Pack.id).where(Pack.subscription_id == subscription.id)) is None:
            _, site, code = pack_service.open_pack(session, clock, actor, subscription.id,
                                                   kind=entry["kind"])
            pack_service.activate_pack(session, clock, actor, code=code, **entry["admin"])
            for delegate in entry["delegates"]:
                _, secret = site_service.invite_delegate(session, clock, actor, site.id,
                                                         email=delegate["email"],
                                                         scopes=delegate["scopes"])
                site_service.accept_invitation(session, clock, secret=secret, name=delegate["name"],
                                               password=delegate["password"])
            for name in entry["access_points"]:
                rights_service.add_access_point(session, clock, actor, site.id, name)
            for name, display, phone_code in entry["records"]:
                record_service.create_record(session, clock, actor, site.id,
                                             record_service.RecordInput(
                                                 name=name, display_name=display,
                                                 phone_code=phone_code))
            if entry.get("device"):
                _synced_device(session, clock, actor, site.id, entry["device"])
        logins = [entry["admin"]] + entry["delegates"]
        done.append(", ".join(f"{u['email']} / {u['password']}" for u in logins))
    return "site portal " + "; ".join(done) if done else ""


def _synced_device(session: Session, clock: Clock, actor: Actor, site_id: int, name: str) -> None:
    """A controller of the site, registered, synchronised this morning at 7:00 and presented
    two badges its copy does not know (refused offline, as the device decides), events sent."""
    _, token = device_service.register_device(session, clock, actor, site_id, name)
    morning = datetime.combine(clock.today(), time(7), tzinfo=PARIS)
    store = DeviceStore(":memory:")
    store.put(token=token)
    http = httpx.Client(transport=httpx.MockTransport(_device_api(session, clock)),
                        base_url="http://demo")
    device = SimulatedDevice(store, http, clock)
    device.sync()
    points = store.snapshot()["access_points"]
    for minutes, card in ((5, 4567), (20, 4568)):
        device.present("badge", points[0]["id"], f"badge:{rules.wiegand(26, 21, card).key}",
                       at=morning + timedelta(minutes=minutes))
    device.upload()
    store.db.close()


def _device_api(session: Session, clock: Clock):
    """The device API's routes (access/api.py) answered by the same use cases, in the demo's
    session rather than a transaction of their own."""
    def handle(request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        state = sync_service.poll_state(session, token, clock.today())
        path = request.url.path.removeprefix("/api/v1/devices/me/")
        if path == "snapshot":
            answer = sync_service.device_snapshot(session, clock, state)
        elif path == "delta":
            answer = sync_service.device_delta(session, clock, state, int(request.url.params["since"]))
        elif path == "ack":
            answer = sync_service.device_ack(session, clock, state, json.loads(request.content)["version"])
        else:
            body = json.loads(request.content)
            events = [event_service.EventIn(e["seq"], datetime.fromisoformat(e["at"]), e["kind"],
                                      e.get("reason"), e.get("record_id"),
                                      e.get("access_point_id"), e.get("credential"),
                                      e.get("details") or {}) for e in body["events"]]
            answer = event_service.device_events(session, clock, session.get(Device, state.device_id),
                                           body["batch_id"], events)
        sync_service.note_contact(session, clock, state.device_id, answer)
        if answer.refused:
            return httpx.Response(409, json={"reason": answer.refused, "detail": answer.message})
        headers = {"etag": answer.etag} if answer.etag else {}
        if answer.body is not None:
            return httpx.Response(200, content=answer.body, headers=headers)
        return httpx.Response(200, json=answer.payload, headers=headers)
    return handle
