"""The collections view of a customer: what it owes and why, and everything payments holds
about it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.billing.ledger.charges import pending_charges
from clausier.core.errors import NotAllowed
from clausier.notifications import outbox
from clausier.notifications.shapes import message_dict
from clausier.payments import invoices as invoice_reads
from clausier.payments import rules
from clausier.payments.common import get_customer, terms_of
from clausier.payments.deposits.service import list_deposits
from clausier.payments.disputes.service import list_disputes
from clausier.payments.dunning.service import due_of, open_case_of
from clausier.payments.invoices import owed
from clausier.payments.ledger.late_payment import accrued_interest
from clausier.payments.ledger.service import credits_of, list_payments
from clausier.payments.models import DirectDebitItem, DunningCase
from clausier.payments.sepa.service import list_mandates
from clausier.payments.shapes import deposit_dict, dispute_dict, mandate_dict, payment_dict

# --------------------------------------------------------------------------- the collections view


def collections(session: Session, customer_ref: str | int, on: date) -> dict:
    """Everything about a customer's money: what it owes (open invoices with the interest
    accrued, charges for the next invoice), the cases and their steps, payments, credits,
    mandates, debits, deposits, disputes, messages."""
    customer = get_customer(session, customer_ref)
    terms = terms_of(session, customer).terms
    case = open_case_of(session, customer.id)
    due = due_of(session, customer, terms, on, case)
    overdue_ids = {i.id for i in due.overdue}
    invoices = []
    for invoice in invoice_reads.open_invoices(session, customer.id):
        entry = {"number": invoice.number, "issue_date": invoice.issue_date,
                 "due_date": invoice.due_date,
                 "effective_due_date": rules.effective_due(invoice, due.accelerated_on),
                 "total": str(invoice.total), "outstanding": str(invoice.outstanding),
                 "disputed": str(invoice.disputed), "overdue": invoice.id in overdue_ids}
        try:
            entry["interest"] = accrued_interest(session, terms, invoice, on).as_dict()
        except NotAllowed as exc:
            entry["interest"] = {"error": exc.message}
        invoices.append(entry)
    cases = list(session.scalars(select(DunningCase).where(DunningCase.customer_id == customer.id)
                                 .order_by(DunningCase.id.desc())))
    items = list(session.scalars(select(DirectDebitItem).where(
        DirectDebitItem.customer_id == customer.id).order_by(DirectDebitItem.id)))
    return {
        "customer": {"id": customer.id, "ref": customer.ref, "name": customer.name, "kind": customer.kind},
        "on": on, "owed": str(owed(session, customer.id)),
        "pending_charges": [{"source": c.source, "label": c.label, "amount": str(c.amount),
                             "incurred_on": c.incurred_on, "explanation": c.explanation}
                            for c in pending_charges(session, customer.id)],
        "overdue": str(due.amount), "accelerated_on": due.accelerated_on, "invoices": invoices,
        "cases": [{"id": c.id, "status": c.status, "trigger": c.trigger, "opened_on": c.opened_on,
                   "due_date": c.due_date, "rejected_on": c.rejected_on, "closed_on": c.closed_on,
                   "closed_reason": c.closed_reason,
                   "steps": [{"id": r.id, "step": r.step_id, "action": r.action,
                              "reached_on": r.reached_on, "status": r.status, "basis": r.basis,
                              "basis_message": (r.details or {}).get("basis_message"),
                              "amount_due": str(r.amount_due), "letter_id": r.letter_id,
                              "decided_by": r.decided_by, "decided_on": r.decided_on}
                             for r in c.steps]} for c in cases],
        "payments": [payment_dict(p) for p in list_payments(session, customer.id)],
        "credits": [{"id": c.id, "source": c.source, "amount": str(c.amount),
                     "remaining": str(c.remaining), "created_on": c.created_on} for c in
                    credits_of(session, customer.id)],
        "mandates": [mandate_dict(m) for m in list_mandates(session, customer.id)],
        "debits": [{"end_to_end_id": i.end_to_end_id, "invoice": i.invoice_number,
                    "amount": str(i.amount), "collection_date": i.collection_date,
                    "sequence_type": i.sequence_type, "status": i.status,
                    "return_reason": i.return_reason} for i in items],
        "deposits": [deposit_dict(d) for d in list_deposits(session, customer.id)],
        "disputes": [dispute_dict(d) for d in list_disputes(session, customer.id)],
        "messages": [message_dict(m) for m in outbox.list_messages(session, customer.id)],
    }
