"""SEPA direct debit: the operator's creditor account, mandates, the debits scheduled for the open
invoices (pre-notified by e-mail), pain.008 collection files, collection on the due date, and the
returns files that reverse a payment, add the rejected-debit fee and start the dunning ladder."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.billing.ledger.charges import add_charge
from clausier.catalog import facts as catalog_facts
from clausier.core.clock import Clock
from clausier.core.errors import (
    Conflict,
    InvalidInput,
    NotAllowed,
    NotFound,
    Problem,
    Report,
    RuleRefusal,
)
from clausier.core.message import msg
from clausier.core.money import ZERO, money
from clausier.customers import facts as customer_facts
from clausier.notifications import outbox
from clausier.payments import invoices as invoice_reads
from clausier.payments import rules
from clausier.payments.rules import DebitStatus, DunningCaseStatus, MandateStatus
from clausier.payments.common import customer_by_id, get_customer, operator_of, rows_of, terms_of
from clausier.payments.dunning.service import advance, open_case
from clausier.payments.ledger.service import apply_payment, new_payment, reverse_payment
from clausier.payments.models import (
    CreditorAccount,
    DebitReturn,
    DirectDebitCollection,
    DirectDebitItem,
    DunningCase,
    DunningStepRecord,
    Mandate,
    Payment,
)
from clausier.payments.sepa import files as sepa

if TYPE_CHECKING:
    from schwifty import IBAN

# --------------------------------------------------------------------------- SEPA: creditor, mandates


def _iban(value: str, field: str = "iban") -> IBAN:
    # schwifty loads its bank registry: only for the commands that check bank details.
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        return IBAN(value)
    except (SchwiftyException, ValueError) as exc:
        raise InvalidInput.on(field, f"{value!r} is not a valid IBAN ({exc})",
                              code=rules.Refused.iban_invalid) from None


def _bic(value: str | None, iban: IBAN, field: str = "bic") -> str:
    if not value:
        derived = iban.bic
        if derived is None:
            raise InvalidInput.on(field, f"required: no BIC is known for the bank of {iban.compact}",
                                  code=rules.Refused.bic_unknown_for_bank)
        return str(derived)
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    try:
        return str(BIC(value))
    except (SchwiftyException, ValueError) as exc:
        raise InvalidInput.on(field, f"{value!r} is not a valid BIC ({exc})",
                              code=rules.Refused.bic_invalid) from None


def set_creditor(session: Session, clock: Clock, actor: Actor, operator_code: str, *, name: str,
                 iban: str, creditor_identifier: str, bic: str | None = None,
                 prenotification_days: int | None = None) -> CreditorAccount:
    """The operator's SEPA creditor account and identifier (*ICS*)."""
    operator = catalog_facts.operator_by_code(session, operator_code)
    if operator is None:
        raise NotFound(f"operator: no operator {operator_code!r}", resource="operator")
    account = _iban(iban)
    if not creditor_identifier.strip():
        raise InvalidInput.on("creditor_identifier", "required (e.g. FR12ZZZ123456)",
                              code=rules.Refused.creditor_identifier_missing)
    row = session.scalar(select(CreditorAccount).where(CreditorAccount.operator_id == operator.id))
    if row is None:
        row = CreditorAccount(operator_id=operator.id)
        session.add(row)
    wanted = {"name": name[:70], "iban": account.compact, "bic": _bic(bic, account),
              "creditor_identifier": creditor_identifier.strip()}
    if prenotification_days is not None:
        wanted["prenotification_days"] = prenotification_days
    changes = {key: [getattr(row, key), value] for key, value in wanted.items()
               if getattr(row, key) != value}
    if changes:
        for key, value in wanted.items():
            setattr(row, key, value)
        record(session, clock, actor, "sepa.creditor", row, f"{operator.code}: {row.iban}", changes)
    return row


def _creditor(session: Session, operator_id: int) -> CreditorAccount:
    row = session.scalar(select(CreditorAccount).where(CreditorAccount.operator_id == operator_id))
    if row is None:
        raise NotAllowed("creditor: the operator has no SEPA creditor account "
                         "(clausier sepa creditor OPERATOR …)",
                         code=rules.Refused.creditor_account_missing)
    return row


_MANDATE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+?/-:().,' ")


def add_mandate(session: Session, clock: Clock, actor: Actor, customer_ref: str | int, *,
                reference: str, signed_on: date, iban: str, bic: str | None = None,
                debtor_name: str | None = None) -> Mandate:
    """A signed SEPA mandate (unique reference, *RUM*); it replaces the customer's active one."""
    customer = get_customer(session, customer_ref)
    reference = reference.strip()
    if not reference or len(reference) > 35 or set(reference) - _MANDATE_CHARS:
        raise InvalidInput.on("reference", "1 to 35 SEPA characters (letters, digits, +?/-:().,' )",
                              code=rules.Refused.mandate_reference_invalid)
    if session.scalar(select(Mandate.id).where(Mandate.reference == reference)):
        raise Conflict(f"reference: mandate {reference} already exists",
                       code=rules.Refused.mandate_reference_taken)
    if signed_on > clock.today():
        raise InvalidInput.on("signed_on", "a mandate is signed before it is recorded",
                              code=rules.Refused.mandate_signed_in_the_future)
    account = _iban(iban)
    for previous in session.scalars(select(Mandate).where(Mandate.customer_id == customer.id,
                                                          Mandate.status == MandateStatus.ACTIVE)):
        previous.status, previous.status_reason = MandateStatus.REVOKED, f"replaced by {reference}"
    mandate = Mandate(customer_id=customer.id, reference=reference, signed_on=signed_on,
                      debtor_name=(debtor_name or customer.name)[:70], iban=account.compact,
                      bic=_bic(bic, account), created_at=clock.now())
    session.add(mandate)
    record(session, clock, actor, "mandate.add", mandate, f"{customer.ref}: {reference}")
    return mandate


def revoke_mandate(session: Session, clock: Clock, actor: Actor, reference: str, reason: str) -> Mandate:
    mandate = session.scalar(select(Mandate).where(Mandate.reference == reference))
    if mandate is None:
        raise NotFound(f"mandate {reference} not found", resource="mandate")
    mandate.status, mandate.status_reason = MandateStatus.REVOKED, reason
    record(session, clock, actor, "mandate.revoke", mandate, msg("{reference}: {reason}", reference=reference, reason=reason))
    return mandate


def list_mandates(session: Session, customer_id: int | None = None) -> list[Mandate]:
    return rows_of(session, Mandate, customer_id)


# --------------------------------------------------------------------------- SEPA: collections


def schedule_collections(session: Session, clock: Clock, actor: Actor, day: date,
                         customer_id: int | None = None) -> int:
    """A debit for every open invoice of a customer with an active mandate, dated after the
    pre-notification, which is queued by e-mail. Idempotent: an invoice is debited once."""
    count = 0
    mandates = session.scalars(select(Mandate).where(
        Mandate.status == MandateStatus.ACTIVE,
        true() if customer_id is None else Mandate.customer_id == customer_id)).all()
    customers = customer_facts.customers(session, [m.customer_id for m in mandates])
    creditors = {c.operator_id: c for c in session.scalars(select(CreditorAccount))}
    open_invoices = invoice_reads.open_invoices_of(session, list(customers))
    for mandate in mandates:
        customer = customers[mandate.customer_id]
        creditor = creditors.get(customer.operator_id)
        if creditor is None:
            continue
        presented = set(session.scalars(select(DirectDebitItem.invoice_id).where(
            DirectDebitItem.customer_id == customer.id, DirectDebitItem.presentation == 1)))
        for invoice in open_invoices.get(customer.id, []):
            if invoice.id in presented or invoice.issue_date > day:
                continue
            item = DirectDebitItem(
                mandate_id=mandate.id, customer_id=customer.id, invoice_id=invoice.id,
                invoice_number=invoice.number, amount=invoice.undisputed,
                collection_date=rules.collection_date(invoice.due_date, day,
                                                      creditor.prenotification_days),
                end_to_end_id=f"{invoice.number}-P1"[:35], created_at=clock.now())
            if item.amount <= 0:
                continue
            session.add(item)
            session.flush()
            outbox.queue(session, clock, actor, customer, channel="email", kind="prenotification",
                         key=f"prenotification:{item.id}",
                         subject=msg("SEPA direct debit of invoice {number}",
                                     number=invoice.number),
                         body=msg("Invoice {number} of {amount} will be debited on {date} from "
                                  "account {account} (mandate {mandate}, creditor {creditor}).",
                                  number=invoice.number, amount=item.amount,
                                  date=f"{item.collection_date:%d/%m/%Y}",
                                  account=f"{mandate.iban[:4]}…{mandate.iban[-4:]}",
                                  mandate=mandate.reference,
                                  creditor=creditor.creditor_identifier))
            record(session, clock, actor, "sepa.schedule", item,
                   msg("{id}: {amount} on {date}", id=item.end_to_end_id, amount=item.amount,
                       date=item.collection_date))
            count += 1
    return count


def export_collections(session: Session, clock: Clock, actor: Actor, collection_date: date,
                       operator_code: str | None = None) -> list[DirectDebitCollection]:
    """The pain.008 file(s) of the debits due by ``collection_date`` (one per operator), each
    valid against the XSD. Debits already exported are not exported again: running the export
    again for a date returns the files already made."""
    query = select(DirectDebitItem).where(DirectDebitItem.status == DebitStatus.SCHEDULED,
                                          DirectDebitItem.collection_date <= collection_date)
    by_operator: dict[int, list[DirectDebitItem]] = {}
    scheduled = list(session.scalars(query.order_by(DirectDebitItem.id)))
    customers = customer_facts.customers(session, {item.customer_id for item in scheduled})
    for item in scheduled:
        by_operator.setdefault(customers[item.customer_id].operator_id, []).append(item)
    invoices = invoice_reads.invoices_by_id(session, {item.invoice_id for item in scheduled})
    operators = catalog_facts.operators(session)
    if operator_code:
        by_operator = {k: v for k, v in by_operator.items() if operators[k].code == operator_code}
    made = []
    for operator_id, items in by_operator.items():
        creditor = _creditor(session, operator_id)
        debits = []
        for item in items:
            mandate = session.get(Mandate, item.mandate_id)
            invoice = invoices[item.invoice_id]
            item.amount = min(item.amount, invoice.undisputed)     # paid or disputed meanwhile
            if item.amount <= 0 or mandate.status != MandateStatus.ACTIVE or rules.mandate_lapsed(
                    mandate.signed_on, mandate.last_collection_on, collection_date):
                item.status = DebitStatus.CANCELLED
                continue
            item.sequence_type = rules.sequence_type(_presented_before(session, mandate.id, item.id))
            item.collection_date = collection_date
            debits.append(sepa.Debit(item.end_to_end_id, item.amount, item.sequence_type,
                                     mandate.debtor_name, mandate.iban, mandate.bic,
                                     mandate.reference, mandate.signed_on,
                                     f"Facture {item.invoice_number}"))
        if not debits:
            continue
        xml, message_id = sepa.pain008(sepa.Creditor(creditor.name, creditor.iban, creditor.bic,
                                                     creditor.creditor_identifier),
                                       collection_date, debits)
        collection = DirectDebitCollection(
            operator_id=operator_id, collection_date=collection_date, message_id=message_id[:35],
            items_count=len(debits), total=money(sum((d.amount for d in debits), ZERO)),
            xml=xml.decode("utf-8"), sha256=hashlib.sha256(xml).hexdigest(), actor=actor.name,
            created_at=clock.now())
        session.add(collection)
        session.flush()
        for item in items:
            if item.status == DebitStatus.SCHEDULED:
                item.status, item.collection_id = DebitStatus.EXPORTED, collection.id
        record(session, clock, actor, "sepa.export", collection,
               msg("{operator} {date}: {n} debit(s), {total}", operator=operators[operator_id].code,
                   date=collection_date, n=len(debits), total=collection.total))
        made.append(collection)
    if not made:
        made = list(session.scalars(select(DirectDebitCollection).where(
            DirectDebitCollection.collection_date == collection_date).order_by(DirectDebitCollection.id)))
        if operator_code:
            made = [c for c in made if operators[c.operator_id].code == operator_code]
    return made


def _presented_before(session: Session, mandate_id: int, item_id: int) -> bool:
    return session.scalar(select(func.count()).select_from(DirectDebitItem).where(
        DirectDebitItem.mandate_id == mandate_id, DirectDebitItem.id != item_id,
        DirectDebitItem.status.in_((DebitStatus.COLLECTED, DebitStatus.RETURNED)),
        DirectDebitItem.collection_id.is_not(None))) > 0


def settle_collections(session: Session, clock: Clock, actor: Actor, day: date,
                       customer_id: int | None = None) -> int:
    """On the collection date an exported debit is paid: a payment allocated to its invoice (a
    later return reverses it)."""
    items = session.scalars(select(DirectDebitItem).where(
        DirectDebitItem.status == DebitStatus.EXPORTED, DirectDebitItem.collection_date <= day,
        true() if customer_id is None else DirectDebitItem.customer_id == customer_id)
        .order_by(DirectDebitItem.id)).all()
    customers = customer_facts.customers(session, {item.customer_id for item in items})
    for item in items:
        customer = customers[item.customer_id]
        payment = new_payment(session, clock, actor, customer, item.amount, "direct_debit",
                              item.collection_date, item.end_to_end_id)
        still_open = any(i.id == item.invoice_id
                         for i in invoice_reads.open_invoices(session, customer.id))
        # paid meanwhile by other means: the debit goes to the oldest invoices, or to a credit
        apply_payment(session, clock, actor, customer, payment,
                      [item.invoice_id] if still_open else None)
        item.status, item.payment_id = DebitStatus.COLLECTED, payment.id
        session.get(Mandate, item.mandate_id).last_collection_on = item.collection_date
        record(session, clock, actor, "sepa.collected", item,
               msg("{id}: {amount} collected", id=item.end_to_end_id, amount=item.amount))
        advance(session, clock, actor, customer, day)
    return len(items)


def import_returns(session: Session, clock: Clock, actor: Actor, content: bytes,
                   source: str = "") -> Report:
    """Rejections and returns of debits with their reason codes: each reopens its invoice,
    adds the sheet's rejected-debit fee and starts (or moves on) the dunning ladder at once.
    Importing the same file again changes nothing; bad rows are reported one by one."""
    lines, problems = sepa.parse_returns(content)
    report = Report(problems=list(problems))
    for line in lines:
        item = session.scalar(select(DirectDebitItem).where(
            DirectDebitItem.end_to_end_id == line.end_to_end_id))
        if item is None:
            report.problems.append(Problem("end_to_end_id", f"no debit {line.end_to_end_id}", line.line))
            continue
        try:
            reason, mandate_unusable = rules.return_reason(line.reason_code)
        except RuleRefusal as exc:
            report.problems.append(Problem(exc.field, exc.reason, line.line))
            continue
        if line.amount is not None and money(line.amount) != item.amount:
            report.problems.append(Problem("amount", f"{line.amount} is not the {item.amount} debited",
                                           line.line))
            continue
        if item.status == DebitStatus.RETURNED:      # the same return imported again: nothing changes
            report.accepted += 1
            continue
        if item.status not in (DebitStatus.EXPORTED, DebitStatus.COLLECTED):
            report.problems.append(Problem("end_to_end_id", f"{item.end_to_end_id} was not presented "
                                                            f"({item.status})", line.line))
            continue
        _record_return(session, clock, actor, item, line, reason, mandate_unusable, source)
        report.accepted += 1
    return report


def _record_return(session: Session, clock: Clock, actor: Actor, item: DirectDebitItem,
                   line: sepa.ReturnLine, reason: str, mandate_unusable: bool, source: str) -> None:
    customer = customer_by_id(session, item.customer_id)
    session.add(DebitReturn(item_id=item.id, reason_code=line.reason_code, reason=reason,
                            returned_on=line.returned_on, amount=item.amount, source_file=source[:300],
                            imported_at=clock.now()))
    if item.payment_id is not None:
        reverse_payment(session, clock, actor, session.get(Payment, item.payment_id),
                        line.returned_on, f"debit returned {line.reason_code} {reason}")
    item.status, item.returned_on, item.return_reason = DebitStatus.RETURNED, line.returned_on, line.reason_code
    if mandate_unusable:
        mandate = session.get(Mandate, item.mandate_id)
        mandate.status, mandate.status_reason = MandateStatus.INVALID, f"{line.reason_code} {reason}"
    terms = terms_of(session, customer)
    fee = rules.rejected_debit_fee(terms.terms, item.end_to_end_id, f"{line.reason_code} {reason}")
    if fee.lines:
        add_charge(session, clock, actor, customer_id=customer.id, subscription_id=None,
                   source="rejected_debit", source_key=f"{item.end_to_end_id}:{line.returned_on.isoformat()}",
                   label=fee.lines[0].label, explained=fee,
                   price_basis=operator_of(session, customer).price_basis,
                   incurred_on=line.returned_on, vat_rate="exempt")
    record(session, clock, actor, "sepa.return", item,
           msg("{id}: returned {code} ({reason}) on {date}", id=item.end_to_end_id,
               code=line.reason_code, reason=reason, date=line.returned_on))
    case = _case_of_return(session, item)
    if case is None:
        case = open_case(session, clock, actor, customer, terms, line.returned_on, "rejection",
                         item.collection_date)
    case.rejected_on = case.rejected_on or line.returned_on
    advance(session, clock, actor, customer, max(line.returned_on, clock.today()))


def _case_of_return(session: Session, item: DirectDebitItem) -> DunningCase | None:
    """A returned re-presentation moves its case on (reopened if a payment had closed it)."""
    if item.dunning_case_id is None:
        return None
    case = session.get(DunningCase, item.dunning_case_id)
    step = session.scalar(select(DunningStepRecord).where(DunningStepRecord.debit_item_id == item.id))
    if step is not None:
        step.debit_returned_on = item.returned_on
    if case.status == DunningCaseStatus.CLOSED:
        case.status, case.closed_on, case.closed_reason = DunningCaseStatus.OPEN, None, ""
    return case


def list_collections(session: Session, limit: int = 50) -> list[DirectDebitCollection]:
    return list(session.scalars(select(DirectDebitCollection).order_by(
        DirectDebitCollection.id.desc()).limit(limit)))
