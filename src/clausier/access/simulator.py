"""A simulated site device: it keeps its configuration in a local SQLite file, decides
offline with the platform's own decision function, and uploads its events when back online
(CP A art. 1 L124-140: "en temps réel ou en mode non connecté").

It talks to the device API only (``/api/v1/devices/me/...``) through any ``httpx.Client``
(a real server, or the app in-process for tests).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from clausier.access import rules
from clausier.core.clock import PARIS, Clock

UPLOAD_BATCH = 500

_SCHEMA = """
create table if not exists meta (key text primary key, value text not null);
create table if not exists objects (entity text not null, id integer not null, data text not null,
                                    primary key (entity, id));
create table if not exists events (seq integer primary key, data text not null, sent integer not null default 0);
"""


class DeviceStore:
    """The device's flash memory: its token, the version it holds, the objects, its events."""

    def __init__(self, path: Path | str):
        self.db = sqlite3.connect(str(path))
        self.db.executescript(_SCHEMA)

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("select value from meta where key = ?", (key,)).fetchone()
        return row[0] if row else default

    def put(self, **values: object) -> None:
        with self.db:
            self.db.executemany("insert or replace into meta values (?, ?)",
                                [(k, str(v)) for k, v in values.items()])

    @property
    def version(self) -> int:
        return int(self.get("version", "0"))

    def apply_snapshot(self, payload: dict) -> None:
        with self.db:
            self.db.execute("delete from objects")
            for entity in rules.ENTITIES:
                self.db.executemany("insert into objects values (?, ?, ?)",
                                    [(entity, o["id"], json.dumps(o)) for o in payload[entity]])
            self._site(payload["site"], payload["holidays"])

    def apply_delta(self, payload: dict) -> None:
        with self.db:
            for entity, ids in payload["deletes"].items():
                self.db.executemany("delete from objects where entity = ? and id = ?", [(entity, i) for i in ids])
            for entity, objects in payload["upserts"].items():
                self.db.executemany("insert or replace into objects values (?, ?, ?)",
                                    [(entity, o["id"], json.dumps(o)) for o in objects])
            if "site" in payload:
                self._site(payload["site"], payload["holidays"])
            self.db.execute("insert or replace into meta values ('version', ?)", (str(payload["to"]),))

    def _site(self, site: dict, holidays: list[str]) -> None:
        self.db.executemany("insert or replace into meta values (?, ?)",
                            [("site", json.dumps(site)), ("holidays", json.dumps(holidays)),
                             ("version", str(site["version"]))])

    def snapshot(self) -> dict:
        data: dict = {entity: [] for entity in rules.ENTITIES}
        for entity, blob in self.db.execute("select entity, data from objects order by entity, id"):
            data[entity].append(json.loads(blob))
        site = json.loads(self.get("site", "null") or "null") or {"version": 0, "service_until": None}
        return {**data, "site": {**site, "version": self.version,
                                 "services_suspended": self.get("services", "active") == "suspended"},
                "holidays": json.loads(self.get("holidays", "[]"))}

    def log_event(self, event: dict) -> int:
        with self.db:
            seq = int(self.get("next_seq", "1"))
            self.db.execute("insert into events values (?, ?, 0)", (seq, json.dumps({**event, "seq": seq})))
            self.db.execute("insert or replace into meta values ('next_seq', ?)", (str(seq + 1),))
        return seq

    def unsent(self, limit: int) -> list[dict]:
        return [json.loads(blob) for (blob,) in
                self.db.execute("select data from events where sent = 0 order by seq limit ?", (limit,))]

    def mark_sent(self, seqs: list[int]) -> None:
        with self.db:
            self.db.executemany("update events set sent = 1 where seq = ?", [(s,) for s in seqs])

    def pending_events(self) -> int:
        return self.db.execute("select count(*) from events where sent = 0").fetchone()[0]


@dataclass
class SyncOutcome:
    kind: str                 # snapshot | delta | up_to_date | refused | offline
    version: int
    detail: str = ""


class SimulatedDevice:
    def __init__(self, store: DeviceStore, http: httpx.Client, clock: Clock):
        self.store = store
        self.http = http
        self.clock = clock
        self.online = True            # False: the transmission module has no network
        self._config: rules.SiteConfig | None = None

    def _call(self, method: str, path: str, headers: dict | None = None, **kwargs) -> httpx.Response | None:
        if not self.online:
            return None
        try:
            return self.http.request(method, path, headers={
                "authorization": f"Bearer {self.store.get('token')}", **(headers or {})}, **kwargs)
        except httpx.TransportError:
            return None

    def sync(self) -> SyncOutcome:
        """Pull the changes since the version held (a snapshot the first time), then ack."""
        held = self.store.version
        response = self._call("GET", "/api/v1/devices/me/delta", params={"since": held},
                              headers={"if-none-match": self.store.get("etag", "")}) if held else None
        kind = "delta"
        if response is not None and response.status_code == 200 and response.json().get("snapshot_required"):
            response = None
            held = 0
        if not held:
            response, kind = self._call("GET", "/api/v1/devices/me/snapshot"), "snapshot"
        if response is None:
            return SyncOutcome("offline", self.store.version)
        if response.status_code not in (200, 304):
            body = response.json()
            reason = body.get("reason") or body.get("detail", "")
            # Suspended services: the device keeps its copy but refuses the app's door opening.
            self._set_services("suspended" if reason == rules.SUSPENDED else "active")
            return SyncOutcome("refused", self.store.version, reason)
        self._set_services("active")
        self.store.put(etag=response.headers.get("etag", ""))
        if response.status_code == 304:
            return SyncOutcome("up_to_date", self.store.version)
        payload = response.json()
        if kind == "snapshot":
            self.store.apply_snapshot(payload)
        elif payload["to"] == held:
            kind = "up_to_date"
        else:
            self.store.apply_delta(payload)
        self._config = None
        self._call("POST", "/api/v1/devices/me/ack", json={"version": self.store.version})
        return SyncOutcome(kind, self.store.version)

    def _set_services(self, state: str) -> None:
        if self.store.get("services", "active") != state:
            self.store.put(services=state)
            self._config = None

    @property
    def config(self) -> rules.SiteConfig:
        if self._config is None:
            self._config = rules.SiteConfig.from_snapshot(self.store.snapshot())
        return self._config

    def present(self, via: str, access_point_id: int, key: str | None = None,
                record_id: int | None = None, at: datetime | None = None) -> rules.Decision:
        """Decide locally from the stored configuration and log the event."""
        instant = (at or self.clock.now()).astimezone(PARIS)
        decision = rules.decide(self.config, rules.Presented(via, access_point_id, instant, key, record_id))
        self.store.log_event({
            "at": instant.isoformat(),
            "kind": ("door_opened_app" if via == "app" else "entry_granted") if decision.granted else "entry_denied",
            "reason": decision.reason, "record_id": decision.record_id, "access_point_id": access_point_id,
            "credential": key, "details": {"via": via, "version": self.store.version}})
        return decision

    def upload(self) -> int:
        """Send the unsent events in batches; a batch whose answer is lost is sent again and
        the platform stores it once (sequence numbers)."""
        sent = 0
        while batch := self.store.unsent(UPLOAD_BATCH):
            seqs = [e["seq"] for e in batch]
            response = self._call("POST", "/api/v1/devices/me/events",
                                  json={"batch_id": f"{seqs[0]}-{seqs[-1]}", "events": batch})
            if response is None or response.status_code != 200:
                break
            self.store.mark_sent(seqs)
            sent += response.json()["accepted"]
        return sent
