"""The equipment statuses are closed lists: read back as members, refused outside the list."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.exc import StatementError

from clausier.equipment import service
from clausier.equipment.models import SimCard
from clausier.equipment.rules import SimStatus
from tests.equipment.test_sim_cards import mobile_line, secret  # noqa: F401 (fixture)


def test_a_status_read_from_the_database_is_the_member(session, clock, actor):
    mobile_line(session, clock, actor, "technicophone")
    session.flush()
    session.expire_all()
    assert service.get_sim(session, "8933000000000000001").status is SimStatus.ACTIVE


def test_a_status_outside_the_list_is_refused_naming_it(session, clock, actor):
    mobile_line(session, clock, actor, "technicophone")
    with pytest.raises(StatementError, match="'blocked' is not a valid SimStatus"):
        session.execute(update(SimCard).values(status="blocked"))
