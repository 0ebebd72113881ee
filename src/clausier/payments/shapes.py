"""How the payments edges (API, CLI, the collections view) show payments, mandates, disputes and
deposits: display shapes, no use case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clausier.notifications.shapes import message_dict
from clausier.payments.models import Deposit, Dispute, Mandate, Payment

if TYPE_CHECKING:
    from clausier.payments.overview import Collections, InvoiceDue


def payment_dict(payment: Payment) -> dict:
    return {"id": payment.id, "customer_id": payment.customer_id, "amount": str(payment.amount),
            "method": payment.method, "received_on": payment.received_on,
            "reference": payment.reference, "status": payment.status,
            "reversed_on": payment.reversed_on, "reversal_reason": payment.reversal_reason,
            "allocations": [{"invoice": a.invoice_number, "amount": str(a.amount),
                             "reversed": a.reversed} for a in payment.allocations]}


def mandate_dict(mandate: Mandate) -> dict:
    return {"id": mandate.id, "customer_id": mandate.customer_id, "reference": mandate.reference,
            "signed_on": mandate.signed_on, "debtor_name": mandate.debtor_name,
            "iban": mandate.iban, "bic": mandate.bic, "status": mandate.status,
            "status_reason": mandate.status_reason, "last_collection_on": mandate.last_collection_on}


def dispute_dict(dispute: Dispute) -> dict:
    return {"id": dispute.id, "customer_id": dispute.customer_id, "invoice": dispute.invoice_number,
            "received_on": dispute.received_on, "invoice_received_on": dispute.invoice_received_on,
            "channel": dispute.channel, "amount": str(dispute.amount), "reason": dispute.reason,
            "status": dispute.status, "decision": dispute.decision,
            "credit_note": dispute.credit_note_number}


def deposit_dict(deposit: Deposit) -> dict:
    return {"id": deposit.id, "customer_id": deposit.customer_id, "ground": deposit.ground,
            "clause": deposit.clause, "amount": str(deposit.amount), "held": str(deposit.held),
            "status": deposit.status, "requested_on": deposit.requested_on, "due_on": deposit.due_on,
            "provided_on": deposit.provided_on, "drawn_on": deposit.drawn_on,
            "replenish_by": deposit.replenish_by, "replenishment_late": deposit.replenishment_late,
            "released_on": deposit.released_on}


def collections_dict(view: Collections) -> dict:
    """The collections view of a customer (``overview.collections``) as the API, the CLI's
    ``--json`` and the customer's collections page show it."""
    customer, due = view.customer, view.due
    return {
        "customer": {"id": customer.id, "ref": customer.ref, "name": customer.name, "kind": customer.kind},
        "on": view.on, "owed": str(view.owed),
        "pending_charges": [{"source": c.source, "label": c.label, "amount": str(c.amount),
                             "incurred_on": c.incurred_on, "explanation": c.explanation}
                            for c in view.pending_charges],
        "overdue": str(due.amount), "accelerated_on": due.accelerated_on,
        "invoices": [_invoice_due_dict(entry) for entry in view.invoices],
        "cases": [{"id": c.id, "status": c.status, "trigger": c.trigger, "opened_on": c.opened_on,
                   "due_date": c.due_date, "rejected_on": c.rejected_on, "closed_on": c.closed_on,
                   "closed_reason": c.closed_reason,
                   "steps": [{"id": r.id, "step": r.step_id, "action": r.action,
                              "reached_on": r.reached_on, "status": r.status, "basis": r.basis,
                              "basis_message": (r.details or {}).get("basis_message"),
                              "amount_due": str(r.amount_due), "letter_id": r.letter_id,
                              "decided_by": r.decided_by, "decided_on": r.decided_on}
                             for r in c.steps]} for c in view.cases],
        "payments": [payment_dict(p) for p in view.payments],
        "credits": [{"id": c.id, "source": c.source, "amount": str(c.amount),
                     "remaining": str(c.remaining), "created_on": c.created_on}
                    for c in view.credits],
        "mandates": [mandate_dict(m) for m in view.mandates],
        "debits": [{"end_to_end_id": i.end_to_end_id, "invoice": i.invoice_number,
                    "amount": str(i.amount), "collection_date": i.collection_date,
                    "sequence_type": i.sequence_type, "status": i.status,
                    "return_reason": i.return_reason} for i in view.debits],
        "deposits": [deposit_dict(d) for d in view.deposits],
        "disputes": [dispute_dict(d) for d in view.disputes],
        "messages": [message_dict(m) for m in view.messages],
    }


def _invoice_due_dict(entry: InvoiceDue) -> dict:
    invoice = entry.invoice
    return {"number": invoice.number, "issue_date": invoice.issue_date,
            "due_date": invoice.due_date, "effective_due_date": entry.effective_due_date,
            "total": str(invoice.total), "outstanding": str(invoice.outstanding),
            "disputed": str(invoice.disputed), "overdue": entry.overdue,
            "interest": (entry.interest.as_dict() if entry.interest is not None
                         else {"error": entry.interest_refused})}
