"""The only door to "now": everything that needs the time receives a ``Clock``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """Wall clock in Europe/Paris. ``CLAUSIER_TODAY=YYYY-MM-DD`` pins the date for demos."""

    def now(self) -> datetime:
        pinned = os.environ.get("CLAUSIER_TODAY")
        current = datetime.now(PARIS)
        if pinned:
            return datetime.combine(date.fromisoformat(pinned), current.timetz())
        return current

    def today(self) -> date:
        return self.now().date()


@dataclass
class FixedClock:
    """A clock that says what it is told; tests and ``--today``/``--at`` use it."""

    instant: datetime = field(default_factory=lambda: datetime(2026, 1, 1, 9, 0, tzinfo=PARIS))

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ValueError("instant: a clock needs a timezone-aware datetime")

    @classmethod
    def on(cls, day: date, at: time = time(9, 0)) -> FixedClock:
        return cls(datetime.combine(day, at, tzinfo=PARIS))

    def now(self) -> datetime:
        return self.instant

    def today(self) -> date:
        return self.instant.astimezone(PARIS).date()

    def advance(self, delta: timedelta) -> None:
        self.instant += delta


def clock_for(today: date | None = None, at: datetime | None = None) -> Clock:
    """The clock a command runs with: ``--at`` wins over ``--today``, else the system clock."""
    if at is not None:
        return FixedClock(at if at.tzinfo else at.replace(tzinfo=PARIS))
    if today is not None:
        return FixedClock.on(today)
    return SystemClock()
