"""How the payments edges (API, CLI, the collections view) show payments, mandates, disputes and
deposits: display shapes, no use case."""

from __future__ import annotations

from clausier.payments.models import Deposit, Dispute, Mandate, Payment


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
