"""Which rules apply each reading of a sheet: the index reading → rules.

A reading settles how a clause applies. The rules that apply it are the functions that read a
sheet value citing the reading (``src: "CGV art. 2 L66-67; reading:T-X"``): a value's field
(``withdrawal.days_counted_in``, ``figures.payout_claimable_after_business_days``) is read by
the functions of the rooms' ``rules.py`` and ``service.py`` (those of their sub-packages too)
that name it. A reading that settles no single value (what a delay runs from, a
word of the definitions) names its rules itself (``applied_by``: ``room.module.function``, or
``room.package.module.function``). ``clausier terms lint`` fails on a reading that no rule
applies, so a reading cannot be recorded and then forgotten by the code.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

from clausier.terms.schema import SourceRef, TermSheet

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# The modules whose functions apply the terms: each room's pure rules and its use cases.
RULE_MODULES = ("rules.py", "service.py", "changes.py")


@cache
def names_read_by_rules() -> dict[str, frozenset[str]]:
    """For each function of the rule modules (``room.module.function``): the attribute names it
    reads and the strings it names."""
    found: dict[str, frozenset[str]] = {}
    # The demo loader writes the sheets' figures into its data; it applies no reading.
    for room in sorted(p for p in PACKAGE_DIR.iterdir() if p.is_dir() and p.name != "demo"):
        # A room's modules, and those of its sub-packages (``rating/sva/rules.py``).
        for module in sorted(m for name in RULE_MODULES for m in room.rglob(name)):
            dotted = ".".join(module.relative_to(PACKAGE_DIR).with_suffix("").parts)
            tree = ast.parse(module.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef) and not node.name.startswith("__"):
                    names = {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
                    names |= {n.value for n in ast.walk(node)
                              if isinstance(n, ast.Constant) and isinstance(n.value, str)}
                    found[f"{dotted}.{node.name}"] = frozenset(names)
    return found


def _walk_sources(node: object, path: tuple[str, ...]):
    from pydantic import BaseModel

    if isinstance(node, SourceRef):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _walk_sources(getattr(node, name), path + (name,))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _walk_sources(value, path + (str(key),))
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _walk_sources(value, path)


def cited_fields(sheet: TermSheet) -> dict[str, set[tuple[str, ...]]]:
    """Reading id → the sheet fields whose values cite it (the readings' own quotations
    excluded), each as the names a rule reads it by: its block and its field
    (``("payment", "due_days_after_issue")``, ``("figures", "payout_claimable_after_business_days")``)."""
    fields: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for section_name in ("general", "families"):
        for path, ref in _walk_sources(getattr(sheet, section_name), (section_name,)):
            if ref.reading:
                names = [p for p in path if p not in ("src", "value")]
                fields[ref.reading].add(tuple(names[-2:]))
    return fields


def reading_index(sheet: TermSheet) -> dict[str, tuple[str, ...]]:
    """Reading id → the rules that apply it (sorted), empty when none does: those it names, and
    the functions that read a value citing it (by its block and field; by its field alone when no
    function names the block, a rule handed the block itself)."""
    readers = names_read_by_rules()
    fields = cited_fields(sheet)
    index = {}
    for reading in sheet.readings:
        rules = {rule for rule in reading.applied_by if rule in readers}
        for names in fields.get(reading.id, ()):
            exact = {rule for rule, read in readers.items() if set(names) <= read}
            rules |= exact or {rule for rule, read in readers.items() if names[-1] in read}
        index[reading.id] = tuple(sorted(rules))
    return index


def unknown_rules(sheet: TermSheet) -> list[tuple[str, str]]:
    """(reading id, rule) pairs of ``applied_by`` naming no function of the rule modules."""
    readers = names_read_by_rules()
    return [(reading.id, rule) for reading in sheet.readings for rule in reading.applied_by
            if rule not in readers]
