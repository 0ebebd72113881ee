"""Use cases of billing: bill runs, issuing, credit notes, payment status, index values,
indexation and price changes, and the queries the adapters show.

A bill run is the one use case that manages its own transactions (:func:`run_bill_run` takes an
engine): customers are billed in batches, each batch in one transaction holding the operator's
bill-run lock, each customer's invoice complete or absent. A batch that fails is billed again
customer by customer, one transaction each, so that one bad customer does not stop the others.
Running a period again bills only what was not billed: an invoice per customer and period
(``run_key``) and a row per subscription and month (``BilledMonth``) are unique in the database.

With a broker (``CLAUSIER_BROKER_URL``) the run is split into partitions (customer-id ranges of
``PARTITION_SIZE``) billed by the workers in parallel: each partition writes its customers'
invoices as unnumbered drafts, then one short step (:func:`number_run_drafts`) gives them their
numbers in customer order under the operator's lock. Numbers are thus taken in the order the
in-process run takes them and never by a partition that may still roll back: no gap, no
interleaving, the same invoices as the in-process run.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, or_, select, text, true, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from clausier.audit.models import AuditEntry
from clausier.audit.service import Actor, record
from clausier.billing import rules
from clausier.billing.charges import add_charge
from clausier.billing.mentions import with_french_text
from clausier.billing.models import (
    BilledMonth,
    BillRun,
    BillRunPartition,
    Charge,
    IndexValue,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    PriceChange,
    PriceChangeNotice,
    PriceRevision,
)
from clausier.catalog import rules as catalog_rules
from clausier.catalog.models import Offer, Operator
from clausier.contracts.models import Subscription, SubscriptionItem
from clausier.core.clock import Clock, FixedClock
from clausier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, Problem
from clausier.core.explain import Explained, Line
from clausier.core.money import CENT, ZERO, fr_format, fr_number, money, to_decimal
from clausier.core.spreadsheet import safe_text
from clausier.customers.models import Customer, Site
from clausier.db.session import database_now, lock_for_writing, write_transaction
from clausier.equipment import service as equipment
from clausier.rating import facts as rating
from clausier.terms import service as terms_service
from clausier.terms.schema import Terms

DEFAULT_BATCH = 500
PARTITION_SIZE = 250               # customers a worker bills in one message
CREDIT_SERIES_SUFFIX = "-AV"       # *avoir*: credit notes have their own series
PAYMENT_STATUSES = ("issued", "paid", "partly_paid", "overdue")


# --------------------------------------------------------------------------- helpers


def _operator(session: Session, code: str) -> Operator:
    operator = session.scalar(select(Operator).where(Operator.code == code))
    if operator is None:
        raise NotFound(f"operator: no operator {code!r}")
    return operator


def _period(period: str | date) -> date:
    if isinstance(period, date):
        return rules.month_start(period)
    try:
        return rules.parse_period(period)
    except rules.BillingError as exc:
        raise InvalidInput.on("period", str(exc).split(": ", 1)[1]) from None


class _TermsCache:
    """Term-sheet blocks per (sheet, version, family), read once per bill run."""

    def __init__(self, session: Session):
        self.session = session
        self._sheets: dict[tuple[str, int], object] = {}
        self._terms: dict[tuple[str, int, str | None], Terms] = {}

    def sheet(self, sheet_id: str, version: int | None):
        key = (sheet_id, version or 0)
        if key not in self._sheets:
            self._sheets[key] = terms_service.get_sheet(self.session, sheet_id, version)
        return self._sheets[key]

    def terms(self, sheet_id: str, version: int | None, family: str | None) -> Terms:
        key = (sheet_id, version or 0, family)
        if key not in self._terms:
            sheet = self.sheet(sheet_id, version)
            self._terms[key] = sheet.terms_for(family) if family else sheet.general
        return self._terms[key]


def _chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _audit_many(session: Session, clock: Clock, actor: Actor, action: str,
                entries: Iterable[tuple[str, object, str]]) -> None:
    """One audit entry per written object, inserted in bulk (the bill run writes thousands)."""
    now = clock.now()
    rows = [{"at": now, "actor": actor.name, "action": action, "entity_type": entity_type,
             "entity_id": str(entity_id), "summary": summary, "changes": {}}
            for entity_type, entity_id, summary in entries]
    _bulk_insert(session.connection(), AuditEntry.__table__, rows)


# --------------------------------------------------------------------------- numbering


def _take_numbers(session: Session, series: str, year: int, count: int) -> list[str]:
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


# --------------------------------------------------------------------------- loading facts


@dataclass
class _Batch:
    """Everything loaded at once for a batch of customers."""

    customers: dict            # id → customer row
    facts: dict[int, rules.CustomerFacts]
    errors: dict[int, str]
    central_sites: dict        # customer id → its central site row


_CUSTOMER_COLUMNS = ("id", "ref", "kind", "name", "siren", "vat_number", "billing_address", "country",
                     "email")
_SITE_COLUMNS = ("id", "customer_id", "name", "is_central", "address")
_SUBSCRIPTION_COLUMNS = ("id", "ref", "customer_id", "site_id", "family", "sheet_id", "sheet_version",
                         "status", "signed_on", "go_live_on", "equipment_received_on", "terminated_on",
                         "termination_effective_on", "billing_periodicity_months", "billed_until")
_ITEM_COLUMNS = ("id", "subscription_id", "offer_id", "label", "quantity", "monthly_fee", "price_basis",
                 "vat_rate", "access_fee", "one_off_price", "minimum_billing", "active_from",
                 "active_until")


def _columns(model, names: tuple[str, ...]):
    return [getattr(model.__table__.c, name) for name in names]


def _load_batch(session: Session, cache: _TermsCache, operator: Operator, customer_ids: list[int],
                period: date) -> _Batch:
    """Read a batch's facts with a few set queries over the batch's range of customer ids
    (plain rows, no ORM objects; a range keeps the statements short on both databases)."""
    conn = session.connection()
    period_end = rules.month_end(period)
    wanted = set(customer_ids)
    low, high = min(customer_ids), max(customer_ids)
    # Customers belong to one operator: the customer range alone selects the batch's rows
    # (and lets both databases use the customer_id index).
    in_range = Subscription.customer_id.between(low, high)
    customers = {c.id: c for c in conn.execute(select(*_columns(Customer, _CUSTOMER_COLUMNS))
                                               .where(Customer.id.between(low, high))) if c.id in wanted}
    sites = {}
    central = {}
    for site in conn.execute(select(*_columns(Site, _SITE_COLUMNS))
                             .where(Site.customer_id.between(low, high)).order_by(Site.id)):
        if site.customer_id in wanted:
            sites[site.id] = site
            if site.is_central and site.customer_id not in central:
                central[site.customer_id] = site
    subs = [s for s in conn.execute(select(*_columns(Subscription, _SUBSCRIPTION_COLUMNS)).where(
        in_range, Subscription.status != "cancelled", Subscription.signed_on <= period_end)
        .order_by(Subscription.id)) if s.customer_id in wanted]
    sub_ids = {s.id for s in subs}
    common_offers = {offer_id for offer_id, attributes in conn.execute(
        select(Offer.id, Offer.attributes).where(Offer.operator_id == operator.id))
        if (attributes or {}).get("common")}

    def of_batch(*columns, where=None, order_by=(), group_by=()):
        """Rows of a subscription table for the batch's subscriptions (joined on the range)."""
        table = columns[0].table
        query = (select(*columns).join(Subscription.__table__,
                                        Subscription.__table__.c.id == table.c.subscription_id)
                 .where(in_range))
        if where is not None:
            query = query.where(where)
        return [row for row in conn.execute(query.order_by(*order_by).group_by(*group_by))
                if row.subscription_id in sub_ids]

    items = defaultdict(list)
    for item in of_batch(*_columns(SubscriptionItem, _ITEM_COLUMNS), order_by=[SubscriptionItem.id]):
        items[item.subscription_id].append(item)
    month = BilledMonth.__table__.c
    billed_through = {row.subscription_id: row.last for row in of_batch(
        month.subscription_id, func.max(month.month).label("last"), group_by=[month.subscription_id])}
    revisions: dict[int, list[rules.PriceStep]] = defaultdict(list)
    for row in of_batch(*PriceRevision.__table__.c):
        revisions[row.subscription_item_id].append(rules.PriceStep(
            row.effective_on, row.old_fee, row.new_fee, row.explanation.get("note", "")))
    usage = {subscription_id: [_usage_facts(rated) for rated in months] for subscription_id, months
             in rating.unbilled_usage(session, sub_ids,
                                      rules.period_label(rules.add_months(period, -1))).items()}
    ended = {s.id: _end_on(s) for s in subs if _end_on(s) is not None}
    after_end: dict[int, list[rules.BilledMonthFacts]] = defaultdict(list)
    if ended:
        for row in of_batch(*month, where=month.subscription_id.in_(list(ended))):
            if row.month >= rules.month_start(ended[row.subscription_id] - rules.ONE_DAY):
                after_end[row.subscription_id].append(
                    rules.BilledMonthFacts(row.month, row.days, row.month_days, row.amount))
    packs_billed: set[int] = set()
    with_packs = [s.id for s in subs if any(i.one_off_price for i in items[s.id])]
    for ids in _chunks(with_packs, 1000):
        packs_billed |= set(conn.scalars(select(InvoiceLine.subscription_id).where(
            InvoiceLine.subscription_id.in_(ids), InvoiceLine.kind == "pack")))
    charges: dict[int, list[rules.ChargeFacts]] = defaultdict(list)
    for row in conn.execute(select(Charge.__table__).where(
            Charge.customer_id.between(low, high), Charge.invoice_id.is_(None),
            Charge.incurred_on <= period_end).order_by(Charge.incurred_on, Charge.id)):
        if row.customer_id in wanted:
            charges[row.customer_id].append(rules.ChargeFacts(
                row.id, row.subscription_id, row.label, row.amount, row.price_basis,
                row.incurred_on, row.vat_rate, row.explanation or {}))
    by_customer: dict[int, list[tuple[rules.SubscriptionFacts, Terms]]] = defaultdict(list)
    errors: dict[int, str] = {}
    for sub in subs:
        try:
            terms = cache.terms(sub.sheet_id, sub.sheet_version, sub.family)
        except (KeyError, NotFound) as exc:
            errors[sub.customer_id] = f"{sub.ref}: {exc}"
            continue
        site = sites.get(sub.site_id)
        by_customer[sub.customer_id].append((rules.SubscriptionFacts(
            id=sub.id, ref=sub.ref, family=sub.family, site_id=sub.site_id,
            site_name=site.name if site else "", signed_on=sub.signed_on,
            items=tuple(_item_facts(item, common_offers, revisions) for item in items[sub.id]),
            status=sub.status, go_live_on=sub.go_live_on,
            equipment_received_on=sub.equipment_received_on, end_on=_end_on(sub),
            periodicity_months=sub.billing_periodicity_months or 1,
            billed_through=billed_through.get(sub.id), billed_until=sub.billed_until,
            billed_after_end=tuple(sorted(after_end.get(sub.id, ()), key=lambda b: b.month))),
            terms))
    facts = {}
    for customer_id, customer in customers.items():
        subscriptions = tuple(by_customer.get(customer_id, ()))
        facts[customer_id] = rules.CustomerFacts(
            id=customer_id, business=customer.kind != "household",
            central=(rules.Site(central[customer_id].id, central[customer_id].name)
                     if customer_id in central else None), subscriptions=subscriptions,
            usage=tuple(u for sub, _ in subscriptions for u in usage.get(sub.id, ())),
            charges=tuple(charges.get(customer_id, ())),
            packs_billed=frozenset(packs_billed & {sub.id for sub, _ in subscriptions}))
    return _Batch(customers, facts, errors, central)


def _usage_facts(rated: rating.RatedMonth) -> rules.UsageFacts:
    """A rated month as the bill run bills it; its detail per destination class goes with the
    invoice line (the usage annex), so that the invoice keeps it when rating data is purged."""
    return rules.UsageFacts(rated.id, rated.subscription_id, rules.parse_period(rated.usage_period),
                            rated.amount, rated.price_basis, records=rated.records,
                            annex=rated.detail.as_dict())


def _end_on(sub) -> date | None:
    """The first day without service: the termination date, else the effective date of a notice."""
    return sub.terminated_on or sub.termination_effective_on


def _item_facts(item, common_offers: set[int],
                revisions: dict[int, list[rules.PriceStep]]) -> rules.ItemFacts:
    return rules.ItemFacts(
        label=item.label, quantity=item.quantity, monthly_fee=item.monthly_fee,
        price_basis=item.price_basis, vat_rate=item.vat_rate, access_fee=item.access_fee,
        one_off_price=item.one_off_price, minimum_billing=item.minimum_billing,
        active_from=item.active_from, active_until=item.active_until,
        common=item.offer_id in common_offers, revisions=tuple(revisions.get(item.id, ())))


# --------------------------------------------------------------------------- storing invoices


def _party_of_operator(operator: Operator, creditor_identifier: str = "") -> dict:
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


def _party_of_customer(customer: Customer, central: Site | None, mandate_reference: str = ""
                       ) -> dict:
    return {"name": customer.name, "ref": customer.ref, "kind": customer.kind,
            "siren": customer.siren or "", "vat_number": customer.vat_number or "",
            "address": customer.billing_address or (central.address if central else ""),
            "country": customer.country or "FR", "email": customer.email,
            "mandate_reference": mandate_reference}


def _direct_debits(session: Session, operator: Operator, customer_ids: list[int]):
    """The creditor identifier and the customers' mandates (payments reads billing at import:
    read here, at call time)."""
    from clausier.payments.facts import direct_debit_facts

    return direct_debit_facts(session, operator.id, customer_ids)


def _check_seller_identity(operators: Iterable[Operator]) -> None:
    """Invoices are not issued while an operator lacks a mandatory seller field: one problem
    per operator, naming the fields to complete in its price list's ``legal_identity``."""
    problems = [Problem(f"{operator.code}.legal_identity",
                        f"missing {', '.join(missing)} (set them in the operator's price list)")
                for operator in operators
                for missing in [catalog_rules.missing_seller_fields(operator.legal_identity)]
                if missing]
    if problems:
        raise NotAllowed("invoices cannot be issued without the seller's mandatory details: "
                         + "; ".join(str(problem) for problem in problems), problems=problems)


def _invoice_row(operator: Operator, customer: Customer, draft: rules.InvoiceDraft, period: date,
                 issue_date: date, number: str | None, run_id: int | None, now,
                 central: Site | None, seller: dict, mandate_reference: str) -> dict:
    t = draft.totals
    return {
        "kind": "invoice", "operator_id": operator.id, "customer_id": customer.id,
        "bill_run_id": run_id, "run_key": rules.period_label(period), "series": operator.invoice_prefix,
        "number": number, "status": "issued" if number else "draft",
        "period": rules.period_label(period), "period_start": period,
        "period_end": rules.month_end(period), "issue_date": issue_date if number else None,
        "due_date": draft.due, "price_basis": t.basis, "total_ht": t.total_ht,
        "total_vat": t.total_vat, "total_ttc": t.total_ttc,
        "vat_breakdown": [b.as_dict() for b in t.vat], "seller": seller,
        "buyer": _party_of_customer(customer, central, mandate_reference),
        "mentions": [with_french_text(m.as_dict()) for m in draft.mentions],
        "billing_site_id": central.id if central else None, "credited_invoice_id": None,
        "reason": "", "amount_paid": ZERO, "paid_on": None, "created_at": now,
        "issued_at": now if number else None,
    }


def _line_rows(invoice_id: int, totals: rules.Totals) -> list[dict]:
    rows = []
    for position, priced in enumerate(totals.lines, start=1):
        draft = priced.draft
        rows.append({
            "invoice_id": invoice_id, "position": position, "kind": draft.kind,
            "subscription_id": draft.subscription_id,
            "site_id": draft.site.id if draft.site else None,
            "site_name": draft.site.name if draft.site else "", "label": draft.label[:300],
            "quantity": draft.quantity,
            "unit_price": money(priced.amount / draft.quantity) if draft.quantity else priced.amount,
            "amount": priced.amount, "amount_ht": priced.amount_ht, "vat_rate": draft.vat_rate,
            "period_start": draft.period_start, "period_end": draft.period_end,
            "clause": draft.clause[:300],
            "explanation": priced.explained.as_dict() | ({"annex": draft.annex} if draft.annex else {}),
        })
    return rows


def _store(session: Session, clock: Clock, actor: Actor, operator: Operator, run: BillRun | None,
           period: date, issue_date: date, drafts: list[tuple[Customer, rules.InvoiceDraft, Site | None]],
           draft_only: bool) -> list[tuple[int, str | None, rules.InvoiceDraft]]:
    """Insert the invoices of a batch, their lines, the months billed, and mark the usage and
    charges they bill; all in the caller's transaction."""
    if not drafts:
        return []
    now = clock.now()
    numbers = ([None] * len(drafts) if draft_only
               else _take_numbers(session, operator.invoice_prefix, issue_date.year, len(drafts)))
    debits = _direct_debits(session, operator, [customer.id for customer, _, _ in drafts])
    seller = _party_of_operator(operator, debits.creditor_identifier if debits else "")
    mandates = debits.mandates if debits else {}
    rows = [_invoice_row(operator, customer, draft, period, issue_date, number,
                         run.id if run else None, now, central, seller,
                         mandates.get(customer.id, ""))
            for (customer, draft, central), number in zip(drafts, numbers, strict=True)]
    conn = session.connection()
    ids = _insert_returning_ids(conn, Invoice.__table__, rows)
    lines, months, charges, revised = [], [], [], []
    usage: dict[int, int] = {}
    for invoice_id, (_customer, draft, _central) in zip(ids, drafts, strict=True):
        lines += _line_rows(invoice_id, draft.totals)
        months += [{"subscription_id": m.subscription_id, "month": m.month, "days": m.days,
                    "month_days": m.month_days, "amount": m.amount, "invoice_id": invoice_id}
                   for m in draft.billed]
        usage.update(dict.fromkeys(draft.usage_ids, invoice_id))
        charges += [{"id": c, "invoice_id": invoice_id} for c in draft.charge_ids]
        revised += draft.revised
    _bulk_insert(conn, InvoiceLine.__table__, lines)
    _bulk_insert(conn, BilledMonth.__table__, months)
    rating.mark_billed(session, usage)
    if charges:
        _set_invoice(conn, Charge.__table__, "invoice_id", charges)
    for month in revised:
        conn.execute(update(BilledMonth.__table__).where(
            BilledMonth.subscription_id == month.subscription_id, BilledMonth.month == month.month)
            .values(days=month.days, amount=month.amount))
    _audit_many(session, clock, actor, "invoice.issue" if not draft_only else "invoice.draft", (
        ("invoices", invoice_id, f"{number or 'draft'} {customer.ref}: "
                                 f"{fr_format(draft.totals.total)} {draft.totals.basis}")
        for invoice_id, number, (customer, draft, _c) in zip(ids, numbers, drafts, strict=True)))
    return [(invoice_id, number, draft) for invoice_id, number, (_c, draft, _x)
            in zip(ids, numbers, drafts, strict=True)]


def _bulk_insert(conn, table, rows: list[dict]) -> None:
    """Insert many rows: ``COPY`` on PostgreSQL (an order of magnitude faster than multi-row
    INSERTs), ``executemany`` elsewhere. Same transaction either way."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    statement = f'COPY {table.name} ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)}) FROM STDIN'
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([_copy_value(row[column]) for column in columns])


def _copy_value(value):
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    return value


def _insert_returning_ids(conn, table, rows: list[dict]) -> list[int]:
    """Insert rows and return their ids in order (ids drawn from the sequence on PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return list(conn.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                 rows))
    ids = list(conn.scalars(text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                                 "FROM generate_series(1, :count)"), {"count": len(rows)}))
    _bulk_insert(conn, table, [{"id": row_id, **row} for row_id, row in zip(ids, rows, strict=True)])
    return ids


def _set_invoice(conn, table, column: str, rows: list[dict]) -> None:
    """Mark charges as billed by their invoice (one executemany)."""
    conn.execute(update(table).where(table.c.id == bindparam("row_id"))
                 .values({column: bindparam("row_invoice")}),
                 [{"row_id": row["id"], "row_invoice": row["invoice_id"]} for row in rows])


# --------------------------------------------------------------------------- bill runs


@dataclass
class RunReport:
    bill_run_id: int
    operator: str
    period: str
    customers: int = 0
    billed: int = 0
    invoices: list[str] = field(default_factory=list)
    total_ht: Decimal = ZERO
    total_ttc: Decimal = ZERO
    errors: list[dict] = field(default_factory=list)
    partitions: list[dict] = field(default_factory=list)    # a run on workers: who billed what

    def as_dict(self) -> dict:
        partitions = {"partitions": self.partitions} if self.partitions else {}
        return {**partitions, "bill_run_id": self.bill_run_id, "operator": self.operator, "period": self.period,
                "customers": self.customers, "billed": self.billed, "invoices": len(self.invoices),
                "first_number": self.invoices[0] if self.invoices else None,
                "last_number": self.invoices[-1] if self.invoices else None,
                "total_ht": str(self.total_ht), "total_ttc": str(self.total_ttc),
                "errors": self.errors}


Progress = Callable[[int, int], None]


def _bill_customers(session: Session, clock: Clock, actor: Actor, cache: _TermsCache,
                    operator: Operator, run: BillRun | None, period: date, issue_date: date,
                    customer_ids: list[int], draft_only: bool, report: RunReport) -> None:
    """Bill some customers in the caller's transaction, which holds the operator's lock."""
    already = set(session.scalars(select(Invoice.customer_id).where(
        Invoice.customer_id.between(min(customer_ids), max(customer_ids)),
        Invoice.run_key == rules.period_label(period))))
    todo = [c for c in customer_ids if c not in already]
    if not todo:
        return
    _queue_rents(session, clock, actor, cache, operator, period, todo)
    batch = _load_batch(session, cache, operator, todo, period)
    general = cache.sheet(operator.sheet_id, None).general
    drafts = []
    for customer_id in todo:
        customer = batch.customers[customer_id]
        if customer_id in batch.errors:
            report.errors.append({"customer": customer.ref, "reason": batch.errors[customer_id]})
            continue
        facts = batch.facts[customer_id]
        try:
            draft = rules.draft_invoice(facts, general, operator.price_basis, period, issue_date)
        except rules.BillingError as exc:
            report.errors.append({"customer": customer.ref, "reason": str(exc)})
            continue
        if not draft.is_empty:
            drafts.append((customer, draft, batch.central_sites.get(customer_id)))
    for _id, number, draft in _store(session, clock, actor, operator, run, period, issue_date,
                                     drafts, draft_only):
        report.invoices.append(number or f"draft {_id}")
        report.total_ht += draft.totals.total_ht
        report.total_ttc += draft.totals.total_ttc
    report.billed += len(drafts)


RENT_SOURCE = "equipment_rent"


def _queue_rents(session: Session, clock: Clock, actor: Actor, cache: _TermsCache,
                 operator: Operator, period: date, customer_ids: list[int]) -> None:
    """Queue the rent of rented equipment due by this run (each item and month once, through
    the charge door keyed ``item:month``); the invoice being drafted bills it. The rent follows
    the terms of the subscription the item serves (CGV art. 9.5: a service like the others)."""
    items = equipment.rented_items(session, customer_ids, rules.month_end(period))
    if not items:
        return
    low, high = min(customer_ids), max(customer_ids)
    queued = set(session.scalars(select(Charge.source_key).where(
        Charge.source == RENT_SOURCE, Charge.customer_id.between(low, high))))
    indices: dict[str, dict[date, Decimal]] = {}
    general = cache.sheet(operator.sheet_id, None).general
    for item in items:
        sub = session.get(Subscription, item.subscription_id) if item.subscription_id else None
        terms = cache.terms(sub.sheet_id, sub.sheet_version, sub.family) if sub else general
        series = terms.indexation.series_id.value if terms.indexation and terms.indexation.series_id else None
        if series and series not in indices:
            indices[series] = {row.month: Decimal(row.value) for row in list_index_values(session, series)}
        rent = rules.RentFacts(
            item.id, f"Equipment rental: {item.kind.name} ({item.serial})", item.monthly_rent,
            item.price_basis, item.received_on or item.shipped_on, equipment.rent_end(item),
            item.subscription_id)
        for due in rules.rent_months(rent, terms, period, indices.get(series)):
            key = f"{item.id}:{rules.period_label(due.month)}"
            if key in queued:
                continue
            add_charge(session, clock, actor, customer_id=item.customer_id,
                       subscription_id=item.subscription_id, source=RENT_SOURCE, source_key=key,
                       label=due.label, explained=due.explained, price_basis=item.price_basis,
                       incurred_on=due.month)
    session.flush()


def start_bill_run(session: Session, clock: Clock, actor: Actor, period: str | date,
                   operator_code: str, issue_date: date | None = None, *,
                   issuing: bool = True) -> BillRun:
    """Record a bill run of ``period`` for an operator (the work is done by :func:`run_bill_run`);
    refused while the operator lacks a mandatory seller field, unless it only drafts.

    A run of the period still marked running whose process died (no sign of life for
    ``rules.BILL_RUN_LEASE``) is taken over: the new one continues it, under its id."""
    month = _period(period)
    operator = _operator(session, operator_code)
    if issuing:
        _check_seller_identity([operator])
    lock_for_writing(session, f"billrun:{operator.code}")     # one taker of a dead run
    label = rules.period_label(month)
    now = database_now(session)
    dead = next((run for run in session.scalars(
        select(BillRun).where(BillRun.operator_id == operator.id, BillRun.period == label,
                              BillRun.status == "running").order_by(BillRun.id))
        if rules.bill_run_has_died(run.heartbeat_at, now)), None)
    if dead is not None:
        record(session, clock, actor, "billrun.resume", dead,
               f"{operator.code} {label}: run {dead.id} stopped showing signs of life at "
               f"{dead.heartbeat_at:%Y-%m-%d %H:%M:%S %Z}; taken over by {actor.name}"
               if dead.heartbeat_at else f"{operator.code} {label}: run {dead.id} taken over")
        # Every customer is gone through again: those it billed have nothing left to bill.
        dead.customers_done, dead.heartbeat_at = 0, now
        return dead
    total = session.scalar(select(func.count()).select_from(Customer)
                           .where(Customer.operator_id == operator.id)) or 0
    run = BillRun(operator_id=operator.id, period=label, status="running",
                  issue_date=issue_date or clock.today(), customers_total=total, actor=actor.name,
                  started_at=clock.now(), heartbeat_at=now, errors=[])
    session.add(run)
    record(session, clock, actor, "billrun.start", run,
           f"{operator.code} {run.period}: {total} customer(s)")
    return run


def run_bill_run(engine: Engine, clock: Clock, actor: Actor, period: str | date,
                 operator_code: str | None = None, *, batch_size: int = DEFAULT_BATCH,
                 draft_only: bool = False, progress: Progress | None = None,
                 bill_run_id: int | None = None, queue: PartitionQueue | None = None,
                 partition_size: int = PARTITION_SIZE) -> list[RunReport]:
    """Bill every customer of ``period`` (``YYYY-MM``), for one operator or all of them.

    Idempotent, crash-safe and concurrent-safe (see the module docstring). ``progress`` is
    called with (customers done, customers in total) after each batch. With a ``queue`` the
    customers are billed by the workers, a partition each, and this process waits for them."""
    month = _period(period)
    with write_transaction(engine) as session:
        codes = ([operator_code] if operator_code else
                 list(session.scalars(select(Operator.code).order_by(Operator.code))))
        if not draft_only:        # every operator's refusal at once, before any run starts
            _check_seller_identity([_operator(session, code) for code in codes])
        runs = []
        for code in codes:
            if bill_run_id is not None:
                run = session.get(BillRun, bill_run_id)
                if run is None:
                    raise NotFound(f"bill run {bill_run_id} not found")
            else:
                run = start_bill_run(session, clock, actor, month, code, issuing=not draft_only)
            operator = _operator(session, code)
            ids = list(session.scalars(select(Customer.id).where(Customer.operator_id == operator.id)
                                       .order_by(Customer.id)))
            runs.append((run.id, operator.id, code, ids, run.issue_date))
    if queue is not None:        # every operator's partitions at once, then their results
        for run_id, _operator_id, _code, ids, _issue_date in runs:
            _send_partitions(engine, clock, queue, run_id, ids, partition_size)
        alive = [run_id for run_id, *_ in runs]
        return [_collect_partitions(engine, clock, actor, run_id, code, ids, draft_only, progress,
                                    alive)
                for run_id, _operator_id, code, ids, _issue_date in runs]
    reports = []
    for run_id, operator_id, code, ids, issue_date in runs:
        report = RunReport(run_id, code, rules.period_label(month), customers=len(ids))
        done = 0
        for chunk in _chunks(ids, max(1, batch_size)):
            _bill_chunk(engine, clock, actor, run_id, operator_id, month, issue_date, chunk,
                        draft_only, report)
            done += len(chunk)
            if progress:
                progress(done, len(ids))
        if not draft_only:    # drafts left by the partitions of a run taken over, if any
            with write_transaction(engine) as session:
                report.invoices += [number for number, _ht, _ttc
                                    in number_run_drafts(session, clock, actor, run_id)]
        _finish_run(engine, clock, actor, run_id, code, report)
        reports.append(report)
    return reports


def _finish_run(engine: Engine, clock: Clock, actor: Actor, run_id: int, code: str,
                report: RunReport) -> None:
    with write_transaction(engine) as session:
        run = session.get(BillRun, run_id)
        run.status = "completed" if not report.errors else "completed_with_errors"
        run.finished_at = clock.now()
        run.errors = report.errors[:1000]
        record(session, clock, actor, "billrun.finish", run,
               f"{code} {run.period}: {report.billed} invoice(s), {len(report.errors)} error(s)")


def _bill_chunk(engine: Engine, clock: Clock, actor: Actor, run_id: int, operator_id: int,
                month: date, issue_date: date, chunk: list[int], draft_only: bool,
                report: RunReport, partition: int | None = None) -> None:
    """A batch in one transaction; if it fails, its customers one transaction each, so that one
    bad customer does not stop the others."""
    counted = partition is None
    try:
        _run_batch(engine, clock, actor, run_id, operator_id, month, issue_date, chunk,
                   draft_only, report, partition)
    except (IntegrityError, OperationalError) as exc:
        if len(chunk) == 1:
            _record_failure(engine, clock, run_id, chunk[0], exc, report, counted)
            return
        for customer_id in chunk:
            try:
                _run_batch(engine, clock, actor, run_id, operator_id, month, issue_date,
                           [customer_id], draft_only, report, partition)
            except (IntegrityError, OperationalError) as single:
                _record_failure(engine, clock, run_id, customer_id, single, report, counted)


def _run_batch(engine: Engine, clock: Clock, actor: Actor, run_id: int, operator_id: int,
               month: date, issue_date: date, customer_ids: list[int], draft_only: bool,
               report: RunReport, partition: int | None = None) -> None:
    """Bill a batch in one transaction under the operator's bill-run lock; a batch of a
    partition takes that partition's lock instead (partitions run side by side, and its
    progress is counted by the run's coordinator, not here)."""
    partial = RunReport(report.bill_run_id, report.operator, report.period)
    with write_transaction(engine) as session:
        operator = session.get(Operator, operator_id)
        lock_for_writing(session, f"billrun:{operator.code}" if partition is None
                         else f"billrun:{operator.code}:{partition}")
        run = session.get(BillRun, run_id)
        _bill_customers(session, clock, actor, _TermsCache(session), operator, run, month,
                        issue_date, customer_ids, draft_only, partial)
        if partition is None:
            run.customers_done = (run.customers_done or 0) + len(customer_ids)
            run.heartbeat_at = database_now(session)
            run.invoices = (run.invoices or 0) + partial.billed
            run.total_ht = money(run.total_ht + partial.total_ht)
            run.total_ttc = money(run.total_ttc + partial.total_ttc)
    # Only a committed batch counts in the report.
    report.billed += partial.billed
    report.invoices += partial.invoices
    report.total_ht += partial.total_ht
    report.total_ttc += partial.total_ttc
    report.errors += partial.errors


def _record_failure(engine: Engine, clock: Clock, run_id: int, customer_id: int, exc: Exception,
                    report: RunReport, counted: bool = True) -> None:
    with write_transaction(engine) as session:
        customer = session.get(Customer, customer_id)
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        report.errors.append({"customer": customer.ref if customer else str(customer_id),
                              "reason": reason})
        if counted:
            run = session.get(BillRun, run_id)
            run.customers_done = (run.customers_done or 0) + 1


# --------------------------------------------------------------------------- bill runs on workers

# (run id, partition position, the coordinator's fixed instant or None for the system clock)
PartitionQueue = Callable[[int, int, str | None], None]
POLL_SECONDS = 0.5


def _partitions(session: Session, run_id: int, ids: list[int], size: int) -> list[int]:
    """The run's partitions (made on its first start, kept on a takeover): the positions still
    to bill, failed ones queued again."""
    existing = list(session.scalars(select(BillRunPartition)
                                    .where(BillRunPartition.bill_run_id == run_id)))
    if not existing:
        existing = [BillRunPartition(bill_run_id=run_id, position=position,
                                     first_customer_id=chunk[0], last_customer_id=chunk[-1],
                                     customers=len(chunk), status="queued", errors=[])
                    for position, chunk in enumerate(_chunks(ids, max(1, size)))]
        session.add_all(existing)
    for part in existing:
        if part.status == "failed":
            part.status, part.errors = "queued", []
    return [part.position for part in existing if part.status == "queued"]


def _send_partitions(engine: Engine, clock: Clock, queue: PartitionQueue, run_id: int,
                     ids: list[int], size: int) -> None:
    with write_transaction(engine) as session:
        positions = _partitions(session, run_id, ids, size)
    fixed_at = clock.now().isoformat() if isinstance(clock, FixedClock) else None
    for position in positions:       # after the commit: a worker must find its partition
        queue(run_id, position, fixed_at)


def _collect_partitions(engine: Engine, clock: Clock, actor: Actor, run_id: int, code: str,
                        ids: list[int], draft_only: bool, progress: Progress | None,
                        alive: list[int]) -> RunReport:
    """Wait for the run's partitions, keeping the heartbeat of the runs this process still
    owes (``alive``), then number the drafts they wrote in one short step."""
    while True:
        with write_transaction(engine) as session:
            parts = list(session.scalars(select(BillRunPartition)
                                         .where(BillRunPartition.bill_run_id == run_id)))
            session.execute(update(BillRun).where(BillRun.id.in_(alive))
                            .values(heartbeat_at=database_now(session))
                            .execution_options(synchronize_session=False))
            run = session.get(BillRun, run_id)
            run.customers_done = sum(p.customers for p in parts if p.status != "queued")
            done = run.customers_done
        if progress:
            progress(done, len(ids))
        if all(p.status != "queued" for p in parts):
            break
        time.sleep(POLL_SECONDS)
    with write_transaction(engine) as session:
        run = session.get(BillRun, run_id)
        report = RunReport(run_id, code, run.period, customers=len(ids))
        if draft_only:
            drafts = session.execute(select(Invoice.id, Invoice.total_ht, Invoice.total_ttc).where(
                Invoice.bill_run_id == run_id, Invoice.number.is_(None),
                Invoice.kind == "invoice").order_by(Invoice.customer_id)).all()
            issued = [(f"draft {row.id}", row.total_ht, row.total_ttc) for row in drafts]
        else:
            issued = number_run_drafts(session, clock, actor, run_id)
        report.invoices = [number for number, _ht, _ttc in issued]
        report.billed = len(issued)
        report.total_ht = sum((ht for _n, ht, _t in issued), ZERO)
        report.total_ttc = sum((ttc for _n, _h, ttc in issued), ZERO)
        parts = list(session.scalars(select(BillRunPartition).where(
            BillRunPartition.bill_run_id == run_id).order_by(BillRunPartition.position)))
        for part in parts:
            report.errors += part.errors
        report.partitions = [partition_dict(part) for part in parts]
        run.invoices = session.scalar(select(func.count()).select_from(Invoice)
                                      .where(Invoice.bill_run_id == run_id)) or 0
        run.total_ht, run.total_ttc = (money(value or ZERO) for value in session.execute(
            select(func.sum(Invoice.total_ht), func.sum(Invoice.total_ttc))
            .where(Invoice.bill_run_id == run_id)).one())
    _finish_run(engine, clock, actor, run_id, code, report)
    alive.remove(run_id)
    return report


def number_run_drafts(session: Session, clock: Clock, actor: Actor, run_id: int
                      ) -> list[tuple[str, Decimal, Decimal]]:
    """Issue the drafts a run's partitions wrote: numbers in customer order, as the in-process
    run takes them, under the operator's bill-run lock; (number, HT, TTC) of each."""
    run = session.get(BillRun, run_id)
    operator = session.get(Operator, run.operator_id)
    lock_for_writing(session, f"billrun:{operator.code}")
    drafts = session.execute(
        select(Invoice.id, Invoice.total_ht, Invoice.total_ttc, Invoice.price_basis, Customer.ref)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.bill_run_id == run_id, Invoice.number.is_(None), Invoice.kind == "invoice",
               Invoice.status == "draft")
        .order_by(Invoice.customer_id)).all()
    if not drafts:
        return []
    numbers = _take_numbers(session, operator.invoice_prefix, run.issue_date.year, len(drafts))
    now = clock.now()
    table = Invoice.__table__
    session.connection().execute(
        update(table).where(table.c.id == bindparam("invoice_id"))
        .values(number=bindparam("invoice_number"), status="issued", issue_date=run.issue_date,
                issued_at=now),
        [{"invoice_id": row.id, "invoice_number": number}
         for row, number in zip(drafts, numbers, strict=True)])
    _audit_many(session, clock, actor, "invoice.issue", (
        ("invoices", row.id, f"{number} {row.ref}: "
                             f"{fr_format(row.total_ht if row.price_basis == 'HT' else row.total_ttc)}"
                             f" {row.price_basis}")
        for row, number in zip(drafts, numbers, strict=True)))
    return [(number, row.total_ht, row.total_ttc) for row, number in zip(drafts, numbers, strict=True)]


def bill_partition(engine: Engine, clock: Clock, actor: Actor, run_id: int, position: int,
                   worker: str) -> dict | None:
    """A worker's share of a run: its customers billed as drafts (numbered later by the run's
    coordinator). Idempotent: a partition done is not billed again, and a partition delivered
    again after its worker died bills only the customers whose invoice was not committed."""
    with write_transaction(engine) as session:
        part = session.scalar(select(BillRunPartition).where(
            BillRunPartition.bill_run_id == run_id, BillRunPartition.position == position))
        if part is None:
            raise NotFound(f"bill run {run_id}: no partition {position}")
        if part.status == "done":
            return None
        run = session.get(BillRun, run_id)
        operator = session.get(Operator, run.operator_id)
        ids = list(session.scalars(select(Customer.id).where(
            Customer.operator_id == operator.id,
            Customer.id.between(part.first_customer_id, part.last_customer_id))
            .order_by(Customer.id)))
        part.worker, part.attempts = worker, part.attempts + 1
        operator_id, code, month, issue_date = operator.id, operator.code, _period(run.period), run.issue_date
    report = RunReport(run_id, code, rules.period_label(month), customers=len(ids))
    for chunk in _chunks(ids, DEFAULT_BATCH):
        _bill_chunk(engine, clock, actor, run_id, operator_id, month, issue_date, chunk, True,
                    report, partition=position)
    with write_transaction(engine) as session:
        part = session.scalar(select(BillRunPartition).where(
            BillRunPartition.bill_run_id == run_id, BillRunPartition.position == position)
            .with_for_update())
        part.invoices, part.total_ht, part.total_ttc = session.execute(
            select(func.count(), func.coalesce(func.sum(Invoice.total_ht), 0),
                   func.coalesce(func.sum(Invoice.total_ttc), 0))
            .where(Invoice.bill_run_id == run_id,
                   Invoice.customer_id.between(part.first_customer_id, part.last_customer_id))
        ).one()
        part.status, part.worker, part.errors = "done", worker, report.errors
        part.finished_at = clock.now()
        return partition_dict(part)


def fail_partition(session: Session, clock: Clock, run_id: int, position: int, error: str) -> None:
    """A partition the workers gave up on (dead letter): its customers are reported unbilled;
    the next run of the period queues it again."""
    part = session.scalar(select(BillRunPartition).where(
        BillRunPartition.bill_run_id == run_id, BillRunPartition.position == position))
    if part is None or part.status == "done":
        return
    part.status, part.finished_at = "failed", clock.now()
    part.errors = [{"customer": f"partition {position} (customers {part.first_customer_id}–"
                                f"{part.last_customer_id})", "reason": error}]


def partition_dict(part: BillRunPartition) -> dict:
    return {"position": part.position, "status": part.status, "worker": part.worker,
            "attempts": part.attempts, "customers": part.customers,
            "first_customer_id": part.first_customer_id, "last_customer_id": part.last_customer_id,
            "invoices": part.invoices, "total_ht": str(part.total_ht),
            "total_ttc": str(part.total_ttc), "errors": part.errors}


def bill_period(session: Session, clock: Clock, actor: Actor, period: str | date,
                operator_code: str, customer_ids: list[int] | None = None,
                draft_only: bool = False) -> RunReport:
    """A bill run inside the caller's transaction (the demo, small operators, tests)."""
    month = _period(period)
    operator = _operator(session, operator_code)
    lock_for_writing(session, f"billrun:{operator.code}")
    run = start_bill_run(session, clock, actor, month, operator_code, issuing=not draft_only)
    ids = customer_ids if customer_ids is not None else list(session.scalars(
        select(Customer.id).where(Customer.operator_id == operator.id).order_by(Customer.id)))
    report = RunReport(run.id, operator.code, run.period, customers=len(ids))
    cache = _TermsCache(session)
    for chunk in _chunks(ids, DEFAULT_BATCH):
        _bill_customers(session, clock, actor, cache, operator, run, month, run.issue_date, chunk,
                        draft_only, report)
    run.customers_done, run.invoices = len(ids), report.billed
    run.total_ht, run.total_ttc = money(report.total_ht), money(report.total_ttc)
    run.status = "completed" if not report.errors else "completed_with_errors"
    run.finished_at = clock.now()
    run.errors = report.errors
    session.flush()
    session.expire_all()     # the invoices were inserted in bulk: reload them from the database
    return report


# --------------------------------------------------------------------------- invoices


def get_invoice(session: Session, number_or_id: str | int) -> Invoice:
    text = str(number_or_id)
    query = select(Invoice).where(Invoice.number == text)
    invoice = session.scalar(query)
    if invoice is None and text.isdecimal():
        invoice = session.get(Invoice, int(text))
    if invoice is None:
        raise NotFound(f"invoice: {number_or_id} not found")
    return invoice


def credited_by(session: Session, invoice: Invoice) -> Invoice | None:
    """The invoice a credit note corrects (None for an invoice)."""
    return session.get(Invoice, invoice.credited_invoice_id) if invoice.credited_invoice_id else None


def list_invoices(session: Session, *, status: str | None = None, customer_id: int | None = None,
                  period: str | None = None, operator_code: str | None = None,
                  kind: str | None = None, search: str | None = None,
                  limit: int = 200, offset: int = 0) -> list[Invoice]:
    query = _filtered(select(Invoice).order_by(Invoice.id.desc()).limit(limit).offset(offset),
                      status=status, customer_id=customer_id, period=period, kind=kind,
                      operator_code=operator_code)
    if search:
        like = f"%{search}%"
        query = query.join(Customer, Customer.id == Invoice.customer_id).where(
            or_(Invoice.number.ilike(like), Customer.name.ilike(like), Customer.ref.ilike(like)))
    return list(session.scalars(query))


def numbered_document_ids(session: Session, *, period: str | None = None,
                          operator_code: str | None = None, status: str | None = None) -> list[int]:
    """Ids of the issued invoices and credit notes (drafts have no document to send), in number
    order: what ``clausier invoice pdfs`` renders."""
    query = select(Invoice.id).where(Invoice.number.is_not(None)).order_by(Invoice.number)
    return list(session.scalars(_filtered(query, period=period, status=status,
                                          operator_code=operator_code)))


def document_file_names(session: Session, invoice_ids: list[int]) -> dict[int, str]:
    """The file each document's PDF is written to (``billing.pdf.pdf_filename``), by id, in the
    order of ``invoice_ids``."""
    from clausier.billing.pdf import pdf_filename

    invoices = {i.id: i for i in session.scalars(select(Invoice).where(Invoice.id.in_(invoice_ids)))}
    return {invoice_id: pdf_filename(invoices[invoice_id]) for invoice_id in invoice_ids}


def _filtered(query, *, status: str | None = None, customer_id: int | None = None,
              period: str | None = None, kind: str | None = None,
              operator_code: str | None = None):
    """The invoice lists' filters (a None or empty filter is no filter)."""
    if status:
        query = query.where(Invoice.status == status)
    if customer_id is not None:
        query = query.where(Invoice.customer_id == customer_id)
    if period:
        query = query.where(Invoice.period == period)
    if kind:
        query = query.where(Invoice.kind == kind)
    if operator_code:
        query = query.join(Operator, Operator.id == Invoice.operator_id).where(Operator.code == operator_code)
    return query


def issue_invoice(session: Session, clock: Clock, actor: Actor, invoice_id: int,
                  issue_date: date | None = None) -> Invoice:
    """Give a draft its number and date: from then on it is immutable."""
    invoice = get_invoice(session, invoice_id)
    if invoice.number is not None:
        raise NotAllowed(f"invoice {invoice.number}: already issued")
    day = issue_date or clock.today()
    operator = session.get(Operator, invoice.operator_id)
    _check_seller_identity([operator])
    general = terms_service.get_sheet(session, operator.sheet_id).general
    # The seller and the payment details as they are on the day it is issued.
    debits = _direct_debits(session, operator, [invoice.customer_id])
    invoice.seller = _party_of_operator(operator, debits.creditor_identifier if debits else "")
    invoice.buyer = {**invoice.buyer, "mandate_reference":
                     debits.mandates.get(invoice.customer_id, "") if debits else ""}
    invoice.number = _take_numbers(session, invoice.series, day.year, 1)[0]
    invoice.issue_date = day
    invoice.due_date, _ = rules.due_date(general, day)
    invoice.status = "issued"
    invoice.issued_at = clock.now()
    record(session, clock, actor, "invoice.issue", invoice, f"{invoice.number}: {invoice.total_ttc} TTC")
    return invoice


def discard_draft(session: Session, clock: Clock, actor: Actor, invoice_id: int) -> None:
    """Delete a draft and give back what it billed (months, usage, charges) to the next run."""
    invoice = get_invoice(session, invoice_id)
    if invoice.number is not None:
        raise NotAllowed(f"invoice {invoice.number}: issued; correct it with a credit note")
    rating.release_billed(session, invoice.id)
    session.execute(update(Charge).where(Charge.invoice_id == invoice.id).values(invoice_id=None))
    for month in session.scalars(select(BilledMonth).where(BilledMonth.invoice_id == invoice.id)):
        session.delete(month)
    record(session, clock, actor, "invoice.discard", invoice, f"draft {invoice.id} discarded")
    session.delete(invoice)


def credit_note(session: Session, clock: Clock, actor: Actor, number: str, reason: str, *,
                amount: Decimal | None = None, label: str | None = None,
                vat_rate: str | None = None) -> Invoice:
    """A credit note (*avoir*) referencing an issued invoice: the whole invoice (it is then
    cancelled) or an amount in the invoice's basis. The only way to correct an invoice."""
    invoice = get_invoice(session, number)
    if invoice.kind != "invoice":
        raise NotAllowed(f"invoice {invoice.number}: a credit note cannot be credited")
    if invoice.number is None:
        raise NotAllowed(f"invoice {invoice.id}: a draft is discarded, not credited")
    if invoice.status == "cancelled":
        raise NotAllowed(f"invoice {invoice.number}: already cancelled by a credit note")
    if not reason.strip():
        raise InvalidInput.on("reason", "a credit note says why")
    credited = _credited(session, invoice)
    invoice_total = sum((line.amount for line in invoice.lines), ZERO)
    remaining = invoice_total - credited
    if amount is None:
        if credited:
            raise NotAllowed(f"invoice {invoice.number}: already partly credited "
                             f"({fr_format(credited)}); credit the remaining amount instead")
        drafts = [_credit_copy(line) for line in invoice.lines]
    else:
        amount = money(amount)
        if amount <= 0:
            raise InvalidInput.on("amount", "must be positive")
        if amount > remaining:
            raise InvalidInput.on("amount", f"{fr_format(amount)} is more than the "
                                            f"{fr_format(remaining)} left to credit")
        rate = vat_rate or (invoice.lines[0].vat_rate if invoice.lines else "normal")
        try:
            rules.vat_rate(rate, invoice.issue_date)
        except rules.BillingError as exc:
            raise exc.as_invalid_input() from None
        text = label or f"Credit on invoice {invoice.number}"
        drafts = [rules.DraftLine("credit", text, Explained((Line(
            text, amount, f"credit of {fr_format(amount)} on {invoice.number}", reason),)),
            invoice.price_basis, rate)]
    # A credit note corrects the invoice: the VAT it takes back is at the invoice's rates.
    totals = rules.totals(drafts, invoice.price_basis, invoice.issue_date)
    operator = session.get(Operator, invoice.operator_id)
    _check_seller_identity([operator])
    day = clock.today()
    series = invoice.series + CREDIT_SERIES_SUFFIX
    note = Invoice(
        kind="credit_note", operator_id=invoice.operator_id, customer_id=invoice.customer_id,
        series=series, number=_take_numbers(session, series, day.year, 1)[0], status="issued",
        period=invoice.period, period_start=invoice.period_start, period_end=invoice.period_end,
        issue_date=day, due_date=day, price_basis=invoice.price_basis, total_ht=totals.total_ht,
        total_vat=totals.total_vat, total_ttc=totals.total_ttc,
        vat_breakdown=[b.as_dict() for b in totals.vat], seller=_party_of_operator(operator),
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
            period_end=d.period_end, clause=d.clause, explanation=priced.explained.as_dict()))
    session.add(note)
    if credited + totals.total == invoice_total:
        invoice.status = "cancelled"
    record(session, clock, actor, "invoice.credit", note,
           f"{note.number} credits {fr_format(totals.total)} on {invoice.number}: {reason}")
    return note


def _credit_copy(line: InvoiceLine) -> rules.DraftLine:
    explained = Explained(tuple(Line(l["label"], Decimal(l["amount"]), l.get("formula", ""),
                                     l.get("clause", "")) for l in line.explanation.get("lines", []))
                          or (Line(line.label, line.amount, "", line.clause),))
    return rules.DraftLine(
        "credit", line.label, explained, line.invoice.price_basis, line.vat_rate, line.quantity,
        line.subscription_id, rules.Site(line.site_id, line.site_name) if line.site_id else None,
        line.period_start, line.period_end)


def _credited(session: Session, invoice: Invoice) -> Decimal:
    notes = session.scalars(select(Invoice).where(Invoice.credited_invoice_id == invoice.id))
    return sum((line.amount for note in notes for line in note.lines), ZERO)


def record_payment(session: Session, clock: Clock, actor: Actor, number: str, amount_paid: Decimal,
                   on: date) -> Invoice:
    """Set what has been paid of an issued invoice (payments room): paid or partly paid."""
    invoice = get_invoice(session, number)
    if invoice.number is None or invoice.status == "cancelled" or invoice.kind != "invoice":
        raise NotAllowed(f"invoice {invoice.number or invoice.id}: {invoice.status} {invoice.kind} "
                         "takes no payment")
    amount_paid = money(amount_paid)
    if amount_paid < 0:
        raise InvalidInput.on("amount_paid", "cannot be negative")
    before = invoice.status
    invoice.amount_paid = amount_paid
    due = invoice.total_ttc - _credited_ttc(session, invoice)
    if amount_paid >= due:
        invoice.status, invoice.paid_on = "paid", on
    elif amount_paid > 0:
        invoice.status = "partly_paid"
    else:
        invoice.status = "overdue" if invoice.due_date and on > invoice.due_date else "issued"
    record(session, clock, actor, "invoice.payment", invoice,
           f"{invoice.number}: {fr_format(amount_paid)} paid, {before} → {invoice.status}")
    return invoice


def _credited_ttc(session: Session, invoice: Invoice) -> Decimal:
    return sum((note.total_ttc for note in session.scalars(
        select(Invoice).where(Invoice.credited_invoice_id == invoice.id))), ZERO)


def mark_overdue(session: Session, clock: Clock, actor: Actor, day: date,
                 customer_id: int | None = None) -> int:
    """Daily: issued or partly paid invoices past their due date become overdue (one customer's
    only with ``customer_id``). Idempotent."""
    late = list(session.scalars(select(Invoice).where(
        Invoice.kind == "invoice", Invoice.status.in_(("issued", "partly_paid")),
        Invoice.due_date < day,
        true() if customer_id is None else Invoice.customer_id == customer_id)))
    for invoice in late:
        invoice.status = "overdue"
    if late:
        record(session, clock, actor, "invoice.overdue", late[0],
               f"{len(late)} invoice(s) overdue on {day.isoformat()}",
               {"numbers": [i.number for i in late][:500]})
    return len(late)


def tick(session: Session, clock: Clock, actor: Actor, day: date, *,
         customer_id: int | None = None) -> dict[str, int]:
    """The billing part of the daily tick."""
    return {"overdue": mark_overdue(session, clock, actor, day, customer_id)}


# --------------------------------------------------------------------------- indexation


def add_index_value(session: Session, clock: Clock, actor: Actor, series: str, month: str | date,
                    value: str | Decimal) -> IndexValue:
    """Record a published index value (e.g. ``001565192 2026-09 132.4``). The same value again
    changes nothing; another value for a recorded month is refused."""
    day = _period(month)
    try:
        number = to_decimal(value, field="value")
    except ValueError as exc:
        raise InvalidInput.on("value", str(exc)) from None
    if number <= 0:
        raise InvalidInput.on("value", "an index value is positive")
    existing = session.scalar(select(IndexValue).where(IndexValue.series == series,
                                                       IndexValue.month == day))
    if existing is not None:
        if Decimal(existing.value) != number:
            raise Conflict(f"index {series} {rules.period_label(day)}: already recorded as "
                           f"{existing.value}")
        return existing
    row = IndexValue(series=series, month=day, value=str(number), recorded_at=clock.now(),
                     actor=actor.name)
    session.add(row)
    record(session, clock, actor, "index.add", row, f"{series} {rules.period_label(day)} = {number}")
    return row


def list_index_values(session: Session, series: str | None = None) -> list[IndexValue]:
    query = select(IndexValue).order_by(IndexValue.series, IndexValue.month)
    if series:
        query = query.where(IndexValue.series == series)
    return list(session.scalars(query))


def _live_subscriptions(session: Session, operator: Operator, on: date,
                        family: str | None = None) -> list[Subscription]:
    query = select(Subscription).where(
        Subscription.operator_id == operator.id,
        Subscription.status.not_in(("cancelled", "terminated")),
        or_(Subscription.termination_effective_on.is_(None), Subscription.termination_effective_on > on))
    if family:
        query = query.where(Subscription.family == family)
    return list(session.scalars(query.order_by(Subscription.id)))


def current_monthly_fee(session: Session, item: SubscriptionItem, on: date) -> Decimal:
    """The monthly fee of an item on a date, revisions (indexation, price changes) included."""
    steps = [rules.PriceStep(r.effective_on, r.old_fee, r.new_fee) for r in session.scalars(
        select(PriceRevision).where(PriceRevision.subscription_item_id == item.id))]
    return _item_facts(item, set(), {item.id: steps}).fee_on(on)[0]


def apply_indexation(session: Session, clock: Clock, actor: Actor, operator_code: str,
                     year: int) -> list[PriceRevision]:
    """The annual revision by the sheet's index (CGV art. 9.4) for every live subscription:
    ``new = old × (1 + (I_new − I_old) / I_old)`` with the recorded index values. Idempotent."""
    operator = _operator(session, operator_code)
    cache = _TermsCache(session)
    revisions = []
    recorded: dict[str, dict[date, Decimal]] = {}
    for sub in _live_subscriptions(session, operator, date(year, 1, 1)):
        terms = cache.terms(sub.sheet_id, sub.sheet_version, sub.family)
        indexation = terms.indexation
        if indexation is None or indexation.series_id is None:
            continue
        applies = indexation.applies_to.value if indexation.applies_to else ["recurring"]
        if "recurring" not in applies:
            continue
        on = rules.revision_date(terms, year)
        if sub.go_live_on is None or sub.go_live_on >= on:
            continue
        series = indexation.series_id.value
        values = recorded.setdefault(series, {row.month: Decimal(row.value)
                                              for row in list_index_values(session, series)})
        try:
            month_new, month_old = rules.index_months(terms, on, values)
        except rules.BillingError as exc:
            raise NotAllowed(str(exc)) from None
        if month_old not in values:
            raise NotAllowed(f"indexation: index {series} of {rules.period_label(month_old)} is not "
                             f"recorded (needed with {rules.period_label(month_new)}; "
                             f"{indexation.reference_lag_months.clause if indexation.reference_lag_months else ''})")
        for item in sub.items:
            if item.monthly_fee == ZERO or session.scalar(select(PriceRevision.id).where(
                    PriceRevision.subscription_item_id == item.id, PriceRevision.effective_on == on,
                    PriceRevision.cause == "indexation")):
                continue
            old = current_monthly_fee(session, item, on - rules.ONE_DAY)
            indexed = rules.indexed_fee(terms, old, values[month_old], values[month_new],
                                        month_old, month_new)
            revision = PriceRevision(
                subscription_id=sub.id, subscription_item_id=item.id, effective_on=on,
                cause="indexation", old_fee=old, new_fee=indexed.new,
                explanation={**indexed.explained.as_dict(),
                             "note": f"{item.label}: {indexed.note}"}, created_at=clock.now())
            session.add(revision)
            revisions.append(revision)
    if revisions:
        record(session, clock, actor, "price.indexation", revisions[0],
               f"{operator.code} {year}: {len(revisions)} item(s) indexed")
    return revisions


# --------------------------------------------------------------------------- price changes


def announce_price_change(session: Session, clock: Clock, actor: Actor, operator_code: str,
                          kind: str, effective_on: date, *, family: str | None = None,
                          offer_code: str | None = None, percent: Decimal | None = None,
                          description: str = "", announced_on: date | None = None) -> PriceChange:
    """Announce a price change: refused if the effective date leaves less than the sheet's
    notice; otherwise one notice per affected subscription with the customer's right to leave
    without fees when the sheet grants it, and the new fees from the effective date."""
    if kind not in rules.PRICE_CHANGE_KINDS:
        raise InvalidInput.on("kind", f"{kind!r} is not one of {', '.join(rules.PRICE_CHANGE_KINDS)}")
    operator = _operator(session, operator_code)
    announced = announced_on or clock.today()
    if percent is not None:
        percent = to_decimal(percent, field="percent")
    increase = percent is None or percent > 0
    cache = _TermsCache(session)
    subs = [s for s in _live_subscriptions(session, operator, effective_on, family)
            if offer_code is None or any(i.offer_code == offer_code for i in s.items)]
    if not subs:
        raise InvalidInput.on("family" if family else "offer_code", "no live subscription is affected")
    notices = []
    for sub in subs:
        terms = cache.terms(sub.sheet_id, sub.sheet_version, sub.family)
        try:
            rule = rules.price_change_notice(terms, kind, announced, increase, effective_on)
        except rules.BillingError as exc:
            raise NotAllowed(f"{sub.ref}: {exc}") from None
        if effective_on < rule.earliest_effective:
            raise NotAllowed(f"effective_on: {effective_on.isoformat()} leaves less than the notice "
                             f"of {sub.family} (earliest {rule.earliest_effective.isoformat()}, "
                             f"{rule.notice_clause})")
        notices.append((sub, rule))
    change = PriceChange(operator_id=operator.id, kind=kind, family=family, offer_code=offer_code,
                         percent=str(percent) if percent is not None else None,
                         announced_on=announced, effective_on=effective_on,
                         description=description, actor=actor.name, created_at=clock.now())
    session.add(change)
    session.flush()
    for sub, rule in notices:
        change.notices.append(PriceChangeNotice(
            customer_id=sub.customer_id, subscription_id=sub.id, sent_on=announced,
            effective_on=effective_on, notice_clause=rule.notice_clause,
            may_leave_without_fees=rule.may_leave, leave_clause=rule.leave_clause,
            leave_until=rule.leave_until, details=rule.as_dict()))
        if kind == "usage" or percent is None:
            continue    # usage prices are the rating room's; a notice without a figure is a text
        for item in sub.items:
            if item.monthly_fee == ZERO or (offer_code and item.offer_code != offer_code):
                continue
            old = current_monthly_fee(session, item, effective_on - rules.ONE_DAY)
            new = money(old * (1 + percent / 100))
            explained = Explained((Line(f"New monthly fee from {effective_on.isoformat()}", new,
                                        f"{fr_format(old)} × (1 + {fr_number(percent)} %)",
                                        rule.notice_clause),))
            session.add(PriceRevision(
                subscription_id=sub.id, subscription_item_id=item.id, effective_on=effective_on,
                cause="price_change", price_change_id=change.id, old_fee=old, new_fee=new,
                explanation={**explained.as_dict(), "note": f"{item.label}: price change of "
                             f"{announced.isoformat()}: {fr_format(old)} × (1 + {fr_number(percent)} %)"
                             f" = {fr_format(new)} — {rule.notice_clause}"},
                created_at=clock.now()))
    record(session, clock, actor, "price.change", change,
           f"{operator.code} {kind} from {effective_on.isoformat()}: {len(notices)} notice(s)")
    return change


def list_price_changes(session: Session) -> list[PriceChange]:
    return list(session.scalars(select(PriceChange).order_by(PriceChange.id.desc())))


# --------------------------------------------------------------------------- views of invoices


def list_bill_runs(session: Session, limit: int = 50) -> list[BillRun]:
    return list(session.scalars(select(BillRun).order_by(BillRun.id.desc()).limit(limit)))


def list_partitions(session: Session, run_id: int) -> list[BillRunPartition]:
    """A run's partitions (a run billed by the workers), in customer order."""
    return list(session.scalars(select(BillRunPartition).where(
        BillRunPartition.bill_run_id == run_id).order_by(BillRunPartition.position)))


def get_bill_run(session: Session, run_id: int) -> BillRun:
    run = session.get(BillRun, run_id)
    if run is None:
        raise NotFound(f"bill run {run_id} not found")
    return run


def bill_run_dict(run: BillRun, operator_code: str = "") -> dict:
    return {"id": run.id, "operator": operator_code, "period": run.period, "status": run.status,
            "issue_date": run.issue_date, "customers_total": run.customers_total,
            "customers_done": run.customers_done, "invoices": run.invoices,
            "total_ht": str(run.total_ht), "total_ttc": str(run.total_ttc), "errors": run.errors,
            "started_at": run.started_at, "finished_at": run.finished_at}


def invoice_dict(invoice: Invoice, with_lines: bool = True) -> dict:
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
    overdue = session.scalar(select(func.count()).select_from(Invoice).where(Invoice.status == "overdue")) or 0
    return issued, overdue

