"""The notifications room's plain shape of an outbox message, for the API, the CLI's ``--json``
and the customer overview."""

from __future__ import annotations

from clausier.notifications.models import OutboxMessage


def message_dict(message: OutboxMessage) -> dict:
    return {"id": message.id, "customer_id": message.customer_id, "channel": message.channel,
            "kind": message.kind, "recipient": message.recipient, "subject": message.subject,
            "subject_message": message.subject_message,
            "status": message.status, "error": message.error, "created_on": message.created_on,
            "sent_at": message.sent_at, "received_on": message.received_on,
            "file": message.file_path, "attempts": message.attempts,
            "next_attempt_at": message.next_attempt_at}
