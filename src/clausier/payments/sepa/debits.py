"""What the rest of payments reads of SEPA direct debits: a customer's active mandate, and the
invoices whose first debit is on its way."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.payments.models import DirectDebitItem, Mandate
from clausier.payments.rules import DebitStatus, MandateStatus


def active_mandate(session: Session, customer_id: int) -> Mandate | None:
    return session.scalar(select(Mandate).where(Mandate.customer_id == customer_id,
                                                Mandate.status == MandateStatus.ACTIVE))


def pending_first_presentations(session: Session, customer_id: int) -> set[int]:
    """Invoices whose first debit is on its way: not due for the dunning ladder meanwhile."""
    return set(session.scalars(select(DirectDebitItem.invoice_id).where(
        DirectDebitItem.customer_id == customer_id, DirectDebitItem.presentation == 1,
        DirectDebitItem.status.in_((DebitStatus.SCHEDULED, DebitStatus.EXPORTED)))))


