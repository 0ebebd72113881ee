"""Where the tests find the seed texts, the terms of sale that the sheets cite by line:
``../shared/seeds`` beside the repository, or the folder ``$CLAUSIER_SEEDS_DIR`` names.

Without them the line checks are skipped on a developer's machine, but fail in CI, where a
missing folder would otherwise pass unnoticed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_SEEDS = REPOSITORY.parent / "shared" / "seeds"
SEEDS_VARIABLE = "CLAUSIER_SEEDS_DIR"


def in_ci(environ: Mapping[str, str]) -> bool:
    return environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def locate_seeds(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The seeds folder; None when it is missing outside CI. In CI, a missing folder fails."""
    folder = Path(environ.get(SEEDS_VARIABLE) or DEFAULT_SEEDS)
    if folder.is_dir():
        return folder
    if in_ci(environ):
        pytest.fail(f"no seeds folder at {folder}: CI checks the sheets' line ranges against "
                    f"the seeds; put them there or set {SEEDS_VARIABLE}", pytrace=False)
    return None
