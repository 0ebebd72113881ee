"""Optional real-time push: "new version available" on MQTT once a change is committed.

Devices always poll; a push only makes them poll sooner (real-time mode, CP A art. 1 L130).
Nothing is published for a transaction that rolls back, and a broker that is down costs one
short connection attempt and a log line, never a failed change. With a task broker
(``CLAUSIER_BROKER_URL``) the push is a message to the workers, which publish the sites' current
versions (``workers.tasks.push_site_versions``) and try again with back-off.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlparse

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from clausier.core.settings import Settings

log = logging.getLogger(__name__)

_PENDING = "access_push"
CONNECT_TIMEOUT_SECONDS = 0.5


def topic(site_id: int) -> str:
    return f"clausier/access/sites/{site_id}/version"


def queue_version(session: Session, site_id: int, version: int) -> None:
    """Publish ``version`` for the site after the session commits (the last one wins)."""
    session.info.setdefault(_PENDING, {})[site_id] = version


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    settings = Settings.from_env()
    if settings.mqtt_url and settings.broker_url:
        _hand_to_workers(sorted(pending))
    else:
        publish(pending, settings.mqtt_url)


def _hand_to_workers(site_ids: list[int]) -> None:
    from dramatiq.errors import DramatiqError

    try:
        from clausier.workers.tasks import push_site_versions

        push_site_versions.send(site_ids)
    except (OSError, DramatiqError) as exc:
        log.warning("MQTT push of sites %s not queued (%s); devices will poll", site_ids, exc)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def publish(versions: dict[int, int], url: str) -> bool:
    """Retained messages, so a device that subscribes later still learns the last version."""
    if not url:
        return False
    try:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
    except ImportError:
        log.warning("MQTT push configured but paho-mqtt is not installed; devices will poll")
        return False
    target = urlparse(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", clean_session=True)
    client.connect_timeout = CONNECT_TIMEOUT_SECONDS
    try:
        client.connect(target.hostname or "127.0.0.1", target.port or 1883, keepalive=10)
        client.loop_start()
        infos = [client.publish(topic(site_id), json.dumps({"version": version}), qos=1, retain=True)
                 for site_id, version in versions.items()]
        for info in infos:
            info.wait_for_publish(timeout=2)
        client.loop_stop()
        client.disconnect()
        return True
    except (OSError, RuntimeError, ValueError) as exc:
        log.warning("MQTT push to %s failed (%s); devices will poll", url, exc)
        return False


def publish_current(engine: Engine, site_ids: list[int], url: str) -> bool:
    """Publish the sites' versions as they are now: a push delivered late, or twice, publishes
    the latest version, never an older one over a newer. The sites' rows stay locked until
    their versions are published (the database's write lock on SQLite): two pushes of a site
    on two workers publish one after the other, each what it read, and a change of the site
    commits after a push that read the version before it has published."""
    from sqlalchemy import select

    from clausier.access.models import AccessSite
    from clausier.db.session import write_transaction

    with write_transaction(engine) as session:
        versions = {site_id: version for site_id, version in session.execute(
            select(AccessSite.id, AccessSite.config_version).where(AccessSite.id.in_(site_ids))
            .order_by(AccessSite.id).with_for_update())}
        return publish(versions, url) if versions else True
