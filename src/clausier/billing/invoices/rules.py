"""Invoice rules: the lines of an invoice, their VAT and totals, the due date, the legal
mentions, and the usage annex kept with the lines. Pure.

Amounts are in the basis of the price list (HT or TTC) and rounded to the cent per line; VAT is
computed per rate on the sum of the lines (HT lists) or taken out of the TTC sum (TTC lists).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

from clausier.billing.periods import Refused
from clausier.core.errors import RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.message import msg, stored
from clausier.core.money import (
    ZERO,
    VatRate,
    fr_number,
    money,
    vat_rate_on,
)
from clausier.terms.delays import delay
from clausier.terms.schema import Terms

# Code de commerce art. L441-10 and D441-5: the legal defaults when a business sheet is silent.
LEGAL_RECOVERY_INDEMNITY = Decimal("40")
LEGAL_RECOVERY_CLAUSE = "C. com. art. L441-10, D441-5"
NO_DISCOUNT_CLAUSE = "C. com. art. L441-9"


class InvoiceStatus(StrEnum):
    """Where an invoice (or a credit note) stands: a draft, then issued and its payment life."""

    DRAFT = "draft"
    ISSUED = "issued"
    PAID = "paid"
    PARTLY_PAID = "partly_paid"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


PAYMENT_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PAID, InvoiceStatus.PARTLY_PAID,
                    InvoiceStatus.OVERDUE)
"""The statuses of an issued invoice in its payment life."""


@dataclass(frozen=True)
class Site:
    id: int
    name: str


# --------------------------------------------------------------------------- draft lines


@dataclass(frozen=True)
class DraftLine:
    """A line before it is stored: ``amount`` is in ``basis``; ``explained.total == amount``."""

    kind: str                     # recurring | one_off | usage | charge | adjustment | minimum
    label: str
    explained: Explained
    basis: str
    vat_rate: str = "normal"
    quantity: Decimal = Decimal(1)
    subscription_id: int | None = None
    site: Site | None = None
    period_start: date | None = None
    period_end: date | None = None
    source_id: int | None = None   # the usage summary or charge it bills
    # A usage line's detail per destination class (the invoice's usage annex), in ``basis``.
    annex: dict = field(default_factory=dict, compare=False)

    @cached_property
    def amount(self) -> Decimal:
        return self.explained.total

    @property
    def clause(self) -> str:
        return next((line.clause for line in self.explained.lines if line.clause), "")

    @property
    def unit_price(self) -> Decimal:
        return money(self.amount / self.quantity) if self.quantity else self.amount


@dataclass(frozen=True)
class AnnexRow:
    """A row of the usage annex: a destination class (figures in seconds) or a line of the month
    tied to no single class (a surcharge, a pool; no figures)."""

    label: str
    amount: Decimal
    clause: str
    calls: int | None = None
    seconds: int | None = None
    included_seconds: int | None = None
    charged_seconds: int | None = None


@dataclass(frozen=True)
class UsageAnnex:
    """The detail of a usage line (*détail des consommations*), as kept with the invoice."""

    label: str
    site_name: str
    basis: str
    rows: tuple[AnnexRow, ...]

    @property
    def total(self) -> Decimal:
        return money(sum((row.amount for row in self.rows), ZERO))


def usage_annex(label: str, site_name: str, explanation: dict) -> UsageAnnex | None:
    """The annex of an invoice line, from the detail its explanation keeps (``annex``: the
    rating's month per destination class, then its other lines); None for other lines."""
    annex = explanation.get("annex")
    if not annex:
        return None
    rows = [AnnexRow(stored(d["label"], d.get("label_message")), Decimal(d["amount"]), d["clause"], d["calls"], d["seconds"],
                     d["included_seconds"], d["charged_seconds"]) for d in annex["destinations"]]
    rows += [AnnexRow(stored(line["label"], line.get("label_message")), Decimal(line["amount"]),
                      line.get("clause", "")) for line in annex.get("other_lines", [])]
    return UsageAnnex(stored(label, explanation.get("label_message")), site_name, annex["basis"], tuple(rows))


def usage_annexes(lines: Iterable) -> list[UsageAnnex]:
    """The usage annexes of an invoice's stored lines (``label``, ``site_name``, ``explanation``)."""
    return [annex for line in lines
            if (annex := usage_annex(line.label, line.site_name, line.explanation or {})) is not None]


# --------------------------------------------------------------------------- VAT and totals


@dataclass(frozen=True)
class VatBucket:
    code: str
    rate: Decimal            # fraction, 0.20
    base_ht: Decimal
    vat: Decimal
    total_ttc: Decimal

    def as_dict(self) -> dict:
        return {"code": self.code, "rate": str(self.rate), "base_ht": str(self.base_ht),
                "vat": str(self.vat), "total_ttc": str(self.total_ttc)}


@dataclass(frozen=True)
class PricedLine:
    """A line in the invoice's basis, with its net (HT) amount for the VAT breakdown."""

    draft: DraftLine
    amount: Decimal            # in the invoice's basis
    amount_ht: Decimal
    explained: Explained


@dataclass(frozen=True)
class Totals:
    basis: str
    lines: tuple[PricedLine, ...]
    vat: tuple[VatBucket, ...]

    @property
    def total(self) -> Decimal:
        """The sum of the lines, in the invoice's basis."""
        return money(sum((line.amount for line in self.lines), ZERO))

    @property
    def total_ht(self) -> Decimal:
        return money(sum((bucket.base_ht for bucket in self.vat), ZERO))

    @property
    def total_vat(self) -> Decimal:
        return money(sum((bucket.vat for bucket in self.vat), ZERO))

    @property
    def total_ttc(self) -> Decimal:
        return money(sum((bucket.total_ttc for bucket in self.vat), ZERO))


def vat_rate(code: str, on: date) -> VatRate:
    """The rate of VAT category ``code`` in force on ``on`` (the invoice's date)."""
    return vat_rate_on(code, on)


def _in_basis(line: DraftLine, basis: str, on: date) -> tuple[Decimal, Explained]:
    """The line's amount in the invoice's basis; a conversion is explained on the line."""
    if line.basis == basis:
        return line.amount, line.explained
    rate = vat_rate(line.vat_rate, on)
    percent = f"{fr_number(rate.rate * 100)} %"
    if basis == "TTC":
        converted = rate.ttc_from_ht(line.amount)
        formula = msg("{amount} HT × (1 + {percent})", amount=line.amount, percent=percent)
    else:
        converted = rate.ht_from_ttc(line.amount)
        formula = msg("{amount} TTC ÷ (1 + {percent})", amount=line.amount, percent=percent)
    lines = (Line(msg("{label} ({basis})", label=line.label, basis=basis), converted, formula,
                  line.clause),)
    return converted, Explained(lines, notes=line.explained.notes)


def totals(drafts: Iterable[DraftLine], basis: str, on: date) -> Totals:
    """The invoice's lines in its basis and its VAT breakdown per rate, at the rates in force on
    ``on`` (the invoice's date).

    HT list: VAT = rate × the sum of the HT lines of that rate. TTC list: the TTC sum is what the
    customer was quoted; HT = TTC ÷ (1 + rate), VAT = TTC − HT, and each line's HT share is
    allocated so that the lines add up to the base (Factur-X BR-CO-10, BR-S-08)."""
    if basis not in ("HT", "TTC"):
        raise RuleRefusal(Refused.price_basis_unknown, "price_basis",
                          f"{basis!r} is neither HT nor TTC")
    converted = [(draft, *_in_basis(draft, basis, on)) for draft in drafts]
    by_rate: dict[str, list[int]] = {}
    for index, (draft, _amount, _explained) in enumerate(converted):
        by_rate.setdefault(draft.vat_rate, []).append(index)
    net = [ZERO] * len(converted)
    buckets = []
    for code in sorted(by_rate):
        rate = vat_rate(code, on)
        indexes = by_rate[code]
        amounts = [converted[i][1] for i in indexes]
        total = money(sum(amounts, ZERO))
        if basis == "HT":
            base, tax = total, rate.tax_on(total)
            for i in indexes:
                net[i] = converted[i][1]
        else:
            base = rate.ht_from_ttc(total)
            tax = total - base
            shares = [rate.ht_from_ttc(a) for a in amounts]
            gap = base - sum(shares, ZERO)
            if gap and shares:
                largest = max(range(len(shares)), key=lambda k: abs(amounts[k]))
                shares[largest] += gap
            for i, share in zip(indexes, shares, strict=True):
                net[i] = share
        buckets.append(VatBucket(code, rate.rate, base, tax, base + tax))
    priced = tuple(PricedLine(draft, amount, net[i], explained)
                   for i, (draft, amount, explained) in enumerate(converted))
    return Totals(basis, priced, tuple(buckets))


# --------------------------------------------------------------------------- due date and mentions


def due_date(terms: Terms, issue: date) -> tuple[date, str]:
    """Technicophone: the 25th « jour » after the invoice date, a working day in France as CGV
    art. 2 defines the word (art. 10.4); Ozone: debited in advance, due on issue."""
    payment = terms.payment
    if payment and payment.due_days_after_issue:
        within = delay(terms, payment.due_days_after_issue)
        return within.after(issue), within.clause
    if payment and payment.debited_in_advance and payment.debited_in_advance.value:
        return issue, payment.debited_in_advance.clause
    return issue, ""


@dataclass(frozen=True)
class Mention:
    """A mention as a message id (English, translated by the catalogues:
    ``billing.documents.mentions``) and its parameters, JSON values: ``day`` an ISO date, ``amount`` and ``multiple`` decimals,
    ``rate`` and ``reference`` message ids themselves, others printed as they are."""
    message: str
    clause: str = ""
    params: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict:
        return {"message": self.message, "params": dict(self.params), "clause": self.clause}


def legal_mentions(terms: Terms, business_customer: bool, due: date, due_clause: str) -> list[Mention]:
    """The mentions French law requires on the invoice beyond the figures (CGI art. 242 nonies A,
    C. com. art. L441-9): payment date and terms; for business customers the late-payment rate
    and the flat recovery indemnity, and the early-payment discount terms."""
    mentions = [Mention("Due date: {day}", due_clause, (("day", due.isoformat()),))]
    payment = terms.payment
    if payment and payment.debited_in_advance and payment.debited_in_advance.value:
        mentions.append(Mention("Debited in advance, for the period to come",
                                payment.debited_in_advance.clause))
    if not business_customer:
        return mentions
    discount = payment.early_payment_discount if payment else None
    if discount is None or not discount.value:
        # The invoice states the discount terms (C. com. art. L441-9): terms silent on a
        # discount grant none.
        mentions.append(Mention("No discount for early payment",
                                discount.clause if discount else NO_DISCOUNT_CLAUSE))
    late = terms.late_payment
    if late and late.interest_multiple_of_legal_rate:
        source = (late.rate_source.value if late.rate_source else "french_legal_rate")
        rate = ("the French legal interest rate" if source == "french_legal_rate"
                else "the ECB refinancing rate")
        reference = ("in force on the invoice date"
                     if not late.rate_reference or late.rate_reference.value == "invoice_date"
                     else "in force on the due date")
        mentions.append(Mention(
            "Late-payment penalties: {multiple} times {rate} {reference}, due from the day after "
            "the due date without reminder", late.interest_multiple_of_legal_rate.clause,
            (("multiple", str(late.interest_multiple_of_legal_rate.value)), ("rate", rate),
             ("reference", reference))))
    else:
        mentions.append(Mention("Late-payment penalties: the ECB refinancing rate plus 10 points "
                                "(C. com. art. L441-10)", LEGAL_RECOVERY_CLAUSE))
    indemnity = (late.recovery_indemnity if late and late.recovery_indemnity else None)
    amount = indemnity.value if indemnity else LEGAL_RECOVERY_INDEMNITY
    mentions.append(Mention("Flat indemnity for recovery costs: {amount}",
                            f"{indemnity.clause}; {LEGAL_RECOVERY_CLAUSE}" if indemnity
                            else LEGAL_RECOVERY_CLAUSE, (("amount", str(amount)),)))
    return mentions
