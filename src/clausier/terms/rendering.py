"""Flatten a sheet into (path, value, source) rows for the CLI's tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from pydantic import BaseModel

from clausier.terms.schema import Band, SourceRef, Sourced


class Row(NamedTuple):
    path: str
    value: str
    src: SourceRef | None

    @property
    def clause(self) -> str:
        return "" if self.src is None else str(self.src)

    @property
    def reading(self) -> str | None:
        return None if self.src is None else self.src.reading


def flatten(node: object, path: str = "") -> Iterator[Row]:
    if isinstance(node, Sourced):
        yield Row(path, _show(node.value), node.src)
        return
    if isinstance(node, Band):
        yield Row(path, show_band(node), node.src)
        return
    if isinstance(node, BaseModel):
        values = {name: getattr(node, name) for name in type(node).model_fields}
        src = values.pop("src", None)
        leaves = {k: v for k, v in values.items()
                  if v is not None and not isinstance(v, BaseModel | list)}
        if isinstance(src, SourceRef):
            yield Row(path, ", ".join(f"{k}={_show(v)}" for k, v in leaves.items()), src)
            values = {k: v for k, v in values.items() if k not in leaves}
        for name, value in values.items():
            if value is None or value == []:
                continue
            yield from flatten(value, f"{path}.{name}" if path else name)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from flatten(value, f"{path}[{index}]")
    elif node not in (None, "") and not isinstance(node, SourceRef):
        yield Row(path, _show(node), None)


def show_band(band: Band) -> str:
    """``(6, 8]→2%``: brackets say whether each bound belongs to the band."""
    left = "[" if band.lower_inclusive else "("
    right = "]" if band.upper_inclusive else ")"
    lower = "-∞" if band.lower is None else str(band.lower)
    upper = "+∞" if band.upper is None else str(band.upper)
    return f"{left}{lower}, {upper}{right}→{band.percent}%"


def _show(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return str(value)
