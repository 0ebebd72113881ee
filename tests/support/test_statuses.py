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


def test_a_notice_names_the_tickets_event_by_its_label_in_either_language(session, ticket):
    """VGA §5.7: the people kept informed are told the ticket was opened. The subject is a
    message: its English is the text sent until now, its French names the event's label."""
    from clausier.support.rules import notice_texts
    from clausier.web.explain_text import explained

    notice = session.scalars(select(Notification).where(Notification.ticket_id == ticket.id)).first()
    assert notice.subject == f"[{ticket.ref}] opened"
    subject, body = notice_texts(ticket.ref, "opened", ticket.called_at, ticket.description)
    assert (subject, body) == (notice.subject, notice.body)
    assert explained(subject, "fr") == f"[{ticket.ref}] ouverture"
    assert explained(body, "fr").startswith(f"Ticket {ticket.ref} : ouverture le 2026-02-02T10:00")
    given, _ = notice_texts(ticket.ref, "access_given", ticket.called_at, "")
    assert (given, explained(given, "fr")) == (f"[{ticket.ref}] access given",
                                               f"[{ticket.ref}] accès au site obtenu")
