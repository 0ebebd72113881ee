"""The seeds are found beside the repository or where ``CLAUSIER_SEEDS_DIR`` says; a missing
folder skips the line checks on a developer's machine and fails them in CI."""

from __future__ import annotations

import pytest
from tests.seeds import REPOSITORY, locate_seeds


def test_the_seeds_are_found_beside_the_repository():
    found = locate_seeds({})
    if found is None:
        pytest.skip("no ../shared/seeds beside this repository")
    assert found == REPOSITORY.parent / "shared" / "seeds"
    # The Technicophone sheet cites seed 001 (tests/terms/test_technicophone_a_b.py).
    assert (found / "001_742b69a7556570e9.txt").is_file()


def test_the_variable_names_another_folder(tmp_path):
    assert locate_seeds({"CLAUSIER_SEEDS_DIR": str(tmp_path)}) == tmp_path


def test_a_missing_folder_skips_the_line_checks_outside_ci(tmp_path):
    assert locate_seeds({"CLAUSIER_SEEDS_DIR": str(tmp_path / "none"), "CI": "false"}) is None


def test_a_missing_folder_fails_in_ci(tmp_path):
    missing = tmp_path / "none"
    with pytest.raises(pytest.fail.Exception, match=f"no seeds folder at {missing}: .*"
                                                    "set CLAUSIER_SEEDS_DIR"):
        locate_seeds({"CLAUSIER_SEEDS_DIR": str(missing), "CI": "true"})
