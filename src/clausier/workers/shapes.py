"""The workers room's plain shape of a dead letter, for the API and the CLI's ``--json``."""

from __future__ import annotations

from clausier.workers.models import DeadLetter


def dead_letter_dict(letter: DeadLetter) -> dict:
    return {"id": letter.id, "message_id": letter.message_id, "queue": letter.queue,
            "actor": letter.actor, "arguments": letter.arguments, "attempts": letter.attempts,
            "error": letter.error, "traceback": letter.traceback, "worker": letter.worker,
            "failed_at": letter.failed_at}
