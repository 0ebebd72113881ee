"""Statuses of tickets and notices are closed lists (support.rules), read back as their members;
a refusal carries a stable code (issue "Room boundaries")."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from clausier.core.clock import PARIS, FixedClock
from clausier.core.errors import NotAllowed
from clausier.support import service
from clausier.support.models import Notification, Ticket
from clausier.support.rules import NoticeStatus, TicketStatus
from clausier.support.service import TicketInput

from tests.support import world as w


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=PARIS)


@pytest.fixture
def ticket(session, actor):
    world = w.build(session, FixedClock(at(2026, 1, 5, 9)), actor)
    isdn = w.service(session, FixedClock(at(2026, 1, 5, 9)), actor, world, "vga-isdn")
    called = at(2026, 2, 2, 10)
    return service.open_ticket(session, FixedClock(called), actor, TicketInput(
        subscription=isdn.ref, reporter_contact_id=world.reporter.id,
        description="No dial tone on the ISDN access", called_at=called))


def test_statuses_read_from_the_database_are_the_members(session, ticket):
    session.flush()
    session.expunge_all()
    loaded = session.scalar(select(Ticket).where(Ticket.ref == ticket.ref))
    assert loaded.status is TicketStatus.OPEN
    notice = session.scalars(select(Notification).where(Notification.ticket_id == loaded.id)).first()
    assert notice.status is NoticeStatus.PENDING
    # The text stored is the one before the enums: no migration.
    assert session.scalar(text("select status from tickets where id = :id"),
                          {"id": loaded.id}) == "open"


def test_a_status_outside_the_list_is_refused_naming_it(session, ticket):
    ticket.status = "archived"
    with pytest.raises(StatementError, match="'archived' is not a valid TicketStatus"):
        session.flush()


def test_closing_an_open_ticket_is_refused_with_a_stable_code_vga_5_9(session, actor, ticket):
    # VGA §5.9: a ticket is closed once restoration has been notified, not before.
    with pytest.raises(NotAllowed) as refused:
        service.close(session, FixedClock(at(2026, 2, 2, 11)), actor, ticket.ref)
    assert refused.value.code == "ticket_wrong_status"
