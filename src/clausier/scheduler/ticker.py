"""The web server's own daily tick: a background thread that runs the tick for today if it has
not run yet, then sleeps until the next day (``clausier serve`` needs no cron); and its sender,
which hands over the e-mails and SMS due every minute, so a notice leaves soon after it is
written and a failed one is tried again when its next attempt comes; and the builder of the
access-control snapshots, which encodes a site's configuration as soon as it changes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from clausier.audit.service import Actor
from clausier.core.clock import Clock
from clausier.db.session import transaction, write_transaction
from clausier.scheduler.rules import StepStatus, next_run_at
from clausier.scheduler.service import StepOutcome, deliver_due_messages, run_daily_tick

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=15)


class _Background:
    """A daemon thread that runs its work again and again, ``_wait`` seconds apart, until
    stopped; a failure is logged and tried again (e.g. while the database is down)."""

    name = "clausier-background"

    def __init__(self, engine: Engine, clock: Clock):
        self.engine = engine
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _work(self) -> bool:
        """Do the work once; whether some of it failed."""
        raise NotImplementedError

    def _wait(self, failed: bool) -> float:
        raise NotImplementedError

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                failed = self._work()
            except Exception:   # e.g. the database is down: try again later, do not die
                log.exception("%s failed", self.name)
                failed = True
            self._stop.wait(self._wait(failed))


class DailyTicker(_Background):
    name = "clausier-daily-tick"

    def run_once(self) -> list[StepOutcome]:
        # A writer from its start: on SQLite it queues behind the sender rather than failing
        # with "database is locked" when the sender commits between its first read and write.
        with write_transaction(self.engine) as session:
            return run_daily_tick(session, self.clock, Actor.system("tick"), self.clock.today())

    def _work(self) -> bool:
        return any(outcome.status == StepStatus.FAILED for outcome in self.run_once())

    def _wait(self, failed: bool) -> float:
        now = self.clock.now()
        wake = now + RETRY_AFTER if failed else next_run_at(now)
        return (wake - now).total_seconds()


class DeliveryLoop(_Background):
    """Every ``interval``, the messages due (``scheduler.service.deliver_due_messages``)."""

    name = "clausier-delivery"
    INTERVAL = timedelta(minutes=1)

    def __init__(self, engine: Engine, clock: Clock, interval: timedelta = INTERVAL):
        super().__init__(engine, clock)
        self.interval = interval

    def run_once(self) -> dict[str, int]:
        with write_transaction(self.engine) as session:      # a writer from its start, as the tick
            return deliver_due_messages(session, self.clock, Actor.system("delivery"))

    def _work(self) -> bool:
        self.run_once()
        return False

    def _wait(self, failed: bool) -> float:
        return self.interval.total_seconds()


class Every(_Background):
    """``work()`` every ``interval``: with a broker, the scheduler sends the workers their
    periodic messages this way (the outboxes' sending, ``workers.tasks.deliver_notices``)."""

    def __init__(self, engine: Engine, clock: Clock, work: Callable[[], object],
                 interval: timedelta, name: str):
        super().__init__(engine, clock)
        self.work, self.interval, self.name = work, interval, name
        self._thread.name = name

    def _work(self) -> bool:
        self.work()
        return False

    def _wait(self, failed: bool) -> float:
        return self.interval.total_seconds()


class SnapshotBuilder(_Background):
    """Every few seconds, the access-control snapshot of each site whose configuration changed
    (``access.sync.service.prebuild_snapshots``): built once for all the web workers when the
    change is made, not by the first device that asks for it."""

    name = "clausier-snapshots"
    INTERVAL_SECONDS = 2.0

    def __init__(self, engine: Engine, clock: Clock, folder: Path):
        super().__init__(engine, clock)
        self.folder = folder

    def run_once(self) -> int:
        from clausier.access.sync.service import prebuild_snapshots

        with transaction(self.engine) as session:      # reads only: the files are its output
            return prebuild_snapshots(session, self.clock.today(), self.folder)

    def _work(self) -> bool:
        self.run_once()
        return False

    def _wait(self, failed: bool) -> float:
        return self.INTERVAL_SECONDS
