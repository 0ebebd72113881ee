"""Devices: token, snapshot and deltas, acks, idempotent event batches, offline decisions, end
of service (Rozoh seed CP A art. 1 L124-180, art. 2)."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from clausier.access import rules
from clausier.access.credentials.service import CredentialInput, add_credential
from clausier.access.events.service import EventIn, device_events
from clausier.access.models import AccessSite, Device, DeviceEvent, Pack
from clausier.access.periods.service import daily_tick
from clausier.access.records.service import RecordInput, create_record
from clausier.access.simulator import DeviceStore, SimulatedDevice
from clausier.access.sync.service import SNAPSHOTS, SeenBuffer, snapshot_bytes, snapshot_key
from clausier.core.clock import PARIS
from clausier.db.session import transaction, write_transaction
from tests.access.conftest import SYSTEM

DUPONT_BADGE = f"badge:{rules.wiegand(26, 123, 4567).key}"


def test_device_offline_for_a_day_decides_locally_and_uploads_its_events_once(portal, clock, tmp_path):
    """CP A art. 1 L124-140: access is managed "en temps réel ou en mode non connecté"; the
    device keeps deciding from its copy and its events reach the platform once back online."""
    device_id, token = portal.device()
    store = DeviceStore(tmp_path / "device.sqlite")
    store.put(token=token)
    device = SimulatedDevice(store, TestClient(portal.app), clock)
    first = device.sync()
    assert first.kind == "snapshot"

    device.online = False
    with transaction(portal.app.state.engine) as s:
        martin = create_record(s, clock, SYSTEM, portal.site_id, RecordInput(name="Luc Martin",
                                                                                          groups=["staff"]))
        add_credential(s, clock, SYSTEM, portal.site_id, martin.id,
                       CredentialInput("badge", "wiegand26", facility=123, card=9999))
    martin_badge = f"badge:{rules.wiegand(26, 123, 9999).key}"
    tuesday = datetime(2026, 11, 24, 9, 0, tzinfo=PARIS)
    decisions = [device.present("badge", portal.point_id, DUPONT_BADGE, at=tuesday),
                 device.present("badge", portal.point_id, martin_badge, at=tuesday + timedelta(minutes=5)),
                 device.present("badge", portal.point_id, DUPONT_BADGE, at=tuesday + timedelta(hours=13))]
    clock.advance(timedelta(days=1))
    decisions.append(device.present("badge", portal.point_id, DUPONT_BADGE, at=tuesday + timedelta(days=1)))
    assert [d.reason for d in decisions] == ["granted", "unknown_credential", "outside_time_slot", "granted"]
    assert device.sync().kind == "offline"
    assert device.upload() == 0 and store.pending_events() == 4

    device.online = True
    assert device.upload() == 4
    assert device.upload() == 0
    # The same batch sent again (its answer lost) is stored once.
    resent = TestClient(portal.app).post("/api/v1/devices/me/events", headers={"authorization": f"Bearer {token}"},
                                         json={"batch_id": "1-4", "events": [
                                             {"seq": 1, "at": tuesday.isoformat(), "kind": "entry_granted",
                                              "reason": "granted"}]})
    assert resent.json() == {"batch_id": "1-4", "accepted": 0, "duplicates": 1, "last_sequence": 4}
    with transaction(portal.app.state.engine) as s:
        stored = s.scalars(select(DeviceEvent).where(DeviceEvent.device_id == device_id)
                           .order_by(DeviceEvent.sequence)).all()
        assert [(e.sequence, e.kind, e.reason) for e in stored] == [
            (1, "entry_granted", "granted"), (2, "entry_denied", "unknown_credential"),
            (3, "entry_denied", "outside_time_slot"), (4, "entry_granted", "granted")]

    back = device.sync()
    assert back.kind == "delta" and back.version == first.version + 2
    assert device.present("badge", portal.point_id, martin_badge, at=tuesday + timedelta(days=1)).granted


def test_denied_event_listed_with_its_reason_code_and_exported(portal, clock):
    """The event log shows denials with their stable reason code, filtered, and as CSV."""
    _, token = portal.device()
    device = TestClient(portal.app, headers={"authorization": f"Bearer {token}"})
    batch = {"batch_id": "b1", "events": [
        {"seq": 1, "at": "2026-11-24T08:01:00+01:00", "kind": "entry_granted", "reason": "granted",
         "record_id": portal.dupont_id, "access_point_id": portal.point_id},
        {"seq": 2, "at": "2026-11-24T22:15:00+01:00", "kind": "entry_denied", "reason": "outside_time_slot",
         "record_id": portal.dupont_id, "access_point_id": portal.point_id, "credential": DUPONT_BADGE}]}
    assert device.post("/api/v1/devices/me/events", json=batch).json()["accepted"] == 2
    admin = portal.client(portal.admin_user_id)
    denied = admin.get(f"/api/v1/access/sites/{portal.site_id}/events", params={"kind": "entry_denied"}).json()
    assert [(e["sequence"], e["reason"], e["credential"]) for e in denied] == [(2, "outside_time_slot", DUPONT_BADGE)]
    csv_text = admin.get(f"/api/v1/access/sites/{portal.site_id}/events.csv", params={"reason": "outside_time_slot"}).text
    assert csv_text.splitlines()[0] == "at,device_id,sequence,kind,reason,record_id,access_point_id,credential"
    assert csv_text.splitlines()[1].startswith("2026-11-24T22:15:00+01:00,")
    assert len(csv_text.splitlines()) == 2
    bad = device.post("/api/v1/devices/me/events", json={"batch_id": "b2", "events": [
        {"seq": 3, "at": "2026-11-24T09:00:00+01:00", "kind": "entry_denied", "reason": "because"}]})
    assert bad.status_code == 422 and "events.0.reason" in bad.json()["detail"]


def test_delta_ack_and_pending_changes_on_the_portal(portal, clock):
    device_id, token = portal.device()
    device = TestClient(portal.app, headers={"authorization": f"Bearer {token}"})
    snapshot = device.get("/api/v1/devices/me/snapshot").json()
    version = snapshot["site"]["version"]
    assert [r["display_name"] for r in snapshot["records"]] == ["DUPONT"]
    assert "2026-05-25" in snapshot["holidays"]
    device.post("/api/v1/devices/me/ack", json={"version": version})
    admin = portal.client(portal.admin_user_id)
    admin.put(f"/api/v1/access/sites/{portal.site_id}/records/{portal.dupont_id}",
              json={"name": "Jean Dupont", "display_name": "DUPONT J.", "groups": ["staff"]})
    [state] = admin.get(f"/api/v1/access/sites/{portal.site_id}/devices").json()
    assert (state["version_applied"], state["pending_changes"]) == (version, 1)
    changes = device.get("/api/v1/devices/me/delta", params={"since": version}).json()
    assert changes["to"] == version + 1
    assert [r["display_name"] for r in changes["upserts"]["records"]] == ["DUPONT J."]
    assert device.get("/api/v1/devices/me/delta", params={"since": version + 5}).json()["snapshot_required"]
    assert device.post("/api/v1/devices/me/ack", json={"version": version + 9}).status_code == 409
    [state] = admin.get(f"/api/v1/access/sites/{portal.site_id}/devices").json()
    assert state["failed_syncs"][0]["reason"] == "unknown_version"


def test_rotated_token_replaces_the_old_one(portal):
    _, token = portal.device()
    old = TestClient(portal.app, headers={"authorization": f"Bearer {token}"})
    new_token = old.post("/api/v1/devices/me/rotate").json()["token"]
    assert old.get("/api/v1/devices/me/snapshot").status_code == 401
    assert TestClient(portal.app, headers={"authorization": f"Bearer {new_token}"}).get(
        "/api/v1/devices/me/snapshot").status_code == 200


def test_after_the_service_end_sync_stops_and_the_portal_says_why(portal, clock):
    """CP A art. 2 L224-227: the associated services last 120 months; after that, changes are
    no longer synchronised — the device is told why and the portal shows it."""
    _, token = portal.device()
    with transaction(portal.app.state.engine) as s:
        end = s.scalar(select(Pack.service_end))
        assert end == date(2036, 1, 4)          # activated 2026-01-05, + 120 months - 1 day
        daily_tick(s, clock, SYSTEM, end + timedelta(days=1))
    clock.instant = datetime(2036, 1, 6, 9, 0, tzinfo=PARIS)
    refused = TestClient(portal.app, headers={"authorization": f"Bearer {token}"}).get("/api/v1/devices/me/delta",
                                                                                       params={"since": 1})
    assert refused.status_code == 409 and refused.json()["reason"] == "service_ended"
    site = portal.client(portal.admin_user_id).get(f"/api/v1/access/sites/{portal.site_id}").json()
    assert site["service"]["synchronised"] is False
    assert site["service"]["why"] == ("the service period ended on 2036-01-04 — 120 months, CP A art. 2 "
                                      "(L224-225): changes are no longer synchronised")
    # CP A art. 1 L34-42: the SIM goes back to the manufacturer at the end, and the notice says so.
    assert sorted(n["kind"] for n in site["notices"]) == ["service_ended", "sim_return"]


def test_last_seen_stamps_are_written_in_batches():
    """A poll stays a read: stamps are gathered and written every few seconds (first at once)."""
    buffer = SeenBuffer()
    t0 = datetime(2026, 11, 24, 9, 0, tzinfo=PARIS)
    assert buffer.add(1, t0) == {1: t0}
    assert buffer.add(2, t0 + timedelta(seconds=1)) == {}
    assert buffer.add(3, t0 + timedelta(seconds=2)) == {}
    later = t0 + timedelta(seconds=5)
    assert buffer.add(2, later) == {2: later, 3: t0 + timedelta(seconds=2)}


def test_one_batch_replayed_by_two_requests_at_once_is_stored_once(portal):
    """CP A art. 1 L124-140 (events uploaded once back online): a device that re-sends a batch
    while the first upload is still being written gets "duplicates", not a server error
    (PostgreSQL raised a unique violation on the second insert)."""
    device_id, _ = portal.device()
    engine, clock = portal.app.state.engine, portal.app.state.clock
    tuesday = datetime(2026, 11, 24, 9, 0, tzinfo=PARIS)
    batch = [EventIn(seq, tuesday + timedelta(minutes=seq), "entry_granted", "granted")
             for seq in (1, 2, 3)]
    first_written = threading.Event()
    answers: dict[str, dict] = {}

    def upload(name: str) -> None:
        if name == "replay":
            first_written.wait(5)
        with write_transaction(engine) as s:
            answer = device_events(s, clock, s.get(Device, device_id), "1-3", batch)
            answers[name] = answer.payload
            if name == "first":
                first_written.set()
                # Holds its transaction open while the replay reads and inserts the same rows.
                time.sleep(0.5)

    threads = [threading.Thread(target=upload, args=(name,)) for name in ("first", "replay")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == {
        "first": {"batch_id": "1-3", "accepted": 3, "duplicates": 0, "last_sequence": 3},
        "replay": {"batch_id": "1-3", "accepted": 0, "duplicates": 3, "last_sequence": 3}}
    with transaction(engine) as s:
        assert s.scalars(select(DeviceEvent.sequence).where(DeviceEvent.device_id == device_id)
                         .order_by(DeviceEvent.sequence)).all() == [1, 2, 3]


def test_an_event_dated_in_year_9999_is_refused_naming_it(portal):
    """A device clock gone wild: the batch is refused whole (422 naming the event's ``at``)
    instead of failing in the column type, and nothing of it is stored."""
    device_id, token = portal.device()
    answer = TestClient(portal.app, raise_server_exceptions=False).post(
        "/api/v1/devices/me/events", headers={"authorization": f"Bearer {token}"},
        json={"batch_id": "9999", "events": [
            {"seq": 1, "at": "2026-11-24T09:00:00+01:00", "kind": "entry_granted"},
            {"seq": 2, "at": "9999-12-31T23:30:00-05:00", "kind": "entry_granted"}]})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "events.1.at", "reason": "must be between 1970-01-01 and 2099-12-31"}]
    with transaction(portal.app.state.engine) as s:
        assert s.scalars(select(DeviceEvent).where(DeviceEvent.device_id == device_id)).all() == []


def test_an_event_whose_details_hold_a_lone_surrogate_is_refused(portal):
    """``details`` is free JSON: half a UTF-16 pair was stored, then every listing of the
    site's events failed to encode it. It is refused at the edge, naming the field."""
    _, token = portal.device()
    body = ('{"batch_id": "s1", "events": [{"seq": 1, "at": "2026-11-24T09:00:00+01:00", '
            '"kind": "entry_granted", "details": {"note": "half a pair: \\ud800"}}]}')
    answer = TestClient(portal.app, raise_server_exceptions=False).post(
        "/api/v1/devices/me/events", content=body, headers={
            "authorization": f"Bearer {token}", "content-type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{
        "field": "events.0.details",
        "reason": "contains an invalid character (a lone UTF-16 surrogate)"}]


def test_a_changed_configuration_is_encoded_once_for_every_worker_before_a_device_asks(portal, clock,
                                                                                      tmp_path):
    """CP A art. 1 L124-140 (devices kept in sync with the platform): the server's snapshot
    builder encodes a site's new version when it changes, in the folder every web worker reads,
    so that a device's first fetch of that version is a file read; an unchanged site costs
    nothing."""
    import json

    from clausier.scheduler.ticker import SnapshotBuilder

    engine = portal.app.state.engine
    builder = SnapshotBuilder(engine, clock, tmp_path / "snapshots")
    assert builder.run_once() == 1
    assert builder.run_once() == 0
    with transaction(engine) as s:
        martin = create_record(s, clock, SYSTEM, portal.site_id,
                               RecordInput(name="Luc Martin", groups=["staff"]))
        martin_id = martin.id
        version = s.get(AccessSite, portal.site_id).config_version
    SNAPSHOTS.clear()
    assert builder.run_once() == 1
    [kept] = (tmp_path / "snapshots").glob(f"site-{portal.site_id}-*.json")
    snapshot = json.loads(kept.read_bytes())
    assert snapshot["site"]["version"] == version
    assert martin_id in {r["id"] for r in snapshot["records"]}
    with transaction(engine) as s:
        site = s.get(AccessSite, portal.site_id)
        key = snapshot_key(site.id, site.snapshot_salt, site.config_version, clock.today())
        SNAPSHOTS.clear()
        assert SNAPSHOTS.has(key, tmp_path / "snapshots")
        assert snapshot_bytes(s, site, clock.today(), tmp_path / "snapshots") == kept.read_bytes()


def test_a_change_is_encoded_before_any_poll_and_an_unchanged_poll_is_one_statement(
        portal, clock, tmp_path):
    """CP A art. 1 L124-140 (devices kept in sync with the platform): the web worker that
    commits a change encodes the site's new version at once, before any device asks for it;
    a device's poll of the version it holds then answers 304 after one SQL statement (its
    site's state), its token known by this worker."""
    import dataclasses
    import json

    from sqlalchemy import event

    from clausier.access.sync import builds

    engine, app_settings = portal.app.state.engine, portal.app.state.settings
    settings = dataclasses.replace(app_settings, data_dir=tmp_path)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    portal.app.state.settings = settings       # the app is shared by the tests: put back below
    try:
        running = builds.start(engine, clock, settings)
        try:
            martin = portal.client(portal.admin_user_id).post(
                f"/api/v1/access/sites/{portal.site_id}/records",
                json={"name": "Luc Martin", "groups": ["staff"]}).json()
            running.wait()
        finally:
            running.stop()
        with transaction(engine) as s:
            version = s.get(AccessSite, portal.site_id).config_version
        [kept] = (tmp_path / "access" / "snapshots").glob(f"site-{portal.site_id}-*.json")
        built = json.loads(kept.read_bytes())
        assert built["site"]["version"] == version
        assert martin["id"] in {r["id"] for r in built["records"]}

        _, token = portal.device()
        device = TestClient(portal.app, headers={"authorization": f"Bearer {token}"})
        SNAPSHOTS.clear()          # as another worker: the file is served, nothing is built
        event.listen(engine, "before_cursor_execute", count)
        try:
            fetched = device.get("/api/v1/devices/me/snapshot")
            built_on_fetch = [s for s in statements if "access_records" in s]
            held = device.get("/api/v1/devices/me/delta", params={"since": version})
            statements.clear()
            unchanged = device.get("/api/v1/devices/me/delta", params={"since": version},
                                   headers={"if-none-match": held.headers["etag"]})
            polled = list(statements)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    finally:
        portal.app.state.settings = app_settings
    assert fetched.content == kept.read_bytes() and built_on_fetch == []
    assert held.json() == {"from": version, "to": version, "upserts": {}, "deletes": {}}
    assert unchanged.status_code == 304
    assert len(polled) <= 1


def test_two_builders_racing_on_one_change_encode_the_version_once(portal, clock, tmp_path):
    """CP A art. 1 L124-140 (devices kept in sync with the platform): the web worker that made a
    change and ``clausier serve``'s builder both see the site's new version unbuilt; one of them
    encodes it, the other waits and reads what it kept (each builder in its own thread and
    transaction on the real database, started while a third build of the site holds the
    folder)."""
    import json

    from clausier.access.sync.service import prebuild_snapshot
    from clausier.scheduler.ticker import SnapshotBuilder

    engine, folder = portal.app.state.engine, tmp_path / "snapshots"
    with transaction(engine) as s:
        create_record(s, clock, SYSTEM, portal.site_id,
                      RecordInput(name="Luc Martin", groups=["staff"]))
        version = s.get(AccessSite, portal.site_id).config_version
    SNAPSHOTS.clear()
    built: dict[str, int] = {}
    ready = threading.Barrier(3)

    def web_worker() -> None:
        ready.wait()
        with transaction(engine) as s:
            built["web worker"] = int(prebuild_snapshot(s, portal.site_id, clock.today(), folder))

    def server() -> None:
        ready.wait()
        built["server"] = SnapshotBuilder(engine, clock, folder).run_once()

    builders = [threading.Thread(target=web_worker), threading.Thread(target=server)]
    with SNAPSHOTS.building(folder, portal.site_id):
        for builder in builders:
            builder.start()
        ready.wait()
        time.sleep(0.5)             # both have found the version unbuilt and wait for the folder
    for builder in builders:
        builder.join(30)
    assert sorted(built.values()) == [0, 1], built
    [kept] = folder.glob(f"site-{portal.site_id}-*.json")
    assert json.loads(kept.read_bytes())["site"]["version"] == version


def test_a_version_built_late_does_not_replace_the_next_one_kept(portal, clock, tmp_path):
    """CP A art. 1 L124-140 (devices kept in sync with the platform): a build of the site read
    before a later change ends after the later version was kept; the folder keeps the later
    one, which the devices are to fetch."""
    import json

    from clausier.scheduler.ticker import SnapshotBuilder

    engine, folder = portal.app.state.engine, tmp_path / "snapshots"
    with transaction(engine) as early:
        site = early.get(AccessSite, portal.site_id)
        early_version = site.config_version
        with transaction(engine) as s:
            create_record(s, clock, SYSTEM, portal.site_id,
                          RecordInput(name="Luc Martin", groups=["staff"]))
            later_version = s.get(AccessSite, portal.site_id).config_version
        SNAPSHOTS.clear()
        assert SnapshotBuilder(engine, clock, folder).run_once() == 1
        SNAPSHOTS.clear()
        late = json.loads(snapshot_bytes(early, site, clock.today(), folder))
    assert late["site"]["version"] == early_version < later_version
    [kept] = folder.glob(f"site-{portal.site_id}-*.json")
    assert json.loads(kept.read_bytes())["site"]["version"] == later_version
