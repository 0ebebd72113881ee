"""The column types (``db/types.py``) refuse what no database stores with a reason, rather than
letting an ``OverflowError`` escape from the driver's conversion (issue 17, §4)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import literal, select
from sqlalchemy.exc import StatementError

from clausier.core.clock import PARIS
from clausier.db.types import Instant


@pytest.mark.parametrize("beyond", [
    datetime(9999, 12, 31, 23, 30, tzinfo=ZoneInfo("America/New_York")),   # past it in UTC
    datetime(9999, 12, 31, 23, 30, tzinfo=UTC),                             # past it in Paris
])
def test_an_instant_off_the_calendar_once_converted_is_refused_with_its_value(session, beyond):
    with pytest.raises(StatementError) as refused:
        session.execute(select(literal(beyond, Instant())))
    assert isinstance(refused.value.orig, ValueError)
    assert str(refused.value.orig) == f"{beyond.isoformat()} is out of the range of instants"


def test_an_instant_within_range_round_trips_in_paris(session):
    moment = datetime(2026, 11, 24, 9, 0, tzinfo=PARIS)
    assert session.execute(select(literal(moment, Instant()))).scalar_one() == moment
