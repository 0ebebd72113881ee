"""Use cases of invoices: numbering, issuing a draft, discarding it, credit notes, payment
status, overdue invoices, and the queries and exports the adapters show."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy import false, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.billing.documents.mentions import with_french_text
from clausier.billing.invoices import rules
from clausier.billing.periods import Refused
from clausier.billing.models import (
    BilledMonth,
    Charge,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
)
from clausier.catalog import facts as catalog
from clausier.catalog import rules as catalog_rules
from clausier.catalog.facts import OperatorFacts
from clausier.core.clock import Clock
from clausier.core.errors import InvalidInput, NotAllowed, NotFound, Problem, RuleRefusal, one_of
from clausier.core.explain import Explained, Line
from clausier.core.message import message_fields, msg, stored
from clausier.core.money import CENT, ZERO, fr_format, money
from clausier.core.spreadsheet import safe_text
from clausier.customers import facts as customers
from clausier.customers.facts import CustomerFacts, SiteFacts
from clausier.rating import facts as rating
from clausier.terms import service as terms_service

CREDIT_SERIES_SUFFIX = "-AV"       # *avoir*: credit notes have their own series
PAYMENT_STATUSES = rules.PAYMENT_STATUSES
_I = rules.InvoiceStatus


# --------------------------------------------------------------------------- numbering


def take_numbers(session: Session, series: str, year: int, count: int) -> list[str]:
    """``count`` consecutive numbers of a series and year, in the caller's transaction: the
    sequence row is locked until commit, a rollback gives the numbers back (no gap)."""
    if count == 0:
        return []
    key = {"series": series, "year": year}
    if session.get(InvoiceSequence, (series, year)) is None:
        try:
            with session.begin_nested():
                session.add(InvoiceSequence(**key, next_number=1))
        except IntegrityError:
            pass   # created meanwhile by another transaction
    last = session.execute(
        update(InvoiceSequence)
        .where(InvoiceSequence.series == series, InvoiceSequence.year == year)
        .values(next_number=InvoiceSequence.next_number + count)
        .returning(InvoiceSequence.next_number)
        .execution_options(synchronize_session=False)).scalar_one()
    first = last - count
    return [f"{series}-{year}-{n:06d}" for n in range(first, last)]


# --------------------------------------------------------------------------- storing invoices


def party_of_operator(operator: OperatorFacts, creditor_identifier: str = "") -> dict:
    """The seller as the invoice keeps it: its legal identity (address in its fields), the
    account a transfer pays and the SEPA creditor identifier its direct debits carry."""
    identity = operator.legal_identity
    return {"name": identity.legal_name or operator.name, "trade_name": operator.name,
            "siren": identity.siren, "siret": identity.siret, "vat_number": identity.vat_number,
            "address_lines": list(identity.address_lines), "postcode": identity.postcode,
            "city": identity.city, "country": identity.country,
            "address": "\n".join(identity.postal_lines()),
            "iban": identity.iban, "bic": identity.bic, "creditor_identifier": creditor_identifier,
            "email": operator.email, "phone": operator.phone}


def party_of_customer(customer: CustomerFacts, central: SiteFacts | None,
                      mandate_reference: str = ""
                       ) -> dict:
    return {"name": customer.name, "ref": customer.ref, "kind": customer.kind,
            "siren": customer.siren or "", "vat_number": customer.vat_number or "",
            "address": customer.billing_address or (central.address if central else ""),
            "country": customer.country or "FR", "email": customer.email,
            "mandate_reference": mandate_reference}


def direct_debits(session: Session, operator: OperatorFacts, customer_ids: list[int]):
    """The creditor identifier and the customers' mandates (payments reads billing at import:
    read here, at call time)."""
    from clausier.payments.facts import direct_debit_facts

    return direct_debit_facts(session, operator.id, customer_ids)


def check_seller_identity(operators: Iterable[OperatorFacts]) -> None:
    """Invoices are not issued while an operator lacks a mandatory seller field: one problem
    per operator, naming the fields to complete in its price list's ``legal_identity``."""
    problems = [Problem(f"{operator.code}.legal_identity",
                        f"missing {', '.join(missing)} (set them in the operator's price list)")
                for operator in operators
                for missing in [catalog_rules.missing_seller_fields(operator.legal_identity)]
                if missing]
    if problems:
        raise NotAllowed("invoices cannot be issued without the seller's mandatory details: "
                         + "; ".join(str(problem) for problem in problems), problems=problems,
                         code=Refused.seller_details_missing)


# --------------------------------------------------------------------------- invoices


def get_invoice(session: Session, number_or_id: str | int) -> Invoice:
    text = str(number_or_id)
    query = select(Invoice).where(Invoice.number == text)
    invoice = session.scalar(query)
    if invoice is None and text.isdecimal():
        invoice = session.get(Invoice, int(text))
    if invoice is None:
        raise NotFound(f"invoice: {number_or_id} not found", resource="invoice")
    return invoice


def credited_by(session: Session, invoice: Invoice) -> Invoice | None:
    """The invoice a credit note corrects (None for an invoice)."""
    return session.get(Invoice, invoice.credited_invoice_id) if invoice.credited_invoice_id else None


def list_invoices(session: Session, *, status: str | None = None, customer_id: int | None = None,
                  period: str | None = None, operator_code: str | None = None,
                  kind: str | None = None, search: str | None = None,
                  limit: int = 200, offset: int = 0) -> list[Invoice]:
    query = _filtered(session,
                      select(Invoice).order_by(Invoice.id.desc()).limit(limit).offset(offset),
                      status=status, customer_id=customer_id, period=period, kind=kind,
                      operator_code=operator_code)
    if search:
        like = f"%{search}%"
        query = query.where(or_(Invoice.number.ilike(like), Invoice.customer_id.in_(
            customers.customer_ids_matching(session, search))))
    return list(session.scalars(query))


def numbered_document_ids(session: Session, *, period: str | None = None,
                          operator_code: str | None = None, status: str | None = None) -> list[int]:
    """Ids of the issued invoices and credit notes (drafts have no document to send), in number
    order: what ``clausier invoice pdfs`` renders."""
    query = select(Invoice.id).where(Invoice.number.is_not(None)).order_by(Invoice.number)
    return list(session.scalars(_filtered(session, query, period=period, status=status,
                                          operator_code=operator_code)))


def _filtered(session: Session, query, *, status: str | None = None, customer_id: int | None = None,
              period: str | None = None, kind: str | None = None,
              operator_code: str | None = None):
    """The invoice lists' filters (a None or empty filter is no filter)."""
    if status:
        query = query.where(Invoice.status == one_of(_I, status, field="status",
                                                     code="invoice_status_unknown"))
    if customer_id is not None:
        query = query.where(Invoice.customer_id == customer_id)
    if period:
        query = query.where(Invoice.period == period)
    if kind:
        query = query.where(Invoice.kind == kind)
    if operator_code:
        operator = catalog.operator_by_code(session, operator_code)
        query = query.where(Invoice.operator_id == operator.id if operator else false())
    return query


def issue_invoice(session: Session, clock: Clock, actor: Actor, invoice_id: int,
                  issue_date: date | None = None) -> Invoice:
    """Give a draft its number and date: from then on it is immutable."""
    invoice = get_invoice(session, invoice_id)
    if invoice.number is not None:
        raise NotAllowed(f"invoice {invoice.number}: already issued",
                         code=Refused.invoice_already_issued)
    day = issue_date or clock.today()
    operator = catalog.operator_by_id(session, invoice.operator_id)
    check_seller_identity([operator])
    general = terms_service.get_sheet(session, operator.sheet_id).general
    # The seller and the payment details as they are on the day it is issued.
    debits = direct_debits(session, operator, [invoice.customer_id])
    invoice.seller = party_of_operator(operator, debits.creditor_identifier if debits else "")
    invoice.buyer = {**invoice.buyer, "mandate_reference":
                     debits.mandates.get(invoice.customer_id, "") if debits else ""}
    invoice.number = take_numbers(session, invoice.series, day.year, 1)[0]
    invoice.issue_date = day
    invoice.due_date, _ = rules.due_date(general, day)
    invoice.status = _I.ISSUED
    invoice.issued_at = clock.now()
    record(session, clock, actor, "invoice.issue", invoice, f"{invoice.number}: {invoice.total_ttc} TTC")
    return invoice


def discard_draft(session: Session, clock: Clock, actor: Actor, invoice_id: int) -> None:
    """Delete a draft and give back what it billed (months, usage, charges) to the next run."""
    invoice = get_invoice(session, invoice_id)
    if invoice.number is not None:
        raise NotAllowed(f"invoice {invoice.number}: issued; correct it with a credit note",
                         code=Refused.invoice_issued_not_discarded)
    rating.release_billed(session, invoice.id)
    session.execute(update(Charge).where(Charge.invoice_id == invoice.id).values(invoice_id=None))
    for month in session.scalars(select(BilledMonth).where(BilledMonth.invoice_id == invoice.id)):
        session.delete(month)
    record(session, clock, actor, "invoice.discard", invoice, msg("draft {id} discarded", id=invoice.id))
    session.delete(invoice)


def credit_note(session: Session, clock: Clock, actor: Actor, number: str, reason: str, *,
                amount: Decimal | None = None, label: str | None = None,
                vat_rate: str | None = None) -> Invoice:
    """A credit note (*avoir*) referencing an issued invoice: the whole invoice (it is then
    cancelled) or an amount in the invoice's basis. The only way to correct an invoice."""
    invoice = get_invoice(session, number)
    if invoice.kind != "invoice":
        raise NotAllowed(f"invoice {invoice.number}: a credit note cannot be credited",
                         code=Refused.credit_note_not_creditable)
    if invoice.number is None:
        raise NotAllowed(f"invoice {invoice.id}: a draft is discarded, not credited",
                         code=Refused.draft_not_creditable)
    if invoice.status == _I.CANCELLED:
        raise NotAllowed(f"invoice {invoice.number}: already cancelled by a credit note",
                         code=Refused.invoice_already_cancelled)
    if not reason.strip():
        raise InvalidInput.on("reason", "a credit note says why",
                              code=Refused.credit_note_reason_missing)
    credited = _credited(session, invoice)
    invoice_total = sum((line.amount for line in invoice.lines), ZERO)
    remaining = invoice_total - credited
    if amount is None:
        if credited:
            raise NotAllowed(f"invoice {invoice.number}: already partly credited "
                             f"({fr_format(credited)}); credit the remaining amount instead",
                             code=Refused.invoice_partly_credited)
        drafts = [_credit_copy(line) for line in invoice.lines]
    else:
        amount = money(amount)
        if amount <= 0:
            raise InvalidInput.on("amount", "must be positive",
                                  code=Refused.credit_amount_not_positive)
        if amount > remaining:
            raise InvalidInput.on("amount", f"{fr_format(amount)} is more than the "
                                            f"{fr_format(remaining)} left to credit",
                                  code=Refused.credit_amount_above_remaining)
        rate = vat_rate or (invoice.lines[0].vat_rate if invoice.lines else "normal")
        try:
            rules.vat_rate(rate, invoice.issue_date)
        except RuleRefusal as exc:
            raise exc.as_invalid_input() from None
        text = label or msg("Credit on invoice {number}", number=invoice.number)
        drafts = [rules.DraftLine("credit", text, Explained((Line(
            text, amount, msg("credit of {amount} on {number}", amount=amount,
                              number=invoice.number), reason),)),
            invoice.price_basis, rate)]
    # A credit note corrects the invoice: the VAT it takes back is at the invoice's rates.
    totals = rules.totals(drafts, invoice.price_basis, invoice.issue_date)
    operator = catalog.operator_by_id(session, invoice.operator_id)
    check_seller_identity([operator])
    day = clock.today()
    series = invoice.series + CREDIT_SERIES_SUFFIX
    note = Invoice(
        kind="credit_note", operator_id=invoice.operator_id, customer_id=invoice.customer_id,
        series=series, number=take_numbers(session, series, day.year, 1)[0], status=_I.ISSUED,
        period=invoice.period, period_start=invoice.period_start, period_end=invoice.period_end,
        issue_date=day, due_date=day, price_basis=invoice.price_basis, total_ht=totals.total_ht,
        total_vat=totals.total_vat, total_ttc=totals.total_ttc,
        vat_breakdown=[b.as_dict() for b in totals.vat], seller=party_of_operator(operator),
        buyer=invoice.buyer, mentions=[with_french_text(rules.Mention(
            "Credit note on invoice {number} of {day}", "CGI art. 242 nonies A",
            (("number", invoice.number), ("day", invoice.issue_date.isoformat()))).as_dict())],
        billing_site_id=invoice.billing_site_id, credited_invoice_id=invoice.id, reason=reason,
        created_at=clock.now(), issued_at=clock.now())
    for position, priced in enumerate(totals.lines, start=1):
        d = priced.draft
        note.lines.append(InvoiceLine(
            position=position, kind=d.kind, subscription_id=d.subscription_id,
            site_id=d.site.id if d.site else None, site_name=d.site.name if d.site else "",
            label=d.label, quantity=d.quantity, unit_price=d.unit_price, amount=priced.amount,
            amount_ht=priced.amount_ht, vat_rate=d.vat_rate, period_start=d.period_start,
            period_end=d.period_end, clause=d.clause,
            explanation=priced.explained.as_dict() | message_fields("label", d.label)))
    session.add(note)
    if credited + totals.total == invoice_total:
        invoice.status = _I.CANCELLED
    record(session, clock, actor, "invoice.credit", note,
           msg("{note} credits {amount} on {number}: {reason}", note=note.number,
               amount=totals.total, number=invoice.number, reason=reason))
    return note


def _credit_copy(line: InvoiceLine) -> rules.DraftLine:
    label = stored(line.label, line.explanation.get("label_message"))
    explained = Explained(Explained.from_dict(line.explanation).lines
                          or (Line(label, line.amount, "", line.clause),))
    return rules.DraftLine(
        "credit", label, explained, line.invoice.price_basis, line.vat_rate, line.quantity,
        line.subscription_id, rules.Site(line.site_id, line.site_name) if line.site_id else None,
        line.period_start, line.period_end)


def _credited(session: Session, invoice: Invoice) -> Decimal:
    notes = session.scalars(select(Invoice).where(Invoice.credited_invoice_id == invoice.id))
    return sum((line.amount for note in notes for line in note.lines), ZERO)


def record_payment(session: Session, clock: Clock, actor: Actor, number: str, amount_paid: Decimal,
                   on: date) -> Invoice:
    """Set what has been paid of an issued invoice (payments room): paid or partly paid."""
    invoice = get_invoice(session, number)
    if invoice.number is None or invoice.status == _I.CANCELLED or invoice.kind != "invoice":
        raise NotAllowed(f"invoice {invoice.number or invoice.id}: {invoice.status} {invoice.kind} "
                         "takes no payment", code=Refused.invoice_takes_no_payment)
    amount_paid = money(amount_paid)
    if amount_paid < 0:
        raise InvalidInput.on("amount_paid", "cannot be negative",
                              code=Refused.amount_paid_negative)
    before = invoice.status
    invoice.amount_paid = amount_paid
    due = invoice.total_ttc - _credited_ttc(session, invoice)
    if amount_paid >= due:
        invoice.status, invoice.paid_on = _I.PAID, on
    elif amount_paid > 0:
        invoice.status = _I.PARTLY_PAID
    else:
        invoice.status = _I.OVERDUE if invoice.due_date and on > invoice.due_date else _I.ISSUED
    record(session, clock, actor, "invoice.payment", invoice,
           msg("{number}: {amount} paid, {before} → {status}", number=invoice.number,
               amount=amount_paid, before=before, status=invoice.status))
    return invoice


def _credited_ttc(session: Session, invoice: Invoice) -> Decimal:
    return sum((note.total_ttc for note in session.scalars(
        select(Invoice).where(Invoice.credited_invoice_id == invoice.id))), ZERO)


def mark_overdue(session: Session, clock: Clock, actor: Actor, day: date,
                 customer_id: int | None = None) -> int:
    """Daily: issued or partly paid invoices past their due date become overdue (one customer's
    only with ``customer_id``). Idempotent."""
    late = list(session.scalars(select(Invoice).where(
        Invoice.kind == "invoice", Invoice.status.in_((_I.ISSUED, _I.PARTLY_PAID)),
        Invoice.due_date < day,
        true() if customer_id is None else Invoice.customer_id == customer_id)))
    for invoice in late:
        invoice.status = _I.OVERDUE
    if late:
        record(session, clock, actor, "invoice.overdue", late[0],
               msg("{n} invoice(s) overdue on {date}", n=len(late), date=day),
               {"numbers": [i.number for i in late][:500]})
    return len(late)


def tick(session: Session, clock: Clock, actor: Actor, day: date, *,
         customer_id: int | None = None) -> dict[str, int]:
    """The billing part of the daily tick."""
    return {"overdue": mark_overdue(session, clock, actor, day, customer_id)}


CSV_COLUMNS = ["number", "kind", "issue_date", "due_date", "customer_ref", "customer", "siren",
               "vat_number", "period", "vat_rate", "base_ht", "vat", "total_ttc", "status",
               "credits"]


def export_csv(session: Session, **filters) -> str:
    """The accountant's journal: one row per document and VAT rate; credit notes negative."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(CSV_COLUMNS)
    invoices = [i for i in list_invoices(session, limit=1_000_000, **filters) if i.number]
    numbers = {i.id: i.number for i in invoices}
    missing = {i.credited_invoice_id for i in invoices if i.credited_invoice_id} - set(numbers)
    if missing:
        numbers.update(dict(session.execute(select(Invoice.id, Invoice.number)
                                            .where(Invoice.id.in_(missing)))))
    for invoice in sorted(invoices, key=lambda i: (i.issue_date, i.number)):
        sign = -1 if invoice.kind == "credit_note" else 1
        buyer = [safe_text(invoice.buyer.get(key)) for key in ("ref", "name", "siren", "vat_number")]
        for bucket in invoice.vat_breakdown:
            writer.writerow([
                invoice.number, invoice.kind, invoice.issue_date.isoformat(),
                invoice.due_date.isoformat() if invoice.due_date else "", *buyer,
                # A percentage with two decimals, as on the invoice: never an exponent (2E+1).
                invoice.period, str((Decimal(bucket["rate"]) * 100).quantize(CENT)),
                str(sign * Decimal(bucket["base_ht"])), str(sign * Decimal(bucket["vat"])),
                str(sign * Decimal(bucket["total_ttc"])), invoice.status,
                numbers.get(invoice.credited_invoice_id, "")])
    return out.getvalue()


def invoice_counts(session: Session) -> tuple[int, int]:
    """How many invoices are issued (numbered) and how many of them are overdue."""
    issued = session.scalar(select(func.count()).select_from(Invoice).where(Invoice.number.is_not(None))) or 0
    overdue = session.scalar(select(func.count()).select_from(Invoice).where(Invoice.status == _I.OVERDUE)) or 0
    return issued, overdue
