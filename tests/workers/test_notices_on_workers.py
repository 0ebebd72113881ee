"""Notices sent by the workers (issue 23): with a broker, the outboxes' e-mails go out through a
``clausier worker`` process (real RabbitMQ, real SMTP server), each exactly once although the
message telling the workers to send them is delivered twice, or its worker is killed while
sending; ``clausier scheduler`` has the workers send them, and the daily tick leaves them to the
workers."""

from __future__ import annotations

import subprocess
from email import message_from_bytes
from email.policy import default

from sqlalchemy import select

from clausier.customers.models import Customer
from clausier.db.session import transaction
from clausier.core.room import step_name
from clausier.notifications import outbox
from clausier.notifications.models import OutboxMessage
from clausier.scheduler.service import outboxes, run_daily_tick
from clausier.support import service as support
from tests import factories
from tests.support import world as support_world
from tests.workers.conftest import CLAUSIER, wait_until


def _queue_reminder(engine, clock, actor, key: str, subject: str) -> int:
    with transaction(engine) as s:
        ozone = factories.operator(s, clock, actor, "ozone")
        customer = factories.customer(s, clock, ozone, "Jeanne Durand", kind="household")
        customer.email = "jeanne@example.org"
        return outbox.queue(s, clock, actor, customer, channel="email", kind="reminder",
                            key=key, subject=subject, body="Bonjour,").id


def _notices_pending(engine) -> int:
    with transaction(engine) as s:
        return len(support.pending_notifications(s))


def _sent(engine, message_id: int) -> bool:
    with transaction(engine) as s:
        return s.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message_id)) == "sent"


def test_a_queued_notice_reaches_the_inbox_once_when_its_sending_is_delivered_twice(
        shared_worker, worker_inbox, tasks, clean_engine, clock, actor):
    _port, inbox = worker_inbox
    inbox.messages.clear()
    first = _queue_reminder(clean_engine, clock, actor, "reminder:1", "OZONE : facture impayée")
    with transaction(clean_engine) as s:      # CP I §5.7: the person kept informed is told
        world = support_world.build(s, clock, actor)
        isdn = support_world.service(s, clock, actor, world, "vga-isdn")
        ticket = support.open_ticket(s, clock, actor, support.TicketInput(
            subscription=isdn.ref, reporter_contact_id=world.reporter.id, description="Down",
            called_at=clock.now(), keep_informed=[{"name": "Reception",
                                                   "email": "accueil@durand.example"}])).ref
    # At least once: the message telling the workers to send is delivered twice, and both
    # deliveries are handled at once (two threads), each looking for the queued messages.
    tasks.deliver_notices.send()
    tasks.deliver_notices.send()
    wait_until(lambda: _sent(clean_engine, first) and not _notices_pending(clean_engine),
               shared_worker.log_text())
    # The worker takes its messages in order: once this later one is sent, the two sendings of
    # the first have looked for it.
    with transaction(clean_engine) as s:
        second = outbox.queue(s, clock, actor, s.get(Customer, s.get(OutboxMessage, first).customer_id),
                              channel="email", kind="reminder", key="reminder:2",
                              subject="OZONE : second rappel", body="Bonjour,").id
    tasks.deliver_notices.send()
    wait_until(lambda: _sent(clean_engine, second), shared_worker.log_text())
    received = sorted((envelope.rcpt_tos, message_from_bytes(envelope.content,
                                                             policy=default)["Subject"])
                      for envelope in inbox.messages)
    assert received == [(["accueil@durand.example"], f"[{ticket}] opened"),
                        (["jeanne@example.org"], "OZONE : facture impayée"),
                        (["jeanne@example.org"], "OZONE : second rappel")]
    with transaction(clean_engine) as s:
        assert [m.attempts for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))] == [1, 1]


def test_a_worker_killed_while_sending_leaves_the_notice_to_the_next_which_sends_it_once(
        shared_worker, worker_inbox, tasks, clean_engine, clock, actor):
    _port, inbox = worker_inbox
    inbox.messages.clear()
    message = _queue_reminder(clean_engine, clock, actor, "reminder:1", "OZONE : facture impayée")
    with inbox.held():      # the mail server holds the sender at the recipient
        tasks.deliver_notices.send()
        wait_until(inbox.arrived.is_set, shared_worker.log_text())
        # Mid-message: claimed (its transaction open), nothing handed over, nothing marked.
        assert not _sent(clean_engine, message)
        # kill -9: PostgreSQL rolls its transaction back, RabbitMQ delivers the task again.
        shared_worker.kill_and_start_again()
    wait_until(lambda: _sent(clean_engine, message), shared_worker.log_text())
    assert [envelope.rcpt_tos for envelope in inbox.messages] == [["jeanne@example.org"]]
    with transaction(clean_engine) as s:
        assert s.get(OutboxMessage, message).attempts == 1


def test_the_scheduler_has_the_workers_send_what_waits(
        shared_worker, worker_inbox, broker_env, db_url, clean_engine, clock, actor, tmp_path):
    _port, inbox = worker_inbox
    inbox.messages.clear()
    message = _queue_reminder(clean_engine, clock, actor, "reminder:1", "OZONE : facture impayée")
    log = tmp_path / "scheduler.log"
    scheduler = subprocess.Popen([CLAUSIER, "scheduler"],
                                 env={**broker_env, "CLAUSIER_DATABASE_URL": db_url},
                                 stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: _sent(clean_engine, message), log.read_text())
    finally:
        scheduler.kill()      # its day's tick, if unfinished, is rolled back: nothing to keep
        scheduler.wait()
    assert [envelope.rcpt_tos for envelope in inbox.messages] == [["jeanne@example.org"]]


def test_with_a_broker_the_daily_tick_leaves_its_messages_to_the_workers(
        session, clock, actor, smtp_inbox, monkeypatch):
    monkeypatch.setenv("CLAUSIER_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
    customer = factories.customer(session, clock, factories.operator(session, clock, actor, "ozone"),
                                  "Jeanne Durand", kind="household")
    customer.email = "jeanne@example.org"
    message = outbox.queue(session, clock, actor, customer, channel="email", kind="reminder",
                           key="reminder:1", subject="OZONE : facture impayée", body="Bonjour,")
    outcomes = {o.step: o for o in run_daily_tick(session, clock, actor, clock.today())}
    for step in [step_name(outbox.deliver) for outbox in outboxes()]:
        assert (outcomes[step].status, outcomes[step].summary) == ("done", "left to the workers")
    assert message.status == "queued" and smtp_inbox.messages == []
