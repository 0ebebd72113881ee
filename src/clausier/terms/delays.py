"""Delays written in days, counted the way the terms say.

A sheet may define what an unqualified *jour* is (``definitions.day``: Technicophone's CGV art. 2
makes it a working day in France); a delay the clause qualifies says so itself (``counted_in``).
Pure: the French public holidays come from the ``holidays`` package through the business calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from clausier.core.calendar import BusinessCalendar, DayKind, OpeningHours
from clausier.core.message import Message, msg
from clausier.terms.schema import DayCount, Sourced, Terms

FRANCE = BusinessCalendar(OpeningHours.heures_ouvrees())

# The units in words, as messages (each reader's language): *jours ouvrés* (Monday–Friday, not
# a public holiday) are "business days", *jours ouvrables* (Monday–Saturday) "working days", as
# in the rules' other messages ("{n} business days").
UNIT_WORDS = {DayKind.CALENDAR: msg("calendar days"), DayKind.OUVRES: msg("business days"),
              DayKind.OUVRABLES: msg("working days")}


@dataclass(frozen=True)
class Delay:
    """``days`` of ``kind`` and the clauses that give the figure and the unit."""

    days: int
    kind: DayKind
    clauses: tuple[str, ...]

    def after(self, start: date) -> date:
        """The last day of the delay run from ``start`` (its ``days``-th day of ``kind``; the
        day of ``start`` itself does not count)."""
        return FRANCE.add_days(start, self.days, self.kind)

    def beyond(self, start: date) -> date:
        """The first day "au-delà de ce délai": what the clause allows once the delay has run
        becomes possible the calendar day after its last day, not on it."""
        return self.after(start) + timedelta(days=1)

    @property
    def text(self) -> Message:
        return msg("{n} {unit}", n=self.days, unit=UNIT_WORDS[self.kind])

    @property
    def clause(self) -> str:
        return "; ".join(dict.fromkeys(c for c in self.clauses if c))


def delay(terms: Terms, days: Sourced[int], counted_in: Sourced[DayCount] | None = None) -> Delay:
    """The delay of a figure in days: in the unit its clause gives, else in the sheet's
    definition of a day, else in calendar days."""
    unit = counted_in or (terms.definitions.day if terms.definitions else None)
    if unit is None:
        return Delay(days.value, DayKind.CALENDAR, (days.clause,))
    return Delay(days.value, unit.value.day_kind, (days.clause, unit.clause))
