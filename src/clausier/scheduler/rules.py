"""When the daily tick runs. Pure: no database, no clock."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum

from clausier.core.clock import PARIS


class StepStatus(StrEnum):
    """How one step of the daily tick went."""

    DONE = "done"
    ALREADY_DONE = "already_done"
    FAILED = "failed"
    SKIPPED = "skipped"


# A few minutes past midnight, so that a clock slightly behind still lands on the new day.
RUN_AT = time(0, 5)


def next_run_at(now: datetime) -> datetime:
    """The next daily run after ``now``: ``RUN_AT`` (Paris time) on the following day."""
    if now.tzinfo is None:
        raise ValueError("now: a timezone-aware datetime is needed")
    tomorrow = now.astimezone(PARIS).date() + timedelta(days=1)
    return datetime.combine(tomorrow, RUN_AT, tzinfo=PARIS)
