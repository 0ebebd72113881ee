"""Messages the workers gave up on: after the last retry (Dramatiq's ``Retries`` middleware marks
the message failed, and the broker moves it to its dead-letter queue ``<queue>.XQ``) a row is kept
in ``dead_letters`` with the error, for the back office's page, and the task's owner is told
(a bill-run partition or a rating bucket is marked failed, so that its run finishes and
reports it)."""

from __future__ import annotations

import logging

import dramatiq

log = logging.getLogger(__name__)


def on_dead(actor_name: str):
    """What tells a task's owner that the workers gave up on its message, called as
    ``handler(session, clock, arguments, error)``; None when nobody waits for the task."""
    from clausier.workers import tasks    # whose broker, made on import, loads this module

    return {"bill_partition": tasks.partition_dead,
            "rate_bucket": tasks.bucket_dead}.get(actor_name)


class DeadLetters(dramatiq.Middleware):
    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is None or not message.failed:
            return
        try:
            from clausier.workers.service import record_dead_letter

            record_dead_letter(message, exception)
        except Exception:      # the broker's XQ keeps the message even if the database is down
            log.exception("dead letter %s: not recorded", message.message_id)
