"""A folder sheet may split its general section into ``general/*.yaml`` files (e.g. an annex)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clausier.core.errors import InvalidInput
from clausier.terms.loader import load_sheet

SHEET = """\
id: demo
version: 1
valid_from: 2023-07-01
title: Demo
operator: {name: Demo}
source: {seed: demo.txt}
customer_kind: business
price_basis: HT
"""
NOTICE = """\
  notice:
    months_before_term: {value: 3, src: "CGV art. 7 L10-12"}
"""
PRIVACY = """\
privacy:
  figures:
    audit_notice_business_days: {value: 60, src: "Annexe 1 L100-102"}
"""


def _folder(tmp_path: Path, general: str = "", parts: dict[str, str] | None = None) -> Path:
    (tmp_path / "sheet.yaml").write_text(SHEET + (f"general:\n{general}" if general else ""),
                                         encoding="utf-8")
    (tmp_path / "general").mkdir()
    for name, text in (parts or {}).items():
        (tmp_path / "general" / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_general_parts_are_merged_into_the_general_section(tmp_path: Path) -> None:
    sheet = load_sheet(_folder(tmp_path, NOTICE, {"privacy.yaml": PRIVACY}))
    assert sheet.general.notice.months_before_term.value == 3
    figure = sheet.general.privacy.figures.audit_notice_business_days
    assert (figure.value, figure.clause) == (60, "Annexe 1 (L100-102)")


def test_a_folder_without_general_parts_loads_as_before(tmp_path: Path) -> None:
    sheet = load_sheet(_folder(tmp_path, NOTICE))
    assert sheet.general.privacy is None


def test_a_block_in_sheet_yaml_and_in_a_part_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as error:
        load_sheet(_folder(tmp_path, NOTICE, {"notice.yaml": "notice: {}\n"}))
    assert "general.notice" in str(error.value.problems[0])
    problem = str(error.value.problems[0])
    assert "sheet.yaml" in problem and "general/notice.yaml" in problem


def test_a_block_in_two_parts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as error:
        load_sheet(_folder(tmp_path, parts={"a.yaml": PRIVACY, "b.yaml": PRIVACY}))
    assert "general/a.yaml" in str(error.value.problems[0])
    assert "general/b.yaml" in str(error.value.problems[0])
