"""What other rooms may read of payments: the direct-debit details an invoice carries."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.payments.models import CreditorAccount, Mandate
from clausier.payments.rules import MandateStatus


@dataclass(frozen=True)
class DirectDebitFacts:
    creditor_identifier: str = ""                                  # the operator's ICS
    mandates: dict[int, str] = field(default_factory=dict)         # customer id -> RUM


def direct_debit_facts(session: Session, operator_id: int, customer_ids: list[int]
                       ) -> DirectDebitFacts:
    """The operator's SEPA creditor identifier and the reference of each customer's active
    mandate (the latest signed), for the invoices of a bill run."""
    creditor = session.scalar(select(CreditorAccount.creditor_identifier)
                              .where(CreditorAccount.operator_id == operator_id))
    if not creditor or not customer_ids:
        return DirectDebitFacts(creditor or "")
    rows = session.execute(select(Mandate.customer_id, Mandate.reference)
                           .where(Mandate.customer_id.in_(customer_ids),
                                  Mandate.status == MandateStatus.ACTIVE)
                           .order_by(Mandate.signed_on, Mandate.id))
    return DirectDebitFacts(creditor, {customer_id: reference for customer_id, reference in rows})
