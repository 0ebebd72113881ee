"""Property-based calls of every operation of ``/openapi.json`` (schemathesis, in process) as an
admin on the demo data: no input, however odd, makes the server fail (no 5xx). Examples are
bounded per operation so that the run stays short."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from clausier.accounts import service as accounts
from clausier.audit.service import Actor
from clausier.db.session import transaction
from tests.security.world import TODAY, world, world_app  # noqa: F401

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES_PER_OPERATION = 12
# The daily tick and bill runs start background work: no point in fuzzing their schedules.
SKIPPED: set[tuple[str, str]] = set()


@pytest.fixture(scope="module")
def admin_token(engine, world) -> str:
    from clausier.core.clock import FixedClock

    with transaction(engine) as s:
        user = accounts.create_user(s, FixedClock.on(TODAY), Actor.system("test"),
                                    email="fuzz@test.example", name="Fuzz", role="admin",
                                    password="fuzzing-password")
        s.flush()
        return accounts.issue_token(s, FixedClock.on(TODAY), Actor.system("test"), user.id,
                                    "schemathesis")[1]


def test_no_operation_answers_a_server_error(world_app, admin_token):
    schema = schemathesis.openapi.from_asgi("/openapi.json", world_app)
    headers = {"authorization": f"Bearer {admin_token}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        operations += 1

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  derandomize=True, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case):
            try:
                response = case.call(headers=headers)
            except Exception as exc:      # the test client re-raises what the server raised
                failures.append(f"{case.method} {case.formatted_path} {case.query or ''} "
                                f"{str(case.body)[:200]}: {type(exc).__name__}: {exc}"[:400])
                return
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} "
                                f"{case.query or ''} {str(case.body)[:200]}: "
                                f"{response.status_code} {response.text[:200]}")

        call()
    assert operations > 10
    assert not failures, "\n".join(sorted(set(failures))[:40])
