"""``clausier serve``: the web app and API (and the daily tick, run by the server itself unless a
broker is configured: then ``clausier scheduler`` runs it, once for the cluster)."""

from __future__ import annotations

import os
from contextlib import ExitStack

import typer

from clausier.cli.common import console
from clausier.core.settings import Settings

app = typer.Typer()


WORKER_START_SECONDS = 60
# Devices poll every few seconds on a kept-alive connection: uvicorn's 5 s default closes it
# just as the next poll is sent (the device sees a dropped connection).
KEEP_ALIVE_SECONDS = 65
# On SIGTERM, requests still running after this are cancelled: a stop never waits on a request
# (a writer waits at most WRITE_WAIT_SECONDS for its turn anyway).
GRACEFUL_SHUTDOWN_SECONDS = 10


def default_workers(database_url: str) -> int:
    """One web process per CPU (each runs Python on one core at a time), at least one; a single
    one on SQLite, which takes one writer at a time: the writers of one process queue fairly on
    its write gate (``db.session.WriteGate``), while those of several processes would poll
    SQLite's lock (its busy handler sleeps up to 100 ms between tries), and a bill run's
    batches in one process would starve the writers of the others."""
    if database_url.startswith("sqlite"):
        return 1
    return max(1, os.cpu_count() or 1)


@app.command()
def serve(host: str = typer.Option(None, help="Default CLAUSIER_HOST or 127.0.0.1."),
          port: int = typer.Option(None, help="Default CLAUSIER_PORT or 8000."),
          workers: int = typer.Option(None, min=1, help="Web worker processes (default: one per "
                                                        "CPU; one on SQLite)."),
          demo_mail: bool = typer.Option(
              False, "--demo-mail",
              help="Send the mail to a local SMTP sink run with the server, which keeps it in "
                   "$CLAUSIER_DATA_DIR/mail (a Maildir).")):
    """Serve the back office, the portals and the REST API."""
    with ExitStack() as stack:
        if demo_mail:
            from clausier.demo.mail import DemoMailSink

            sink = stack.enter_context(DemoMailSink(Settings.from_env().data_dir / "mail"))
            # Read by Settings.from_env in this process, the tick, and each worker.
            os.environ["CLAUSIER_SMTP_HOST"], os.environ["CLAUSIER_SMTP_PORT"] = (
                sink.host, str(sink.port))
            console.print(f"Demo mail: SMTP sink on {sink.host}:{sink.port}, the mails it "
                          f"receives kept in {sink.mail_dir}/new", highlight=False, soft_wrap=True)
        _serve(host, port, workers)


def _serve(host: str | None, port: int | None, workers: int | None) -> None:
    import uvicorn

    from clausier.api.app import create_app
    from clausier.core.clock import SystemClock
    from clausier.db.session import engine_for
    from clausier.access.sync.service import snapshot_folder
    from clausier.scheduler.ticker import DailyTicker, DeliveryLoop, SnapshotBuilder

    settings = Settings.from_env()     # also writes the secret key once, before the workers read it
    workers = workers or default_workers(settings.database_url)
    # The daily tick and the sender run in this process only, never once per worker.
    engine = engine_for(settings.database_url)
    # Every model mapped before the tick and sender threads start: configured lazily from a thread
    # while this process still imports a room, a mapper would miss a class of that room.
    from sqlalchemy.orm import configure_mappers

    from clausier.db.base import import_all_models

    import_all_models()
    configure_mappers()
    background = ([DailyTicker(engine, SystemClock()), DeliveryLoop(engine, SystemClock())]
                  if settings.daily_tick else [])
    background.append(SnapshotBuilder(engine, SystemClock(), snapshot_folder(settings)))
    for task in background:
        task.start()
    try:
        if workers == 1:
            uvicorn.run(create_app(settings=settings, daily_tick=False, freeze_heap=True),
                        host=host or settings.host, port=port or settings.port, log_level="info",
                        timeout_keep_alive=KEEP_ALIVE_SECONDS,
                        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
        else:
            os.environ["CLAUSIER_NO_TICK"] = "1"       # read by each worker's served_app
            # A busy machine may take longer than uvicorn's 5 s to import a worker: give it time
            # rather than killing it as unhealthy.
            uvicorn.run("clausier.api.app:served_app", factory=True, workers=workers,
                        host=host or settings.host, port=port or settings.port, log_level="info",
                        timeout_worker_healthcheck=WORKER_START_SECONDS,
                        timeout_keep_alive=KEEP_ALIVE_SECONDS,
                        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
    finally:
        for task in background:
            task.stop()
