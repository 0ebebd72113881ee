"""Optional MQTT push of "new version available" (real-time mode, CP A art. 1 L130); polling
always works without it. Runs only where a local broker listens on 127.0.0.1:1883."""

from __future__ import annotations

import json
import socket
import threading
from datetime import date

import pytest
from sqlalchemy import update

from clausier.access import push
from clausier.access.models import AccessSite
from clausier.access.records.service import RecordInput, create_record, delete_record
from clausier.db.session import transaction, write_transaction
from tests.access.builders import activated_site
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


def test_a_change_of_a_site_commits_after_a_push_that_read_its_version_has_published(
        clean_engine, clock, monkeypatch):
    """Two pushes of a site on two workers never publish an older version over a newer: a push
    publishes while the site's row is locked (the database's write lock on SQLite), so a change
    made meanwhile commits after it, and the next push publishes the change's version. (Without
    the lock, a worker's test saw versions 2 then 1.)"""
    with transaction(clean_engine) as s:
        site_id = activated_site(s, clock, SYSTEM, activated_on=date(2026, 1, 5)).site.id
    events: list[str] = []
    read, release = threading.Event(), threading.Event()

    def slow_publish(versions: dict[int, int], _url: str) -> bool:
        read.set()
        release.wait(3)
        events.append(f"published {versions[site_id]}")
        return True

    def change() -> None:
        with write_transaction(clean_engine) as s:
            s.execute(update(AccessSite).where(AccessSite.id == site_id)
                      .values(config_version=AccessSite.config_version + 1))
        events.append("committed")

    monkeypatch.setattr(push, "publish", slow_publish)
    with transaction(clean_engine) as s:
        version = s.get(AccessSite, site_id).config_version
    pushing = threading.Thread(target=push.publish_current, args=(clean_engine, [site_id], BROKER))
    pushing.start()
    assert read.wait(5)
    changing = threading.Thread(target=change)
    changing.start()
    changing.join(0.5)          # time for the change to commit, were the site not locked
    release.set()
    pushing.join(5)
    changing.join(5)
    assert events == [f"published {version}", "committed"]
    assert push.publish_current(clean_engine, [site_id], BROKER)
    assert events[-1] == f"published {version + 1}"
