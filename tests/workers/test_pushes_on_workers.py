"""Device pushes from the workers (issue 23): with a broker, a committed change of an access
site is pushed to its devices over MQTT (Mosquitto on 127.0.0.1:1883; real-time mode, CP A
art. 1 L130) by a ``clausier worker`` process, and a push delivered late publishes the site's
current version, never an older one."""

from __future__ import annotations

import json
import socket
import threading
from datetime import date

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from clausier.access import push
from clausier.access.models import AccessSite
from clausier.access.records.service import RecordInput, create_record
from clausier.db.session import transaction
from tests.access.builders import activated_site
from tests.workers.conftest import wait_until


def _mosquitto_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=0.3):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _mosquitto_up(), reason="no MQTT broker on 127.0.0.1:1883")


class Subscriber:
    """A device's view of the site's topic: the retained versions it receives."""

    def __init__(self, topic: str):
        self.versions: list[int] = []
        self.client = paho.Client(CallbackAPIVersion.VERSION2)
        self.client.on_message = lambda _c, _u, message: self.versions.append(
            json.loads(message.payload)["version"]) if message.payload else None
        self.client.connect("127.0.0.1", 1883)
        self.client.loop_start()
        # Forget what an earlier run left retained (an empty retained message clears it).
        self.client.publish(topic, b"", qos=1, retain=True).wait_for_publish(2)
        self.client.subscribe(topic, qos=1)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_a_committed_change_is_pushed_by_the_worker_with_the_current_version(
        shared_worker, tasks, clean_engine, clock, actor, monkeypatch):
    # This process would publish to nowhere: only the worker (told 127.0.0.1:1883) can push.
    monkeypatch.setenv("CLAUSIER_MQTT_URL", "mqtt://127.0.0.1:9")
    with transaction(clean_engine) as s:
        built = activated_site(s, clock, actor, activated_on=date(2026, 1, 5))
        site_id = built.site.id
    device = Subscriber(push.topic(site_id))
    try:
        with transaction(clean_engine) as s:
            create_record(s, clock, actor, site_id, RecordInput(name="Luc Martin"))
            first = s.get(AccessSite, site_id).config_version
        wait_until(lambda: first in device.versions, shared_worker.log_text())
        with transaction(clean_engine) as s:
            create_record(s, clock, actor, site_id, RecordInput(name="Léa Petit"))
            latest = s.get(AccessSite, site_id).config_version
        wait_until(lambda: latest in device.versions, shared_worker.log_text())
        # A push of the site delivered late (or again) publishes what the site is now.
        pushed = len(device.versions)
        tasks.push_site_versions.send([site_id])
        wait_until(lambda: len(device.versions) > pushed, shared_worker.log_text())
    finally:
        device.close()
    assert first < latest == device.versions[-1]
    # Each push publishes the version of the site when it runs: never an older after a newer.
    assert device.versions == sorted(device.versions)
