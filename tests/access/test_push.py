"""Optional MQTT push of "new version available" (real-time mode, CP A art. 1 L130); polling
always works without it. Runs only where a local broker listens on 127.0.0.1:1883."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from clausier.access import push
from clausier.access.models import AccessSite
from clausier.access.records.service import RecordInput, create_record, delete_record
from clausier.db.session import transaction
from tests.access.conftest import SYSTEM

BROKER = "mqtt://127.0.0.1:1883"


def _broker_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=0.3):
            return True
    except OSError:
        return False


def _retained(topic: str) -> dict | None:
    paho = pytest.importorskip("paho.mqtt.client")
    from paho.mqtt.enums import CallbackAPIVersion
    received: list[bytes] = []
    done = threading.Event()
    client = paho.Client(CallbackAPIVersion.VERSION2)
    client.on_message = lambda _c, _u, message: (received.append(message.payload), done.set())
    client.connect("127.0.0.1", 1883)
    client.subscribe(topic, qos=1)
    client.loop_start()
    done.wait(3)
    client.loop_stop()
    client.disconnect()
    return json.loads(received[0]) if received else None


@pytest.mark.skipif(not _broker_up(), reason="no MQTT broker on 127.0.0.1:1883")
def test_a_committed_change_is_pushed_and_a_rolled_back_one_is_not(portal, clock, monkeypatch):
    pytest.importorskip("paho.mqtt.client")
    monkeypatch.setenv("CLAUSIER_MQTT_URL", BROKER)
    with transaction(portal.app.state.engine) as s:
        record = create_record(s, clock, SYSTEM, portal.site_id, RecordInput(name="Luc Martin"))
        version = s.get(AccessSite, portal.site_id).config_version
    topic = push.topic(portal.site_id)
    assert _retained(topic) == {"version": version}
    with pytest.raises(RuntimeError), transaction(portal.app.state.engine) as s:
        delete_record(s, clock, SYSTEM, portal.site_id, record.id)
        raise RuntimeError("the request fails after the change")
    assert _retained(topic) == {"version": version}


def test_without_a_broker_url_nothing_is_published():
    assert push.publish({1: 2}, "") is False


def test_an_unreachable_broker_does_not_fail_the_change():
    assert push.publish({1: 2}, "mqtt://127.0.0.1:9") is False
