"""``clausier terms lint``: what a sheet states wrongly, beyond its schema.

Checks bands (overlaps and gaps), references (families, readings), unresolved
contradictions and, when the seed is at hand, line ranges beyond the seed's end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel

from clausier.core.errors import InvalidInput, Problem
from clausier.terms.loader import parse_yaml, read_document, validate_document
from clausier.terms.readings import reading_index, unknown_rules
from clausier.terms.rendering import show_band
from clausier.terms.schema import Band, SourceRef, TermSheet


def lint_path(path: Path, seeds_dir: Path | None = None) -> list[Problem]:
    """Lint a sheet file or folder."""
    return _lint_document(lambda: read_document(Path(path)), str(path), seeds_dir)


def lint_text(text: str, seeds_dir: Path | None = None, origin: str = "sheet") -> list[Problem]:
    """Lint a one-file sheet given as YAML text (the API's ``POST /terms/lint``)."""
    return _lint_document(lambda: parse_yaml(text, origin), origin, seeds_dir)


def _lint_document(read: Callable[[], dict], origin: str,
                   seeds_dir: Path | None) -> list[Problem]:
    try:
        sheet = validate_document(read(), origin=origin)
    except InvalidInput as exc:
        return exc.problems or [Problem(origin, exc.message)]
    return lint_sheet(sheet, seeds_dir)


def lint_sheet(sheet: TermSheet, seeds_dir: Path | None = None,
               applied: bool = True) -> list[Problem]:
    """Every check; ``applied=False`` leaves out whether each reading is applied by a rule (a
    sheet stored for its history is judged on what it states, not on today's code)."""
    problems: list[Problem] = []
    problems += _check_references(sheet)
    problems += _check_readings(sheet)
    if applied:
        problems += _check_applied(sheet)
    problems += _check_bands(sheet)
    if seeds_dir is not None:
        problems += _check_line_ranges(sheet, seeds_dir)
    return problems


def _walk(node: object, path: str) -> Iterator[tuple[str, object]]:
    yield path, node
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _walk(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}.{index}")


def _sources(sheet: TermSheet) -> Iterator[tuple[str, SourceRef]]:
    for path, node in _walk(sheet, ""):
        if isinstance(node, SourceRef):
            yield path, node


def _check_references(sheet: TermSheet) -> list[Problem]:
    problems = []
    reading_ids = {r.id for r in sheet.readings}
    for path, ref in _sources(sheet):
        if ref.reading and ref.reading not in reading_ids:
            problems.append(Problem(path, f"refers to unknown reading {ref.reading}"))
        elif not ref.article:
            # Explained lines cite the clause a person can open; a reading id only follows it.
            problems.append(Problem(path, f"reading {ref.reading} cites no clause: give it "
                                          "'applies' or quote a text with its seed lines"))
    for name, family in sheet.families.items():
        if family.same_as is not None and family.same_as not in sheet.families:
            problems.append(Problem(f"families.{name}.same_as",
                                    f"refers to unknown section {family.same_as!r}"))
        elif family.same_as is not None:
            try:
                sheet.terms_for(name)
            except ValueError as exc:      # a circle of same_as
                problems.append(Problem(f"families.{name}.same_as", str(exc)))
            except KeyError:
                pass                       # an unknown section further up, reported there
    return problems


def _check_readings(sheet: TermSheet) -> list[Problem]:
    problems = []
    for index, reading in enumerate(sheet.readings):
        if reading.kind == "contradiction" and not reading.chosen:
            problems.append(Problem(f"readings.{index}.chosen",
                                    f"contradiction {reading.id} is unresolved: record the reading applied"))
        if reading.kind == "contradiction" and len(reading.texts) < 2:
            problems.append(Problem(f"readings.{index}.texts",
                                    f"contradiction {reading.id} must quote the texts that disagree"))
    return problems


def _check_applied(sheet: TermSheet) -> list[Problem]:
    """A reading no rule applies is a decision the product ignores (``terms.readings``)."""
    positions = {reading.id: index for index, reading in enumerate(sheet.readings)}
    problems = [Problem(f"readings.{positions[reading]}.applied_by",
                        f"{reading} names {rule}, which is no function of the rules")
                for reading, rule in unknown_rules(sheet)]
    problems += [Problem(f"readings.{positions[reading]}",
                         f"reading {reading} is applied by no rule: cite it in the src of the value "
                         "it settles, or name the rules that apply it (applied_by)")
                 for reading, rules in reading_index(sheet).items() if not rules]
    return problems


def _check_bands(sheet: TermSheet) -> list[Problem]:
    problems = []
    for path, node in _walk(sheet, ""):
        if isinstance(node, list) and node and all(isinstance(item, Band) for item in node):
            # Each access type's table is a band list of its own (VGA: analogue and ISDN).
            for access in dict.fromkeys(band.access for band in node):
                problems += check_band_list([b for b in node if b.access == access], path)
    return problems


def check_band_list(bands: list[Band], path: str) -> list[Problem]:
    """Bands must be disjoint and contiguous; each must be non-empty."""
    problems = []
    low = Decimal("-Infinity")
    high = Decimal("Infinity")
    ordered = sorted(bands, key=lambda b: (b.lower if b.lower is not None else low))
    for band in ordered:
        lower = band.lower if band.lower is not None else low
        upper = band.upper if band.upper is not None else high
        if lower > upper or (lower == upper and not (band.lower_inclusive and band.upper_inclusive)):
            problems.append(Problem(path, f"band {show_band(band)} is empty"))
    for before, after in zip(ordered, ordered[1:]):
        end = before.upper if before.upper is not None else high
        start = after.lower if after.lower is not None else low
        if start < end or (start == end and before.upper_inclusive and after.lower_inclusive):
            problems.append(Problem(
                path, f"bands {show_band(before)} and {show_band(after)} overlap"))
        elif start > end or (start == end and not before.upper_inclusive and not after.lower_inclusive):
            problems.append(Problem(
                path, f"gap between bands {show_band(before)} and {show_band(after)}"))
    return problems


def _check_line_ranges(sheet: TermSheet, seeds_dir: Path) -> list[Problem]:
    seed = Path(seeds_dir) / sheet.source.seed
    if not seed.exists():
        return []
    length = sum(1 for _ in seed.open(encoding="utf-8"))
    return [
        Problem(path, f"line L{ref.last_line} is beyond the end of {seed.name} ({length} lines)")
        for path, ref in _sources(sheet)
        if ref.last_line is not None and ref.last_line > length
    ]
