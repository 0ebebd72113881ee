"""A site's snapshot is encoded when its configuration changes, not when a device first asks
for the new version: each web worker builds, in a thread of its own, the sites it changed once
the change is committed (the request that made it does not wait), into the folder every worker
reads. ``clausier serve``'s ``SnapshotBuilder`` catches what other processes change (commands,
imports)."""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from clausier.access.sites.service import CHANGED_SITES
from clausier.access.sync.service import prebuild_snapshot, snapshot_folder
from clausier.core.clock import Clock
from clausier.core.settings import Settings
from clausier.db.session import transaction

log = logging.getLogger(__name__)


class SnapshotBuilds:
    """This process's queue of sites to encode, and the thread that encodes them (one at a
    time: a bulk import of ten sites does not take every core)."""

    def __init__(self, engine: Engine, clock: Clock, folder: Path):
        self.engine, self.clock, self.folder = engine, clock, folder
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="clausier-snapshot-builds",
                                        daemon=True)

    def start(self) -> SnapshotBuilds:
        global _RUNNING
        self._thread.start()
        _RUNNING = self
        return self

    def changed(self, site_ids: set[int]) -> None:
        for site_id in sorted(site_ids):
            self._queue.put(site_id)

    def wait(self) -> None:
        """Until every site queued so far is built (tests)."""
        self._queue.join()

    def stop(self) -> None:
        global _RUNNING
        if _RUNNING is self:
            _RUNNING = None
        self._queue.put(None)
        self._thread.join(30)

    def _run(self) -> None:
        while (site_id := self._queue.get()) is not None:
            try:
                with transaction(self.engine) as session:     # reads only: the file is its output
                    prebuild_snapshot(session, site_id, self.clock.today(), self.folder)
            except Exception:       # noqa: BLE001 - the next poll, or the server's builder, builds it
                log.exception("snapshot of access site %s not built", site_id)
            finally:
                self._queue.task_done()
        self._queue.task_done()


_RUNNING: SnapshotBuilds | None = None


def start(engine: Engine, clock: Clock, settings: Settings) -> SnapshotBuilds:
    """This web worker's builds (the room's web task: started and stopped with the app)."""
    return SnapshotBuilds(engine, clock, snapshot_folder(settings)).start()


@event.listens_for(Session, "after_commit")
def _build_after_commit(session: Session) -> None:
    changed = session.info.pop(CHANGED_SITES, None)
    if changed and _RUNNING is not None:
        _RUNNING.changed(changed)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(CHANGED_SITES, None)
