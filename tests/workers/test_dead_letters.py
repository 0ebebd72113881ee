"""A poison message (a task that fails however often it is tried) ends in the dead-letter queue
after its retries, kept with its error and shown on the back-office page (issue 23)."""

from __future__ import annotations

import importlib
import time

import pika
import pytest
from sqlalchemy import select

from clausier.db.session import transaction
from clausier.workers.models import DeadLetter
from tests.workers.conftest import AMQP_URL, NAMESPACE, REDIS_URL, start_workers, stop


@pytest.mark.parametrize("broker", ["rabbitmq", "redis"])
def test_a_poison_message_is_dead_lettered_with_its_error(broker, broker_env, db_url, staff_client,
                                                          clean_engine, monkeypatch, tmp_path):
    if broker == "redis":       # the alternative broker, same workers, same dead letters
        broker_env = {**broker_env, "CLAUSIER_BROKER_URL": REDIS_URL}
    for name in ("CLAUSIER_BROKER_URL", "CLAUSIER_BROKER_NAMESPACE"):
        monkeypatch.setenv(name, broker_env[name])
    # The module sets the broker when imported: imported again for this one.
    tasks = importlib.reload(importlib.import_module("clausier.workers.tasks"))
    [worker] = start_workers(broker_env, db_url, [tmp_path / "worker.log"])
    try:
        # A partition of a run that does not exist: every try fails the same way.
        message = tasks.bill_partition.send_with_options(
            args=(999999, 0, None, "cli:test"), max_retries=2, min_backoff=100, max_backoff=200)
        deadline = time.monotonic() + 90
        while True:
            with transaction(clean_engine) as s:
                letter = s.scalar(select(DeadLetter))
                if letter is not None:
                    break
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.3)
    finally:
        stop(worker)
    assert (letter.message_id, letter.actor, letter.queue) == (
        message.message_id, "bill_partition", f"{NAMESPACE}.billing")
    assert letter.error == "NotFound: bill run 999999: no partition 0"
    assert letter.attempts == 3 and "NotFound" in letter.traceback
    if broker == "rabbitmq":     # the broker keeps the message in its dead-letter queue too
        channel = pika.BlockingConnection(pika.URLParameters(AMQP_URL)).channel()
        xq = channel.queue_declare(f"{NAMESPACE}.billing.XQ", passive=True)
        assert xq.method.message_count >= 1
        channel.connection.close()
    page = staff_client.get("/workers/dead-letters")
    assert page.status_code == 200
    assert "bill run 999999: no partition 0" in page.text
    assert "Messages en échec" in page.text
