"""An outbox message's status is a closed list (notifications.rules.MessageStatus), read back as
its member; the outbox's refusals carry stable codes (issue "Room boundaries")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from clausier.core.errors import InvalidInput
from clausier.notifications import outbox, shapes
from clausier.notifications.models import OutboxMessage
from clausier.notifications.rules import MessageStatus
from tests import factories


@pytest.fixture
def reminder(session, clock, actor) -> OutboxMessage:
    ozone = factories.operator(session, clock, actor, "ozone")
    customer = factories.customer(session, clock, ozone, "Jeanne Durand", kind="household")
    customer.email = "jeanne@example.org"
    return outbox.queue(session, clock, actor, customer, channel="email", kind="reminder",
                        key="reminder:1", subject="OZONE : facture impayée", body="Bonjour,")


def test_a_status_read_from_the_database_is_the_member(session, reminder):
    session.flush()
    session.expunge_all()
    loaded = session.scalar(select(OutboxMessage).where(OutboxMessage.key == "reminder:1"))
    assert loaded.status is MessageStatus.QUEUED
    assert shapes.message_dict(loaded)["status"] == "queued"
    assert session.scalar(text("select status from outbox_messages where id = :id"),
                          {"id": loaded.id}) == "queued"


def test_a_status_outside_the_list_is_refused_naming_it(session, reminder):
    reminder.status = "lost"
    with pytest.raises(StatementError, match="'lost' is not a valid MessageStatus"):
        session.flush()


def test_an_e_mail_has_no_receipt_and_says_so_with_a_stable_code(session, clock, actor, reminder):
    with pytest.raises(InvalidInput) as refused:
        outbox.record_receipt(session, clock, actor, reminder.id, clock.today() + timedelta(days=2))
    assert refused.value.code == "outbox_message_not_a_letter"
    with pytest.raises(InvalidInput) as unknown:
        outbox.list_messages(session, status="lost")
    assert unknown.value.code == "outbox_status_unknown"
