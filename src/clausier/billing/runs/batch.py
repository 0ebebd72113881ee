"""A batch of a bill run: its facts loaded with a few set queries through the owning rooms'
readers, and its invoices stored in bulk, in the caller's transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select, update
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
    BillRun,
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
from clausier.core.errors import NotFound
from clausier.core.message import message_fields, stored
from clausier.core.money import ZERO, fr_format, money
from clausier.customers import facts as customers_facts
from clausier.customers.facts import BilledCustomer, CustomerSite
from clausier.db.bulk import bulk_insert, insert_returning_ids
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
    for ids in chunks(subscription_ids, 1000):
        query = select(*columns).where(table.c.subscription_id.in_(ids))
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
    customers = customers_facts.billed_customers(session, customer_ids)
    sites = {}
    central = {}
    for site in customers_facts.customer_sites(session, customer_ids):
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


def _invoice_row(operator: OperatorFacts, customer: BilledCustomer, draft: rules.InvoiceDraft,
                 period: date,
                 issue_date: date, number: str | None, run_id: int | None, now,
                 central: CustomerSite | None, seller: dict, mandate_reference: str) -> dict:
    t = draft.totals
    return {
        "kind": "invoice", "operator_id": operator.id, "customer_id": customer.id,
        "bill_run_id": run_id, "run_key": periods.period_label(period),
        "series": operator.invoice_prefix,
        "number": number, "status": "issued" if number else "draft",
        "period": periods.period_label(period), "period_start": period,
        "period_end": periods.month_end(period), "issue_date": issue_date if number else None,
        "due_date": draft.due, "price_basis": t.basis, "total_ht": t.total_ht,
        "total_vat": t.total_vat, "total_ttc": t.total_ttc,
        "vat_breakdown": [b.as_dict() for b in t.vat], "seller": seller,
        "buyer": party_of_customer(customer, central, mandate_reference),
        "mentions": [with_french_text(m.as_dict()) for m in draft.mentions],
        "billing_site_id": central.id if central else None, "credited_invoice_id": None,
        "reason": "", "amount_paid": ZERO, "paid_on": None, "created_at": now,
        "issued_at": now if number else None,
    }


def _line_rows(invoice_id: int, totals: invoice_rules.Totals) -> list[dict]:
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
            "explanation": priced.explained.as_dict() | ({"annex": draft.annex} if draft.annex else {})
            | message_fields("label", draft.label),
        })
    return rows


def store(session: Session, clock: Clock, actor: Actor, operator: OperatorFacts,
          run: BillRun | None, period: date, issue_date: date,
          drafts: list[tuple[BilledCustomer, rules.InvoiceDraft, CustomerSite | None]],
          draft_only: bool) -> list[tuple[int, str | None, rules.InvoiceDraft]]:
    """Insert the invoices of a batch, their lines, the months billed, and mark the usage and
    charges they bill; all in the caller's transaction."""
    if not drafts:
        return []
    now = clock.now()
    numbers = ([None] * len(drafts) if draft_only
               else take_numbers(session, operator.invoice_prefix, issue_date.year, len(drafts)))
    debits = direct_debits(session, operator, [customer.id for customer, _, _ in drafts])
    seller = party_of_operator(operator, debits.creditor_identifier if debits else "")
    mandates = debits.mandates if debits else {}
    rows = [_invoice_row(operator, customer, draft, period, issue_date, number,
                         run.id if run else None, now, central, seller,
                         mandates.get(customer.id, ""))
            for (customer, draft, central), number in zip(drafts, numbers, strict=True)]
    conn = session.connection()
    ids = insert_returning_ids(conn, Invoice.__table__, rows)
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
    bulk_insert(conn, InvoiceLine.__table__, lines)
    bulk_insert(conn, BilledMonth.__table__, months)
    rating.mark_billed(session, usage)
    if charges:
        _set_invoice(conn, Charge.__table__, "invoice_id", charges)
    for month in revised:
        conn.execute(update(BilledMonth.__table__).where(
            BilledMonth.subscription_id == month.subscription_id, BilledMonth.month == month.month)
            .values(days=month.days, amount=month.amount))
    record_many(session, clock, actor, "invoice.issue" if not draft_only else "invoice.draft", (
        ("invoices", invoice_id, f"{number or 'draft'} {customer.ref}: "
                                 f"{fr_format(draft.totals.total)} {draft.totals.basis}")
        for invoice_id, number, (customer, draft, _c) in zip(ids, numbers, drafts, strict=True)))
    return [(invoice_id, number, draft) for invoice_id, number, (_c, draft, _x)
            in zip(ids, numbers, drafts, strict=True)]


def _set_invoice(conn, table, column: str, rows: list[dict]) -> None:
    """Mark charges as billed by their invoice (one executemany)."""
    conn.execute(update(table).where(table.c.id == bindparam("row_id"))
                 .values({column: bindparam("row_invoice")}),
                 [{"row_id": row["id"], "row_invoice": row["invoice_id"]} for row in rows])
