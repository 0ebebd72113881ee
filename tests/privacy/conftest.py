from tests.staff_fixtures import loaded, staff_client  # noqa: F401  (shared fixtures)
