"""A run that only shows what it would do (``clausier tick --dry-run``).

The caller rolls the database back; code that writes or deletes files outside the database
(letters, purged call-record partitions, recordings, device snapshots) asks ``files_untouched()``
first, so that nothing of the run survives it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_dry_run: ContextVar[bool] = ContextVar("clausier_dry_run", default=False)


@contextmanager
def dry_run() -> Iterator[None]:
    token = _dry_run.set(True)
    try:
        yield
    finally:
        _dry_run.reset(token)


def files_untouched() -> bool:
    """True inside ``dry_run()``: leave the files as they are."""
    return _dry_run.get()
