"""Messages the workers gave up on: after the last retry (Dramatiq's ``Retries`` middleware marks
the message failed, and the broker moves it to its dead-letter queue ``<queue>.XQ``) a row is kept
in ``dead_letters`` with the error, for the back office's page, and the task's owner is told
(a bill-run partition or a rating bucket is marked failed, so that its run finishes and
reports it)."""

from __future__ import annotations

import logging

import dramatiq

log = logging.getLogger(__name__)

# actor name → "module:function" called as function(session, clock, arguments, error)
ON_DEAD: dict[str, str] = {
    "bill_partition": "clausier.workers.tasks:partition_dead",
    "rate_bucket": "clausier.workers.tasks:bucket_dead",
}


class DeadLetters(dramatiq.Middleware):
    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is None or not message.failed:
            return
        try:
            from clausier.workers.service import record_dead_letter

            record_dead_letter(message, exception)
        except Exception:      # the broker's XQ keeps the message even if the database is down
            log.exception("dead letter %s: not recorded", message.message_id)
