"""Every refusal code is stable snake_case, says one thing, and is raised as a literal member of
a room's ``RefusalCode`` (never made up at run time from a message)."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import clausier
from clausier.core.errors import RefusalCode

SOURCE = Path(clausier.__file__).parent
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _modules_declaring_codes() -> list[str]:
    return sorted(".".join(("clausier", *path.relative_to(SOURCE).with_suffix("").parts))
                  for path in SOURCE.rglob("*.py") if "(RefusalCode):" in path.read_text())


def _code_enums() -> list[type[RefusalCode]]:
    for module in _modules_declaring_codes():
        importlib.import_module(module)
    return [enum for enum in RefusalCode.__subclasses__() if enum.__module__ != __name__]


def test_codes_are_snake_case_and_no_two_rooms_share_one():
    enums = _code_enums()
    assert len(enums) >= 9          # contracts, access, support, equipment, numbers, payments,
    seen: dict[str, str] = {}       # billing, rating, and the VAT rates of core.money
    for enum in enums:
        for member in enum:
            assert SNAKE_CASE.match(member.value), f"{enum.__module__}: {member.value}"
            assert member.value == member.name, f"{enum.__module__}: {member.name}"
            assert member.value not in seen, (
                f"{member.value} in {seen.get(member.value)} and {enum.__module__}")
            seen[member.value] = enum.__module__


def test_every_refusal_is_raised_with_a_declared_code_and_a_field():
    declared = {enum.__name__ for enum in _code_enums()}
    raised = 0
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "RuleRefusal"):
                continue
            raised += 1
            code = node.args[0] if node.args else None
            assert (isinstance(code, ast.Attribute) and isinstance(code.value, ast.Name)
                    and code.value.id in declared), f"{path}:{node.lineno}: code not a member"
            assert len(node.args) >= 3, f"{path}:{node.lineno}: code, field and reason"
    assert raised > 100
