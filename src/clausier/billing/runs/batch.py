"""A batch of a bill run: its facts loaded with a few set queries through the owning rooms'
readers and its invoices drafted into encoded rows (:func:`prepare_batch`, in a worker process
on a parallel run), then those rows numbered and stored in bulk in the writer's transaction
(:func:`write_prepared`)."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record_many
from clausier.billing import periods
from clausier.billing.context import TermsCache
from clausier.billing.documents.mentions import with_french_text
from clausier.billing.invoices import rules as invoice_rules
from clausier.billing.invoices.service import (
    direct_debits,
    party_of_customer,
    party_of_operator,
    take_numbers,
)
from clausier.billing.models import (
    BilledMonth,
    Charge,
    Invoice,
    InvoiceLine,
    PriceRevision,
)
from clausier.billing.runs import inputs, rules
from clausier.catalog import facts as catalog
from clausier.catalog.facts import OperatorFacts
from clausier.contracts import facts as contracts
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, NotFound, RuleRefusal
from clausier.core.message import message_fields, msg, stored
from clausier.core.money import ZERO, fr_format, money
from clausier.customers import facts as customers_facts
from clausier.customers.facts import CustomerFacts, SiteFacts
from clausier.db.bulk import encode_rows, insert_encoded, new_ids, value_encoder
from clausier.db.lookup import among
from clausier.db.session import engine_for, transaction
from clausier.rating import facts as rating
from clausier.terms.schema import Terms

# --------------------------------------------------------------------------- loading facts


@dataclass
class _Batch:
    """Everything loaded at once for a batch of customers."""

    customers: dict            # id → customer row
    facts: dict[int, rules.CustomerFacts]
    errors: dict[int, str]
    central_sites: dict        # customer id → its central site row


def _of_subscriptions(conn, columns, subscription_ids: list[int], where=None, order_by=(),
                      group_by=()) -> list:
    """Rows of one of billing's subscription tables for some subscriptions (ids in chunks)."""
    table = columns[0].table
    rows = []
    for ids in chunks(sorted(subscription_ids), 1000):
        query = select(*columns).where(among(table.c.subscription_id, ids))
        if where is not None:
            query = query.where(where)
        rows += conn.execute(query.order_by(*order_by).group_by(*group_by))
    return rows


def chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def load_batch(session: Session, cache: TermsCache, operator: OperatorFacts,
                customer_ids: list[int], period: date) -> _Batch:
    """Read a batch's facts with a few set queries: the customers, their sites and their
    subscriptions through the owning rooms' readers, billing's own rows by subscription."""
    conn = session.connection()
    period_end = periods.month_end(period)
    wanted = set(customer_ids)
    customers = customers_facts.customers(session, customer_ids)
    sites = {}
    central = {}
    for own in customers_facts.sites_of(session, customer_ids).values():
        for site in own:
            sites[site.id] = site
            if site.is_central and site.customer_id not in central:
                central[site.customer_id] = site
    subs = [s for s in contracts.subscriptions_to_bill(session, customer_ids, period_end)
            if s.customer_id in wanted]
    sub_ids = [s.id for s in subs]
    common_offers = catalog.common_offer_ids(session, operator.id)
    month = BilledMonth.__table__.c
    billed_through = {row.subscription_id: row.last for row in _of_subscriptions(
        conn, (month.subscription_id, func.max(month.month).label("last")), sub_ids,
        group_by=[month.subscription_id])}
    revisions: dict[int, list[inputs.PriceStep]] = defaultdict(list)
    for row in _of_subscriptions(conn, tuple(PriceRevision.__table__.c), sub_ids,
                                 order_by=[PriceRevision.id]):
        revisions[row.subscription_item_id].append(inputs.PriceStep(
            row.effective_on, row.old_fee, row.new_fee,
            stored(row.explanation.get("note", ""), row.explanation.get("note_message"))))
    usage = {subscription_id: [_usage_facts(rated) for rated in months] for subscription_id, months
             in rating.unbilled_usage(session, set(sub_ids),
                                      periods.period_label(periods.add_months(period, -1))).items()}
    ended = {s.id: _end_on(s) for s in subs if _end_on(s) is not None}
    after_end: dict[int, list[inputs.BilledMonthFacts]] = defaultdict(list)
    for row in _of_subscriptions(conn, tuple(month), list(ended)):
        if row.month >= periods.month_start(ended[row.subscription_id] - periods.ONE_DAY):
            after_end[row.subscription_id].append(
                inputs.BilledMonthFacts(row.month, row.days, row.month_days, row.amount))
    packs_billed: set[int] = set()
    with_packs = [s.id for s in subs if any(i.one_off_price for i in s.items)]
    for ids in chunks(with_packs, 1000):
        packs_billed |= set(conn.scalars(select(InvoiceLine.subscription_id).where(
            InvoiceLine.subscription_id.in_(ids), InvoiceLine.kind == "pack")))
    low, high = min(customer_ids), max(customer_ids)
    charges: dict[int, list[inputs.ChargeFacts]] = defaultdict(list)
    for row in conn.execute(select(Charge.__table__).where(
            Charge.customer_id.between(low, high), Charge.invoice_id.is_(None),
            Charge.incurred_on <= period_end).order_by(Charge.incurred_on, Charge.id)):
        if row.customer_id in wanted:
            charges[row.customer_id].append(inputs.ChargeFacts(
                row.id, row.subscription_id, row.label, row.amount, row.price_basis,
                row.incurred_on, row.vat_rate, row.explanation or {}))
    by_customer: dict[int, list[tuple[inputs.SubscriptionFacts, Terms]]] = defaultdict(list)
    errors: dict[int, str] = {}
    for sub in subs:
        try:
            terms = cache.terms(sub.sheet_id, sub.sheet_version, sub.family)
        except (KeyError, NotFound) as exc:
            errors[sub.customer_id] = f"{sub.ref}: {exc}"
            continue
        site = sites.get(sub.site_id)
        by_customer[sub.customer_id].append((inputs.SubscriptionFacts(
            id=sub.id, ref=sub.ref, family=sub.family, site_id=sub.site_id,
            site_name=site.name if site else "", signed_on=sub.signed_on,
            items=tuple(inputs.item_facts(item, common_offers, revisions) for item in sub.items),
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
            central=(invoice_rules.Site(central[customer_id].id, central[customer_id].name)
                     if customer_id in central else None), subscriptions=subscriptions,
            usage=tuple(u for sub, _ in subscriptions for u in usage.get(sub.id, ())),
            charges=tuple(charges.get(customer_id, ())),
            packs_billed=frozenset(packs_billed & {sub.id for sub, _ in subscriptions}))
    return _Batch(customers, facts, errors, central)


def _usage_facts(rated: rating.RatedMonth) -> inputs.UsageFacts:
    """A rated month as the bill run bills it; its detail per destination class goes with the
    invoice line (the usage annex), so that the invoice keeps it when rating data is purged."""
    return inputs.UsageFacts(rated.id, rated.subscription_id,
                             periods.parse_period(rated.usage_period),
                            rated.amount, rated.price_basis, records=rated.records,
                            annex=rated.detail.as_dict())


def _end_on(sub) -> date | None:
    """The first day without service: the termination date, else the effective date of a notice."""
    return sub.terminated_on or sub.termination_effective_on


# What numbering sets on an invoice (its id, number, status, dates of issue): the writer adds it.
NUMBERING_COLUMNS = ("id", "number", "status", "issue_date", "issued_at")
INVOICE_COLUMNS = ("kind", "operator_id", "customer_id", "bill_run_id", "run_key", "series",
                   "period", "period_start", "period_end", "due_date", "price_basis", "total_ht",
                   "total_vat", "total_ttc", "vat_breakdown", "seller", "buyer", "mentions",
                   "billing_site_id", "credited_invoice_id", "reason", "amount_paid", "paid_on",
                   "created_at")
LINE_COLUMNS = ("position", "kind", "subscription_id", "site_id", "site_name", "label", "quantity",
                "unit_price", "amount", "amount_ht", "vat_rate", "period_start", "period_end",
                "clause", "explanation")
MONTH_COLUMNS = ("subscription_id", "month", "days", "month_days", "amount")


def _invoice_row(operator: OperatorFacts, customer: CustomerFacts, draft: rules.InvoiceDraft,
                 period: date, run_id: int | None, now, central: SiteFacts | None,
                 seller: dict, mandate_reference: str,
                 french: dict[invoice_rules.Mention, dict]) -> dict:
    t = draft.totals
    return {
        "kind": "invoice", "operator_id": operator.id, "customer_id": customer.id,
        "bill_run_id": run_id, "run_key": periods.period_label(period),
        "series": operator.invoice_prefix,
        "period": periods.period_label(period), "period_start": period,
        "period_end": periods.month_end(period),
        "due_date": draft.due, "price_basis": t.basis, "total_ht": t.total_ht,
        "total_vat": t.total_vat, "total_ttc": t.total_ttc,
        "vat_breakdown": [b.as_dict() for b in t.vat], "seller": seller,
        "buyer": party_of_customer(customer, central, mandate_reference),
        "mentions": _kept_mentions(draft.mentions, french),
        "billing_site_id": central.id if central else None, "credited_invoice_id": None,
        "reason": "", "amount_paid": ZERO, "paid_on": None, "created_at": now,
    }


def _kept_mentions(mentions: tuple[invoice_rules.Mention, ...], french: dict) -> list[dict]:
    """The mentions of an invoice as kept: one list for the invoices of a batch with the same
    ones (so stored as JSON once, ``encode_rows``)."""
    if mentions not in french:
        french[mentions] = [_kept_mention(m, french) for m in mentions]
    return french[mentions]


def _kept_mention(mention: invoice_rules.Mention, french: dict[invoice_rules.Mention, dict]) -> dict:
    """The mention as the invoice keeps it, its French text written once per batch (the invoices
    of a run mostly carry the same ones)."""
    if mention not in french:
        french[mention] = with_french_text(mention.as_dict())
    return french[mention]


# The explanations of a batch's lines as stored, by line shape (the identity of its explanation,
# label and annex, kept alive beside it): the lines of the same shape (the rules share their
# explanations, ``rules._recurring_explained``) store one dict, so encoded once (``encode_rows``).
_explanations: dict[tuple[int, int, int], tuple] = {}


def _explanation(priced: invoice_rules.PricedLine) -> dict:
    draft = priced.draft
    key = (id(priced.explained), id(draft.label), id(draft.annex) if draft.annex else 0)
    kept = _explanations.get(key)
    if kept is None:
        data = (priced.explained.as_dict() | ({"annex": draft.annex} if draft.annex else {})
                | message_fields("label", draft.label))
        kept = _explanations[key] = (priced.explained, draft.label, draft.annex, data)
    return kept[3]


def _line_rows(invoice_id: int | None, totals: invoice_rules.Totals) -> list[dict]:
    """An invoice's lines (``invoice_id`` None while the invoice has no id: the writer sets it)."""
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
            "explanation": _explanation(priced),
        })
    return rows


@dataclass
class PreparedInvoices:
    """A batch's invoices as rows ready to insert (values encoded for the database), but for
    what numbering sets; the rows of invoice ``i`` at position ``i`` of each list. Built where
    the invoices were drafted (another process on a parallel run), written by the run's writer."""

    customer_ids: list[int] = field(default_factory=list)
    invoices: list[tuple] = field(default_factory=list)          # INVOICE_COLUMNS
    lines: list[list[tuple]] = field(default_factory=list)       # LINE_COLUMNS
    months: list[list[tuple]] = field(default_factory=list)      # MONTH_COLUMNS
    usage_ids: list[tuple[int, ...]] = field(default_factory=list)
    charge_ids: list[tuple[int, ...]] = field(default_factory=list)
    revised: list[tuple[inputs.MonthRevised, ...]] = field(default_factory=list)
    totals: list[tuple[Decimal, Decimal]] = field(default_factory=list)     # HT, TTC
    summaries: list[str] = field(default_factory=list)   # the audit entry, after the number
    errors: list[dict] = field(default_factory=list)     # customers not billed, and why

    def without(self, customer_ids: set[int]) -> PreparedInvoices:
        """The same but the invoices of these customers (billed meanwhile by another run)."""
        keep = [i for i, customer_id in enumerate(self.customer_ids) if customer_id not in customer_ids]
        if len(keep) == len(self.customer_ids):
            return self
        return PreparedInvoices(
            *([values[i] for i in keep] for values in (
                self.customer_ids, self.invoices, self.lines, self.months, self.usage_ids,
                self.charge_ids, self.revised, self.totals, self.summaries)), errors=self.errors)


def invoiced_customers(session: Session, customer_ids: list[int], period: date) -> set[int]:
    """Those of these customers who have their invoice of the period (idempotence)."""
    return set(session.scalars(select(Invoice.customer_id).where(
        Invoice.customer_id.between(min(customer_ids), max(customer_ids)),
        Invoice.run_key == periods.period_label(period))))


# A worker process's engine, and the terms of the run it drafts for (read once per run).
_engines: dict[str, Engine] = {}
_terms: dict[tuple[str, int | None], TermsCache] = {}


def draft_in_process(url: str, operator_id: int, run_id: int, period: date, issue_date: date,
                     customer_ids: list[int], now) -> PreparedInvoices:
    """:func:`prepare_batch` in a worker process of a parallel run (one engine per process),
    in a read-only transaction of its own; the customers already invoiced are left out."""
    if url not in _engines:
        _engines[url] = engine_for(url, prepared_statements=False)
    with transaction(_engines[url]) as session:
        if (url, run_id) not in _terms:
            _terms.clear()           # one run at a time in a worker process
            _terms[(url, run_id)] = TermsCache(session)
        cache = _terms[(url, run_id)].reading_with(session)
        operator = catalog.operator_by_id(session, operator_id)
        already = invoiced_customers(session, customer_ids, period)
        return prepare_batch(session, cache, operator, run_id, period, issue_date,
                             [c for c in customer_ids if c not in already], now)


@contextmanager
def _cyclic_gc_paused():
    """Python's cyclic garbage collector paused while a batch is drafted (or written): the batch
    allocates tens of thousands of objects (facts, lines, messages, rows) while holding its
    facts, and each collection scans them all again, for no cycle to free (it cost about 40 %
    of the drafting CPU). Reference counting still frees what a batch drops; the collector is
    resumed (as it was) at the end of the batch and collects what cycles it left."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def prepare_batch(session: Session, cache: TermsCache, operator: OperatorFacts, run_id: int | None,
                  period: date, issue_date: date, customer_ids: list[int], now) -> PreparedInvoices:
    """Draft the invoices of some customers and encode their rows; reads only, so that it runs
    in a process of its own on a parallel run."""
    with _cyclic_gc_paused():
        return _prepare_batch(session, cache, operator, run_id, period, issue_date, customer_ids,
                              now)


def _prepare_batch(session: Session, cache: TermsCache, operator: OperatorFacts,
                   run_id: int | None, period: date, issue_date: date, customer_ids: list[int],
                   now) -> PreparedInvoices:
    prepared = PreparedInvoices()
    if not customer_ids:
        return prepared
    batch = load_batch(session, cache, operator, customer_ids, period)
    general = cache.sheet(operator.sheet_id, None).general
    drafts = []
    for customer_id in customer_ids:
        customer = batch.customers[customer_id]
        if customer_id in batch.errors:
            prepared.errors.append({"customer": customer.ref, "reason": batch.errors[customer_id]})
            continue
        try:
            draft = rules.draft_invoice(batch.facts[customer_id], general, operator.price_basis,
                                        period, issue_date)
        except RuleRefusal as exc:
            prepared.errors.append({"customer": customer.ref, "reason": str(exc)})
            continue
        if not draft.is_empty:
            drafts.append((customer, draft, batch.central_sites.get(customer_id)))
    if not drafts:
        return prepared
    debits = direct_debits(session, operator, [customer.id for customer, _, _ in drafts])
    seller = party_of_operator(operator, debits.creditor_identifier if debits else "")
    mandates = debits.mandates if debits else {}
    dialect = session.connection().dialect
    invoices, lines, months, french = [], [], [], {}
    _explanations.clear()
    for customer, draft, central in drafts:
        invoices.append(_invoice_row(operator, customer, draft, period, run_id, now, central,
                                     seller, mandates.get(customer.id, ""), french))
        lines.append(_line_rows(None, draft.totals))
        months.append([{"subscription_id": m.subscription_id, "month": m.month, "days": m.days,
                        "month_days": m.month_days, "amount": m.amount} for m in draft.billed])
        prepared.customer_ids.append(customer.id)
        prepared.usage_ids.append(tuple(draft.usage_ids))
        prepared.charge_ids.append(tuple(draft.charge_ids))
        prepared.revised.append(tuple(draft.revised))
        prepared.totals.append((draft.totals.total_ht, draft.totals.total_ttc))
        prepared.summaries.append(f"{customer.ref}: {fr_format(draft.totals.total)} {draft.totals.basis}")
    prepared.invoices = encode_rows(Invoice.__table__, dialect, INVOICE_COLUMNS, invoices)
    prepared.lines = _encoded_per_invoice(InvoiceLine.__table__, dialect, LINE_COLUMNS, lines)
    _explanations.clear()
    prepared.months = _encoded_per_invoice(BilledMonth.__table__, dialect, MONTH_COLUMNS, months)
    return prepared


def _encoded_per_invoice(table, dialect, columns, rows_per_invoice: list[list[dict]]) -> list[list[tuple]]:
    encoded = iter(encode_rows(table, dialect, columns, [r for rows in rows_per_invoice for r in rows]))
    return [[next(encoded) for _ in rows] for rows in rows_per_invoice]


def write_prepared(session: Session, clock: Clock, actor: Actor, operator: OperatorFacts,
                   issue_date: date, prepared: PreparedInvoices, draft_only: bool
                   ) -> list[tuple[int, str | None, Decimal, Decimal]]:
    """Insert a batch's invoices with their numbers (taken here, in customer order, in the
    caller's transaction, which holds the operator's bill-run lock), their lines, the months
    billed, and mark the usage and charges they bill; (id, number, HT, TTC) of each.

    Refused (:class:`Conflict`, the transaction to roll back) when a rated month or a charge
    drafted on an invoice was billed meanwhile: the facts were read before the lock."""
    with _cyclic_gc_paused():       # thousands of rows built from thousands received
        return _write_prepared(session, clock, actor, operator, issue_date, prepared, draft_only)


def _write_prepared(session: Session, clock: Clock, actor: Actor, operator: OperatorFacts,
                    issue_date: date, prepared: PreparedInvoices, draft_only: bool
                    ) -> list[tuple[int, str | None, Decimal, Decimal]]:
    count = len(prepared.invoices)
    if not count:
        return []
    conn = session.connection()
    numbers = ([None] * count if draft_only
               else take_numbers(session, operator.invoice_prefix, issue_date.year, count))
    ids = new_ids(conn, Invoice.__table__, count)
    table = Invoice.__table__
    encode = {column: value_encoder(table, conn.dialect, column) for column in NUMBERING_COLUMNS}
    now = clock.now()
    issued = (encode["status"](invoice_rules.InvoiceStatus.ISSUED), encode["issue_date"](issue_date),
              encode["issued_at"](now))
    unissued = (encode["status"](invoice_rules.InvoiceStatus.DRAFT), None, None)
    insert_encoded(conn, table, NUMBERING_COLUMNS + INVOICE_COLUMNS, [
        (invoice_id, number, *(issued if number else unissued), *row)
        for invoice_id, number, row in zip(ids, numbers, prepared.invoices, strict=True)])
    insert_encoded(conn, InvoiceLine.__table__, ("invoice_id", *LINE_COLUMNS), [
        (invoice_id, *line) for invoice_id, lines in zip(ids, prepared.lines, strict=True)
        for line in lines])
    insert_encoded(conn, BilledMonth.__table__, (*MONTH_COLUMNS, "invoice_id"), [
        (*month, invoice_id) for invoice_id, months in zip(ids, prepared.months, strict=True)
        for month in months])
    rating.mark_billed(session, {usage_id: invoice_id for invoice_id, usage_ids
                                 in zip(ids, prepared.usage_ids, strict=True) for usage_id in usage_ids})
    _mark_charges(conn, {charge_id: invoice_id for invoice_id, charge_ids
                         in zip(ids, prepared.charge_ids, strict=True) for charge_id in charge_ids})
    for month in (month for revised in prepared.revised for month in revised):
        conn.execute(update(BilledMonth.__table__).where(
            BilledMonth.subscription_id == month.subscription_id, BilledMonth.month == month.month)
            .values(days=month.days, amount=month.amount))
    # A draft's summary names it in the reader's language (one message per line, nothing more);
    # an issued invoice's is its number, customer and total, words in no language.
    record_many(session, clock, actor, "invoice.issue" if not draft_only else "invoice.draft", (
        ("invoices", invoice_id, f"{number} {summary}" if number else msg("draft {summary}", summary=summary))
        for invoice_id, number, summary in zip(ids, numbers, prepared.summaries, strict=True)))
    return [(invoice_id, number, ht, ttc) for invoice_id, number, (ht, ttc)
            in zip(ids, numbers, prepared.totals, strict=True)]


def _mark_charges(conn, invoice_of: dict[int, int]) -> None:
    """Mark queued charges as billed by their invoice (one executemany); refused when one was
    billed meanwhile."""
    if not invoice_of:
        return
    table = Charge.__table__
    marked = conn.execute(
        update(table).where(table.c.id == bindparam("charge_id"), table.c.invoice_id.is_(None))
        .values(invoice_id=bindparam("charge_invoice")),
        [{"charge_id": charge_id, "charge_invoice": invoice_id}
         for charge_id, invoice_id in invoice_of.items()])
    if marked.rowcount != len(invoice_of):
        raise Conflict(f"{len(invoice_of) - marked.rowcount} charge(s) billed meanwhile by another run",
                       code=periods.Refused.charges_billed_meanwhile)
