import pytest

from tests.staff_fixtures import browser, loaded, staff_client  # noqa: F401  (shared fixtures)


@pytest.fixture(autouse=True)
def demo_data_dir(tmp_path, monkeypatch):
    """The files a demo loaded here writes (call records, letters) stay with the test."""
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path / "var"))
