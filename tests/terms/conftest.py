"""The seed texts for the line checks of the term sheets (``tests/seeds.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.seeds import SEEDS_VARIABLE, locate_seeds


@pytest.fixture(scope="session")
def seeds() -> Path | None:
    """The seeds folder, or None outside CI when it is missing (line checks then skipped)."""
    return locate_seeds()


@pytest.fixture
def seeds_folder(seeds: Path | None) -> Path:
    """For a test that compares with a seed's text: skipped without the seeds (failed in CI)."""
    if seeds is None:
        pytest.skip(f"no seeds folder: set {SEEDS_VARIABLE} to run the line checks")
    return seeds
