"""The texts of an invoice's printed page, in the reader's language: every label through the
catalogues (``billing.po``), amounts, dates and rates written as the language writes them, the
rooms' English explanations translated as on the pages. The Typst template
(``web/static/documents/invoice.typ``) lays them out; it writes no word of its own but "page".
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from clausier.billing.invoices.rules import usage_annexes
from clausier.billing.models import Invoice
from clausier.core.money import fr_format
from clausier.web.explain_text import explained


def invoice_page(invoice: Invoice, credited: Invoice | None, language: str, title: str,
                 payment: dict) -> dict:
    """The page of an invoice or credit note (lines grouped by site) as plain texts."""
    from clausier.billing.documents.mentions import mention_text
    from clausier.web.i18n import gettext_for

    _ = gettext_for(language)
    money, day, percent = _formats(language)
    seller, buyer = invoice.seller, invoice.buyer
    heading = f"{title} {invoice.number or '(' + _('draft') + ')'}"
    basis = (_("Amounts excluding tax (HT)") if invoice.price_basis == "HT"
             else _("Amounts including all taxes (TTC)"))
    credit = None
    if credited is not None:
        credit = (_("Original invoice: {number} of {day}").format(
            number=credited.number, day=day(credited.issue_date)) + f" — {invoice.reason}")
    rates = {bucket["code"]: percent(bucket["rate"]) for bucket in invoice.vat_breakdown}
    return {
        "lang": language, "title": heading,
        "meta": {"issue": [_("Issue date:"), day(invoice.issue_date)],
                 "due": [_("Due date:"), day(invoice.due_date)],
                 "period": (f"{_('Period:')} {day(invoice.period_start)} – "
                            f"{day(invoice.period_end)}"),
                 "basis": basis, "credited": credit},
        "seller": _party(_("Seller"), seller["name"], _seller_lines(seller, _),
                         f" ({seller['trade_name']})" if seller.get("trade_name")
                         and seller.get("trade_name") != seller["name"] else ""),
        "buyer": _party(_("Customer"), buyer["name"], _buyer_lines(buyer, _),
                        f" — {_('customer no.')} {buyer.get('ref') or ''}"),
        "lines": _lines(invoice, _, language, money, day, rates),
        "totals": [[_("Total excl. VAT"), money(invoice.total_ht)],
                   [_("Total VAT"), money(invoice.total_vat)],
                   [_("Credit note total incl. VAT") if invoice.kind == "credit_note"
                    else _("Total incl. VAT to pay"), money(invoice.total_ttc)]],
        "vat": {"head": [_("VAT rate"), _("Base excl. VAT"), _("VAT"), _("Incl. VAT")],
                "rows": [[percent(b["rate"]), money(b["base_ht"]), money(b["vat"]),
                          money(b["total_ttc"])] for b in invoice.vat_breakdown]},
        "annex_heading": _("Usage annex"),
        "annexes": _annexes(invoice, _, language),
        "payment": _payment(payment, invoice, _),
        "mentions": [mention_text(m, language) + (f" ({m['clause']})" if m.get("clause") else "")
                     for m in invoice.mentions]
                    + [_("Document issued in the Factur-X format (EN 16931 profile); each line "
                         "states its calculation and the clause applied.")],
    }


def _party(heading: str, name: str, lines: list[str], after_name: str) -> dict:
    return {"heading": heading, "name": name or "", "after-name": after_name,
            "lines": [line for line in lines if line]}


def _seller_lines(seller: dict, _) -> list[str]:
    lines = (seller.get("address") or "").splitlines()
    if seller.get("siren"):
        lines.append(f"SIREN {seller['siren']}"
                     + (f" · SIRET {seller['siret']}" if seller.get("siret") else ""))
    if seller.get("vat_number"):
        lines.append(f"{_('Intra-community VAT number')} {seller['vat_number']}")
    lines.append(" ".join(part for part in (seller.get("phone"), seller.get("email")) if part))
    return lines


def _buyer_lines(buyer: dict, _) -> list[str]:
    lines = (buyer.get("address") or "").splitlines()
    if buyer.get("siren"):
        lines.append(f"SIREN {buyer['siren']}")
    if buyer.get("vat_number"):
        lines.append(f"{_('Intra-community VAT number')} {buyer['vat_number']}")
    return lines


def _lines(invoice: Invoice, _, language: str, money, day, rates: dict) -> dict:
    sites: dict[str, list] = {}
    for line in invoice.lines:
        sites.setdefault(line.site_name or "", []).append(line)
    rows, kinds = [], []
    for site, lines in sites.items():
        if site:
            rows.append({"site": f"{_('Site:')} {site}"})
            kinds.append("site")
        for position, line in enumerate(lines, 1):
            period = day(line.period_start)
            if line.period_end and line.period_end != line.period_start:
                period += f" – {day(line.period_end)}"
            rows.append({"label": explained(line.label, language,
                                            (line.explanation or {}).get("label_message")),
                         "why": _why(line.explanation or {}, language), "period": period,
                         "quantity": f"{line.quantity.normalize()}",
                         "unit_price": money(line.unit_price), "vat": rates.get(line.vat_rate, ""),
                         "amount": money(line.amount)})
            kinds.append("even" if position % 2 == 0 else "odd")
    return {"head": [_("Description and calculation"), _("Period"), _("Qty"), _("Unit price"),
                     _("VAT"), f"{_('Amount')} {invoice.price_basis}"],
            "rows": rows, "kinds": kinds}


def _why(explanation: dict, language: str) -> str:
    """A line's explanation as the document prints it: each formula with its clause, then each
    note, one to a text line."""
    formulas = [explained(part.get("formula"), language, part.get("formula_message"))
                + (f" — {part['clause']}" if part.get("clause") else "")
                for part in explanation.get("lines", [])]
    notes = explanation.get("notes", [])
    notes = [explained(note, language, message) for note, message
             in zip(notes, explanation.get("note_messages") or [None] * len(notes))]
    return "\n".join(formulas + notes)


def _annexes(invoice: Invoice, _, language: str) -> list[dict]:
    """The usage annex: for each usage line, its month per destination class."""
    from clausier.web.templating import filters_for

    money = filters_for(language)["money"]      # as the back-office page's annex writes them
    annexes = []
    for annex in usage_annexes(invoice.lines):
        rows, kinds = [], []
        for position, row in enumerate(annex.rows, 1):
            figures = (["", "", "", ""] if row.calls is None else
                       [f"{row.calls}", _duration(row.seconds), _duration(row.included_seconds),
                        _duration(row.charged_seconds)])
            rows.append([explained(row.label, language), *figures, money(row.amount),
                         row.clause])
            kinds.append("even" if position % 2 == 0 else "odd")
        title = explained(annex.label, language)
        annexes.append({
            "title": f"{title} — {annex.site_name}" if annex.site_name else title,
            "head": [_("Destination"), _("Calls"), _("Minutes"), _("Included"), _("Charged"),
                     f"{_('Amount')} {annex.basis}", _("Clause")],
            "rows": rows, "kinds": kinds, "total": [_("Total"), money(annex.total)]})
    return annexes


def _duration(seconds: int) -> str:
    return f"{seconds // 60} min {seconds % 60:02d} s"


def _payment(payment: dict, invoice: Invoice, _) -> list[str] | None:
    if payment.get("code") == "59":
        return [_("Payment: SEPA direct debit"),
                f"· {_('Unique mandate reference (UMR):')} {payment['mandate_reference']} "
                f"· {_('SEPA creditor identifier (SCI):')} {payment['creditor_identifier']}"]
    if payment.get("code") == "58":
        return [_("Payment: SEPA credit transfer"),
                _("to the account of {name}").format(name=payment["account_name"])
                + f" · IBAN {payment['iban_formatted']}"
                + (f" · BIC {payment['bic']}" if payment.get("bic") else "")
                + f" · {_('Reference to quote:')} {invoice.number}"]
    return None


@cache
def _formats(language: str):
    """(money, day, percent) as the document writes them in ``language``: French amounts and
    dates as the law's examples write them, English ones as the pages do."""
    from clausier.web.templating import filters_for

    formats = filters_for(language)
    if language == "fr":
        return (fr_format, lambda d: d.strftime("%d/%m/%Y") if d else "",
                _percent_in(language))
    return formats["money"], formats["day"], _percent_in(language)


def _percent_in(language: str):
    def percent(rate) -> str:
        figure = f"{(Decimal(rate) * 100).normalize():f}"
        return f"{figure.replace('.', ',')} %" if language == "fr" else f"{figure}%"
    return percent
