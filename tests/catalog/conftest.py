from tests.staff_fixtures import browser, loaded, staff_client  # noqa: F401  (shared fixtures)
