"""Statuses of data-subject requests, change notices and objections are closed lists
(privacy.rules), read back as their members; a refusal carries a stable code (issue "Room
boundaries")."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from clausier.core.errors import Conflict, InvalidInput
from clausier.privacy import service
from clausier.privacy.models import DataSubjectRequest
from clausier.privacy.rules import RequestStatus
from tests.privacy import world


@pytest.fixture
def request_(session, clock, actor, tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path))
    op = world.technicophone(session, clock, actor)
    customer = world.customer_with_contacts(session, clock, actor, op)
    return service.open_request(session, clock, actor, kind="access", received_on=date(2026, 11, 2),
                                requester="Jeanne Martin", customer_id=customer.id)


def test_a_request_status_read_from_the_database_is_the_member(session, request_):
    session.flush()
    session.expunge_all()
    loaded = session.scalar(select(DataSubjectRequest).where(DataSubjectRequest.ref == request_.ref))
    assert loaded.status is RequestStatus.OPEN
    assert session.scalar(text("select status from privacy_requests where id = :id"),
                          {"id": loaded.id}) == "open"


def test_a_status_outside_the_list_is_refused_naming_it(session, request_):
    request_.status = "forgotten"
    with pytest.raises(StatementError, match="'forgotten' is not a valid RequestStatus"):
        session.flush()


def test_answering_twice_is_refused_with_a_stable_code(session, clock, actor, request_):
    # Annexe 1 B.1.e: a request is answered once, within the month.
    service.answer_request(session, clock, actor, request_.ref, date(2026, 11, 20))
    with pytest.raises(Conflict) as refused:
        service.answer_request(session, clock, actor, request_.ref, date(2026, 11, 21))
    assert refused.value.code == "subject_request_already_answered"


def test_listing_by_an_unknown_status_is_invalid_input_not_a_crash(session, request_):
    with pytest.raises(InvalidInput) as refused:
        service.list_requests(session, status="lost")
    assert refused.value.code == "subject_request_status_unknown"
    assert [r.ref for r in service.list_requests(session, status="open")] == [request_.ref]
