"""docs/CDR.md documents what the importer checks and what rating reads (issue 18 §7): the
columns and their keywords, and the offer attributes, kept alike with the code."""

from __future__ import annotations

import re
from pathlib import Path

from clausier.rating.cdr import rules as cdr
from clausier.rating.plans.rules import Bundle

DOC = (Path(__file__).resolve().parents[2] / "docs" / "CDR.md").read_text(encoding="utf-8")


def _table_after(heading: str) -> dict[str, str]:
    """The first column (backticked name) → the row, of the table after ``heading``."""
    section = DOC.split(heading, 1)[1]
    return {m[1]: m[0] for m in re.finditer(r"^\s*\| `(\w+)`[^\n]*", section, re.M)}


def test_every_column_is_documented_with_whether_it_is_required():
    rows = _table_after("## Columns")
    for column in cdr.COLUMNS:
        assert column in rows, column
        required = "| no " not in rows[column]
        assert required == (column in cdr.REQUIRED), column
    for keyword in (*cdr.DIRECTIONS, *cdr.TYPES, *cdr.TRAFFIC):
        assert f"`{keyword}`" in DOC, keyword


def test_every_bundle_key_rating_reads_is_documented():
    rows = _table_after("`bundle` keys")
    assert set(Bundle.__dataclass_fields__) <= set(rows)
    attributes = _table_after("**offer attributes**")
    assert {"channels", "users", "packs", "lines_managed", "bundle"} <= set(attributes)
