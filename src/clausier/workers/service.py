"""Use cases of the workers: the outboxes sent one message a transaction, invoice PDFs rendered
by the workers, and the dead letters kept for the back office."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.core.clock import Clock, SystemClock
from clausier.core.errors import Conflict
from clausier.db.session import default_engine, transaction, write_transaction
from clausier.workers.models import DeadLetter


def deliver_notices(engine: Engine, clock: Clock, actor: Actor) -> dict[str, int]:
    """Send what waits in the outboxes (e-mails, SMS, ticket notices) and is due, each message in
    its own transaction that claims it (no other sender takes it meanwhile), tries it and marks
    it: a message committed as sent is never sent again, whoever runs this next; one whose
    sender died mid-way is rolled back to waiting and sent by the next run. A failed attempt
    keeps the message waiting until its next attempt (``notifications.rules.retry_at``)."""
    from clausier.scheduler.service import outboxes

    counts = {"sent": 0, "failed": 0}
    for outbox in outboxes():
        while True:
            with write_transaction(engine) as session:
                outcome = outbox.send_next(session, clock, actor)
            if outcome is None:
                break
            counts[outcome] += 1
    return counts


def render_pdfs(engine: Engine, invoice_ids: list[int], folder: Path,
                send: Callable[[list[int], str], str],
                progress: Callable[[int, int], None] | None = None, poll_seconds: float = 0.2):
    """The PDFs of ``invoice_ids`` rendered by the workers into ``folder`` (which every worker
    must see: a shared file system), in batches of ``billing.documents.pdf.CHUNK``; waits until
    every file is there. The files are removed first, so that a file there is one this call had
    written.
    A batch the workers gave up on (a dead letter) stops the wait with its error."""
    from clausier.billing.documents.pdf import CHUNK, PdfBatchReport, document_file_names

    with transaction(engine) as session:
        names = set(document_file_names(session, invoice_ids).values())
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).unlink(missing_ok=True)
    started = time.perf_counter()
    messages = [send(invoice_ids[start:start + CHUNK], str(folder))
                for start in range(0, len(invoice_ids), CHUNK)]
    while True:
        written = names & set(os.listdir(folder))
        if progress:
            progress(len(written), len(names))
        if written == names:
            break
        with transaction(engine) as session:
            dead = session.scalars(select(DeadLetter).where(
                DeadLetter.message_id.in_(messages))).first()
        if dead is not None:
            raise Conflict(f"PDFs: a batch failed on the workers ({dead.error}); "
                           f"see clausier dead-letters", code="worker_batch_failed")
        time.sleep(poll_seconds)
    return PdfBatchReport(written=len(names), seconds=time.perf_counter() - started,
                          workers=None, files=sorted(names))


def record_dead_letter(message, exception: BaseException, clock: Clock | None = None) -> None:
    """Keep a message the workers gave up on (once per message id), and tell its task."""
    from clausier.workers.broker import worker_name
    from clausier.workers.dead_letters import on_dead

    clock = clock or SystemClock()
    error = f"{type(exception).__name__}: {exception}"[:2000]
    arguments = {"args": list(message.args), "kwargs": dict(message.kwargs)}
    try:
        with write_transaction(default_engine()) as session:
            session.add(DeadLetter(
                message_id=message.message_id, queue=message.queue_name,
                actor=message.actor_name, arguments=arguments,
                attempts=message.options.get("retries", 0), error=error,
                traceback=message.options.get("traceback", "")[-20000:], worker=worker_name(),
                failed_at=clock.now()))
            handler = on_dead(message.actor_name)
            if handler is not None:
                handler(session, clock, arguments, error)
    except IntegrityError:
        pass       # already kept (the same message failed again after a redelivery)


def list_dead_letters(session: Session, limit: int = 200) -> list[DeadLetter]:
    return list(session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)))
