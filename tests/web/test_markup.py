"""Markup rules every template keeps (accessibility and the CSP): table headers say what they head,
no inline script or style."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "clausier" / "web" / "templates"
SOURCES = sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("template", SOURCES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_table_headers_have_a_scope_and_nothing_is_inline(template):
    text = template.read_text(encoding="utf-8")
    assert not [h for h in re.findall(r"<th\b[^>]*>", text) if "scope=" not in h], \
        "every <th> needs scope=\"col\" or scope=\"row\""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script> (CSP)"
    assert not re.search(r"<style\b|\sstyle=\"", text), "inline style (CSP)"
