"""The column types (``db/types.py``) refuse what no database stores with a reason, rather than
letting an ``OverflowError`` escape from the driver's conversion (issue 17, §4)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import literal, select
from sqlalchemy.exc import StatementError

from clausier.core.clock import PARIS
from clausier.billing.runs.rules import BillRunStatus
from clausier.db.base import Base, import_all_models
from clausier.db.types import Instant, Status


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


def test_a_status_column_has_the_length_it_is_given():
    assert Status(BillRunStatus, 20).impl.length == 20
    assert Status(BillRunStatus).impl.length == 30


def test_every_status_of_every_status_column_fits_its_column():
    """PostgreSQL refuses a text longer than its VARCHAR (``completed_with_errors`` in a
    VARCHAR(20) stopped a bill run with errors from finishing; SQLite stores it whole)."""
    import_all_models()
    too_long = [(table.name, column.name, status.value)
                for table in Base.metadata.sorted_tables for column in table.columns
                if isinstance(column.type, Status)
                for status in column.type.statuses if len(status.value) > column.type.impl.length]
    assert too_long == []
