"""The server's sender: the e-mails due leave within a minute, not at the next daily tick."""

from __future__ import annotations

import time
from datetime import timedelta

from clausier.core.clock import FixedClock
from clausier.db.session import transaction
from clausier.demo.mail import DemoMailSink
from clausier.notifications import outbox
from clausier.scheduler.ticker import DeliveryLoop
from tests.payments.test_outbox_delivery import kept_mails, queue_reminder


def test_the_sender_hands_over_a_message_written_while_the_server_runs(
        clean_engine, clock, actor, smtp_port, tmp_path):
    with transaction(clean_engine) as s:
        queue_reminder(s, clock, actor)
    sender = DeliveryLoop(clean_engine, clock, interval=timedelta(milliseconds=50))
    with DemoMailSink(tmp_path / "mail", port=smtp_port):
        sender.start()
        try:
            give_up = time.monotonic() + 60     # waits for the thread; not a timing assertion
            while not kept_mails(tmp_path / "mail") and time.monotonic() < give_up:
                time.sleep(0.05)
        finally:
            sender.stop()
    assert kept_mails(tmp_path / "mail") == [("jeanne@example.org", "OZONE : facture impayée")]
    with transaction(clean_engine) as s:
        [message] = outbox.list_messages(s)
        assert (message.status, message.attempts) == ("sent", 1)


def test_the_sender_waits_for_the_next_attempt_after_a_failure(
        clean_engine, clock, actor, smtp_port, tmp_path):
    with transaction(clean_engine) as s:
        queue_reminder(s, clock, actor)
    assert DeliveryLoop(clean_engine, clock).run_once() == {"sent": 0, "failed": 1}
    with DemoMailSink(tmp_path / "mail", port=smtp_port):
        assert DeliveryLoop(clean_engine, clock).run_once() == {"sent": 0, "failed": 0}
        later = FixedClock(clock.now() + timedelta(minutes=5))
        assert DeliveryLoop(clean_engine, later).run_once() == {"sent": 1, "failed": 0}
    assert kept_mails(tmp_path / "mail") == [("jeanne@example.org", "OZONE : facture impayée")]
