"""Explained amounts: a total and its lines, each with its arithmetic and the clause it applies.

``17 months × 450.00 € = 7 650.00 € — CGV art. 8.2; CP IV §6.2``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal
from html import escape

from clausier.core.message import message_fields, message_of, stored
from clausier.core.money import ZERO, fr_format, money


@dataclass(frozen=True)
class Line:
    """One explained line: ``label``, ``formula`` (words and numbers), ``amount``, ``clause``."""

    label: str
    amount: Decimal
    formula: str = ""
    clause: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", money(self.amount))

    def as_dict(self) -> dict:
        """The English texts, and next to each the message it renders (``label_message``…)
        when the rule wrote one, so that a stored line reads in any language."""
        return {"label": self.label, "formula": self.formula, "amount": str(self.amount),
                "clause": self.clause, **message_fields("label", self.label),
                **message_fields("formula", self.formula)}

    @classmethod
    def from_dict(cls, data: dict) -> Line:
        return cls(stored(data["label"], data.get("label_message")), Decimal(data["amount"]),
                   stored(data.get("formula", ""), data.get("formula_message")),
                   data.get("clause", ""))


@dataclass(frozen=True)
class Explained:
    """A total that is, by construction, the sum of its lines."""

    lines: tuple[Line, ...] = ()
    currency: str = "EUR"
    notes: tuple[str, ...] = field(default=())

    @cached_property        # immutable: summed once (a bill run or a rating reads it often)
    def total(self) -> Decimal:
        return money(sum((line.amount for line in self.lines), ZERO))

    def plus(self, *lines: Line) -> Explained:
        return Explained(self.lines + tuple(lines), self.currency, self.notes)

    def with_note(self, note: str) -> Explained:
        return Explained(self.lines, self.currency, self.notes + (note,))

    def as_dict(self) -> dict:
        data = {"total": str(self.total), "currency": self.currency,
                "lines": [line.as_dict() for line in self.lines], "notes": list(self.notes)}
        if any(message_of(note) for note in self.notes):
            data["note_messages"] = [message_of(note) for note in self.notes]
        return data

    @classmethod
    def from_dict(cls, data: dict | None) -> Explained:
        """An explanation stored with :meth:`as_dict` (a quote as confirmed), read back."""
        data = data or {}
        notes = data.get("notes", [])
        messages = data.get("note_messages") or [None] * len(notes)
        return cls(tuple(Line.from_dict(line) for line in data.get("lines", [])),
                   data.get("currency", "EUR"),
                   tuple(stored(note, message) for note, message in zip(notes, messages)))

    def to_text(self) -> str:
        rows = []
        for line in self.lines:
            arithmetic = f"{line.formula} = " if line.formula else ""
            clause = f" — {line.clause}" if line.clause else ""
            rows.append(f"{line.label}: {arithmetic}{fr_format(line.amount)}{clause}")
        rows.append(f"Total: {fr_format(self.total)}")
        rows.extend(f"Note: {note}" for note in self.notes)
        return "\n".join(rows)

    def to_html(self) -> str:
        body = "".join(
            f"<tr><th scope=\"row\">{escape(l.label)}</th><td>{escape(l.formula)}</td>"
            f"<td class=\"amount\">{escape(fr_format(l.amount))}</td>"
            f"<td class=\"clause\">{escape(l.clause)}</td></tr>"
            for l in self.lines
        )
        notes = "".join(f"<p class=\"note\">{escape(n)}</p>" for n in self.notes)
        return (
            "<table class=\"explained\"><thead><tr><th scope=\"col\">Ligne</th>"
            "<th scope=\"col\">Calcul</th><th scope=\"col\">Montant</th>"
            "<th scope=\"col\">Clause</th></tr></thead>"
            f"<tbody>{body}</tbody><tfoot><tr><th scope=\"row\">Total</th><td></td>"
            f"<td class=\"amount\">{escape(fr_format(self.total))}</td><td></td></tr></tfoot>"
            f"</table>{notes}"
        )
