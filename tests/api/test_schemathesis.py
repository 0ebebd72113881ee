"""Property-based calls of every operation of ``/openapi.json`` (schemathesis, in process) as an
admin on the demo data, one by one and chained by the links schemathesis infers between them
(stateful): no input, however odd, makes the server fail (issue 17: "schemathesis over every
operation finds no 500"). Examples are bounded per operation so that the run stays short."""

from __future__ import annotations

import pytest

from clausier.accounts import service as accounts
from clausier.audit.service import Actor
from clausier.core.clock import FixedClock
from clausier.db.session import transaction
from tests.security.world import TODAY, world, world_app  # noqa: F401

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.config._health_check import HealthCheck  # noqa: E402
from schemathesis.engine import events, from_schema  # noqa: E402

EXAMPLES_PER_OPERATION = 3
STATEFUL_SCENARIOS = 40
STEPS_PER_SCENARIO = 6


@pytest.fixture(scope="module")
def admin_token(engine, world) -> str:
    clock = FixedClock.on(TODAY)
    with transaction(engine) as s:
        user = accounts.create_user(s, clock, Actor.system("test"), email="fuzz@test.example",
                                    name="Fuzz", role="admin", password="fuzzing-password")
        s.flush()
        return accounts.issue_token(s, clock, Actor.system("test"), user.id, "schemathesis")[1]


@pytest.mark.fuzz
def test_no_operation_nor_chain_of_operations_answers_a_server_error(world_app, admin_token):
    schema = schemathesis.openapi.from_asgi("/openapi.json", world_app)
    schema.config.update(headers={"authorization": f"Bearer {admin_token}"},
                         suppress_health_check=[HealthCheck.all])
    schema.config.checks.update(included_check_names=["not_a_server_error"])
    # The explicit examples and the coverage phase add thousands of cases for little more.
    schema.config.phases.update(phases=["fuzzing", "stateful"])
    schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION, deterministic=True)
    schema.config.phases.stateful.generation.update(max_examples=STATEFUL_SCENARIOS,
                                                    deterministic=True)
    schema.config.phases.stateful.max_steps = STEPS_PER_SCENARIO

    failures: set[str] = set()
    errors: list[str] = []
    cases: dict[str, int] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            phase = event.phase.value
            cases[phase] = cases.get(phase, 0) + len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                case = event.recorder.cases[case_id].value
                failures.update(
                    f"{case.method} {case.formatted_path} {case.query or ''} "
                    f"{str(case.body)[:200]}: {check.failure_info.failure.title}"
                    for check in checks if check.failure_info is not None)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(str(getattr(event, "value", None) or event.exception)[:400])
    assert not errors, "\n".join(errors[:10])
    assert not failures, "\n".join(sorted(failures)[:40])
    # Every operation was called (a handful of cases each), and chains of them too.
    assert cases.get("fuzzing", 0) >= 2 * len(list(schema.get_all_operations()))
    assert cases.get("stateful", 0) > STATEFUL_SCENARIOS
