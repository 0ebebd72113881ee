"""Fixtures of the payments tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Letters are files under the data directory: keep them in the test's own folder."""
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path / "var"))
    return tmp_path / "var"
