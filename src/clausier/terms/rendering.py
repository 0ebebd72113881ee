"""Flatten a sheet into (path, value, clause) rows for tables and the sheet's web page."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from clausier.terms.schema import SourceRef, Sourced


def flatten(node: object, path: str = "") -> Iterator[tuple[str, str, str]]:
    if isinstance(node, Sourced):
        yield path, _show(node.value), node.clause
        return
    if isinstance(node, BaseModel):
        values = {name: getattr(node, name) for name in type(node).model_fields}
        src = values.pop("src", None)
        leaves = {k: v for k, v in values.items()
                  if v is not None and not isinstance(v, BaseModel | list | dict)}
        if isinstance(src, SourceRef):
            yield path, ", ".join(f"{k}={_show(v)}" for k, v in leaves.items()), str(src)
            values = {k: v for k, v in values.items() if k not in leaves}
        for name, value in values.items():
            if value is None or value == [] or value == {}:
                continue
            yield from flatten(value, f"{path}.{name}" if path else name)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from flatten(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from flatten(value, f"{path}[{index}]")
    elif node not in (None, "") and not isinstance(node, SourceRef):
        yield path, _show(node), ""


def _show(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return str(value)
