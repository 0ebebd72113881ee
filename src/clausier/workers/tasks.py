"""The tasks the workers run (``clausier worker`` loads this module). Every task is idempotent,
keyed on what it works on (a bill run and a partition's position, an outbox message, an invoice's
file, a site's version), since the broker delivers
at least once: a message redelivered after its worker died, or sent twice, changes nothing
that its first complete run did.

Importing this module sets the broker from ``CLAUSIER_BROKER_URL``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import dramatiq

from clausier.audit.service import Actor
from clausier.core.clock import Clock, FixedClock, SystemClock
from clausier.core.settings import Settings
from clausier.workers.broker import make_broker, worker_name

_settings = Settings.from_env()
if not _settings.broker_url:
    raise RuntimeError("CLAUSIER_BROKER_URL: not set (amqp://… or redis://…); the workers need "
                       "a broker")
dramatiq.set_broker(make_broker(_settings.broker_url))
BILLING_QUEUE = f"{_settings.broker_namespace}.billing"
NOTICES_QUEUE = f"{_settings.broker_namespace}.notices"
DOCUMENTS_QUEUE = f"{_settings.broker_namespace}.documents"
DEVICES_QUEUE = f"{_settings.broker_namespace}.devices"
RATING_QUEUE = f"{_settings.broker_namespace}.rating"


def _clock(fixed_at: str | None) -> Clock:
    """The coordinator's clock: a run with --today bills as of that day on every worker."""
    return FixedClock(datetime.fromisoformat(fixed_at)) if fixed_at else SystemClock()


# A partition fails again and again only if something is wrong with it (a poison message):
# three tries, a second apart then doubling, before the dead-letter queue.
@dramatiq.actor(queue_name=BILLING_QUEUE, max_retries=3, min_backoff=1000, max_backoff=30000,
                time_limit=60 * 60 * 1000)
def bill_partition(run_id: int, position: int, fixed_at: str | None, actor: str) -> None:
    from clausier.billing.runs import service as billing_runs
    from clausier.db.session import default_engine

    billing_runs.bill_partition(default_engine(), _clock(fixed_at), Actor(name=actor), run_id,
                                position, worker_name())


def partition_dead(session, clock: Clock, arguments: dict, error: str) -> None:
    from clausier.billing.runs import service as billing_runs

    kwargs = arguments["kwargs"] or dict(zip(("run_id", "position"), arguments["args"]))
    billing_runs.fail_partition(session, clock, kwargs["run_id"], kwargs["position"], error)


def partition_queue(actor: Actor):
    """The ``PartitionQueue`` of billing.runs.service: each partition a message to the workers."""
    def send(run_id: int, position: int, fixed_at: str | None) -> None:
        bill_partition.send(run_id, position, fixed_at, actor.name)
    return send


# The scheduler sends one every minute (and may send several: each message is claimed by one
# sender). A run that fails as a whole (the database is down) is tried again with back-off; a
# message that fails keeps its own schedule of attempts in its outbox.
@dramatiq.actor(queue_name=NOTICES_QUEUE, max_retries=5, min_backoff=5000, max_backoff=300000,
                time_limit=30 * 60 * 1000)
def deliver_notices() -> None:
    from clausier.db.session import default_engine
    from clausier.workers import service

    service.deliver_notices(default_engine(), SystemClock(), Actor.system("delivery"))


# A batch of invoices' PDFs (``billing.documents.pdf.CHUNK`` of them), written into a folder
# every worker sees: each file whole (renamed into place) and the same bytes each time, so a
# batch delivered again rewrites the same files.
@dramatiq.actor(queue_name=DOCUMENTS_QUEUE, max_retries=3, min_backoff=1000, max_backoff=30000,
                time_limit=30 * 60 * 1000)
def render_invoice_pdfs(invoice_ids: list[int], folder: str) -> None:
    from clausier.billing.documents.pdf import render_files
    from clausier.db.session import default_engine

    Path(folder).mkdir(parents=True, exist_ok=True)
    render_files(default_engine(), invoice_ids, Path(folder))


def send_pdfs(invoice_ids: list[int], folder: str) -> str:
    """A batch of PDFs to render, sent to the workers; the message's id."""
    return render_invoice_pdfs.send(invoice_ids, folder).message_id


# "New version available" to the access sites' devices (MQTT, retained): the sites' current
# versions, so a push delivered late or twice never publishes an older one. An MQTT broker
# that is down is tried again with back-off; devices poll meanwhile.
@dramatiq.actor(queue_name=DEVICES_QUEUE, max_retries=5, min_backoff=1000, max_backoff=60000,
                time_limit=60 * 1000)
def push_site_versions(site_ids: list[int]) -> None:
    from clausier.access import push
    from clausier.db.session import default_engine

    url = Settings.from_env().mqtt_url
    if not push.publish_current(default_engine(), site_ids, url):
        raise ConnectionError(f"MQTT broker {url}: sites {site_ids} not pushed")


# A bucket of a month's subscriptions to rate (one of ``rating.store.BUCKETS``), from the usage
# store every worker sees (``CLAUSIER_DATA_DIR`` on a shared file system).
@dramatiq.actor(queue_name=RATING_QUEUE, max_retries=3, min_backoff=1000, max_backoff=30000,
                time_limit=2 * 60 * 60 * 1000)
def rate_bucket(run_key: str, bucket: int, fixed_at: str | None) -> None:
    from clausier.db.session import default_engine
    from clausier.rating.month import service as month_service

    month_service.rate_bucket(default_engine(), _clock(fixed_at), run_key, bucket, worker_name())


def bucket_dead(session, clock: Clock, arguments: dict, error: str) -> None:
    from clausier.rating.month import service as month_service

    kwargs = arguments["kwargs"] or dict(zip(("run_key", "bucket"), arguments["args"]))
    month_service.fail_bucket(session, clock, kwargs["run_key"], kwargs["bucket"], error)


def rating_queue(run_key: str, bucket: int, fixed_at: str | None) -> None:
    """The queue of ``rating.month.service.rate_on_workers``: a message per bucket."""
    rate_bucket.send(run_key, bucket, fixed_at)
