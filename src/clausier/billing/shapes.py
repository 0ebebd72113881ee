"""How the billing edges (API, CLI) show an invoice: display shapes, no use case."""

from __future__ import annotations

from clausier.billing.models import Invoice


def invoice_dict(invoice: Invoice, with_lines: bool = True) -> dict:
    """An invoice or a credit note, its lines too unless ``with_lines`` is False."""
    data = {
        "id": invoice.id, "number": invoice.number, "kind": invoice.kind, "status": invoice.status,
        "customer_id": invoice.customer_id, "customer": invoice.buyer.get("name"),
        "period": invoice.period, "issue_date": invoice.issue_date, "due_date": invoice.due_date,
        "price_basis": invoice.price_basis, "total_ht": str(invoice.total_ht),
        "total_vat": str(invoice.total_vat), "total_ttc": str(invoice.total_ttc),
        "amount_paid": str(invoice.amount_paid), "vat_breakdown": invoice.vat_breakdown,
        "credited_invoice_id": invoice.credited_invoice_id, "reason": invoice.reason,
    }
    if with_lines:
        data["seller"], data["buyer"], data["mentions"] = invoice.seller, invoice.buyer, invoice.mentions
        data["lines"] = [{
            "position": line.position, "kind": line.kind, "label": line.label,
            "site": line.site_name, "quantity": str(line.quantity),
            "unit_price": str(line.unit_price), "amount": str(line.amount),
            "amount_ht": str(line.amount_ht), "vat_rate": line.vat_rate,
            "period_start": line.period_start, "period_end": line.period_end,
            "clause": line.clause, "explanation": line.explanation,
        } for line in invoice.lines]
    return data
