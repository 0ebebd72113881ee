"""Real workers for the tests: ``clausier worker`` processes on RabbitMQ, over a PostgreSQL
database of their own (a clone of the demo data), on queues no other test run shares."""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from clausier.audit.service import Actor
from clausier.billing import periods as billing_periods
from clausier.billing.models import BillRun
from clausier.core.clock import FixedClock
from clausier.db.migrate import upgrade
from clausier.db.session import engine_for, transaction
from clausier.demo import service as demo
from tests import dbcopy
from tests.billing.conftest import en16931_fatal  # noqa: F401 (the billing tests' check)
from tests.conftest import POSTGRES_URL, TEST_DB
from tests.net import Inbox, free_port

AMQP_URL = os.environ.get("CLAUSIER_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
REDIS_URL = os.environ.get("CLAUSIER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CLAUSIER = str(Path(sys.executable).parent / "clausier")
# One namespace per test process: the queues of two checkouts testing at once never mix.
NAMESPACE = f"test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
WORKER_READY = "Worker process is ready for action"
QUEUES = ("billing", "notices", "documents", "devices")


def _rabbitmq_reachable() -> bool:
    import pika

    try:
        pika.BlockingConnection(pika.URLParameters(AMQP_URL)).close()
        return True
    except Exception:
        return False


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except Exception:
        return False


@pytest.fixture(scope="session")
def broker_env(db_url) -> dict[str, str]:
    """The environment of a process that uses the broker (skipped on SQLite: several
    processes billing side by side need PostgreSQL)."""
    if TEST_DB != "postgresql":
        pytest.skip("workers share one database between processes: PostgreSQL leg only")
    if not _rabbitmq_reachable() or not _redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.exit(f"RabbitMQ ({AMQP_URL}) or Redis ({REDIS_URL}) is not reachable "
                        "(required under CI)", 1)
        pytest.skip("RabbitMQ or Redis not reachable")
    env = {**os.environ, "CLAUSIER_BROKER_URL": AMQP_URL, "CLAUSIER_BROKER_NAMESPACE": NAMESPACE}
    env.pop("CLAUSIER_NO_TICK", None)
    yield env
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    for queue in QUEUES:
        for suffix in ("", ".DQ", ".XQ"):
            channel.queue_delete(f"{NAMESPACE}.{queue}{suffix}")
    connection.close()
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"dramatiq:{NAMESPACE}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def tasks(broker_env, monkeypatch):
    """The tasks module, its broker set from the test's broker settings (the module sets it when
    imported: imported again here), to send messages to the workers as the adapters do."""
    for name in ("CLAUSIER_BROKER_URL", "CLAUSIER_BROKER_NAMESPACE"):
        monkeypatch.setenv(name, broker_env[name])
    return importlib.reload(importlib.import_module("clausier.workers.tasks"))


def wait_until(condition, what: str, timeout: float = 60, interval: float = 0.1):
    """Poll ``condition`` until it returns something true; fail naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what}: not after {timeout} s"
        time.sleep(interval)
    return found


class GatedInbox(Inbox):
    """An inbox whose server can be told to hold the senders at the recipient (``held``): a
    sender is then mid-message, nothing handed over yet."""

    def __init__(self):
        super().__init__()
        self.open = threading.Event()
        self.open.set()
        self.arrived = threading.Event()     # a sender is being held

    async def handle_RCPT(self, server, smtp_session, envelope, address, rcpt_options):
        self.arrived.set()
        while not self.open.is_set():
            await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    @contextmanager
    def held(self) -> Iterator[None]:
        self.arrived.clear()
        self.open.clear()
        try:
            yield
        finally:
            self.open.set()


@pytest.fixture(scope="session")
def worker_inbox() -> Iterator[tuple[int, GatedInbox]]:
    """The SMTP server (aiosmtpd) the shared worker's mail goes to: its port and what it got."""
    from aiosmtpd.controller import Controller

    port = free_port()
    inbox = GatedInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


MQTT_URL = "mqtt://127.0.0.1:1883"


@pytest.fixture(scope="session")
def worker_data_dir(tmp_path_factory) -> Path:
    """The data directory of the shared worker (the usage store is under it)."""
    return tmp_path_factory.mktemp("worker-data")


@dataclass
class SharedWorker:
    """The worker of the tests of side work, which one of them kills and starts again."""

    env: dict[str, str]
    url: str
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        # Not the bill runs' queue: those tests bill copies of the database with workers of
        # their own.
        [self.process] = start_workers(self.env, self.url, [self.log], threads=2,
                                       queues=("rating", "notices", "documents", "devices"))

    def kill_and_start_again(self) -> None:
        stop(self.process, signal.SIGKILL)
        self.start()

    def log_text(self) -> str:
        return self.log.read_text()


@pytest.fixture(scope="session")
def shared_worker(broker_env, db_url, worker_inbox, worker_data_dir, tmp_path_factory
                  ) -> Iterator[SharedWorker]:
    """One worker of two threads (two messages at once) on the tests' database, shared by the
    tests of side work (notices, PDFs, device pushes, rating): its mail goes to
    ``worker_inbox``, its pushes to the MQTT broker on 127.0.0.1:1883, its files under
    ``worker_data_dir``."""
    port, _inbox = worker_inbox
    env = {**broker_env, "CLAUSIER_SMTP_HOST": "127.0.0.1", "CLAUSIER_SMTP_PORT": str(port),
           "CLAUSIER_MQTT_URL": MQTT_URL, "CLAUSIER_DATA_DIR": str(worker_data_dir)}
    worker = SharedWorker(env, db_url, tmp_path_factory.mktemp("shared-worker") / "worker.log")
    worker.start()
    yield worker
    stop(worker.process)


def _admin():
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def demo_template(broker_env, db_url) -> Iterator[tuple[str, str]]:
    """A database with the demo data (loaded as of 24 Nov 2026), kept as a template for the
    clones; and the next period to bill."""
    name = f"{make_url(db_url).database}_demo"
    with _admin().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(db_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    engine = engine_for(url)
    with dbcopy.demo_files(), transaction(engine) as s:
        demo.load_demo(s, FixedClock.on(date(2026, 11, 24)), Actor.system("test"))
        last = max(s.scalars(select(BillRun.period)))
    engine.dispose()
    month_after = billing_periods.month_end(billing_periods.parse_period(last)) + timedelta(days=1)
    yield url, billing_periods.period_label(month_after)
    with _admin().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def clone(template_url: str, suffix: str) -> Iterator[str]:
    """A copy of the template database (PostgreSQL copies it file by file: instant)."""
    template = make_url(template_url).database
    name = f"{template}_{suffix}"
    with _admin().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = make_url(template_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with _admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def start_workers(env: dict[str, str], url: str, logs: list[Path], threads: int = 1,
                  queues: tuple[str, ...] = ()) -> list[subprocess.Popen]:
    """``clausier worker`` processes (one process each, of ``threads`` threads, on ``queues`` or
    all of them), each in its own process group, started together and returned once all are
    ready."""
    options = ["--threads", str(threads)] + [f"--queues={queue}" for queue in queues]
    processes = [subprocess.Popen([CLAUSIER, "worker", *options],
                                  env={**env, "CLAUSIER_DATABASE_URL": url},
                                  stdout=log.open("w"), stderr=subprocess.STDOUT,
                                  start_new_session=True) for log in logs]
    deadline = time.monotonic() + 90
    for process, log in zip(processes, logs, strict=True):
        while WORKER_READY not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"worker not ready: {log.read_text()}"
            time.sleep(0.2)
    return processes


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """SIGTERM to Dramatiq's supervisor, which passes it on to its worker process (as systemd's
    KillMode=mixed does: a second SIGTERM would make the worker quit at once); SIGKILL to the
    whole process group."""
    if process.poll() is None:
        if sig == signal.SIGKILL:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
