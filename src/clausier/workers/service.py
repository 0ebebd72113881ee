"""Use cases of the workers: the dead letters kept for the back office."""

from __future__ import annotations

import importlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clausier.core.clock import Clock, SystemClock
from clausier.db.session import default_engine, write_transaction
from clausier.workers.models import DeadLetter


def record_dead_letter(message, exception: BaseException, clock: Clock | None = None) -> None:
    """Keep a message the workers gave up on (once per message id), and tell its task."""
    from clausier.workers.broker import worker_name
    from clausier.workers.dead_letters import ON_DEAD

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
            if message.actor_name in ON_DEAD:
                module, _, function = ON_DEAD[message.actor_name].partition(":")
                getattr(importlib.import_module(module), function)(
                    session, clock, arguments, error)
    except IntegrityError:
        pass       # already kept (the same message failed again after a redelivery)


def list_dead_letters(session: Session, limit: int = 200) -> list[DeadLetter]:
    return list(session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)))


def dead_letter_dict(letter: DeadLetter) -> dict:
    return {"id": letter.id, "message_id": letter.message_id, "queue": letter.queue,
            "actor": letter.actor, "arguments": letter.arguments, "attempts": letter.attempts,
            "error": letter.error, "traceback": letter.traceback, "worker": letter.worker,
            "failed_at": letter.failed_at}
