"""The customer portal: what one customer's users may see and do, always scoped to their customer.

Every function takes the ``customer_id`` of the portal user and answers "not found" for anything
of another customer, with the same message as for something that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from clausier.accounts import facts as account_facts
from clausier.accounts import service as accounts
from clausier.audit.service import Actor
from clausier.billing.invoices.rules import InvoiceStatus
from clausier.contracts import rules as contract_rules
from clausier.contracts import service as contracts
from clausier.core.clock import Clock
from clausier.core.errors import InvalidInput, NotFound
from clausier.core.languages import LANGUAGES
from clausier.core.money import money
from clausier.customers import service as customers

if TYPE_CHECKING:
    from clausier.equipment.service import ReturnDue

PORTAL_ROLE = "customer"


# --------------------------------------------------------------------------- portal users

def create_portal_user(session: Session, clock: Clock, actor: Actor, customer_id: int, *,
                       email: str, name: str, password: str, language: str = "fr"):
    """Give a customer's employee a login to the portal of that customer only (the new
    ``accounts`` user)."""
    customer = customers.get_customer(session, customer_id)
    if language not in LANGUAGES:
        raise InvalidInput.on("language", f"{language!r} is not one of {', '.join(LANGUAGES)}")
    user = accounts.create_user(session, clock, actor, email=email, name=name, role=PORTAL_ROLE,
                                password=password, kind="customer", customer_id=customer.id)
    user.language = language
    return user


def portal_users(session: Session, customer_id: int) -> list[account_facts.UserFacts]:
    return list(account_facts.customer_users(session, [customer_id]).get(customer_id, ()))


# --------------------------------------------------------------------------- contracts

@dataclass(frozen=True)
class ContractView:
    """A subscription as its customer sees it: its dates and what to do before when."""

    subscription: object        # the contracts room's subscription
    timeline: contract_rules.Timeline


def customer_of(session: Session, customer_id: int):
    return customers.get_customer(session, customer_id)


def contracts_of(session: Session, customer_id: int, on: date) -> list[ContractView]:
    return [ContractView(s, contracts.timeline(session, s.id, on))
            for s in contracts.list_subscriptions(session, customer_id=customer_id)]


def subscription_of(session: Session, customer_id: int, ref: str):
    """The customer's subscription ``ref``; another customer's is "not found" too."""
    try:
        subscription = contracts.get_subscription(session, ref)
    except NotFound:
        subscription = None
    if subscription is None or subscription.customer_id != customer_id:
        raise NotFound(f"subscription: {ref} not found", resource="subscription")
    return subscription


def contract_of(session: Session, customer_id: int, ref: str, on: date) -> ContractView:
    subscription = subscription_of(session, customer_id, ref)
    return ContractView(subscription, contracts.timeline(session, subscription.id, on))


def exit_grounds(session: Session, subscription) -> list[str]:
    """The grounds the terms accept for leaving without the early-termination fee."""
    termination = contracts.terms_of(session, subscription).termination
    return [e.reason.value for e in termination.exemptions] if termination else []


def quote_leaving(session: Session, customer_id: int, ref: str, received: date,
                  reason: str | None = None) -> contract_rules.TerminationQuote:
    """What leaving would cost if the customer's letter arrived on ``received`` (changes nothing)."""
    subscription = subscription_of(session, customer_id, ref)
    return contracts.quote_termination(session, subscription.id, received, reason)


# --------------------------------------------------------------------------- other rooms

def usage_of_customer(session: Session, customer_id: int) -> list:
    """The customer's rated usage."""
    from clausier.rating.month import service as rating

    return rating.summaries_of_customer(session, customer_id)


def equipment_to_return(session: Session, customer_id: int) -> list[ReturnDue]:
    """The customer's equipment still to send back, by when, and what missing it bills."""
    from clausier.equipment import service as equipment

    return equipment.returns_of_customer(session, customer_id)


def sims_of_customer(session: Session, customer_id: int) -> list:
    """The customer's SIM cards in service."""
    from clausier.equipment import service as equipment
    from clausier.equipment.rules import AT_CUSTOMER

    return [item for item in equipment.list_items(session, customer_id=customer_id, kind="sim",
                                                  limit=10_000)
            if item.state in AT_CUSTOMER and item.sim is not None]


def _own_sim(session: Session, customer_id: int, iccid: str):
    sim = next((item for item in sims_of_customer(session, customer_id) if item.serial == iccid),
               None)
    if sim is None:
        raise NotFound(f"sim: {iccid} not found", resource="sim")
    return sim


def show_puk(session: Session, clock: Clock, actor: Actor, customer_id: int, iccid: str) -> str:
    """One of the customer's SIMs' PUK, read back from its sealed form (audited)."""
    from clausier.equipment import service as equipment

    return equipment.show_puk(session, clock, actor, _own_sim(session, customer_id, iccid).serial)


def report_sim_lost(session: Session, clock: Clock, actor: Actor, customer_id: int, iccid: str,
                    reason: str):
    """Loss or theft reported by the customer: the line is suspended at once (the customer
    stays liable for what was used before the report)."""
    from clausier.equipment import service as equipment

    if reason not in ("loss", "theft"):
        raise InvalidInput.on("reason", "is loss or theft")
    sim = _own_sim(session, customer_id, iccid)
    return equipment.suspend_sim(session, clock, actor, sim.serial, reason, clock.today())


def invoices_of_customer(session: Session, customer_id: int, *, limit: int = 10_000,
                         offset: int = 0) -> list:
    """The customer's issued invoices and credit notes, latest first, a page at a time (drafts
    are the operator's work in progress, never shown)."""
    from clausier.billing import facts as billing_facts

    return billing_facts.issued_documents_of_customer(session, customer_id, limit=limit,
                                                      offset=offset)


def invoice_of_customer(session: Session, customer_id: int, number: str) -> tuple:
    """One of the customer's issued documents and, for a credit note, the invoice it credits;
    "not found" for a draft, another customer's document or one that does not exist."""
    from clausier.billing.invoices import service as billing

    try:
        invoice = billing.get_invoice(session, number)
    except NotFound:
        invoice = None
    # By its number only: ``get_invoice`` would also take an id.
    if (invoice is None or invoice.number != number or invoice.customer_id != customer_id
            or invoice.status == InvoiceStatus.DRAFT):
        raise NotFound(f"invoice: {number} not found", resource="invoice")
    return invoice, billing.credited_by(session, invoice)


def usage_annexes(invoice) -> list:
    """The usage annexes of a document (``billing.invoices.rules.UsageAnnex``), as kept with its lines."""
    from clausier.billing.invoices import rules as billing_rules

    return billing_rules.usage_annexes(invoice.lines)


def invoice_file(session: Session, customer_id: int, number: str, document: str,
                 language: str = "fr") -> tuple[bytes, str, str]:
    """(content, file name, media type) of one of the customer's documents: ``pdf`` (a Factur-X
    PDF, its XML embedded) in ``language`` or ``facturx.xml``."""
    from clausier.billing.documents.pdf import invoice_document    # Typst: only when asked

    invoice, credited = invoice_of_customer(session, customer_id, number)
    return invoice_document(invoice, credited, document, language)


@dataclass
class Dues:
    """What the customer owes and has paid (the payments room's reads, never its writes)."""

    open_invoices: list          # payments.rules.OpenInvoice, oldest due first
    overdue: set[int]            # ids of the open invoices past their due date
    owed: Decimal                # open invoices + charges waiting for the next invoice
    payments: list               # payments.models.Payment, latest first
    credits: list                # payments.models.CustomerCredit with something left
    credit_balance: Decimal


def dues_of_customer(session: Session, customer_id: int, on: date) -> Dues:
    """The customer's invoices to pay with their due dates, payments received and credit
    balance."""
    from clausier.payments import invoices as invoice_reads
    from clausier.payments.ledger import service as payments

    open_invoices = invoice_reads.open_invoices(session, customer_id)
    credits = [c for c in payments.credits_of(session, customer_id) if c.remaining > 0]
    return Dues(open_invoices=open_invoices,
                 overdue={i.id for i in open_invoices if i.due_date < on},
                 owed=invoice_reads.owed(session, customer_id),
                 payments=payments.list_payments(session, customer_id),
                 credits=credits,
                 credit_balance=money(sum((c.remaining for c in credits), Decimal(0))))
