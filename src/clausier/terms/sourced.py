"""A sheet's values and their clauses: ``Sourced`` values, the ``SourceRef`` they cite, and the
``Block`` every part of a sheet derives from (unknown keys refused)."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict

T = TypeVar("T")

_SEED_REF = re.compile(r"^(?P<article>.+?)\s+L(?P<start>\d+)(?:-(?P<end>\d+))?$")
_READING_REF = re.compile(r"^reading:(?P<reading>[A-Z0-9][A-Z0-9-]*)$")
# A clause and the reading that settles how it applies: "CP I §6.3 L1624-1633; reading:T-VGA-ETF".
_CITED_READING_REF = re.compile(r"^(?P<seed>.+?)\s*;\s*reading:(?P<reading>[A-Z0-9][A-Z0-9-]*)$")


class SourceRef(BaseModel):
    """Where a value comes from: an article and seed lines, or a recorded reading."""

    model_config = ConfigDict(frozen=True)

    article: str = ""
    first_line: int | None = None
    last_line: int | None = None
    reading: str | None = None

    @classmethod
    def parse(cls, text: str) -> SourceRef:
        text = str(text).strip()
        if match := _READING_REF.match(text):
            return cls(reading=match["reading"])
        if match := _CITED_READING_REF.match(text):
            seed = cls.parse(match["seed"])
            if seed.reading:
                raise ValueError(f"{text!r}: write one clause, then one reading")
            return seed.model_copy(update={"reading": match["reading"]})
        if match := _SEED_REF.match(text):
            first = int(match["start"])
            last = int(match["end"] or first)
            if last < first:
                raise ValueError(f"line range L{first}-{last} runs backwards")
            return cls(article=match["article"].strip(), first_line=first, last_line=last)
        raise ValueError(
            f"{text!r} is not a source: write 'ARTICLE Lfirst-last' (e.g. 'CGV art. 7 L190-194')"
            " or 'reading:ID' for a recorded reading"
        )

    def __str__(self) -> str:
        if not self.article:
            return f"reading {self.reading}"
        lines = (f"L{self.first_line}" if self.first_line == self.last_line
                 else f"L{self.first_line}-{self.last_line}")
        cited = f"{self.article} ({lines})"
        return f"{cited}, reading {self.reading}" if self.reading else cited

    @property
    def seed_text(self) -> str:
        """The clause as the YAML writes it ("CGV art. 7 L190-194"), without the reading."""
        last = f"-{self.last_line}" if self.last_line != self.first_line else ""
        return f"{self.article} L{self.first_line}{last}"


def _to_source(raw: object) -> object:
    return SourceRef.parse(raw) if isinstance(raw, str) else raw


# A source written as text in the YAML ("CGV art. 7 L190-194" or "reading:ID").
Src = Annotated[SourceRef, BeforeValidator(_to_source)]


class Sourced(BaseModel, Generic[T]):
    """A value and its clause."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: T
    src: Src

    @cached_property        # frozen: written once (a bill run reads a sheet's clauses per line)
    def clause(self) -> str:
        return str(self.src)


class Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
