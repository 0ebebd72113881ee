"""A rated month per destination class (*détail des consommations*): what the invoice's usage
annex shows. Plain dataclasses, without Polars, so that the rooms reading rating's facts (the
bill run, the pages) do not load the rating engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from clausier.core.explain import Explained, Line
from clausier.core.message import message_fields, stored
from clausier.core.money import money


@dataclass(frozen=True)
class DestinationUsage:
    """A destination class's usage in a month (*détail des consommations*), as the invoice's
    usage annex shows it: the sum of the explained lines of that class."""

    label: str                 # "Calls — fixed", "SMS — mobile", "Calls — international"
    calls: int                 # calls, or messages
    seconds: int               # duration of the calls
    included_seconds: int      # of which included in the bundle (not charged)
    charged_seconds: int       # duration billed (rounded to the tariff's increment)
    amount: Decimal
    clause: str                # the clauses of its lines, each once

    def as_dict(self) -> dict:
        return {"label": self.label, "calls": self.calls, "seconds": self.seconds,
                "included_seconds": self.included_seconds, "charged_seconds": self.charged_seconds,
                "amount": str(self.amount), "clause": self.clause,
                **message_fields("label", self.label)}

    @classmethod
    def from_dict(cls, data: Mapping) -> DestinationUsage:
        return cls(stored(data["label"], data.get("label_message")), data["calls"], data["seconds"], data["included_seconds"],
                   data["charged_seconds"], Decimal(data["amount"]), data["clause"])


@dataclass(frozen=True)
class UsageDetail:
    """A subscription's month per destination class, and the lines that belong to no single
    class (contact-centre pools, data overage, off-network surcharge, amounts already billed):
    together they sum to the month's explained total."""

    destinations: tuple[DestinationUsage, ...] = ()
    other_lines: tuple[Line, ...] = ()

    @property
    def total(self) -> Decimal:
        return money(sum((d.amount for d in self.destinations), Decimal(0))
                     + sum((line.amount for line in self.other_lines), Decimal(0)))

    def plus(self, *lines: Line) -> UsageDetail:
        return UsageDetail(self.destinations, self.other_lines + lines)

    def as_dict(self) -> dict:
        return {"destinations": [d.as_dict() for d in self.destinations],
                "other_lines": [line.as_dict() for line in self.other_lines]}

    @classmethod
    def from_dict(cls, data: Mapping | None) -> UsageDetail:
        data = data or {}
        return cls(tuple(DestinationUsage.from_dict(d) for d in data.get("destinations", ())),
                   Explained.from_dict({"lines": data.get("other_lines", [])}).lines)
