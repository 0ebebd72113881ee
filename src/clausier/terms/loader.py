"""Reading term sheets from YAML: one file, or a folder (``sheet.yaml``, ``general/*.yaml``,
``families/*.yaml``, ``readings*.yaml``) so that each schedule of a long contract has its own
file."""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from clausier.core.errors import InvalidInput, Problem
from clausier.terms.schema import TermSheet

BUILT_IN_DIR = Path(__file__).parent / "sheets"


def read_document(path: Path) -> dict[str, Any]:
    """The raw document of a sheet file or folder, before validation."""
    path = Path(path)
    if path.is_dir():
        document = _read_yaml(path / "sheet.yaml")
        document["general"] = _merge_general_parts(path, dict(document.get("general") or {}))
        families = dict(document.get("families") or {})
        for family_file in sorted((path / "families").glob("*.yaml")):
            if family_file.stem in families:
                raise InvalidInput.on(f"families.{family_file.stem}",
                                      f"defined both in sheet.yaml and in {family_file.name}")
            families[family_file.stem] = _read_yaml(family_file)
        document["families"] = families
        readings = list(document.get("readings") or [])
        for readings_file in sorted(path.glob("readings*.yaml")):
            readings += _read_yaml(readings_file, expect=list)
        document["readings"] = readings
        return document
    return _read_yaml(path)


def _merge_general_parts(path: Path, general: dict[str, Any]) -> dict[str, Any]:
    """Add the blocks of ``general/*.yaml`` (an annex, e.g. privacy) to the general section.

    A block stated in two places would make one of them silently lost: refuse it."""
    origin = dict.fromkeys(general, "sheet.yaml")
    for part_file in sorted((path / "general").glob("*.yaml")):
        for block, content in _read_yaml(part_file).items():
            if block in origin:
                raise InvalidInput.on(
                    f"general.{block}",
                    f"defined both in {origin[block]} and in general/{part_file.name}")
            origin[block] = f"general/{part_file.name}"
            general[block] = content
    return general


def _read_yaml(path: Path, expect: type = dict) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput.on(str(path), "file not found") from None
    return parse_yaml(text, str(path), expect)


# libyaml's safe loader when present: the pure-Python one takes seconds on the built-in sheets.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, origin: str = "sheet", expect: type = dict) -> Any:
    """Parse YAML text (safe loader); a syntax error names the line."""
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise InvalidInput(f"{origin}: not valid YAML ({exc})",
                           problems=[Problem(origin, "not valid YAML", line)]) from None
    if data is None:
        data = expect()
    if not isinstance(data, expect):
        raise InvalidInput.on(origin, f"expected a YAML {expect.__name__}")
    return data


def cite_readings(document: dict[str, Any]) -> dict[str, Any]:
    """Every value sourced by a reading alone also cites the clause the reading applies.

    ``src: "reading:T-X"`` becomes ``src: "CP I §6.3 L1624-1633; reading:T-X"``, the clause
    being the reading's ``applies`` or the first text it quotes, so that an explained line always
    names an article and seed lines a person can open (the reading id follows, never replaces it).
    """
    clauses: dict[str, str] = {}
    for reading in document.get("readings") or []:
        if not isinstance(reading, dict) or "id" not in reading:
            continue
        cited = reading.get("applies") or next(
            (text.get("src") for text in reading.get("texts") or []
             if isinstance(text, dict) and isinstance(text.get("src"), str)
             and not text["src"].startswith("reading:")), None)
        if cited:
            clauses[str(reading["id"])] = str(cited)

    def cite(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: (f"{clauses[value[8:]]}; {value}"
                          if key == "src" and isinstance(value, str) and value.startswith("reading:")
                          and value[8:] in clauses else cite(value))
                    for key, value in node.items()}
        if isinstance(node, list):
            return [cite(value) for value in node]
        return node

    return {key: value if key == "readings" else cite(value) for key, value in document.items()}


def validate_document(document: dict[str, Any], origin: str = "sheet") -> TermSheet:
    try:
        return TermSheet.model_validate(cite_readings(document))
    except ValidationError as exc:
        problems = [
            Problem(".".join(str(part) for part in error["loc"]) or origin,
                    _reason(error))
            for error in exc.errors()
        ]
        summary = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise InvalidInput(f"{origin}: {summary}{more}", problems=problems) from None


def _reason(error: dict) -> str:
    if error["type"] == "missing" and error["loc"] and error["loc"][-1] == "src":
        return "value without a source: add src 'ARTICLE Lfirst-last' or 'reading:ID'"
    if error["type"] == "extra_forbidden":
        block = _block_at(error["loc"][:-1])
        close = get_close_matches(str(error["loc"][-1]), list(block.model_fields) if block else [], n=1)
        return "no such field in this block" + (f": did you mean {close[0]}?" if close else "")
    return error["msg"]


def _block_at(loc: tuple) -> type[BaseModel] | None:
    """The block a validation error's location points into, to name its fields."""
    annotation: Any = TermSheet
    for part in loc:
        annotation = next((inner for candidate in _alternatives(annotation)
                           if (inner := _inside(candidate, part)) is not None), None)
    blocks = [c for c in _alternatives(annotation) if isinstance(c, type) and issubclass(c, BaseModel)]
    return blocks[0] if len(blocks) == 1 else None


def _inside(annotation: Any, part: str | int) -> Any:
    if get_origin(annotation) is list and isinstance(part, int):
        return get_args(annotation)[0]
    if get_origin(annotation) is dict and isinstance(part, str):
        return get_args(annotation)[1]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and part in annotation.model_fields:
        return annotation.model_fields[part].annotation
    return None


def _alternatives(annotation: Any) -> list[Any]:
    """The types an annotation admits (``X | None``, ``Annotated[...]``), flattened."""
    if get_origin(annotation) is Annotated:
        return _alternatives(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return [inner for arg in get_args(annotation) for inner in _alternatives(arg)]
    return [] if annotation is None else [annotation]


def load_sheet(path: Path) -> TermSheet:
    return validate_document(read_document(path), origin=str(path))


def built_in_paths() -> list[Path]:
    if not BUILT_IN_DIR.is_dir():
        return []
    return sorted(p for p in BUILT_IN_DIR.iterdir()
                  if (p.is_dir() and (p / "sheet.yaml").exists()) or p.suffix == ".yaml")


def built_in_sheets() -> list[TermSheet]:
    return [load_sheet(path) for path in built_in_paths()]
