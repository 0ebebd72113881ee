"""The numbers' statuses are closed lists: read back as members, refused outside the list."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update
from sqlalchemy.exc import StatementError

from clausier.core.errors import InvalidInput
from clausier.numbers import service
from clausier.numbers.models import PhoneNumber
from clausier.numbers.rules import NumberStatus
from tests.numbers.test_numbers_and_ports import tec, vga  # noqa: F401 (fixtures)


def test_a_status_read_from_the_database_is_the_member(session, clock, actor, vga):  # noqa: F811
    service.add_numbers(session, clock, actor, vga.operator_id, ["0247661000"], "geographic", "37")
    service.assign(session, clock, actor, "0247661000", vga.id, date(2025, 1, 20))
    session.flush()
    session.expire_all()
    assert service.get_number(session, "0247661000").status is NumberStatus.ASSIGNED


def test_a_status_outside_the_list_is_refused_naming_it(session, clock, actor, vga):  # noqa: F811
    service.add_numbers(session, clock, actor, vga.operator_id, ["0247661000"], "geographic", "37")
    with pytest.raises(StatementError, match="'reserved' is not a valid NumberStatus"):
        session.execute(update(PhoneNumber).values(status="reserved"))


def test_listing_by_an_unknown_status_is_refused_with_its_code(session):
    with pytest.raises(InvalidInput) as refused:
        service.list_numbers(session, status="reserved")
    assert refused.value.code == "number_status_unknown"
