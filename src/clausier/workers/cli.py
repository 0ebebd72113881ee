"""``clausier worker``, ``clausier scheduler`` and ``clausier dead-letters``: the processes of a
deployment with a broker (docs/DEPLOYING.md)."""

from __future__ import annotations

import os
import sys

import typer

from clausier.cli.common import JsonOption, command, console, fail, print_json, print_table
from clausier.core.errors import InvalidInput
from clausier.core.settings import Settings


app = typer.Typer()


def _require_broker() -> Settings:
    settings = Settings.from_env()
    if not settings.broker_url:
        fail(InvalidInput.on("CLAUSIER_BROKER_URL", "not set: amqp://… (RabbitMQ) or redis://… "
                                                    "(Redis) is needed to run workers"))
    return settings


@app.command()
def worker(processes: int = typer.Option(1, min=1, help="Worker processes."),
           threads: int = typer.Option(1, min=1, help="Threads per process (each holds a "
                                                      "database connection)."),
           queues: list[str] = typer.Option(None, "--queues", help="Only these queues: billing, "
                                            "rating, notices, documents, devices (repeat the "
                                            "option); default: all of them."),
           shutdown_timeout: int = typer.Option(600, min=1, help="Seconds a stopping worker "
                                                "gives its current message to finish.")):
    """Run workers fed by the broker (CLAUSIER_BROKER_URL). SIGTERM: each finishes the message
    it is on, then stops; a message left unfinished (kill -9) is delivered again."""
    settings = _require_broker()
    # Dramatiq's own supervisor: it forks the processes, forwards SIGTERM/SIGINT to them for a
    # graceful stop, and restarts none behind the operator's back (systemd does).
    arguments = [sys.executable, "-m", "dramatiq", "clausier.workers.tasks",
                 "--processes", str(processes), "--threads", str(threads),
                 "--worker-shutdown-timeout", str(shutdown_timeout * 1000)]
    if queues:
        arguments += ["--queues", *(f"{settings.broker_namespace}.{queue}" for queue in queues)]
    os.execv(sys.executable, arguments)


@app.command()
def scheduler():
    """Run the daily tick for the whole cluster and, every minute, send the workers the outboxes'
    sending (with a broker the web server does neither). Several schedulers may run: a day's
    tick runs once, and each message of the outboxes is sent by one worker."""
    _require_broker()
    import signal
    import threading

    from sqlalchemy.orm import configure_mappers

    from clausier.core.clock import SystemClock
    from clausier.db.base import import_all_models
    from clausier.db.session import default_engine
    from clausier.scheduler.ticker import DailyTicker, DeliveryLoop, Every
    from clausier.workers.tasks import deliver_notices

    import_all_models()
    configure_mappers()
    engine = default_engine()
    background = [DailyTicker(engine, SystemClock()),
                  Every(engine, SystemClock(), deliver_notices.send, DeliveryLoop.INTERVAL,
                        "clausier-delivery-dispatch")]
    stopping = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stopping.set())
    for task in background:
        task.start()
    console.print("Scheduler: daily tick, and the outboxes' sending every minute by the workers "
                  "(SIGTERM stops).")
    stopping.wait()
    for task in background:
        task.stop()


@app.command("dead-letters")
def dead_letters(limit: int = typer.Option(50, min=1), as_json: bool = JsonOption):
    """The messages the workers gave up on, newest first, with their error."""
    from clausier.workers import service, shapes

    with command() as cmd:
        rows = [shapes.dead_letter_dict(letter)
                for letter in service.list_dead_letters(cmd.session, limit)]
    if as_json:
        print_json(rows)
        return
    print_table("Dead letters", ["Failed at", "Task", "Arguments", "Attempts", "Worker", "Error"],
                [[r["failed_at"], r["actor"], r["arguments"], r["attempts"], r["worker"],
                  r["error"]] for r in rows])
