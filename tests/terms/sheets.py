"""The test sheet (``fixtures/mini_sheet.yaml``, an extract of Technicophone's terms, seed 001)
and variants of it written to a temporary folder."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

MINI = Path(__file__).parent / "fixtures" / "mini_sheet.yaml"
_DOCUMENT = yaml.safe_load(MINI.read_text(encoding="utf-8"))


def document() -> dict:
    return copy.deepcopy(_DOCUMENT)


def write(folder: Path, doc: dict, name: str = "sheet.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def internet_bands(doc: dict) -> list[dict]:
    return doc["families"]["internet"]["service_levels"]["availability"]["bands"]
