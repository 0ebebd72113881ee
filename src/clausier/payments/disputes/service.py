"""Disputes of invoices (CGV art. 11.3): admissible only within the sheet's window and by its
channel; an admissible dispute holds back the disputed part; accepted, a credit note; rejected,
the amount is due from the original due date."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.billing import facts as billing_facts
from clausier.billing.invoices import service as billing
from clausier.core.clock import Clock
from clausier.core.errors import InvalidInput, NotAllowed
from clausier.core.message import joined, msg
from clausier.core.money import fr_format, money
from clausier.db.lookup import get_or_not_found
from clausier.notifications import outbox
from clausier.payments import invoices as invoice_reads
from clausier.payments import rules
from clausier.payments.rules import DisputeStatus
from clausier.payments.common import customer_by_id, parse_amount, rows_of, terms_of
from clausier.payments.dunning.service import advance
from clausier.payments.models import Dispute
from clausier.terms.schema import Channel

# --------------------------------------------------------------------------- disputes


def record_dispute(session: Session, clock: Clock, actor: Actor, invoice_number: str, *,
                   received_on: date, channel: str, amount: object | None = None, reason: str = "",
                   invoice_received_on: date | None = None) -> Dispute:
    """A dispute of an invoice: admissible only within the sheet's window and by its channel; an
    admissible dispute holds back the disputed part (the rest stays due at the due date)."""
    invoice = billing_facts.invoice_by_number(session, invoice_number)
    if invoice.number is None or invoice.kind != "invoice":
        raise NotAllowed(f"invoice {invoice.number or invoice.id}: only an issued invoice is disputed",
                         code=rules.Refused.dispute_invoice_not_issued)
    if channel not in {c.value for c in Channel}:
        raise InvalidInput.on("channel", f"{channel!r} is not one of {', '.join(c.value for c in Channel)}",
                              code=rules.Refused.dispute_channel_unknown)
    customer = customer_by_id(session, invoice.customer_id)
    fact = invoice_reads.facts(session, [invoice])[0]
    value = fact.outstanding if amount is None else parse_amount(amount, "amount")
    if value <= 0 or value > fact.outstanding:
        raise InvalidInput.on("amount", f"{fr_format(value)}: between 0 and the "
                                        f"{fr_format(fact.outstanding)} left to pay",
                              code=rules.Refused.dispute_amount_out_of_range)
    received_invoice = invoice_received_on or invoice.issue_date
    decision = rules.dispute_admissible(terms_of(session, customer).terms, received_invoice,
                                        received_on, channel, fact.has_usage)
    dispute = Dispute(customer_id=customer.id, invoice_id=invoice.id, invoice_number=invoice.number,
                      invoice_received_on=received_invoice, received_on=received_on, channel=channel,
                      amount=value, reason=reason, status=DisputeStatus.OPEN if decision.admissible else DisputeStatus.REJECTED,
                      decision=decision.as_dict(), created_at=clock.now())
    if not decision.admissible:
        dispute.decided_on, dispute.decided_by = clock.today(), actor.name
    session.add(dispute)
    session.flush()
    verdict = (msg("is admissible and will be examined; the undisputed part remains due on its "
                   "due date") if decision.admissible else
               msg("is not admissible: {reasons} ({clauses})", reasons=joined(decision.reasons),
                   clauses="; ".join(decision.clauses)))
    outbox.queue(session, clock, actor, customer, channel="email", kind="dispute_answer",
                 key=f"dispute:{dispute.id}:received",
                 subject=msg("Your dispute of invoice {number}", number=invoice.number),
                 body=msg("Your dispute received on {date} {verdict}.",
                          date=f"{received_on:%d/%m/%Y}", verdict=verdict))
    record(session, clock, actor, "dispute.record", dispute,
           msg("{number}: {amount} disputed on {date} — {status}: {reasons}",
               number=invoice.number, amount=value, date=received_on, status=dispute.status,
               reasons=joined(decision.reasons)))
    return dispute


def decide_dispute(session: Session, clock: Clock, actor: Actor, dispute_id: int, accept: bool,
                   note: str = "") -> Dispute:
    """Accept (a credit note for the disputed amount) or reject (the amount is due from the
    original due date, late interest included, CGV art. 11.3)."""
    dispute = get_or_not_found(session, Dispute, dispute_id, resource="dispute")
    if dispute.status != DisputeStatus.OPEN:
        raise NotAllowed(f"dispute {dispute.id} is already {dispute.status}",
                         code=rules.Refused.dispute_already_decided)
    customer = customer_by_id(session, dispute.customer_id)
    if accept:
        invoice = billing_facts.invoice_by_number(session, dispute.invoice_number)
        amount = (dispute.amount if invoice.price_basis == "TTC" or not invoice.total_ttc
                  else money(dispute.amount * invoice.total_ht / invoice.total_ttc))
        note_doc = billing.credit_note(session, clock, actor, invoice.number,
                                       note or f"dispute {dispute.id} accepted", amount=amount)
        dispute.credit_note_number = note_doc.number
    dispute.status = DisputeStatus.ACCEPTED if accept else DisputeStatus.REJECTED
    dispute.decided_on, dispute.decided_by = clock.today(), actor.name
    dispute.decision = {**dispute.decision, "note": note}
    record(session, clock, actor, f"dispute.{dispute.status}", dispute,
           msg("{number}: dispute {status} — {note}" if note else "{number}: dispute {status}",
               number=dispute.invoice_number, status=dispute.status, note=note))
    advance(session, clock, actor, customer, clock.today())
    return dispute


def list_disputes(session: Session, customer_id: int | None = None) -> list[Dispute]:
    return rows_of(session, Dispute, customer_id)
